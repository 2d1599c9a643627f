/*
 * importance: functional ANOVA's first order and its strongest pair,
 * from measured points (importance_data) or from a Gaussian process
 * fitted to them (importance_gp).  Both end in decompose(), which takes
 * m configurations with a value each as the population or as a uniform
 * sample of it.
 *
 * Sampling noise.  A group mean over a sample is the true one plus
 * noise, which adds about (k - 1) MS_w / m to the variance of k group
 * means, MS_w the pooled variance within them (one-way ANOVA's
 * E[SS_between] = m V_true + (k - 1) sigma^2).  The k_i k_j cells of a
 * pair hold few samples each, and left alone the pair that cuts the
 * sample into the most and smallest cells would look the most
 * interacting.  So every between-group variance, main effect and pair
 * alike, has that expectation taken off (clamped at 0), times the
 * finite population correction: 1 - m / N for m drawn without
 * replacement from the N of a listed space, 0 when the sample is the
 * whole space.  Measured points are the population: exact for a brute
 * force.
 *
 * The process is bo's (gp.h: Matérn 5/2 over space_encode's ranks, by
 * marginal likelihood), fitted to at most IMP_NGP points: a systematic
 * sample of them sorted by target (the best, the worst and the spread
 * between), so that 100,000 records cost what IMP_NGP do.  A length
 * scale per parameter (ARD) from IMP_ARD points per parameter that
 * varies: length scales are what tells a parameter that does not matter
 * (on the replay studies' 100-evaluation histories, a shared one ranked
 * worse: Spearman 0.54 against 0.63).  A search's points cluster where
 * it went, and their plain mean, to which the process reverts away from
 * them, is that region's: the constant is taken by generalised least
 * squares instead, as ordinary kriging does, which weighs a cluster of
 * correlated points as about one.
 *
 * Failures (NAN targets).  What is decomposed is the variance over the
 * configurations that work, as importance_data's is over the ok points:
 * a second process, under the same hyperparameters, regresses success
 * (1 ok, 0 failed) as bo's does, and each configuration drawn is kept
 * with its chance of working (at least IMP_PMIN), which the correction
 * above counts in its chance of being drawn.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gp.h"
#include "importance.h"
#include "rng.h"

#define IMP_NGP		300	/* points the process is fitted to */
#define IMP_NFIT	150	/* points its hyperparameters see */
#define IMP_ARD		2	/* points per varying parameter for ARD */
#define IMP_LISTPRODUCT	1e6	/* list spaces of at most this product */
#define IMP_TRIES	1000000	/* draws per configuration otherwise */
#define IMP_MAXCELLS	(1u << 20)	/* cells of a pair, at most */
#define IMP_MAXDRAWS	100	/* candidates per configuration wanted */
#define IMP_PMIN	1e-3	/* the least chance of working */
#define IMP_CHUNK	256	/* configurations predicted at once */

static void
imp_alloc(struct importance *imp, const struct space *sp)
{
	size_t i, k;

	imp->np = sp->np;
	imp->main = ecalloc(sp->np ? sp->np : 1, sizeof(*imp->main));
	imp->marg = ecalloc(sp->np ? sp->np : 1, sizeof(*imp->marg));
	for (i = 0; i < sp->np; i++) {
		imp->marg[i] = ereallocarray(NULL, sp->spec->params[i].n,
		    sizeof(**imp->marg));
		for (k = 0; k < sp->spec->params[i].n; k++)
			imp->marg[i][k] = NAN;
	}
	imp->pi = imp->pj = sp->np;
}

void
importance_release(struct importance *imp)
{
	size_t i;

	for (i = 0; i < imp->np; i++)
		free(imp->marg[i]);
	free(imp->marg);
	free(imp->main);
	memset(imp, 0, sizeof(*imp));
}

/*
 * The variance between the groups cell[t] (0..ncell-1) of the m values
 * f, with the sampling noise taken off (the comment at the top), their
 * sums and counts left in sum and cnt; sst is f's sum of squares about
 * its mean.
 */
