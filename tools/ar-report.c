/*
 * ar-report: explains histories.  Reads one or more histories of a study
 * and writes one HTML page (lib/page.c) or, with --text, the same facts
 * in at most 25 lines for a terminal or a cron mail.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "importance.h"
#include "metric.h"
#include "page.h"
#include "progress.h"
#include "report.h"
#include "space.h"
#include "spec.h"
#include "varstore.h"

/* Valid configurations the surrogate's mean is averaged over. */
#define IMPORTANCE_SAMPLE 4000

static const char synopsis[] =
    "usage: ar-report -s study [-D name=value] [-o file] [--text] "
    "[--by field]\n"
    "                 [--importance gp|data] [--seed n] "
    "[--gnuplot program]\n"
    "                 [--variants dir] [[name=]history ...]\n";

static const char help[] =
    "Explain histories of a study: convergence, the best and its "
    "neighbours,\nparameter importance, failures, the top 10 and the "
    "Pareto front.\n\n"
    "  -s, --study FILE        the study spec (see ar-study(5))\n"
    "  -D, --define N=V        override the problem constant N\n"
    "  -o, --output FILE       write there (atomically) instead of "
    "stdout\n"
    "      --text              at most 25 lines of text instead of the "
    "page\n"
    "      --by FIELD          series by a record field's value "
    "(strategy, host...)\n"
    "                          instead of by file\n"
    "      --importance HOW    gp (a surrogate, the default) or data "
    "(measured values)\n"
    "      --seed N            the seed of importance's sample "
    "(default 1)\n"
    "      --gnuplot PROGRAM   the gnuplot to draw with ($AR_GNUPLOT, "
    "else gnuplot)\n"
    "      --variants DIR      the store of code variants ($AR_VARIANTS)\n"
    "  -h, --help              print this help\n"
    "      --version           print the version\n\n"
    "A history given as NAME=FILE belongs to series NAME; files of the "
    "same name\nare seeds of one series.\n";

struct opts {
	const char *study, *output, *by, *how, *gnuplot, *variants;
	char **defs;
	size_t ndefs;
	uint64_t seed;
	int text, version;
};

