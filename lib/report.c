/*
 * report: the facts of a report, gathered from histories.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "report.h"
#include "stats.h"

static const char *const known[] = REPORT_STATUSES;

/*
 * The index of s in the table, added when new.  A table of statuses or
 * strategies holds at most max names: a history of thousands of made-up
 * statuses must not make reading it quadratic, so past that they share
 * the last entry, "(other)".
 */
static size_t
intern(char ***tab, size_t *n, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*tab)[i], s) == 0)
			return i;
	if (max > 0 && *n + 1 >= max) {
		if (*n + 1 == max)
			return intern(tab, n, "(other)", 0);
		return *n - 1;
	}
	*tab = ereallocarray(*tab, *n + 1, sizeof(**tab));
	(*tab)[*n] = estrdup(s);
	return (*n)++;
}

void
report_init(struct report *r, struct space *sp, const char *objective,
    const char *by)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->sp = sp;
	r->spec = sp->spec;
	r->objective = estrdup(objective);
	r->maximize = strncmp(objective, "maximize", 8) == 0;
	if (r->spec->nobjectives > 0)
		r->maximize = r->spec->objective_max[0];
	r->by = by;
	for (i = 0; i < REPORT_NSTATUSES; i++)
		(void)intern(&r->status, &r->nstatus, known[i], 0);
	(void)intern(&r->strings, &r->nstrings, "", 0);
}

static void
free_strings(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

void
report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->rec[i].id);
		json_decref(r->rec[i].variant);
	}
	free(r->rec);
	free(r->cfg);
	free_strings(r->files, r->nfiles);
	free_strings(r->series, r->nseries);
	free_strings(r->status, r->nstatus);
	free_strings(r->strings, r->nstrings);
	free(r->runs);
	free(r->count);
	free(r->cfgs);
	free(r->rec_cfg);
	free(r->runrec);
	free(r->runoff);
	free(r->bestobj);
	free(r->valoff);
	free(r->bystatus);
	free(r->objective);
	memset(r, 0, sizeof(*r));
}

/* The run of series s in file f, made when new. */
static size_t
run_of(struct report *r, size_t s, size_t f)
{
	size_t i;

	for (i = r->nruns; i-- > 0 && r->runs[i].file == f;)
		if (r->runs[i].series == s)
			return i;
	r->runs = ereallocarray(r->runs, r->nruns + 1, sizeof(*r->runs));
	r->runs[r->nruns].series = s;
	r->runs[r->nruns].file = f;
	r->runs[r->nruns].n = 0;
	return r->nruns++;
}

/* The value of the field the series split on, as text into b. */
static int
by_value(struct report *r, struct history *h, struct ar_buf *b,
    struct ar_err *err)
{
	static const struct { const char *name; enum history_field f; }
	    fast[] = { { "strategy", HISTORY_STRATEGY },
	    { "host", HISTORY_HOST }, { "device", HISTORY_DEVICE },
	    { "status", HISTORY_STATUS } };
	const char *s;
	json_t *rec, *v;
	char *text;
	size_t i;

	b->len = 0;
	for (i = 0; i < sizeof(fast) / sizeof(fast[0]); i++)
		if (strcmp(r->by, fast[i].name) == 0) {
			s = history_string(h, fast[i].f, NULL);
			buf_adds(b, s != NULL ? s : "(none)");
			return 0;
		}
	if ((rec = history_json(h, err)) == NULL)
		return -1;
	v = json_object_get(rec, r->by);
	if (json_is_string(v))
		buf_adds(b, json_string_value(v));
	else if (v == NULL || json_is_null(v))
		buf_adds(b, "(none)");
	else {
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_adds(b, text != NULL ? text : "?");
		free(text);
	}
	return 0;
}