static double
between(const uint32_t *cell, const double *f, size_t m, size_t ncell,
    double mean, double sst, double fpc, double *sum, size_t *cnt)
{
	double ssb = 0, d, msw;
	size_t t, c, k = 0;

	memset(sum, 0, ncell * sizeof(*sum));
	memset(cnt, 0, ncell * sizeof(*cnt));
	for (t = 0; t < m; t++) {
		sum[cell[t]] += f[t];
		cnt[cell[t]]++;
	}
	for (c = 0; c < ncell; c++)
		if (cnt[c] > 0) {
			d = sum[c] / (double)cnt[c] - mean;
			ssb += (double)cnt[c] * d * d;
			k++;
		}
	if (k < 2)
		return 0;
	/* With no sample to spare for the variance within the groups,
	 * the total's stands for it: the most the noise can be. */
	msw = m > k ? (sst - ssb) / (double)(m - k) : sst / (double)(m - 1);
	ssb -= fpc * (double)(k - 1) * fmax(msw, 0);
	return ssb > 0 ? ssb / (double)m : 0;
}

/*
 * The decomposition of f over the m configurations cfg, which are the
 * population when fpc is 0 and a sample of it otherwise; imp is
 * allocated.  m >= 2.
 */
static void
decompose(const struct space *sp, const space_idx *cfg, const double *f,
    size_t m, double fpc, struct importance *imp)
{
	const struct spec *s = sp->spec;
	size_t np = sp->np, i, j, t, c, maxc = 1, ncell;
	double mean = 0, sst = 0, v, inter, *sum;
	double *vi = ecalloc(np ? np : 1, sizeof(*vi));
	uint32_t *cell = ereallocarray(NULL, m, sizeof(*cell));
	size_t *cnt;

	imp->nsample = m;
	for (t = 0; t < m; t++)
		mean += f[t];
	mean /= (double)m;
	for (t = 0; t < m; t++)
		sst += (f[t] - mean) * (f[t] - mean);
	for (i = 0; i < np; i++)
		for (j = i; j < np; j++)
			if ((ncell = s->params[i].n * (i == j ? 1 :
			    s->params[j].n)) > maxc && ncell <= IMP_MAXCELLS)
				maxc = ncell;
	sum = ereallocarray(NULL, maxc, sizeof(*sum));
	cnt = ereallocarray(NULL, maxc, sizeof(*cnt));
	v = sst / (double)m;
	imp->total = v;

	/* Main effects, and the marginals for the plots. */
	for (i = 0; i < np; i++) {
		for (t = 0; t < m; t++)
			cell[t] = cfg[t * np + i];
		vi[i] = between(cell, f, m, s->params[i].n, mean, sst, fpc,
		    sum, cnt);
		for (c = 0; c < s->params[i].n; c++)
			if (cnt[c] > 0)
				imp->marg[i][c] = sum[c] / (double)cnt[c];
		imp->main[i] = v > 0 ? fmin(vi[i] / v, 1) : 0;
	}

	/* Pairs: what the cells of i and j explain beyond both main
	 * effects; no sample fills more than IMP_MAXCELLS cells. */
	for (i = 0; i < np && v > 0; i++)
		for (j = i + 1; j < np; j++) {
			ncell = s->params[i].n * s->params[j].n;
			if (s->params[i].n < 2 || s->params[j].n < 2 ||
			    ncell > IMP_MAXCELLS)
				continue;
			for (t = 0; t < m; t++)
				cell[t] = (uint32_t)(cfg[t * np + i] *
				    s->params[j].n + cfg[t * np + j]);
			inter = (between(cell, f, m, ncell, mean, sst, fpc, sum,
			    cnt) - vi[i] - vi[j]) / v;
			if (inter > imp->pair) {
				imp->pair = inter > 1 ? 1 : inter;
				imp->pi = i;
				imp->pj = j;
			}
		}
	free(cnt);
	free(sum);
	free(cell);
	free(vi);
}

