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
