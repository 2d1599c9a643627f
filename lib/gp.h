/*
 * gp: Gaussian-process regression, the surrogate of the bo strategy of
 * ar-propose(1).  Points are vectors of d numbers (space_encode's ranks
 * in [0, 1]); the kernel is Matérn 5/2 with a length scale per dimension
 * (ARD) over a constant mean (the targets' mean), with Gaussian noise.
 * The linear algebra is LAPACK's Cholesky factorisation through LAPACKE.
 *
 * The covariance is kept as a signal variance times a correlation,
 *
 *	K = sf2 (R + g I),  R_ij = m52(|(x_i - x_j) / ls|),
 *	m52(r) = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r),
 *
 * so that for given length scales and noise ratio g the signal variance
 * that maximises the marginal likelihood has a closed form: gp_factor
 * profiles sf2 out, and gp_fit searches the length scales and g only.
 *
 * Ownership: gp_init makes an empty process that gp_release frees; gp_set
 * copies the points and targets it is given.
 */
#ifndef AR_GP_H
#define AR_GP_H

#include <stddef.h>

struct gp {
	size_t d;		/* dimensions */
	size_t n;		/* points */
	double *x;		/* n points of d numbers, one after another */
	double *y;		/* n targets */
	double *ls;		/* d length scales */
	double g;		/* noise variance over signal variance */
	/* What gp_factor computes; valid while ok is 1. */
	double mean;		/* the prior mean: the targets' mean */
	double sf2;		/* the signal variance that fits best */
	double lml;		/* the log marginal likelihood */
	double *L;		/* the Cholesky factor of R + g I: n x n,
				 * column-major, lower triangle */
	double *alpha;		/* (R + g I)^-1 (y - mean) */
	int ok;
	double *xl;		/* scratch: the points over ls */
	size_t cap;		/* room in x, y, L, alpha, xl */
};

/* An empty process of d dimensions, every length scale 1, g 1e-4. */
void gp_init(struct gp *gp, size_t d);
void gp_release(struct gp *gp);

/* Replaces the data with copies of n points x (n * d) and targets y. */
void gp_set(struct gp *gp, const double *x, const double *y, size_t n);

/* The correlation R(a, b) under the current length scales. */
double gp_corr(const struct gp *gp, const double *a, const double *b);

/*
 * Factors R + g I for the current data and hyperparameters and fills
 * mean, sf2, lml, L and alpha.  Returns 0, or -1 (ok 0) when the matrix
 * is not positive definite to working precision, or there are no points.
 */
int gp_factor(struct gp *gp);

/*
 * Fits the hyperparameters by maximising the log marginal likelihood
 * (deterministically: a grid over one shared length scale and g, a
 * pattern search from the best point of it, then with ard set a few
 * sweeps over each length scale on its own under a weak log-normal
 * prior around the shared one), then factors.  The search runs on at
 * most nfit of the points, spread evenly over them, since each step costs
 * a factorisation; 0 means all of them.  Returns gp_factor's value.
 */
int gp_fit(struct gp *gp, int ard, size_t nfit);

/*
 * The posterior at m points xs (m * d) after a successful gp_factor: the
 * mean mu[j] and the variance var[j] of the latent function (no noise).
 * With v not NULL, v (n x m, column-major) receives L^-1 r(X, xs_j) per
 * point, from which the posterior covariance of two points a, b is
 * sf2 (R(a, b) - v_a . v_b), as bo's batches need.
 */
void gp_predict(const struct gp *gp, const double *xs, size_t m,
    double *mu, double *var, double *v);

/*
 * The posterior mean at m points xs, as gp_predict, and for each an upper
 * bound of its variance that costs no triangular solve: the variance
 * given only the two data points most correlated with it, since more
 * data never leave the posterior less sure.  For screening many
 * candidates: it costs n per point where gp_predict costs n^2.
 */
void gp_predict_bound(const struct gp *gp, const double *xs, size_t m,
    double *mu, double *varub);

/*
 * Fantasies, for batches (the kriging believer): the posterior at m fixed
 * points xs after some of them are taken as observed, with noise, at
 * their posterior means.  Such an observation leaves every mean as it
 * was and shrinks the variances; gp_fantasy_add updates them exactly, as
 * refitting the posterior with the point added would, by a rank-one step
 * that costs O(m (n + fantasies)) instead of a new factorisation and
 * prediction.  The hyperparameters stay.
 *
 * Ownership: gp_fantasy_init borrows gp and xs, which must outlive f;
 * gp_fantasy_release frees the rest.
 */
struct gp_fantasy {
	const struct gp *gp;
	const double *xs;
	size_t m, nf;
	double *mu, *var;	/* the posterior at xs, var as it shrinks */
	double *v;		/* n x m: L^-1 r(X, xs_j) */
	double *c;		/* nf x m: the covariance with each fantasy
				 * given the ones before it */
	double *dd;		/* nf: its variance then, plus the noise */
};

void gp_fantasy_init(struct gp_fantasy *f, const struct gp *gp,
    const double *xs, size_t m);
/* Takes point b of xs as observed at its mean. */
void gp_fantasy_add(struct gp_fantasy *f, size_t b);
void gp_fantasy_release(struct gp_fantasy *f);

/*
 * The logarithm of the expected improvement over best of a normal
 * N(mu, sd^2), when higher is better: accurate far into the tail, where
 * the expected improvement itself underflows to 0, so that candidates
 * stay ranked.  -HUGE_VAL when there is no chance of improvement.
 */
double gp_logei(double mu, double sd, double best);

#endif