/*
 * Empties imp, and refuses indices outside the study's values, infinite
 * targets and fewer than two points that measured ok (a NAN target is a
 * failed configuration).  Returns how many did, or 0 with err set.
 */
static size_t
check_points(const struct space *sp, const space_idx *cfg, const double *y,
    size_t n, struct importance *imp, struct ar_err *err)
{
	size_t t, i, nok = 0;

	memset(imp, 0, sizeof(*imp));
	for (t = 0; t < n; t++) {
		nok += !isnan(y[t]);
		if (isinf(y[t])) {
			ar_errf(err, "point %zu: the target is infinite", t);
			return 0;
		}
		for (i = 0; i < sp->np; i++)
			if (cfg[t * sp->np + i] >= sp->spec->params[i].n) {
				ar_errf(err, "point %zu: parameter \"%s\" has "
				    "no value %u", t, sp->spec->params[i].name,
				    (unsigned)cfg[t * sp->np + i]);
				return 0;
			}
	}
	if (nok < 2) {
		ar_errf(err, "importance needs at least 2 points measured ok, "
		    "not %zu", nok);
		return 0;
	}
	return nok;
}

int
importance_data(struct space *sp, const space_idx *cfg, const double *y,
    size_t n, struct importance *imp, struct ar_err *err)
{
	size_t nok, t, m = 0, np = sp->np;
	space_idx *c;
	double *f;

	if ((nok = check_points(sp, cfg, y, n, imp, err)) == 0)
		return -1;
	c = ereallocarray(NULL, nok, (np ? np : 1) * sizeof(*c));
	f = ereallocarray(NULL, nok, sizeof(*f));
	for (t = 0; t < n; t++)
		if (!isnan(y[t])) {
			memcpy(c + m * np, cfg + t * np, np * sizeof(*c));
			f[m++] = y[t];
		}
	imp_alloc(imp, sp);
	decompose(sp, c, f, m, 0, imp);
	free(f);
	free(c);
	return 0;
}

/* Indices into y, best first, ties in their order. */
struct byy {
	double y;
	size_t i;
};

static int
cmp_byy(const void *a, const void *b)
{
	const struct byy *x = a, *z = b;

	if (x->y != z->y)
		return x->y < z->y ? 1 : -1;
	return (x->i > z->i) - (x->i < z->i);
}

/*
 * Moves the process's constant to 1' K^-1 y / 1' K^-1 1 (the comment at
 * the top), keeping alpha = K^-1 (y - mean) true.
 */
static void
gls_mean(struct gp *gp)
{
	lapack_int n = (lapack_int)gp->n, t;
	double *u = ereallocarray(NULL, gp->n, sizeof(*u)), a = 0, b = 0;

	for (t = 0; t < n; t++)
		u[t] = 1;
	if (LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, gp->L, n, u, n) != 0)
		n = 0;
	for (t = 0; t < n; t++) {
		a += gp->alpha[t];
		b += u[t];
	}
	for (t = 0; t < n && b > 0; t++)
		gp->alpha[t] -= a / b * u[t];
	gp->mean += b > 0 ? a / b : 0;
	free(u);
}

/*
 * The process of the nok points measured ok: all of them when there are
 * at most IMP_NGP, else IMP_NGP evenly spaced in the order of the
 * targets, the first and the last included.  Returns gp_fit's value.
 */
