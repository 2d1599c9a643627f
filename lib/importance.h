/*
 * importance: how much of a study's variation each parameter explains,
 * for ar-report(1).  The decomposition is functional ANOVA's first
 * order over the study's valid configurations, taken uniformly:
 *
 *	f_i(v) = E[f(x) | x_i = v],  V_i = Var(f_i(x_i)),  V = Var(f(x)),
 *	main[i] = V_i / V,
 *
 * and for a pair i, j the part of the variance of E[f | x_i, x_j] that
 * neither main effect explains, (V_ij - V_i - V_j) / V (clamped at 0).
 * The same estimator serves two sources of f:
 *
 *   importance_data:	the measured targets themselves, group means over
 *			the measured configurations.  Exact when the
 *			points are the whole valid space (a brute force).
 *   importance_gp:	a Gaussian process (gp.h) fitted to the points,
 *			its posterior mean averaged over a uniform sample
 *			of the valid space (all of it when it is small):
 *			what a partial history says about the whole.
 *
 * Targets are numbers, higher better, already on the scale the caller
 * wants decomposed (ar-report uses strat_bo's: the log of a speed).  A
 * target NAN marks a configuration that failed (any status but ok): the
 * variance decomposed is the one over the configurations that work, so
 * importance_data leaves failures out, and importance_gp draws its
 * sample where a second process, of success, expects them to work.
 * Nothing here prints; an error fills err and returns -1.
 *
 * Ownership: importance_* fill imp, importance_release frees it.
 */
#ifndef AR_IMPORTANCE_H
#define AR_IMPORTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "space.h"
#include "util.h"

struct importance {
	size_t np;		/* the space's parameters */
	double total;		/* V: the variance decomposed */
	double *main;		/* np shares of V, in [0, 1]: 0 for a
				 * parameter with one value */
	/* The strongest pairwise interaction: its share of V and the two
	 * parameters (pi < pj); pi == pj == np when there is none. */
	double pair;
	size_t pi, pj;
	/* marg[i][k]: f_i at value k of parameter i (spec values order),
	 * NAN where no configuration of the sample has it. */
	double **marg;
	size_t nsample;		/* configurations averaged over */
};

/*
 * From n measured points (cfg: n * sp->np indices, y: n targets).
 * Returns 0, or -1 with err set (imp empty) when fewer than 2 are ok,
 * a target is infinite or an index is out of range.
 */
int importance_data(struct space *sp, const space_idx *cfg, const double *y,
    size_t n, struct importance *imp, struct ar_err *err);

/*
 * From a Gaussian process fitted to the n points, its mean taken over
 * at most nsample valid configurations drawn with seed (the whole space
 * when it has no more; 0 means IMPORTANCE_NSAMPLE).  Returns 0, or -1
 * with err set (imp empty) as importance_data, or when the process
 * cannot be fitted or the space has no valid configuration.  Deterministic for the same inputs.  A
 * space of at most a million combinations is listed for the sample and
 * keeps the list (space_materialize).
 */
#define IMPORTANCE_NSAMPLE	10000
int importance_gp(struct space *sp, const space_idx *cfg, const double *y,
    size_t n, size_t nsample, uint64_t seed, struct importance *imp,
    struct ar_err *err);

/* ord (np entries): the parameters by decreasing share, ties in the
 * study's order. */
void importance_order(const struct importance *imp, size_t *ord);

void importance_release(struct importance *imp);

#endif