/* Reads the current record of h into a new entry. */
static int
read_one(struct report *r, struct history *h, size_t file,
    const char *name, struct ar_buf *b, struct ar_err *err)
{
	const struct spec *spec = r->spec;
	struct report_rec *e;
	struct ar_err e2;
	const char *s;
	json_int_t round;
	json_t *rec;
	size_t np = r->sp->np, series;
	double score;

	s = history_string(h, HISTORY_STUDY, NULL);
	if (s == NULL || strcmp(s, spec->name) != 0) {
		ar_errf(err, "%s:%zu: a record of %s%s%s, not of study '%s'",
		    history_name(h), history_line(h),
		    s != NULL ? "study '" : "no study",
		    s != NULL ? s : "", s != NULL ? "'" : "", spec->name);
		return -1;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->rec = ereallocarray(r->rec, r->cap, sizeof(*r->rec));
		r->cfg = ereallocarray(r->cfg, r->cap, np * sizeof(*r->cfg));
	}
	e = &r->rec[r->n];
	memset(e, 0, sizeof(*e));
	if (history_params(h, r->sp, r->cfg + r->n * np, &e2) != 0) {
		ar_errf(err, "%s:%zu: %s", history_name(h), history_line(h),
		    e2.msg);
		return -1;
	}
	if (r->by != NULL) {
		if (by_value(r, h, b, &e2) != 0) {
			ar_errf(err, "%s:%zu: %s", history_name(h),
			    history_line(h), e2.msg);
			return -1;
		}
		name = b->buf;
	}
	if (r->nseries == REPORT_MAX_SERIES && intern(&r->series,
	    &r->nseries, name, 0) == REPORT_MAX_SERIES) {
		ar_errf(err, "%s:%zu: more than %d series%s", history_name(h),
		    history_line(h), REPORT_MAX_SERIES, r->by != NULL ?
		    ": split by a field of fewer values" : "");
		r->nseries--;
		free(r->series[r->nseries]);
		return -1;
	}
	series = intern(&r->series, &r->nseries, name, 0);
	e->file = file;
	e->line = history_line(h);
	e->run = run_of(r, series, file);
	e->at = ++r->runs[e->run].n;
	s = history_string(h, HISTORY_STATUS, NULL);
	e->status = intern(&r->status, &r->nstatus, s != NULL ? s : "none",
	    REPORT_MAX_NAMES);
	e->key = e->objective = NAN;
	if (!history_number(h, HISTORY_OBJECTIVE, &e->objective))
		e->objective = NAN;
	e->hasobj = spec->nobjectives > 0 && history_reals(h,
	    HISTORY_OBJECTIVES, e->obj, spec->nobjectives);
	if (e->status == 0) {
		if (spec->nobjectives > 0) {
			if (e->hasobj && isfinite(e->obj[0]))
				e->key = r->maximize ? e->obj[0] :
				    -e->obj[0];
		} else if (history_number(h, HISTORY_SCORE, &score) &&
		    isfinite(score) && isfinite(e->objective))
			e->key = score;
	}
	if (!history_number(h, HISTORY_COST, &e->cost) ||
	    !isfinite(e->cost) || e->cost < 0)
		e->cost = 0;
	e->round = history_integer(h, HISTORY_ROUND, &round) ? (long)round :
	    -1;
	s = history_string(h, HISTORY_ID, NULL);
	e->id = estrdup(s != NULL ? s : "");
	s = history_string(h, HISTORY_STRATEGY, NULL);
	e->strategy = intern(&r->strings, &r->nstrings, s != NULL ? s : "",
	    REPORT_MAX_NAMES);
	if (history_has(h, HISTORY_VARIANT) &&
	    !history_is_null(h, HISTORY_VARIANT)) {
		if ((rec = history_json(h, &e2)) == NULL) {
			free(e->id);
			ar_errf(err, "%s:%zu: %s", history_name(h),
			    history_line(h), e2.msg);
			return -1;
		}
		e->variant = json_incref(json_object_get(rec, "variant"));
	}
	r->n++;
	return 0;
}

