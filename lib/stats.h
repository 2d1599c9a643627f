/*
 * stats: summaries of a set of measured times (or any numbers), for the
 * measuring backends and the cache-file reader alike.
 */
#ifndef AR_STATS_H
#define AR_STATS_H

#include <stddef.h>

/* Summary of a set of times, in seconds; sd is the sample standard
 * deviation (0 for one time).  n 0: no times, the rest 0. */
struct stats {
	size_t n;
	double min, median, mean, sd;
};

/* Summarises t[0..n), which it leaves as it is. */
void stats_summary(const double *t, size_t n, struct stats *st);

/* The median of v[0..n) (n > 0). */
double stats_median(const double *v, size_t n);

/* The median, least and most of v[0..n); NAN for all three when n is 0. */
void stats_spread(const double *v, size_t n, double *med, double *lo,
    double *hi);

/*
 * Non-dominated sorting: c holds n points of m costs each (row i at
 * c[i * m], every cost to be minimised).  Point a dominates b when it
 * is no worse in every cost and better in one.  rank[i] becomes 1 for
 * the points no other dominates (the Pareto front), 2 for those only
 * rank-1 points dominate, and so on; equal points share a rank.
 */
void stats_pareto_rank(const double *c, size_t n, size_t m, int *rank);

#endif