static void
emit(const struct opts *op, const struct ar_buf *b)
{
	struct ar_err err;

	if (op->output != NULL) {
		if (ar_write_atomic(op->output, b->buf, b->len, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		return;
	}
	if (b->len > 0 && fwrite(b->buf, 1, b->len, stdout) != b->len)
		ar_die(AR_EXIT_FAIL, "error writing stdout: %s",
		    strerror(errno));
}

/* Fills imp from the ok records; 0, or -1 with why saying why not. */
static int
importance(const struct opts *op, struct report *r, struct importance *imp,
    size_t *nused, char *why, size_t cap)
{
	size_t *idx = ecalloc(r->n + 1, sizeof(*idx)), k, i, np = r->sp->np;
	double *y = ecalloc(r->n + 1, sizeof(*y));
	space_idx *cfg;
	struct ar_err err;
	int rc;

	err.msg[0] = '\0';
	*nused = k = report_targets(r, idx, y);
	if (k < 3) {
		snprintf(why, cap, "%zu records measured ok, and it takes 3 "
		    "at least", k);
		free(idx);
		free(y);
		return -1;
	}
	cfg = ecalloc(k * np, sizeof(*cfg));
	for (i = 0; i < k; i++)
		memcpy(cfg + i * np, report_cfg(r, idx[i]), np * sizeof(*cfg));
	if (strcmp(op->how, "data") == 0)
		rc = importance_data(r->sp, cfg, y, k, imp, &err);
	else
		rc = importance_gp(r->sp, cfg, y, k, IMPORTANCE_SAMPLE,
		    op->seed, imp, &err);
	if (rc != 0)
		snprintf(why, cap, "%s", err.msg[0] != '\0' ? err.msg :
		    "the model could not be fitted");
	free(cfg);
	free(idx);
	free(y);
	return rc;
}

/* The Pareto front's size, and its first records. */
static void
front(struct ar_buf *b, const struct report *r)
{
	int *rank = ecalloc(r->n + 1, sizeof(*rank));
	size_t i, j, k, nf = 0, all;
	char num[64];

	k = report_pareto(r, rank);
	for (i = 0; i < r->n; i++)
		nf += rank[i] == 1;
	buf_printf(b, "front %zu of %zu records with every objective", nf, k);
	all = nf;
	for (i = 0, nf = 0; i < r->n && nf < 3; i++) {
		if (rank[i] != 1)
			continue;
		buf_printf(b, "%s %s (", nf++ ? ";" : ":", r->rec[i].id);
		for (j = 0; j < r->spec->nobjectives; j++) {
			page_number(r->rec[i].obj[j], num, sizeof(num));
			buf_printf(b, "%s%s", j ? ", " : "", num);
		}
		buf_adds(b, ")");
	}
	buf_adds(b, nf < all ? " ...\n" : "\n");
	free(rank);
}

/* --text: the facts of the page, in at most 25 lines. */
static void
text(struct ar_buf *b, const struct report *r, const struct importance *imp,
    const char *how, size_t nimp, const char *why)
{
	static const size_t budgets[] = { 10, 25, 50, 100, 200, 400, 1000,
	    10000 };
	size_t i, j, p, k, top[3], most = 0, *ord, shown;
	char num[64], *label;

	buf_printf(b, "study %s: %zu records in %zu %s, %zu series; ",
	    r->spec->name, r->n, r->nfiles, r->nfiles == 1 ? "history" :
	    "histories", r->nseries);
	buf_printf(b, "%s", r->objective);
	if (r->n == 0) {
		buf_adds(b, "\nno records\n");
		return;
	}
	buf_printf(b, "\nstatus: ok %zu", r->count[0]);
	for (i = 1, j = 0; i < r->nstatus; i++)
		if (r->count[i] > 0 && j++ < 8)
			buf_printf(b, ", %s %zu", r->status[i], r->count[i]);
	if (j > 8)
		buf_printf(b, " and %zu more statuses", j - 8);
	buf_adds(b, "\n");
	if (r->best == r->n) {
		buf_adds(b, "best none: nothing measured ok\n");
	} else {
		const struct report_rec *e = &r->rec[r->best];

		page_number(e->objective, num, sizeof(num));
		label = progress_label(r->spec, report_cfg(r, r->best));
		buf_printf(b, "best %s %s (%s)  id %s  %s:%zu\n  %s\n",
		    strchr(r->objective, ' ') + 1, num, r->maximize ?
		    "maximize" : "minimize", e->id, r->files[e->file],
		    e->line, label);
		free(label);
	}
	k = report_top(r, 3, top);
	buf_printf(b, "top %zu:\n", k);
	for (i = 0; i < k; i++) {
		page_number(r->cfgs[top[i]].median, num, sizeof(num));
		label = progress_label(r->spec, report_cfg(r,
		    r->cfgs[top[i]].best));
		buf_printf(b, "  %zu. %s  %s  %s\n", i + 1, num,
		    r->rec[r->cfgs[top[i]].best].id, label);
		free(label);
	}
	if (imp == NULL)
		buf_printf(b, "importance none: %s\n", why);
	else {
		ord = ecalloc(imp->np + 1, sizeof(*ord));
		importance_order(imp, ord);
		buf_printf(b, "importance (%s, %zu ok):", how, nimp);
		for (p = 0, shown = 0; p < imp->np; p++)
			if (r->spec->params[ord[p]].n > 1)
				buf_printf(b, "%s %s %.3f", shown++ ? "," : "",
				    r->spec->params[ord[p]].name,
				    imp->main[ord[p]]);
		if (imp->pi < imp->np)
			buf_printf(b, "; pair %s x %s %.3f",
			    r->spec->params[imp->pi].name,
			    r->spec->params[imp->pj].name, imp->pair);
		buf_adds(b, "\n");
		free(ord);
	}
	buf_printf(b, "failures %zu", r->n - r->count[0]);
	for (i = 1; i < r->nstatus; i++) {
		size_t bp = 0, bk = 0, bn = 0;

		if (r->count[i] == 0)
			continue;
		/* The value that holds most of this status. */
		for (p = 0; p < r->sp->np; p++)
			for (k = 0; k < r->spec->params[p].n; k++)
				if (report_failures(r, p, k, i) > bn &&
				    r->spec->params[p].n > 1) {
					bn = report_failures(r, p, k, i);
					bp = p;
					bk = k;
				}
		buf_printf(b, "; %s %zu", r->status[i], r->count[i]);
		if (bn > 0)
			buf_printf(b, " (most at %s=%s: %zu)",
			    r->spec->params[bp].name,
			    r->spec->params[bp].text[bk], bn);
	}
	buf_adds(b, "\n");
	for (i = 0; i < r->nruns; i++)
		most = r->runs[i].n > most ? r->runs[i].n : most;
	buf_adds(b, "convergence: the best");
	for (j = 0; j < sizeof(budgets) / sizeof(budgets[0]) &&
	    budgets[j] < most; j++)
		buf_printf(b, "%s %zu", j ? "," : " after", budgets[j]);
	buf_printf(b, "%s at the end (of %zu at most)\n", j ?
	    " evaluations, and" : "", most);
	for (i = 0; i < r->nseries && i < 6; i++) {
		buf_printf(b, "  %s:", r->series[i]);
		for (j = 0; j < sizeof(budgets) / sizeof(budgets[0]) &&
		    budgets[j] < most; j++) {
			page_number(report_best_after(r, i, budgets[j]), num,
			    sizeof(num));
			buf_printf(b, " %s", num);
		}
		page_number(report_best_final(r, i), num, sizeof(num));
		buf_printf(b, " %s\n", num);
	}
	if (r->nseries > 6)
		buf_printf(b, "  and %zu more series\n", r->nseries - 6);
	if (r->spec->nobjectives >= 2)
		front(b, r);
}

static int
run(const struct opts *op, char *const *files, int nfiles)
{
	struct spec spec;
	struct space sp;
	struct metric_set *ms;
	struct report r;
	struct importance imp;
	struct page_opts po = { 0 };
	struct ar_buf b = { 0 };
	struct ar_err err;
	char why[sizeof(((struct ar_err *)0)->msg) + 64] = "", *name, *path, *vdir;
	struct stat st;
	size_t nimp = 0;
	long got;
	int i, status = AR_EXIT_OK, have;
	FILE *f;

	if (spec_load(&spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if ((ms = metric_new(&spec, NULL, &err)) == NULL)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (space_init(&sp, &spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	report_init(&r, &sp, metric_objective(ms), op->by);
	for (i = 0; i < nfiles; i++) {
		/* NAME=FILE, unless a file has that whole name. */
		name = NULL;
		path = estrdup(files[i]);
		if (strchr(path, '=') != NULL && stat(path, &st) != 0 &&
		    path[0] != '=') {
			name = path;
			path = strchr(path, '=');
			*path++ = '\0';
		}
		f = cli_open_input(path);
		got = report_read(&r, f, strcmp(path, "-") == 0 ?
		    "(stdin)" : path, name, &err);
		cli_close_input(f);
		if (got < 0)
			ar_die(AR_EXIT_USAGE, "%s", err.msg);
		if (got == 0) {
			ar_warn("no records in %s", strcmp(path, "-") == 0 ?
			    "standard input" : path);
			status = AR_EXIT_USAGE;
		}
		free(name != NULL ? name : path);
	}
	report_finish(&r);
	have = r.n > 0 && importance(op, &r, &imp, &nimp, why,
	    sizeof(why)) == 0;
	if (op->text)
		text(&b, &r, have ? &imp : NULL, op->how, nimp, why);
	else {
		vdir = varstore_dir(op->variants);
		po.gnuplot = op->gnuplot;
		po.variants = vdir;
		po.imp = have ? &imp : NULL;
		po.imp_how = op->how;
		po.imp_n = nimp;
		po.why = why;
		if (page_write(&b, &r, &po, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		free(vdir);
	}
	emit(op, &b);
	free(b.buf);
	if (have)
		importance_release(&imp);
	report_release(&r);
	space_release(&sp);
	metric_free(ms);
	spec_release(&spec);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "define", required_argument, NULL, 'D' },
		{ "gnuplot", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "importance", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 'S' },
		{ "study", required_argument, NULL, 's' },
		{ "text", no_argument, NULL, 't' },
		{ "variants", required_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { 0 };
	char *const *files;
	int ch, status;

	cli_setprogname(argv);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	op.how = "gp";
	op.seed = 1;
	op.gnuplot = getenv("AR_GNUPLOT");
	while ((ch = getopt_long(argc, argv, "D:ho:s:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			op.by = optarg;
			break;
		case 'D':
			op.defs[op.ndefs++] = optarg;
			break;
		case 'g':
			op.gnuplot = optarg;
			break;
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'i':
			if (strcmp(optarg, "gp") != 0 &&
			    strcmp(optarg, "data") != 0)
				cli_bad_usage(synopsis, "--importance: '%s' "
				    "is neither gp nor data", optarg);
			op.how = optarg;
			break;
		case 'o':
			op.output = optarg;
			break;
		case 'S':
			op.seed = cli_seed(synopsis, "--seed", optarg);
			break;
		case 's':
			op.study = optarg;
			break;
		case 't':
			op.text = 1;
			break;
		case 'v':
			op.variants = optarg;
			break;
		case 'V':
			op.version = 1;
			break;
		default:
			cli_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (op.version) {
		free(op.defs);
		return cli_version("ar-report");
	}
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	if (op.gnuplot == NULL || op.gnuplot[0] == '\0')
		op.gnuplot = "gnuplot";
	files = cli_inputs(synopsis, &argc, argv);
	status = run(&op, files, argc);
	free(op.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
