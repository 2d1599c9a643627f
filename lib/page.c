/*
 * page: the HTML page of ar-report, with gnuplot's figures inline.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "page.h"
#include "proc.h"
#include "progress.h"
#include "stats.h"
#include "varstore.h"

/* Points a convergence line is drawn with, and series drawn at most. */
#define CURVE_POINTS	400
#define MAX_SERIES	10
/* Points of a scatter beyond the front, at most. */
#define SCATTER_MAX	2000
#define TOP_PARAMS	3
#define GNUPLOT_MAX	((size_t)16 << 20)

static const char *const colours[] = {
	"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
	"#000000", "#f0e442", "#999999", "#882255"
};

void
page_escape(struct ar_buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_add(out, s, 1);
		}
}

void
page_number(double v, char *buf, size_t cap)
{
	if (isnan(v))
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.4g", v);
}

/* s as a gnuplot single-quoted string: printable ASCII but for the
 * characters gnuplot or SVG could read as more than text. */
static void
gp_quote(struct ar_buf *b, const char *s)
{
	buf_add(b, "'", 1);
	for (; *s != '\0'; s++)
		buf_add(b, *s >= ' ' && *s <= '~' && strchr("'`@\\<>&\"$",
		    *s) == NULL ? s : "?", 1);
	buf_add(b, "'", 1);
}

/* s as a label in a data block: the same characters, in double quotes. */
static void
gp_label(struct ar_buf *b, const char *s)
{
	size_t at = b->len;

	gp_quote(b, s);
	b->buf[at] = b->buf[b->len - 1] = '"';
}

static void
gp_begin(struct ar_buf *b, int w, int h)
{
	b->len = 0;
	buf_printf(b, "set terminal svg size %d,%d font 'sans,11' "
	    "noenhanced background rgb 'white'\nset output\n"
	    "set grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n", w, h);
}

static void
gp_num(struct ar_buf *b, double v)
{
	if (isfinite(v))
		buf_printf(b, " %.10g", v);
	else
		buf_adds(b, " NaN");
}

/* Appends the SVG from its <svg> on, with every id and every reference
 * to one prefixed with pre-, and gnuplot's title replaced by caption: one
 * pass, each mark starting with one of the letters of "ihu<". */
static void
add_svg(struct ar_buf *out, const char *svg, const char *pre,
    const char *caption)
{
	static const char *const marks[] = { "id='", "id=\"", "href='#",
	    "href=\"#", "url(#" };
	static const char title[] = "<title>Gnuplot</title>";
	const char *p = strstr(svg, "<svg"), *q;
	size_t i, n;

	for (p = p != NULL ? p : svg; *p != '\0'; p = q) {
		if (strncmp(p, title, sizeof(title) - 1) == 0) {
			buf_adds(out, "<title>");
			page_escape(out, caption);
			buf_adds(out, "</title>");
			q = p + sizeof(title) - 1;
			continue;
		}
		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (strncmp(p, marks[i], n = strlen(marks[i])) == 0)
				break;
		if (i < sizeof(marks) / sizeof(marks[0])) {
			buf_add(out, p, n);
			buf_printf(out, "%s-", pre);
			q = p + n;
			continue;
		}
		q = p + 1 + strcspn(p + 1, "ihu<");
		buf_add(out, p, (size_t)(q - p));
	}
}