static int
fit_target(const struct space *sp, const space_idx *cfg, const double *y,
    size_t n, size_t nok, struct gp *gp)
{
	size_t d = sp->np ? sp->np : 1, m, a, t, k = 0, nv = 0;
	struct byy *o = ereallocarray(NULL, nok, sizeof(*o));
	double *x, *fy;
	int rc;

	for (t = 0; t < n; t++)
		if (!isnan(y[t])) {
			o[k].y = y[t];
			o[k++].i = t;
		}
	qsort(o, nok, sizeof(*o), cmp_byy);
	m = nok < IMP_NGP ? nok : IMP_NGP;
	x = ecalloc(m, d * sizeof(*x));
	fy = ereallocarray(NULL, m, sizeof(*fy));
	for (t = 0; t < m; t++) {
		a = (size_t)((double)t * (double)(nok - 1) / (double)(m - 1) +
		    0.5);
		space_encode(sp, cfg + o[a].i * sp->np, x + t * d);
		fy[t] = o[a].y;
	}
	gp_set(gp, x, fy, m);
	for (t = 0; t < sp->np; t++)
		nv += sp->spec->params[t].n > 1;
	if ((rc = gp_fit(gp, m >= IMP_ARD * nv, IMP_NFIT)) == 0)
		gls_mean(gp);
	free(fy);
	free(x);
	free(o);
	return rc;
}

/*
 * The process of success, 1 for ok and 0 for failed, over at most
 * IMP_NGP of the n points spread evenly, under the hyperparameters of
 * the target's (as bo's).  Returns 0, or -1 when it cannot be factored.
 */
static int
fit_success(const struct space *sp, const space_idx *cfg, const double *y,
    size_t n, const struct gp *target, struct gp *ok)
{
	size_t d = sp->np ? sp->np : 1, m = n < IMP_NGP ? n : IMP_NGP, t, a;
	double *x = ecalloc(m, d * sizeof(*x)), *s = ecalloc(m, sizeof(*s));
	int rc;

	for (t = 0; t < m; t++) {
		a = t * n / m;
		space_encode(sp, cfg + a * sp->np, x + t * d);
		s[t] = !isnan(y[a]);
	}
	gp_init(ok, d);
	gp_set(ok, x, s, m);
	memcpy(ok->ls, target->ls, d * sizeof(*ok->ls));
	ok->g = target->g;
	rc = gp_factor(ok);
	free(s);
	free(x);
	return rc;
}

/* The mean of gp at the m configurations cfg, into mu. */
static void
predict(const struct gp *gp, const struct space *sp, const space_idx *cfg,
    size_t m, double *mu)
{
	size_t np = sp->np, d = np ? np : 1, t, k, c;
	double *x = ecalloc(IMP_CHUNK, d * sizeof(*x)), var[IMP_CHUNK];

	/* gp_predict_bound costs n a point where the exact variance,
	 * which is not wanted, would cost n^2. */
	for (t = 0; t < m; t += c) {
		c = m - t < IMP_CHUNK ? m - t : IMP_CHUNK;
		for (k = 0; k < c; k++)
			space_encode(sp, cfg + (t + k) * np, x + k * d);
		gp_predict_bound(gp, x, c, mu + t, var);
	}
	free(x);
}

/*
 * The configurations to average over, into *out (malloc'd), and the
 * finite population correction that goes with them (the comment at the
 * top): a uniform sample of the valid space, each candidate kept with
 * its chance of working under ok (every one when ok is NULL).  Returns
 * how many, or 0 with err set.
 */
