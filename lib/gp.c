#include "gp.h"

#include <dlfcn.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SQRT5		2.23606797749978969641
#define LOG2PI		1.83787706640934548356
#define INVSQRT2PI	0.39894228040143267794

/* The hyperparameters gp_fit searches stay inside these bounds. */
#define LS_MIN	0.01
#define LS_MAX	100.0
#define G_MIN	1e-6
#define G_MAX	1.0
/* The most factorisations the pattern search may spend. */
#define PATTERN_EVALS	40

/* Points predicted per triangular solve: a few columns of a panel. */
#define CHUNK	256

/* Data points gp_predict_bound conditions on. */
#define BOUND_K	2

/*
 * The matrices here are a few hundred rows: threads would only cost.
 * When the BLAS under LAPACKE is OpenBLAS (Debian's default), its threads
 * spin beside the one doing the work and double a proposal's CPU time,
 * so it is told to use one; another BLAS has no such function.
 */
static void
blas_one_thread(void)
{
	static int done;
	void (*set)(int);

	if (done)
		return;
	done = 1;
	*(void **)&set = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
	if (set != NULL)
		set(1);
}

void
gp_init(struct gp *gp, size_t d)
{
	size_t k;

	blas_one_thread();
	memset(gp, 0, sizeof(*gp));
	gp->d = d;
	gp->ls = ereallocarray(NULL, d ? d : 1, sizeof(*gp->ls));
	for (k = 0; k < d; k++)
		gp->ls[k] = 1;
	gp->g = 1e-4;
}

void
gp_release(struct gp *gp)
{
	free(gp->x);
	free(gp->y);
	free(gp->ls);
	free(gp->L);
	free(gp->alpha);
	free(gp->xl);
	memset(gp, 0, sizeof(*gp));
}

void
gp_set(struct gp *gp, const double *x, const double *y, size_t n)
{
	if (n > gp->cap) {
		gp->x = ereallocarray(gp->x, n, gp->d ? gp->d * sizeof(double) :
		    sizeof(double));
		gp->y = ereallocarray(gp->y, n, sizeof(double));
		gp->xl = ereallocarray(gp->xl, n, gp->d ? gp->d *
		    sizeof(double) : sizeof(double));
		gp->alpha = ereallocarray(gp->alpha, n, sizeof(double));
		free(gp->L);
		gp->L = ereallocarray(NULL, n, n * sizeof(double));
		gp->cap = n;
	}
	memcpy(gp->x, x, n * gp->d * sizeof(double));
	memcpy(gp->y, y, n * sizeof(double));
	gp->n = n;
	gp->ok = 0;
}

static double
m52(double r2)
{
	double r = sqrt(r2);

	return (1 + SQRT5 * r + 5.0 / 3 * r2) * exp(-SQRT5 * r);
}

/* Squared distance of two points already divided by the length scales. */
static double
dist2(const double *a, const double *b, size_t d)
{
	double s = 0, t;
	size_t k;

	for (k = 0; k < d; k++) {
		t = a[k] - b[k];
		s += t * t;
	}
	return s;
}

double
gp_corr(const struct gp *gp, const double *a, const double *b)
{
	double s = 0, t;
	size_t k;

	for (k = 0; k < gp->d; k++) {
		t = (a[k] - b[k]) / gp->ls[k];
		s += t * t;
	}
	return m52(s);
}

int
gp_factor(struct gp *gp)
{
	size_t n = gp->n, d = gp->d, i, j, k;
	double q, logdet;

	gp->ok = 0;
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < d; k++)
			gp->xl[i * d + k] = gp->x[i * d + k] / gp->ls[k];
	gp->mean = 0;
	for (i = 0; i < n; i++)
		gp->mean += gp->y[i];
	gp->mean /= (double)n;
	/* Only the lower triangle is read. */
	for (j = 0; j < n; j++) {
		gp->L[j * n + j] = 1 + gp->g;
		for (i = j + 1; i < n; i++)
			gp->L[j * n + i] = m52(dist2(gp->xl + i * d,
			    gp->xl + j * d, d));
	}
	if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, gp->L,
	    (lapack_int)n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		gp->alpha[i] = gp->y[i] - gp->mean;
	if (LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, gp->L,
	    (lapack_int)n, gp->alpha, (lapack_int)n) != 0)
		return -1;
	q = 0;
	logdet = 0;
	for (i = 0; i < n; i++) {
		q += (gp->y[i] - gp->mean) * gp->alpha[i];
		logdet += log(gp->L[i * n + i]);
	}
	/*
	 * Constant targets leave nothing to fit: a floor keeps the
	 * likelihood finite, and the same for every hyperparameter.
	 */
	gp->sf2 = q / (double)n;
	if (!(gp->sf2 > 1e-200))
		gp->sf2 = 1e-200;
	gp->lml = -0.5 * (double)n * (LOG2PI + log(gp->sf2) + 1) - logdet;
	gp->ok = 1;
	return 0;
}