long
report_read(struct report *r, FILE *f, const char *path, const char *name,
    struct ar_err *err)
{
	struct history h;
	struct ar_buf b = { 0 };
	size_t file, before = r->n;
	int rc;

	file = r->nfiles;
	r->files = ereallocarray(r->files, r->nfiles + 1, sizeof(*r->files));
	r->files[r->nfiles++] = estrdup(path);
	history_open(&h, f, path);
	while ((rc = history_next(&h, err)) > 0)
		if ((rc = read_one(r, &h, file, name != NULL ? name : path,
		    &b, err)) != 0)
			break;
	history_close(&h);
	free(b.buf);
	return rc < 0 ? -1 : (long)(r->n - before);
}

const space_idx *
report_cfg(const struct report *r, size_t i)
{
	return r->cfg + i * r->sp->np;
}

/* For sorting records by configuration (and variant). */
struct cfgsort {
	const space_idx *cfg;
	const char *variant;
	size_t np, i;
};

static int
cmp_cfgsort(const void *pa, const void *pb)
{
	const struct cfgsort *a = pa, *b = pb;
	int c;

	if ((c = memcmp(a->cfg, b->cfg, a->np * sizeof(*a->cfg))) != 0)
		return c;
	if ((c = strcmp(a->variant, b->variant)) != 0)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

static const char *
variant_hash(const struct report_rec *e)
{
	const char *s = json_string_value(json_object_get(e->variant,
	    "sha256"));

	return s != NULL ? s : "";
}

/* One group of records of the same configuration, v[0..k). */
static void
group(struct report *r, const struct cfgsort *v, size_t k, double *scratch)
{
	struct report_cfg *c = &r->cfgs[r->ncfgs];
	size_t j, *by = ecalloc(r->nstatus, sizeof(*by)), most = 0;

	memset(c, 0, sizeof(*c));
	c->first = c->best = v[0].i;
	c->key = NAN;
	for (j = 0; j < k; j++) {
		const struct report_rec *e = &r->rec[v[j].i];

		r->rec_cfg[v[j].i] = r->ncfgs;
		c->n++;
		by[e->status]++;
		if (isnan(e->key))
			continue;
		scratch[c->nok++] = e->objective;
		if (isnan(c->key) || e->key > c->key) {
			c->key = e->key;
			c->best = v[j].i;
		}
	}
	c->median = c->nok > 0 ? stats_median(scratch, c->nok) : NAN;
	for (j = 1; j < r->nstatus; j++)
		if (by[j] > by[most] || by[most] == 0)
			most = j;
	c->status = c->nok > 0 ? 0 : most;
	free(by);
	r->ncfgs++;
}

static void
find_cfgs(struct report *r)
{
	struct cfgsort *v = ecalloc(r->n + 1, sizeof(*v));
	double *scratch = ecalloc(r->n + 1, sizeof(*scratch));
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		v[i].cfg = report_cfg(r, i);
		v[i].variant = variant_hash(&r->rec[i]);
		v[i].np = r->sp->np;
		v[i].i = i;
	}
	qsort(v, r->n, sizeof(*v), cmp_cfgsort);
	r->cfgs = ecalloc(r->n + 1, sizeof(*r->cfgs));
	r->rec_cfg = ecalloc(r->n + 1, sizeof(*r->rec_cfg));
	for (i = 0; i < r->n; i = j) {
		for (j = i + 1; j < r->n && memcmp(v[i].cfg, v[j].cfg,
		    r->sp->np * sizeof(*v[i].cfg)) == 0 &&
		    strcmp(v[i].variant, v[j].variant) == 0; j++)
			;
		group(r, v + i, j - i, scratch);
	}
	free(v);
	free(scratch);
}