static size_t
sample_space(struct space *sp, size_t want, uint64_t seed,
    const struct gp *ok, space_idx **out, double *fpc, struct ar_err *err)
{
	size_t np = sp->np, m = 0, seen = 0, drawn = 0, t, a, c, *idx = NULL;
	space_idx *cand = ecalloc(IMP_CHUNK, (np ? np : 1) * sizeof(*cand));
	space_idx *s = ecalloc(want, (np ? np : 1) * sizeof(*s));
	double p[IMP_CHUNK], sump = 0;
	int listed;
	struct rng r;

	rng_seed(&r, seed);
	listed = sp->list != NULL || (sp->product <= IMP_LISTPRODUCT &&
	    space_materialize(sp, (size_t)IMP_LISTPRODUCT));
	idx = ecalloc(listed && sp->nlist ? sp->nlist : 1, sizeof(*idx));
	for (t = 0; listed && t < sp->nlist; t++)
		idx[t] = t;
	/* A listed space in a random order (Fisher-Yates as it goes)
	 * until the sample is full or the list ends; else independent
	 * draws, IMP_MAXDRAWS a configuration wanted at most. */
	while (m < want && (listed ? seen < sp->nlist :
	    drawn < IMP_MAXDRAWS * want)) {
		c = listed && sp->nlist - seen < IMP_CHUNK ? sp->nlist - seen :
		    IMP_CHUNK;
		for (t = 0; t < c && want > 0; t++)
			if (!listed) {
				if (space_sample(sp, &r, cand + t * np,
				    IMP_TRIES) != 0)
					m = want = 0;
			} else {
				a = seen + t + (size_t)rng_below(&r,
				    sp->nlist - seen - t);
				memcpy(cand + t * np, sp->list + idx[a] * np,
				    np * sizeof(*cand));
				idx[a] = idx[seen + t];
			}
		if (want == 0)
			break;
		if (ok != NULL)
			predict(ok, sp, cand, c, p);
		for (t = 0; t < c && m < want; t++) {
			p[t] = ok == NULL || p[t] > 1 ? 1 : p[t] < IMP_PMIN ?
			    IMP_PMIN : p[t];
			if (p[t] < 1 && rng_unif(&r) >= p[t])
				continue;
			memcpy(s + m++ * np, cand + t * np, np * sizeof(*s));
			sump += p[t];
		}
		seen += t;
		drawn += c;
	}
	/* Each one kept had the chance seen / nlist of being looked at,
	 * times its chance of working. */
	*fpc = listed && m > 0 ? fmax(0, 1 - (double)seen /
	    (double)sp->nlist * sump / (double)m) : 1;
	if (m == 0) {
		ar_errf(err, "no valid configuration found in the study's "
		    "space");
		free(s);
		s = NULL;
	}
	free(idx);
	free(cand);
	*out = s;
	return m;
}

int
importance_gp(struct space *sp, const space_idx *cfg, const double *y,
    size_t n, size_t nsample, uint64_t seed, struct importance *imp,
    struct ar_err *err)
{
	size_t d = sp->np ? sp->np : 1, nok, ns, t;
	double *mu, fpc, y0 = NAN;
	space_idx *s;
	struct gp gp, ok;
	int constant = 1, failed = 0, haveok = 0;

	if ((nok = check_points(sp, cfg, y, n, imp, err)) == 0)
		return -1;
	for (t = 0; t < n; t++) {
		failed |= isnan(y[t]);
		if (!isnan(y[t]) && isnan(y0))
			y0 = y[t];
		constant &= isnan(y[t]) || y[t] == y0;
	}
	/* All the same: the process would predict that value everywhere,
	 * and a fit to no variance at all is degenerate. */
	gp_init(&gp, d);
	if (!constant && fit_target(sp, cfg, y, n, nok, &gp) != 0) {
		gp_release(&gp);
		ar_errf(err, "the Gaussian process cannot be fitted to the "
		    "%zu points measured ok", nok);
		return -1;
	}
	/* Without a process of success the sample is not thinned. */
	if (!constant && failed)
		haveok = fit_success(sp, cfg, y, n, &gp, &ok) == 0;
	ns = sample_space(sp, nsample ? nsample : IMPORTANCE_NSAMPLE, seed,
	    haveok ? &ok : NULL, &s, &fpc, err);
	if (!constant && failed)
		gp_release(&ok);
	if (ns > 0) {
		mu = ereallocarray(NULL, ns, sizeof(*mu));
		for (t = 0; t < ns; t++)
			mu[t] = y0;
		if (!constant)
			predict(&gp, sp, s, ns, mu);
		imp_alloc(imp, sp);
		decompose(sp, s, mu, ns, fpc, imp);
		free(mu);
		free(s);
	}
	gp_release(&gp);
	return ns > 0 ? 0 : -1;
}

void
importance_order(const struct importance *imp, size_t *ord)
{
	size_t i, j;

	for (i = 0; i < imp->np; i++) {
		for (j = i; j > 0 && imp->main[ord[j - 1]] < imp->main[i]; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
}