void
gp_predict(const struct gp *gp, const double *xs, size_t m, double *mu,
    double *var, double *v)
{
	size_t n = gp->n, d = gp->d, j0, c, i, j, k;
	double *a, *buf = NULL, *col, s;

	if (n == 0) {
		for (j = 0; j < m; j++) {
			mu[j] = 0;
			var[j] = 1;
		}
		return;
	}
	a = ereallocarray(NULL, d ? d : 1, sizeof(*a));
	if (v == NULL)
		buf = ereallocarray(NULL, n, CHUNK * sizeof(double));
	for (j0 = 0; j0 < m; j0 += c) {
		c = m - j0 < CHUNK ? m - j0 : CHUNK;
		col = v ? v + j0 * n : buf;
		for (j = 0; j < c; j++) {
			for (k = 0; k < d; k++)
				a[k] = xs[(j0 + j) * d + k] / gp->ls[k];
			s = gp->mean;
			for (i = 0; i < n; i++) {
				col[j * n + i] = m52(dist2(a, gp->xl + i * d,
				    d));
				s += col[j * n + i] * gp->alpha[i];
			}
			mu[j0 + j] = s;
		}
		/* v = L^-1 r: a triangular solve over the whole panel. */
		LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'L', 'N', 'N',
		    (lapack_int)n, (lapack_int)c, gp->L, (lapack_int)n, col,
		    (lapack_int)n);
		for (j = 0; j < c; j++) {
			s = 0;
			for (i = 0; i < n; i++)
				s += col[j * n + i] * col[j * n + i];
			var[j0 + j] = s < 1 ? gp->sf2 * (1 - s) : 0;
		}
	}
	free(buf);
	free(a);
}

void
gp_predict_bound(const struct gp *gp, const double *xs, size_t m,
    double *mu, double *varub)
{
	size_t n = gp->n, d = gp->d, i, j, k, a, nb;
	double *x, s, r, near[BOUND_K], a1, cc;
	size_t at[BOUND_K];

	x = ereallocarray(NULL, d ? d : 1, sizeof(*x));
	for (j = 0; j < m; j++) {
		for (k = 0; k < d; k++)
			x[k] = xs[j * d + k] / gp->ls[k];
		s = gp->mean;
		nb = 0;
		for (i = 0; i < n; i++) {
			r = m52(dist2(x, gp->xl + i * d, d));
			s += r * gp->alpha[i];
			/* Keep the BOUND_K most correlated, sorted. */
			if (nb < BOUND_K || r > near[nb - 1]) {
				a = nb < BOUND_K ? nb++ : nb - 1;
				for (; a > 0 && near[a - 1] < r; a--) {
					near[a] = near[a - 1];
					at[a] = at[a - 1];
				}
				near[a] = r;
				at[a] = i;
			}
		}
		mu[j] = s;
		varub[j] = n ? gp->sf2 : 1;
		if (nb == 0)
			continue;
		/*
		 * The variance given those two: sf2 (1 - r' A^-1 r) with
		 * A = [1+g c; c 1+g], inverted in closed form.
		 */
		a1 = 1 + gp->g;
		if (nb == 1)
			s = near[0] * near[0] / a1;
		else {
			cc = m52(dist2(gp->xl + at[0] * d, gp->xl + at[1] * d,
			    d));
			s = (a1 * (near[0] * near[0] + near[1] * near[1]) -
			    2 * cc * near[0] * near[1]) / (a1 * a1 - cc * cc);
		}
		varub[j] = s < 1 ? gp->sf2 * (1 - s) : 0;
	}
	free(x);
}