/* Each run's records in order, and its best objective so far at each. */
static void
find_runs(struct report *r)
{
	size_t i, *fill = ecalloc(r->nruns + 1, sizeof(*fill));
	double *cum = ecalloc(r->nruns + 1, sizeof(*cum));
	double *bestkey = ecalloc(r->nruns + 1, sizeof(*bestkey));

	r->runoff = ecalloc(r->nruns + 1, sizeof(*r->runoff));
	for (i = 0; i < r->nruns; i++) {
		r->runoff[i + 1] = r->runoff[i] + r->runs[i].n;
		bestkey[i] = NAN;
	}
	r->runrec = ecalloc(r->n + 1, sizeof(*r->runrec));
	r->bestobj = ecalloc(r->n + 1, sizeof(*r->bestobj));
	for (i = 0; i < r->n; i++) {
		struct report_rec *e = &r->rec[i];
		size_t k = r->runoff[e->run] + fill[e->run]++;

		r->runrec[k] = i;
		cum[e->run] += e->cost;
		e->cumcost = cum[e->run];
		if (!isnan(e->key) && (isnan(bestkey[e->run]) ||
		    e->key > bestkey[e->run])) {
			bestkey[e->run] = e->key;
			r->bestobj[k] = e->objective;
		} else
			r->bestobj[k] = k > r->runoff[e->run] ?
			    r->bestobj[k - 1] : NAN;
	}
	free(fill);
	free(cum);
	free(bestkey);
}

void
report_finish(struct report *r)
{
	size_t i, p, np = r->sp->np;

	int neg = 1, pos = 1;

	r->count = ecalloc(r->nstatus, sizeof(*r->count));
	r->best = r->n;
	for (i = 0; i < r->n; i++) {
		r->count[r->rec[i].status]++;
		if (isnan(r->rec[i].key))
			continue;
		r->nok++;
		neg &= r->rec[i].key < 0;
		pos &= r->rec[i].key > 0;
		if (r->best == r->n || r->rec[i].key > r->rec[r->best].key)
			r->best = i;
	}
	r->target = neg ? REPORT_NEGLOG : pos ? REPORT_LOG : REPORT_RANK;
	find_cfgs(r);
	find_runs(r);
	r->valoff = ecalloc(np + 1, sizeof(*r->valoff));
	for (p = 0; p < np; p++)
		r->valoff[p + 1] = r->valoff[p] + r->spec->params[p].n;
	r->bystatus = ecalloc(r->valoff[np] * r->nstatus + 1,
	    sizeof(*r->bystatus));
	for (i = 0; i < r->n; i++)
		for (p = 0; p < np; p++)
			r->bystatus[(r->valoff[p] + report_cfg(r, i)[p]) *
			    r->nstatus + r->rec[i].status]++;
}

size_t
report_failures(const struct report *r, size_t p, size_t k, size_t st)
{
	return r->bystatus[(r->valoff[p] + k) * r->nstatus + st];
}

size_t
report_failed(const struct report *r, size_t p, size_t k, size_t *n)
{
	size_t st, bad = 0;

	*n = report_failures(r, p, k, 0);
	for (st = 1; st < r->nstatus; st++)
		bad += report_failures(r, p, k, st);
	*n += bad;
	return bad;
}

/* The best objective of run u after e evaluations (1 <= e <= n). */
static double
run_best(const struct report *r, size_t u, size_t e)
{
	return r->bestobj[r->runoff[u] + e - 1];
}

