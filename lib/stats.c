#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
stats_summary(const double *t, size_t n, struct stats *st)
{
	double *s, sum = 0, ss = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return;
	s = ereallocarray(NULL, n, sizeof(*s));
	memcpy(s, t, n * sizeof(*s));
	qsort(s, n, sizeof(*s), dbl_cmp);
	for (i = 0; i < n; i++)
		sum += s[i];
	st->n = n;
	st->min = s[0];
	st->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	st->mean = sum / (double)n;
	for (i = 0; i < n; i++)
		ss += (s[i] - st->mean) * (s[i] - st->mean);
	st->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
	free(s);
}

double
stats_median(const double *v, size_t n)
{
	struct stats st;

	stats_summary(v, n, &st);
	return st.median;
}

/* Whether a dominates b (m costs each). */
static int
dominates(const double *a, const double *b, size_t m)
{
	size_t k;
	int better = 0;

	for (k = 0; k < m; k++) {
		if (a[k] > b[k])
			return 0;
		better |= a[k] < b[k];
	}
	return better;
}

/* The order of points for stats_pareto_rank: by their costs, first to
 * last (ctx: the costs and m). */
struct costs {
	const double *c;
	size_t m;
};

static int
cost_cmp(const void *a, const void *b, void *ctx)
{
	const struct costs *cs = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b, k;
	const double *x = cs->c + i * cs->m, *y = cs->c + j * cs->m;

	for (k = 0; k < cs->m; k++)
		if (x[k] != y[k])
			return x[k] < y[k] ? -1 : 1;
	return (i > j) - (i < j);
}

void
stats_pareto_rank(const double *c, size_t n, size_t m, int *rank)
{
	size_t *ord = ecalloc(n ? n : 1, sizeof(*ord)), i, j;
	struct costs cs;
	/*
	 * A point's rank is one more than the highest rank of the points
	 * that dominate it (the longest chain of them), which peeling the
	 * fronts one by one gives too.  In the order of the costs a point
	 * comes after every point that dominates it, so one pass does.
	 */
	for (i = 0; i < n; i++)
		ord[i] = i;
	cs.c = c;
	cs.m = m;
	qsort_r(ord, n, sizeof(*ord), cost_cmp, &cs);
	for (i = 0; i < n; i++) {
		int r = 1;

		for (j = 0; j < i; j++)
			if (rank[ord[j]] >= r && dominates(c + ord[j] * m,
			    c + ord[i] * m, m))
				r = rank[ord[j]] + 1;
		rank[ord[i]] = r;
	}
	free(ord);
}

void
stats_spread(const double *v, size_t n, double *med, double *lo, double *hi)
{
	size_t i;

	*med = *lo = *hi = NAN;
	if (n == 0)
		return;
	*med = stats_median(v, n);
	*lo = *hi = v[0];
	for (i = 1; i < n; i++) {
		*lo = v[i] < *lo ? v[i] : *lo;
		*hi = v[i] > *hi ? v[i] : *hi;
	}
}