void
gp_fantasy_init(struct gp_fantasy *f, const struct gp *gp, const double *xs,
    size_t m)
{
	memset(f, 0, sizeof(*f));
	f->gp = gp;
	f->xs = xs;
	f->m = m;
	f->mu = ereallocarray(NULL, m ? m : 1, sizeof(*f->mu));
	f->var = ereallocarray(NULL, m ? m : 1, sizeof(*f->var));
	f->v = ereallocarray(NULL, m ? m : 1, (gp->n ? gp->n : 1) *
	    sizeof(*f->v));
	gp_predict(gp, xs, m, f->mu, f->var, f->v);
}

/*
 * With v_a = L^-1 r(X, a), the posterior covariance of two points is
 * c0(a, b) = sf2 (R(a, b) - v_a . v_b).  After fantasies f_0 .. f_t-1,
 *
 *	c_t(a, f_t) = c0(a, f_t) - sum_{s<t} c_s(a, f_s) c_s(f_t, f_s) / D_s,
 *	var_t+1(a) = var_t(a) - c_t(a, f_t)^2 / D_t,  D_t = var_t(f_t) + sn2,
 *
 * the Gaussian conditioning on one more noisy observation at a time.
 */
void
gp_fantasy_add(struct gp_fantasy *f, size_t b)
{
	const struct gp *gp = f->gp;
	size_t m = f->m, n = gp->n, d = gp->d, t = f->nf++, a, i;
	double cv, *c;

	f->c = ereallocarray(f->c, f->nf, m * sizeof(*f->c));
	f->dd = ereallocarray(f->dd, f->nf, sizeof(*f->dd));
	f->dd[t] = f->var[b] + gp->g * gp->sf2;
	c = f->c + t * m;
	for (a = 0; a < m; a++) {
		cv = gp_corr(gp, f->xs + a * d, f->xs + b * d);
		for (i = 0; i < n; i++)
			cv -= f->v[a * n + i] * f->v[b * n + i];
		cv *= gp->sf2;
		for (i = 0; i < t; i++)
			cv -= f->c[i * m + a] * f->c[i * m + b] / f->dd[i];
		c[a] = cv;
	}
	for (a = 0; a < m; a++) {
		f->var[a] -= c[a] * c[a] / f->dd[t];
		if (f->var[a] < 0)
			f->var[a] = 0;
	}
}

void
gp_fantasy_release(struct gp_fantasy *f)
{
	free(f->mu);
	free(f->var);
	free(f->v);
	free(f->c);
	free(f->dd);
	memset(f, 0, sizeof(*f));
}

double
gp_logei(double mu, double sd, double best)
{
	double z, z2, h;

	if (!(sd > 0))
		return mu > best ? log(mu - best) : -HUGE_VAL;
	z = (mu - best) / sd;
	if (z > -8) {
		/* EI = sd (z Phi(z) + phi(z)) */
		h = z * 0.5 * erfc(-z / sqrt(2.0)) +
		    INVSQRT2PI * exp(-0.5 * z * z);
		return h > 0 ? log(sd) + log(h) : -HUGE_VAL;
	}
	/*
	 * The tail, by the asymptotic series of Mills' ratio:
	 * z Phi(z) + phi(z) ~ phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6
	 * + 945/z^8), within 1e-5 from z = -8 on.
	 */
	z2 = z * z;
	return log(sd) - 0.5 * z2 - 0.5 * LOG2PI - log(z2) +
	    log1p((-3 + (15 + (-105 + 945 / z2) / z2) / z2) / z2);
}

/*
 * The hyperparameter search.  The objective is the log marginal
 * likelihood of a subset of the points, less, for ARD, a log-normal
 * prior that keeps each length scale near the shared one unless the data
 * say otherwise: with few points per dimension the plain likelihood
 * would happily send a length scale to either bound.
 */
struct fit {
	struct gp *sub;		/* the subset, with the trial values */
	const int *active;	/* dimensions where the points differ */
	double shared;		/* the centre of the prior, 0 for none */
	size_t evals;
};

static double
objective(struct fit *f)
{
	struct gp *gp = f->sub;
	double pen = 0, t;
	size_t k;

	f->evals++;
	if (gp_factor(gp) != 0)
		return -HUGE_VAL;
	if (f->shared > 0)
		for (k = 0; k < gp->d; k++)
			if (f->active[k]) {
				t = log(gp->ls[k] / f->shared);
				pen += 0.5 * t * t;
			}
	return gp->lml - pen;
}

static void
set_shared(struct gp *gp, double ls)
{
	size_t k;

	for (k = 0; k < gp->d; k++)
		gp->ls[k] = ls;
}

static double
clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