/* The same after a cost of c: at its last record within c. */
static double
run_best_cost(const struct report *r, size_t u, double c)
{
	size_t lo = r->runoff[u], hi = r->runoff[u + 1], mid;

	/* The first record past c. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->rec[r->runrec[mid]].cumcost <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > r->runoff[u] ? r->bestobj[lo - 1] : NAN;
}

size_t
report_curve(const struct report *r, size_t s, int by_cost, size_t max,
    double *x, double *med, double *lo, double *hi)
{
	double *v = ecalloc(r->nruns + 1, sizeof(*v)), xmax = 0, xmin = -1;
	size_t u, j, k, m = 0, npts;

	for (u = 0; u < r->nruns; u++) {
		const struct report_rec *last;

		if (r->runs[u].series != s || r->runs[u].n == 0)
			continue;
		last = &r->rec[r->runrec[r->runoff[u + 1] - 1]];
		if (by_cost) {
			xmax = last->cumcost > xmax ? last->cumcost : xmax;
			for (j = r->runoff[u]; j < r->runoff[u + 1]; j++)
				if (!isnan(r->bestobj[j]))
					break;
			if (j < r->runoff[u + 1] && (xmin < 0 ||
			    r->rec[r->runrec[j]].cumcost < xmin))
				xmin = r->rec[r->runrec[j]].cumcost;
		} else if ((double)r->runs[u].n > xmax)
			xmax = (double)r->runs[u].n;
	}
	if (max < 2 || xmax <= 0 || (by_cost && xmin < 0)) {
		free(v);
		return 0;
	}
	if (by_cost)
		npts = max;
	else
		npts = (size_t)xmax < max ? (size_t)xmax : max;
	for (j = 0; j < npts; j++) {
		if (by_cost)
			x[m] = xmin + (xmax - xmin) * (double)j /
			    (double)(npts - 1);
		else
			x[m] = npts == (size_t)xmax ? (double)(j + 1) :
			    round(1 + (xmax - 1) * (double)j /
			    (double)(npts - 1));
		for (u = 0, k = 0; u < r->nruns; u++) {
			double b;

			if (r->runs[u].series != s)
				continue;
			if (by_cost)
				b = run_best_cost(r, u, x[m]);
			else
				b = x[m] <= (double)r->runs[u].n ?
				    run_best(r, u, (size_t)x[m]) : NAN;
			if (!isnan(b))
				v[k++] = b;
		}
		stats_spread(v, k, &med[m], &lo[m], &hi[m]);
		m++;
	}
	free(v);
	return m;
}

double
report_best_after(const struct report *r, size_t s, size_t evals)
{
	double *v = ecalloc(r->nruns + 1, sizeof(*v)), med, lo, hi;
	size_t u, k = 0;

	for (u = 0; u < r->nruns; u++)
		if (r->runs[u].series == s && r->runs[u].n >= evals &&
		    evals > 0 && !isnan(run_best(r, u, evals)))
			v[k++] = run_best(r, u, evals);
	stats_spread(v, k, &med, &lo, &hi);
	free(v);
	return med;
}

double
report_best_final(const struct report *r, size_t s)
{
	double *v = ecalloc(r->nruns + 1, sizeof(*v)), med, lo, hi;
	size_t u, k = 0;

	for (u = 0; u < r->nruns; u++)
		if (r->runs[u].series == s && r->runs[u].n > 0 &&
		    !isnan(r->bestobj[r->runoff[u + 1] - 1]))
			v[k++] = r->bestobj[r->runoff[u + 1] - 1];
	stats_spread(v, k, &med, &lo, &hi);
	free(v);
	return med;
}

size_t
report_neighbour(const struct report *r, size_t p, size_t k)
{
	size_t np = r->sp->np, lo = 0, hi = r->ncfgs, mid, best;
	space_idx *want;
	int c;

	if (r->best == r->n)
		return r->ncfgs;
	best = r->rec_cfg[r->best];
	want = ecalloc(np, sizeof(*want));
	memcpy(want, report_cfg(r, r->cfgs[best].first), np * sizeof(*want));
	want[p] = (space_idx)k;
	/* The first configuration not below want (cfgs are in order). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(report_cfg(r, r->cfgs[mid].first), want,
		    np * sizeof(*want));
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->ncfgs && memcmp(report_cfg(r, r->cfgs[lo].first), want,
	    np * sizeof(*want)) != 0)
		lo = r->ncfgs;
	free(want);
	return lo;
}

struct ranked {
	double key;
	size_t first, i;
};

static int
cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

size_t
report_top(const struct report *r, size_t max, size_t *idx)
{
	struct ranked *v = ecalloc(r->ncfgs + 1, sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < r->ncfgs; i++)
		if (!isnan(r->cfgs[i].key)) {
			v[k].key = r->cfgs[i].key;
			v[k].first = r->cfgs[i].first;
			v[k++].i = i;
		}
	qsort(v, k, sizeof(*v), cmp_ranked);
	for (i = 0; i < k && i < max; i++)
		idx[i] = v[i].i;
	free(v);
	return i;
}

/* Whether cost vector a dominates b: no worse in all, better in one. */
static int
dominates(const double *a, const double *b, size_t m)
{
	size_t j;
	int better = 0;

	for (j = 0; j < m; j++) {
		if (a[j] > b[j])
			return 0;
		better |= a[j] < b[j];
	}
	return better;
}

size_t
report_pareto(const struct report *r, int *rank)
{
	size_t i, j, q, m = r->spec->nobjectives, k = 0, na = 0, *arch;
	double *c;

	memset(rank, 0, r->n * sizeof(*rank));
	if (m < 2)
		return 0;
	/*
	 * Only the front is asked for, so an archive of the points no one
	 * has dominated yet does it in n times the front's size, where
	 * ranking every point (stats_pareto_rank) would take n squared: a
	 * 100,000-record history takes milliseconds, not a minute.
	 */
	arch = ecalloc(r->n + 1, sizeof(*arch));
	c = ecalloc(r->n * m + 1, sizeof(*c));
	for (i = 0; i < r->n; i++) {
		const struct report_rec *e = &r->rec[i];
		double *ci = c + i * m;
		int beaten = 0;

		if (e->status != 0 || !e->hasobj)
			continue;
		for (j = 0; j < m && isfinite(e->obj[j]); j++)
			ci[j] = r->spec->objective_max[j] ? -e->obj[j] :
			    e->obj[j];
		if (j < m)
			continue;
		k++;
		for (q = 0; q < na && !beaten; q++)
			beaten = dominates(c + arch[q] * m, ci, m);
		if (beaten) {
			rank[i] = 2;
			continue;
		}
		for (q = 0; q < na;)
			if (dominates(ci, c + arch[q] * m, m)) {
				rank[arch[q]] = 2;
				arch[q] = arch[--na];
			} else
				q++;
		arch[na++] = i;
		rank[i] = 1;
	}
	free(arch);
	free(c);
	return k;
}

size_t
report_targets(const struct report *r, size_t *idx, double *y)
{
	struct ranked *v;
	size_t i, j, t, k = 0;

	for (i = 0; i < r->n; i++)
		if (!isnan(r->rec[i].key)) {
			idx[k] = i;
			y[k++] = r->target == REPORT_NEGLOG ?
			    -log(-r->rec[i].key) : r->target == REPORT_LOG ?
			    log(r->rec[i].key) : r->rec[i].key;
		}
	if (r->target != REPORT_RANK || k == 0)
		return k;
	/* Each key's rank among them in [0, 1], ties sharing the lower. */
	v = ecalloc(k, sizeof(*v));
	for (i = 0; i < k; i++) {
		v[i].key = -y[i];	/* cmp_ranked sorts high first */
		v[i].first = v[i].i = i;
	}
	qsort(v, k, sizeof(*v), cmp_ranked);
	for (i = 0; i < k; i = j) {
		for (j = i + 1; j < k && v[j].key == v[i].key; j++)
			;
		for (t = i; t < j; t++)
			y[v[t].i] = k > 1 ? (double)i / (double)(k - 1) : 0.5;
	}
	free(v);
	return k;
}

double
report_untarget(const struct report *r, double t)
{
	double key = r->target == REPORT_NEGLOG ? -exp(-t) :
	    r->target == REPORT_LOG ? exp(t) : NAN;

	return r->maximize ? key : -key;
}