/* Runs gnuplot on the script and sets its figure into out. */
static int
figure(struct ar_buf *out, const struct page_opts *o, const char *id,
    const char *caption, const struct ar_buf *script, struct ar_err *err)
{
	struct proc_opts po = PROC_OPTS_INIT;
	struct proc_result pr;
	char *argv[] = { (char *)o->gnuplot, NULL }, desc[128], pre[64];
	int fd, rc = -1;

	if ((fd = proc_input("gnuplot's input", script->buf, script->len,
	    err)) < 0)
		return -1;
	po.stdin_from = fd;
	po.timeout_s = 60;
	po.max_capture = GNUPLOT_MAX;
	if (proc_run(argv, &po, &pr, err) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	proc_describe(&pr, desc, sizeof(desc));
	if (pr.end == PROC_NOEXEC)
		ar_errf(err, "gnuplot not found: cannot run '%s' (install "
		    "gnuplot-nox, or give --gnuplot)", o->gnuplot);
	else if (pr.end != PROC_EXITED || pr.code != 0)
		ar_errf(err, "%s %s drawing figure %s: %.300s", o->gnuplot,
		    desc, id, pr.err);
	else if (pr.out_truncated || strstr(pr.out, "</svg>") == NULL)
		ar_errf(err, "%s wrote no whole SVG for figure %s",
		    o->gnuplot, id);
	else {
		snprintf(pre, sizeof(pre), "fig-%s", id);
		buf_printf(out, "<figure class=\"plot\" id=\"fig-%s\">\n", id);
		add_svg(out, pr.out, pre, caption);
		buf_adds(out, "<figcaption>");
		page_escape(out, caption);
		buf_adds(out, "</figcaption>\n</figure>\n");
		rc = 0;
	}
	proc_result_release(&pr);
	return rc;
}

/* Whether the objective's values are all positive and spread widely
 * enough that a log scale shows them better. */
static int
logscale(const struct report *r)
{
	double lo = HUGE_VAL, hi = 0;
	size_t i;

	for (i = 0; i < r->n; i++) {
		double v = r->rec[i].objective;

		if (isnan(r->rec[i].key))
			continue;
		if (!(v > 0))
			return 0;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	return hi > 0 && hi / lo > 20;
}

/* "best time_s (lower is better)": the objective on an axis. */
static const char *
axis_label(const struct report *r, const char *pre)
{
	static char buf[512];
	const char *e = strchr(r->objective, ' ');

	snprintf(buf, sizeof(buf), "%s%s (%s is better)", pre, e != NULL ?
	    e + 1 : r->objective, r->maximize ? "higher" : "lower");
	return buf;
}

static int
convergence_fig(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, int by_cost, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	double *x = ecalloc(4 * CURVE_POINTS, sizeof(*x));
	double *med = x + CURVE_POINTS, *lo = med + CURVE_POINTS,
	    *hi = lo + CURVE_POINTS;
	size_t s, j, m, nplot = 0;
	size_t *runs = ecalloc(r->nseries + 1, sizeof(*runs));
	char *drawn = ecalloc(r->nseries + 1, 1);
	int rc = 0;

	for (j = 0; j < r->nruns; j++)
		runs[r->runs[j].series]++;
	gp_begin(&b, 760, 380);
	buf_printf(&b, "set xlabel '%s'\nset ylabel ", by_cost ?
	    "cumulated cost_s (seconds)" : "evaluations");
	gp_quote(&b, axis_label(r, "best "));
	buf_adds(&b, "\nset key outside right top\n");
	if (logscale(r))
		buf_adds(&b, "set logscale y\n");
	for (s = 0; s < r->nseries && s < MAX_SERIES; s++) {
		m = report_curve(r, s, by_cost, CURVE_POINTS, x, med, lo, hi);
		for (j = 0; j < m && isnan(med[j]); j++)
			;
		if (j == m)
			continue;
		buf_printf(&b, "$s%zu << EOD\n", s);
		for (; j < m; j++) {
			gp_num(&b, x[j]);
			gp_num(&b, med[j]);
			gp_num(&b, lo[j]);
			gp_num(&b, hi[j]);
			buf_adds(&b, "\n");
		}
		buf_adds(&b, "EOD\n");
		drawn[s] = 1;
		nplot++;
	}
	if (nplot > 0) {
		buf_adds(&b, "plot");
		for (s = 0, j = 0; s < r->nseries && s < MAX_SERIES; s++) {
			const char *c = colours[s % 10];

			if (!drawn[s])
				continue;
			if (runs[s] > 1)
				buf_printf(&b, "%s $s%zu using 1:3:4 with "
				    "filledcurves fc rgb '%s' fs transparent "
				    "solid 0.2 noborder notitle", j++ ? "," :
				    "", s, c);
			buf_printf(&b, "%s $s%zu using 1:2 with steps lw 2 "
			    "lc rgb '%s' title ", j++ ? "," : "", s, c);
			gp_quote(&b, r->series[s]);
		}
		buf_adds(&b, "\n");
		rc = figure(out, o, by_cost ? "convergence-cost" :
		    "convergence", by_cost ? "Best so far against the "
		    "cumulated cost_s of the evaluations: the median of the "
		    "runs, the band from the least to the most" : "Best so "
		    "far against evaluations: the median of the runs, the "
		    "band from the least to the most", &b, err);
	}
	free(b.buf);
	free(x);
	free(runs);
	free(drawn);
	return rc;
}

static void
cell_num(struct ar_buf *out, double v)
{
	char num[64];

	page_number(v, num, sizeof(num));
	buf_printf(out, "<td class=\"n\">%s</td>", num);
}

static void
cell_text(struct ar_buf *out, const char *s)
{
	buf_adds(out, "<td>");
	page_escape(out, s);
	buf_adds(out, "</td>");
}

static void
summary_section(struct ar_buf *out, const struct report *r)
{
	size_t i, f, *per = ecalloc(r->nfiles + 1, sizeof(*per));

	buf_adds(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<p>");
	if (r->n == 0) {
		buf_adds(out, "No records: the histories given are empty, so "
		    "there is nothing to report.</p>\n</section>\n");
		free(per);
		return;
	}
	buf_printf(out, "%zu records from %zu %s in %zu series; the "
	    "objective: ", r->n, r->nfiles, r->nfiles == 1 ? "history" :
	    "histories", r->nseries);
	page_escape(out, r->objective);
	buf_printf(out, ". %zu measured ok%s.</p>\n", r->nok, r->nok == 0 ?
	    ": nothing measured ok" : "");
	buf_adds(out, "<table>\n<tr><th>status</th><th>records</th></tr>\n");
	for (i = 0; i < r->nstatus; i++)
		if (r->count[i] > 0) {
			buf_adds(out, "<tr>");
			cell_text(out, r->status[i]);
			buf_printf(out, "<td class=\"n\">%zu</td></tr>\n",
			    r->count[i]);
		}
	buf_adds(out, "</table>\n<table>\n<tr><th>history</th>"
	    "<th>records</th></tr>\n");
	for (i = 0; i < r->n; i++)
		per[r->rec[i].file]++;
	for (f = 0; f < r->nfiles; f++) {
		buf_adds(out, "<tr>");
		cell_text(out, r->files[f]);
		buf_printf(out, "<td class=\"n\">%zu</td></tr>\n", per[f]);
	}
	buf_adds(out, "</table>\n</section>\n");
	free(per);
}

static int
convergence_section(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, struct ar_err *err)
{
	static const size_t budgets[] = { 10, 25, 50, 100, 200, 400, 1000,
	    2000, 5000, 10000, 100000 };
	size_t s, u, b, most = 0;
	double cost = 0;

	buf_adds(out, "<section id=\"convergence\">\n<h2>Convergence</h2>\n");
	if (r->nok == 0) {
		buf_adds(out, "<p>Nothing measured ok: no best to follow."
		    "</p>\n</section>\n");
		return 0;
	}
	for (u = 0; u < r->nruns; u++)
		most = r->runs[u].n > most ? r->runs[u].n : most;
	for (u = 0; u < r->n; u++)
		cost += r->rec[u].cost;
	if (convergence_fig(out, r, o, 0, err) != 0 ||
	    (cost > 0 && convergence_fig(out, r, o, 1, err) != 0))
		return -1;
	if (r->nseries > MAX_SERIES)
		buf_printf(out, "<p>The first %d of %zu series are drawn; the "
		    "table holds them all.</p>\n", MAX_SERIES, r->nseries);
	buf_adds(out, "<table>\n<tr><th>series</th><th>runs</th>");
	for (b = 0; b < sizeof(budgets) / sizeof(budgets[0]) &&
	    budgets[b] < most; b++)
		buf_printf(out, "<th>after %zu</th>", budgets[b]);
	buf_adds(out, "<th>at the end</th></tr>\n");
	for (s = 0; s < r->nseries; s++) {
		size_t nr = 0;

		for (u = 0; u < r->nruns; u++)
			nr += r->runs[u].series == s;
		buf_adds(out, "<tr>");
		cell_text(out, r->series[s]);
		buf_printf(out, "<td class=\"n\">%zu</td>", nr);
		for (b = 0; b < sizeof(budgets) / sizeof(budgets[0]) &&
		    budgets[b] < most; b++)
			cell_num(out, report_best_after(r, s, budgets[b]));
		cell_num(out, report_best_final(r, s));
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</table>\n<p>Each cell is the median over the runs "
	    "of a series that had that many evaluations.</p>\n"
	    "</section>\n");
	return 0;
}

/* The record's place, "FILE:LINE". */
static void
cell_where(struct ar_buf *out, const struct report *r, size_t i)
{
	buf_adds(out, "<td>");
	page_escape(out, r->files[r->rec[i].file]);
	buf_printf(out, ":%zu</td>", r->rec[i].line);
}

/* How far v is from the best's b, as a change of the objective. */
static void
cell_change(struct ar_buf *out, const struct report *r, double v, double b)
{
	double c = (v / b - 1) * 100;
	int worse = r->maximize ? v < b : v > b;

	if (!isfinite(c) || b == 0) {
		buf_adds(out, "<td class=\"n\">-</td>");
		return;
	}
	buf_printf(out, "<td class=\"n %s\">%+.1f%%</td>", worse ? "worse" :
	    "better", c);
}

/* The diff of a variant against its parent, both from the store. */
static void
variant_diff(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, const struct report_rec *e)
{
	struct proc_opts po = PROC_OPTS_INIT;
	struct proc_result pr;
	struct ar_err err;
	const char *parent = json_string_value(json_object_get(e->variant,
	    "parent")), *file, *dot;
	char *mine = NULL, *theirs = NULL, *ppath = NULL, *argv[9];
	char lparent[128], lbest[64];
	json_t *pv = NULL;
	int ok = 0;

	buf_adds(out, "<h3>The program against its parent</h3>\n");
	if (json_object_get(e->variant, "parent") != NULL && parent == NULL &&
	    !json_is_null(json_object_get(e->variant, "parent"))) {
		buf_adds(out, "<p>Not shown: its variant.parent is not a "
		    "hash.</p>\n");
		return;
	}
	file = json_string_value(json_object_get(e->variant, "file"));
	dot = file != NULL ? strrchr(file, '.') : NULL;
	if (dot == NULL || (parent == NULL && r->spec->source == NULL)) {
		buf_adds(out, "<p>The best is a code variant with neither a "
		    "parent nor a source to compare it with.</p>\n");
		return;
	}
	/* Without a parent, the variant was made from the study's own
	 * source, which is what it is compared with. */
	if (parent == NULL)
		theirs = estrdup(r->spec->source);
	else {
		ppath = ecalloc(strlen(o->variants) + strlen(parent) +
		    strlen(dot) + 2, 1);
		sprintf(ppath, "%s/%s%s", o->variants, parent, dot);
		pv = json_pack("{s:s, s:s}", "sha256", parent, "file", ppath);
	}
	if (varstore_check(o->variants, dot, e->variant,
	    r->spec->variant_max, &mine, &err) != 0 || (pv != NULL &&
	    varstore_check(o->variants, dot, pv, r->spec->variant_max,
	    &theirs, &err) != 0)) {
		buf_adds(out, "<p>Not shown: ");
		page_escape(out, err.msg);
		buf_adds(out, ".</p>\n");
		goto out;
	}
	argv[0] = "diff";
	argv[1] = "-u";
	argv[2] = "--label";
	snprintf(lparent, sizeof(lparent), "%s %.12s", parent != NULL ?
	    "parent" : "source", parent != NULL ? parent :
	    (strrchr(r->spec->source, '/') != NULL ?
	    strrchr(r->spec->source, '/') + 1 : r->spec->source));
	snprintf(lbest, sizeof(lbest), "best %s", e->id);
	argv[3] = lparent;
	argv[4] = "--label";
	argv[5] = lbest;
	argv[6] = theirs;
	argv[7] = mine;
	argv[8] = NULL;
	po.timeout_s = 30;
	if (proc_run(argv, &po, &pr, &err) == 0) {
		/* diff exits 1 when the files differ. */
		if ((ok = pr.end == PROC_EXITED && pr.code <= 1)) {
			buf_adds(out, "<pre class=\"diff\">");
			page_escape(out, pr.out);
			buf_adds(out, "</pre>\n");
		}
		proc_result_release(&pr);
	}
	if (!ok)
		buf_adds(out, "<p>Not shown: diff(1) could not compare the "
		    "two files.</p>\n");
out:
	free(mine);
	free(theirs);
	free(ppath);
	json_decref(pv);
}

static void
best_section(struct ar_buf *out, const struct report *r,
    const struct page_opts *o)
{
	const struct spec *spec = r->spec;
	const struct report_rec *e;
	const struct report_cfg *bc;
	const space_idx *cfg;
	size_t p, k, c, nb = 0, nnone = 0, row;
	struct ar_buf none = { 0 };
	char num[64];

	buf_adds(out, "<section id=\"best\">\n<h2>Why the best is best"
	    "</h2>\n");
	if (r->best == r->n) {
		buf_adds(out, "<p>Nothing measured ok: there is no best."
		    "</p>\n</section>\n");
		return;
	}
	e = &r->rec[r->best];
	bc = &r->cfgs[r->rec_cfg[r->best]];
	cfg = report_cfg(r, r->best);
	page_number(e->objective, num, sizeof(num));
	buf_adds(out, "<p>The best record: ");
	page_escape(out, strchr(r->objective, ' ') + 1);
	buf_printf(out, " = %s (%s), id <code>", num, r->maximize ?
	    "maximize" : "minimize");
	page_escape(out, e->id);
	buf_adds(out, "</code>");
	if (bc->nok > 1) {
		page_number(bc->median, num, sizeof(num));
		buf_printf(out, " (the median of its %zu measurements: %s)",
		    bc->nok, num);
	}
	buf_adds(out, ". Beside it, every configuration measured that "
	    "differs from it in one parameter only, and how much the "
	    "objective changed (its median there against the best's).</p>\n");
	buf_adds(out, "<table>\n<tr><th>parameter</th><th>best</th>"
	    "<th>changed to</th><th>objective</th><th>change</th></tr>\n");
	for (p = 0; p < r->sp->np; p++) {
		row = out->len;
		buf_adds(out, "<tr>");
		cell_text(out, spec->params[p].name);
		cell_text(out, spec->params[p].text[cfg[p]]);
		for (k = 0, c = 0; k < spec->params[p].n; k++) {
			size_t i;

			if (k == cfg[p] || (i = report_neighbour(r, p, k)) ==
			    r->ncfgs)
				continue;
			if (c++ > 0)
				buf_adds(out, "<tr><td></td><td></td>");
			cell_text(out, spec->params[p].text[k]);
			if (r->cfgs[i].nok > 0) {
				cell_num(out, r->cfgs[i].median);
				cell_change(out, r, r->cfgs[i].median,
				    bc->median);
			} else {
				cell_text(out, r->status[r->cfgs[i].status]);
				buf_adds(out, "<td></td>");
			}
			buf_adds(out, "</tr>\n");
			nb++;
		}
		if (c == 0) {
			/* Said once below the table, not a row each. */
			out->len = row;
			if (nnone++ > 0)
				buf_adds(&none, ", ");
			page_escape(&none, spec->params[p].name);
			page_escape(&none, "=");
			page_escape(&none, spec->params[p].text[cfg[p]]);
		}
	}
	buf_printf(out, "</table>\n<p>%zu neighbours measured.", nb);
	if (nnone > 0)
		buf_printf(out, " None measured for: %s.", none.buf);
	buf_adds(out, "</p>\n");
	free(none.buf);
	if (e->variant != NULL)
		variant_diff(out, r, o, e);
	buf_adds(out, "</section>\n");
}

/* The measured objective at each value of p beside the model's mean. */
static int
marginal_fig(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, size_t p, struct ar_err *err)
{
	const struct spec_param *sp = &r->spec->params[p];
	struct ar_buf b = { 0 };
	double *v = ecalloc(r->n + 1, sizeof(*v)), med, lo, hi;
	size_t j, i, k, m;
	char id[64], cap[512];
	int rc;

	gp_begin(&b, 560, 320);
	buf_adds(&b, "set xlabel ");
	gp_quote(&b, sp->name);
	buf_adds(&b, "\nset ylabel ");
	gp_quote(&b, axis_label(r, ""));
	buf_adds(&b, "\nset key outside bottom center horizontal\n"
	    "set offsets 0.5, 0.5, 0, 0\nset xtics rotate by -30\n");
	if (logscale(r))
		buf_adds(&b, "set logscale y\n");
	buf_adds(&b, "$m << EOD\n");
	for (j = 0; j < sp->n; j++) {
		k = sp->byrank[j];
		for (i = 0, m = 0; i < r->n; i++)
			if (!isnan(r->rec[i].key) && report_cfg(r, i)[p] == k)
				v[m++] = r->rec[i].objective;
		stats_spread(v, m, &med, &lo, &hi);
		buf_printf(&b, "%zu ", j);
		gp_label(&b, sp->text[k]);
		gp_num(&b, report_untarget(r, o->imp->marg[p][k]));
		gp_num(&b, med);
		gp_num(&b, lo);
		gp_num(&b, hi);
		buf_adds(&b, "\n");
	}
	buf_adds(&b, "EOD\nplot $m using 1:4:5:6:xticlabels(2) with "
	    "yerrorbars pt 7 lc rgb '#0072b2' title 'measured: median, least "
	    "and most'");
	if (r->target != REPORT_RANK)
		buf_printf(&b, ", $m using 1:3 with linespoints lw 2 pt 5 lc "
		    "rgb '#d55e00' title '%s'", strcmp(o->imp_how, "gp") == 0 ?
		    "the surrogate mean over the space" :
		    "the mean of the measured");
	buf_adds(&b, "\n");
	snprintf(id, sizeof(id), "marginal-%zu", p);
	snprintf(cap, sizeof(cap), "The objective against %s (a share of "
	    "%.0f%% of the variance)", sp->name, 100 * o->imp->main[p]);
	rc = figure(out, o, id, cap, &b, err);
	free(b.buf);
	free(v);
	return rc;
}

static int
importance_section(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, struct ar_err *err)
{
	const struct importance *imp = o->imp;
	struct ar_buf b = { 0 };
	size_t *ord, i, shown;
	int rc = 0;

	buf_adds(out, "<section id=\"importance\">\n<h2>Parameter importance"
	    "</h2>\n");
	if (imp == NULL) {
		buf_adds(out, "<p>Not computed: ");
		page_escape(out, o->why != NULL ? o->why : "no reason given");
		buf_adds(out, ".</p>\n</section>\n");
		return 0;
	}
	buf_printf(out, "<p>The share of the variance of the objective (%s, "
	    "as the search models it) that each parameter explains on its "
	    "own: a first-order functional ANOVA over %zu valid "
	    "configurations %s, from %zu records measured ok.</p>\n",
	    r->target == REPORT_RANK ? "its rank" : "its logarithm",
	    imp->nsample, strcmp(o->imp_how, "gp") == 0 ?
	    "drawn uniformly, of the mean of a Gaussian process fitted to "
	    "the history" : "of the history, on the measured values "
	    "themselves", o->imp_n);
	ord = ecalloc(imp->np + 1, sizeof(*ord));
	importance_order(imp, ord);
	shown = imp->np < 15 ? imp->np : 15;
	gp_begin(&b, 640, 300);
	buf_adds(&b, "set ylabel 'share of the variance'\nset yrange [0:*]\n"
	    "set style fill solid 0.7\nset boxwidth 0.7\n"
	    "set xtics rotate by -30\n$imp << EOD\n");
	for (i = 0; i < shown; i++) {
		buf_printf(&b, "%zu ", i);
		gp_label(&b, r->spec->params[ord[i]].name);
		buf_printf(&b, " %.6f\n", imp->main[ord[i]]);
	}
	buf_adds(&b, "EOD\nplot $imp using 1:3:xticlabels(2) with boxes "
	    "lc rgb '#0072b2' notitle\n");
	if (shown > 0)
		rc = figure(out, o, "importance", "Each parameter's share of "
		    "the variance (main effects)", &b, err);
	buf_adds(out, "<table>\n<tr><th>parameter</th><th>share</th></tr>\n");
	for (i = 0; i < imp->np && rc == 0; i++) {
		buf_adds(out, "<tr>");
		cell_text(out, r->spec->params[ord[i]].name);
		buf_printf(out, "<td class=\"n\">%.1f%%</td></tr>\n",
		    100 * imp->main[ord[i]]);
	}
	buf_adds(out, "</table>\n<p>");
	if (imp->pi < imp->np) {
		buf_adds(out, "The strongest interaction: ");
		page_escape(out, r->spec->params[imp->pi].name);
		buf_adds(out, " with ");
		page_escape(out, r->spec->params[imp->pj].name);
		buf_printf(out, ", %.1f%% of the variance beyond their main "
		    "effects.", 100 * imp->pair);
	} else
		buf_adds(out, "No pair of parameters interacts measurably.");
	buf_adds(out, "</p>\n");
	for (i = 0; i < TOP_PARAMS && i < imp->np && rc == 0; i++)
		if (imp->main[ord[i]] > 0)
			rc = marginal_fig(out, r, o, ord[i], err);
	buf_adds(out, "</section>\n");
	free(ord);
	free(b.buf);
	return rc;
}

/* How much parameter p's failure rate varies over its values. */
static double
failure_spread(const struct report *r, size_t p)
{
	double lo = 1, hi = 0;
	size_t k, n, bad;

	for (k = 0; k < r->spec->params[p].n; k++) {
		bad = report_failed(r, p, k, &n);
		if (n == 0)
			continue;
		lo = (double)bad / n < lo ? (double)bad / n : lo;
		hi = (double)bad / n > hi ? (double)bad / n : hi;
	}
	return hi > lo ? hi - lo : 0;
}

static void
failures_section(struct ar_buf *out, const struct report *r)
{
	size_t p, k, st, n, bad, rows = 0, *ord;
	double *spread;

	buf_adds(out, "<section id=\"failures\">\n<h2>Failures</h2>\n");
	if (r->n - r->count[0] == 0) {
		buf_adds(out, "<p>No record failed.</p>\n</section>\n");
		return;
	}
	buf_printf(out, "<p>%zu of %zu records did not end ok. By parameter "
	    "value, the parameters whose values fail most unevenly first "
	    "(the rate of failure varies most between their values):</p>\n",
	    r->n - r->count[0], r->n);
	spread = ecalloc(r->sp->np + 1, sizeof(*spread));
	ord = ecalloc(r->sp->np + 1, sizeof(*ord));
	for (p = 0; p < r->sp->np; p++) {
		spread[p] = failure_spread(r, p);
		for (k = p; k > 0 && spread[ord[k - 1]] < spread[p]; k--)
			ord[k] = ord[k - 1];
		ord[k] = p;
	}
	buf_adds(out, "<table>\n<tr><th>parameter</th><th>value</th>"
	    "<th>records</th>");
	for (st = 0; st < r->nstatus; st++)
		if (r->count[st] > 0) {
			buf_adds(out, "<th>");
			page_escape(out, r->status[st]);
			buf_adds(out, "</th>");
		}
	buf_adds(out, "<th>failed</th></tr>\n");
	for (p = 0; p < r->sp->np && rows < 80; p++) {
		size_t q = ord[p];

		if (spread[q] == 0 && p >= 3)
			break;
		for (k = 0; k < r->spec->params[q].n; k++) {
			bad = report_failed(r, q, k, &n);
			if (n == 0)
				continue;
			buf_adds(out, "<tr>");
			cell_text(out, r->spec->params[q].name);
			cell_text(out, r->spec->params[q].text[k]);
			buf_printf(out, "<td class=\"n\">%zu</td>", n);
			for (st = 0; st < r->nstatus; st++)
				if (r->count[st] > 0)
					buf_printf(out, "<td class=\"n\">%zu"
					    "</td>", report_failures(r, q, k,
					    st));
			buf_printf(out, "<td class=\"n%s\">%.0f%%</td></tr>\n",
			    bad == n ? " worse" : "", 100.0 * (double)bad /
			    (double)n);
			rows++;
		}
	}
	buf_adds(out, "</table>\n</section>\n");
	free(spread);
	free(ord);
}

static void
top_section(struct ar_buf *out, const struct report *r)
{
	size_t idx[10], k, i;
	char *label;

	buf_adds(out, "<section id=\"top\">\n<h2>The top 10</h2>\n");
	if ((k = report_top(r, 10, idx)) == 0) {
		buf_adds(out, "<p>Nothing measured ok.</p>\n</section>\n");
		return;
	}
	buf_adds(out, "<table>\n<tr><th>#</th><th>id</th><th>best</th>"
	    "<th>median</th><th>measured ok</th><th>configuration</th>"
	    "<th>strategy</th><th>where</th></tr>\n");
	for (i = 0; i < k; i++) {
		const struct report_cfg *c = &r->cfgs[idx[i]];
		size_t best = c->best;
		buf_printf(out, "<tr><td class=\"n\">%zu</td><td><code>", i + 1);
		page_escape(out, r->rec[best].id);
		buf_adds(out, "</code></td>");
		cell_num(out, r->rec[best].objective);
		cell_num(out, c->median);
		buf_printf(out, "<td class=\"n\">%zu</td>", c->nok);
		label = progress_label(r->spec, report_cfg(r, best));
		cell_text(out, label);
		free(label);
		cell_text(out, r->strings[r->rec[best].strategy]);
		cell_where(out, r, best);
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</table>\n</section>\n");
}

/* Objective j's text as the study gives it ("maximize output.acc"). */
static const char *
objective_text(const struct report *r, size_t j)
{
	const char *s = json_string_value(json_array_get(json_object_get(
	    r->spec->root, "objectives"), j));

	return s != NULL ? s : "?";
}

/* Whether objective j's ranked values are positive and spread over more
 * than a factor of 20, which a log scale shows better. */
static int
wide(const struct report *r, const int *rank, size_t j)
{
	double lo = HUGE_VAL, hi = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (rank[i] > 0) {
			if (!(r->rec[i].obj[j] > 0))
				return 0;
			lo = fmin(lo, r->rec[i].obj[j]);
			hi = fmax(hi, r->rec[i].obj[j]);
		}
	return hi > 20 * lo;
}

/* The front's records ordered by their first objective. */
static size_t *
front_order(const struct report *r, const int *rank, size_t front)
{
	size_t *ord = ecalloc(front + 1, sizeof(*ord)), i, j, k = 0;

	for (i = 0; i < r->n; i++) {
		if (rank[i] != 1)
			continue;
		for (j = k++; j > 0 && r->rec[ord[j - 1]].obj[0] >
		    r->rec[i].obj[0]; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	return ord;
}

static int
pareto_section(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	int *rank = ecalloc(r->n + 1, sizeof(*rank));
	size_t i, j, m = r->spec->nobjectives, k, front = 0, rest = 0, step;
	size_t *ord;
	int rc = 0;

	buf_adds(out, "<section id=\"pareto\">\n<h2>The Pareto front</h2>\n");
	k = report_pareto(r, rank);
	for (i = 0; i < r->n; i++) {
		front += rank[i] == 1;
		rest += rank[i] > 1;
	}
	if (k == 0) {
		buf_adds(out, "<p>No record measured ok has every objective."
		    "</p>\n</section>\n");
		free(rank);
		return 0;
	}
	buf_printf(out, "<p>%zu of the %zu records with every objective are "
	    "on the front: no other record is at least as good in every "
	    "objective and better in one.</p>\n", front, k);
	gp_begin(&b, 640, 400);
	buf_adds(&b, "set xlabel ");
	gp_quote(&b, objective_text(r, 0));
	buf_adds(&b, "\nset ylabel ");
	gp_quote(&b, objective_text(r, 1));
	buf_adds(&b, "\nset key outside bottom center horizontal\n");
	for (j = 0; j < 2; j++)
		if (wide(r, rank, j))
			buf_printf(&b, "set logscale %c\n", j ? 'y' : 'x');
	buf_adds(&b, "$rest << EOD\n");
	step = rest > SCATTER_MAX ? (rest + SCATTER_MAX - 1) / SCATTER_MAX : 1;
	for (i = 0, j = 0; i < r->n; i++)
		if (rank[i] > 1 && j++ % step == 0) {
			gp_num(&b, r->rec[i].obj[0]);
			gp_num(&b, r->rec[i].obj[1]);
			buf_adds(&b, "\n");
		}
	buf_adds(&b, "EOD\n$front << EOD\n");
	ord = front_order(r, rank, front);
	for (i = 0; i < front; i++) {
		gp_num(&b, r->rec[ord[i]].obj[0]);
		gp_num(&b, r->rec[ord[i]].obj[1]);
		buf_adds(&b, "\n");
	}
	buf_adds(&b, "EOD\nplot ");
	if (rest > 0)
		buf_printf(&b, "$rest using 1:2 with points pt 7 ps 0.5 lc rgb "
		    "'#999999' title 'dominated%s', ", step > 1 ?
		    " (a sample)" : "");
	buf_adds(&b, "$front using 1:2 with linespoints pt 7 ps 1 lc rgb "
	    "'#d55e00' title 'the front'\n");
	rc = figure(out, o, "pareto", m > 2 ? "The first two objectives: "
	    "the front of all of them in orange" : "The two objectives: the "
	    "front in orange", &b, err);
	buf_adds(out, "<table>\n<tr><th>id</th>");
	for (j = 0; j < m; j++) {
		buf_adds(out, "<th>");
		page_escape(out, objective_text(r, j));
		buf_adds(out, "</th>");
	}
	buf_adds(out, "<th>configuration</th></tr>\n");
	for (j = 0; j < front && j < 50; j++) {
		char *label;
		size_t q;

		i = ord[j];
		buf_adds(out, "<tr><td><code>");
		page_escape(out, r->rec[i].id);
		buf_adds(out, "</code></td>");
		for (q = 0; q < m; q++)
			cell_num(out, r->rec[i].obj[q]);
		label = progress_label(r->spec, report_cfg(r, i));
		cell_text(out, label);
		free(label);
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</table>\n</section>\n");
	free(b.buf);
	free(rank);
	free(ord);
	return rc;
}

static const char style[] =
    "body{font-family:sans-serif;max-width:980px;margin:1em auto;"
    "padding:0 1em;color:#222}\n"
    "table{border-collapse:collapse;margin:0.5em 0}\n"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.worse{color:#b00}\ntd.better{color:#070}\n"
    "figure{margin:1em 0}\nfigure svg{max-width:100%;height:auto}\n"
    "pre.diff{background:#f6f6f6;padding:0.5em;overflow-x:auto}\n";

int
page_write(struct ar_buf *out, const struct report *r,
    const struct page_opts *o, struct ar_err *err)
{
	int rc = 0;

	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>ar-report: ");
	page_escape(out, r->spec->name);
	buf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<h1>Study ", style);
	page_escape(out, r->spec->name);
	buf_adds(out, "</h1>\n");
	summary_section(out, r);
	if (r->n > 0) {
		rc = convergence_section(out, r, o, err);
		if (rc == 0)
			best_section(out, r, o);
		if (rc == 0)
			rc = importance_section(out, r, o, err);
		if (rc == 0)
			failures_section(out, r);
		if (rc == 0)
			top_section(out, r);
		if (rc == 0 && r->spec->nobjectives >= 2)
			rc = pareto_section(out, r, o, err);
	}
	buf_printf(out, "<footer><p>Written by ar-report %s.</p></footer>\n"
	    "</body>\n</html>\n", AR_VERSION);
	return rc;
}