int
gp_fit(struct gp *gp, int ard, size_t nfit)
{
	static const double grid_ls[] = {
		0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8
	};
	static const double grid_g[] = { 1e-6, 1e-4, 1e-2, 1e-1, 0.5 };
	static const int dls[4] = { 1, -1, 0, 0 }, dg[4] = { 0, 0, 1, -1 };
	struct gp sub;
	struct fit f;
	int *active;
	double *x, *y, best, val, ls, g, sls, sg, tls, tg, keep;
	size_t n = gp->n, d = gp->d, m, i, k, a, b, nactive = 0;
	int dir, moved;

	if (n == 0)
		return -1;
	active = ecalloc(d ? d : 1, sizeof(*active));
	for (k = 0; k < d; k++)
		for (i = 1; i < n && !active[k]; i++)
			if (gp->x[i * d + k] != gp->x[k])
				active[k] = 1;
	for (k = 0; k < d; k++)
		nactive += active[k];

	/* The subset: nfit points spread evenly over the data. */
	m = nfit == 0 || nfit > n ? n : nfit;
	x = ereallocarray(NULL, m, (d ? d : 1) * sizeof(*x));
	y = ereallocarray(NULL, m, sizeof(*y));
	for (i = 0; i < m; i++) {
		a = i * n / m;
		memcpy(x + i * d, gp->x + a * d, d * sizeof(*x));
		y[i] = gp->y[a];
	}
	gp_init(&sub, d);
	gp_set(&sub, x, y, m);
	f.sub = &sub;
	f.active = active;
	f.shared = 0;
	f.evals = 0;

	/* A grid over one shared length scale and the noise ratio. */
	best = -HUGE_VAL;
	ls = 1;
	g = 1e-4;
	for (a = 0; a < sizeof(grid_ls) / sizeof(grid_ls[0]); a++)
		for (b = 0; b < sizeof(grid_g) / sizeof(grid_g[0]); b++) {
			set_shared(&sub, grid_ls[a]);
			sub.g = grid_g[b];
			val = objective(&f);
			if (val > best) {
				best = val;
				ls = grid_ls[a];
				g = grid_g[b];
			}
		}

	/*
	 * A pattern search in log space from there: a step along each
	 * axis either way, halving the steps when none improves.
	 */
	sls = log(2.0) / 2;
	sg = log(10.0) / 2;
	f.evals = 0;
	while (sls > log(2.0) / 16 && f.evals < PATTERN_EVALS) {
		moved = 0;
		for (dir = 0; dir < 4; dir++) {
			tls = clamp(ls * exp(dls[dir] * sls), LS_MIN, LS_MAX);
			tg = clamp(g * exp(dg[dir] * sg), G_MIN, G_MAX);
			if (tls == ls && tg == g)
				continue;
			set_shared(&sub, tls);
			sub.g = tg;
			val = objective(&f);
			if (val > best) {
				best = val;
				ls = tls;
				g = tg;
				moved = 1;
			}
		}
		if (!moved) {
			sls /= 2;
			sg /= 2;
		}
	}
	set_shared(&sub, ls);
	sub.g = g;

	/* ARD: each length scale on its own, then the noise ratio. */
	if (ard && nactive > 1) {
		f.shared = ls;
		best = objective(&f);
		for (sls = log(2.0); sls > log(2.0) / 3; sls /= 2)
			for (k = 0; k <= d; k++) {
				if (k < d && !active[k])
					continue;
				for (dir = -1; dir <= 1; dir += 2) {
					if (k < d) {
						keep = sub.ls[k];
						sub.ls[k] = clamp(keep *
						    exp(dir * sls), LS_MIN,
						    LS_MAX);
					} else {
						keep = sub.g;
						sub.g = clamp(keep *
						    exp(dir * 2 * sls), G_MIN,
						    G_MAX);
					}
					val = objective(&f);
					if (val > best) {
						best = val;
						break;
					}
					if (k < d)
						sub.ls[k] = keep;
					else
						sub.g = keep;
				}
			}
	}

	memcpy(gp->ls, sub.ls, d * sizeof(*gp->ls));
	gp->g = sub.g;
	gp_release(&sub);
	free(x);
	free(y);
	free(active);
	/* The whole data may hold near-twins the subset did not. */
	while (gp_factor(gp) != 0) {
		if (gp->g >= G_MAX)
			return -1;
		gp->g = clamp(gp->g * 10, G_MIN, G_MAX);
	}
	return 0;
}
