/*
 * strat_bo: Bayesian optimisation.  A Gaussian process (lib/gp.c: Matérn
 * 5/2, a length scale per parameter, hyperparameters by marginal
 * likelihood, Cholesky through LAPACKE) models the score of a
 * configuration from its encoding (space_encode: each parameter's rank
 * over n - 1), and the batch is made of the valid, unseen configurations
 * of greatest expected improvement (EI) under it.
 *
 * The target.  Kernel scores span orders of magnitude (-time_s from
 * microseconds to seconds), and a process fitted to them raw would model
 * the few slow outliers and nothing else.  When every ok score is
 * negative (the usual -time_s), the target is -log(-score), the log of a
 * speed; when every one is positive (a throughput), log(score); else,
 * where no log applies, the score's rank among the ok ones in [0, 1]
 * (search_quality).  All three keep the order, so "higher is better"
 * holds for the target too.
 *
 * Failures (a crash, a compile error, a wrong or invalid result) are
 * data, twice over.  Each becomes an observation half a standard
 * deviation below the worst ok target, so that the process predicts
 * little around them, without the huge values (1e20) that some tools
 * record, which would swamp the fit.  And a second process, with the
 * same hyperparameters (fitted once, for the target), regresses
 * success (1 ok, 0 failed): EI is weighted by its mean clamped to
 * [BO_PMIN, 1], the chance that a candidate works, as in constrained
 * Bayesian optimisation.  Records with nothing to learn from (OBS_OTHER)
 * are left out.
 *
 * Few observations.  With fewer than max(5, 2 x the parameters that can
 * vary) failures and ok ones together, or fewer than two ok ones, there
 * is nothing to fit, and bo lays out an initial design instead: the
 * prior's points first, best first, when the model was warmed with one
 * (ar-learn --prior), so that a study on a new machine starts where the
 * old one ended; then space-filling points, each the one of a few random
 * valid configurations farthest from everything measured or in the batch.
 * The prior is used only for this: the process itself learns from this
 * study's records alone.
 *
 * Subsampling.  A factorisation costs n^3 / 3, and predicting m
 * candidates m n^2, so the process sees at most BO_NGP records: the best
 * half of that by target, then the most recent quarter (what the search
 * is doing now), then a random draw from the rest, failures included.
 * The hyperparameter search factors a fresh matrix at every step, so it
 * runs on BO_NFIT of those points, spread evenly; the final process is
 * factored once on all of them.
 *
 * Hyperparameters.  One length scale shared by every parameter until
 * there are BO_ARD records per parameter that varies, then one per
 * parameter (ARD): with fewer, the likelihood sends length scales to
 * extremes on too little evidence.  Replaying the GPU datasets (100
 * evaluations in batches of 8, 20 seeds), ARD from the start lost 0.02
 * of the optimum on GEMM (RTX 3090), and a shared scale throughout lost
 * 0.13 on the MI50 convolution, where half the space fails.
 *
 * Candidates.  A space of at most BO_LISTPRODUCT combinations is listed
 * (space_materialize).  When the unseen part of the listed space has at
 * most BO_NLIST configurations, EI is computed for every one of them: the
 * argmax is exact.  Otherwise EI is computed for BO_NSAMPLE valid unseen
 * ones drawn at random, and a hill climb on EI through the neighbours
 * (search_unseen_neighbours) runs from the BO_NSTARTS best, every
 * neighbour it looks at joining the candidates.  Scoring thousands of
 * candidates exactly would cost n^2 each for the variance, so they are
 * screened first by a bound that costs n (pool_score): the best npool()
 * come out exactly as if every candidate had been scored exactly, and the
 * others are never needed.
 *
 * Batches: a kriging believer.  The first pick is the EI argmax; it is
 * then taken as observed at its predicted mean, the posterior refitted
 * with it (not the hyperparameters), and EI recomputed.  Conditioning on a
 * value equal to the posterior mean leaves the mean unchanged everywhere,
 * so only the variances shrink, around the pick: the next EI argmax lies
 * elsewhere unless that place is worth it anyway.  The refit is done
 * exactly by rank-one updates of the posterior over the best npool()
 * candidates (gp_fantasy): O(m n) per pick instead of a new m n^2
 * prediction.
 *
 * Deterministic: every random choice comes from the rng given, and
 * everything else depends only on the history and its order (LAPACK is
 * deterministic for a given library and thread count).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gp.h"
#include "hash.h"
#include "strat.h"

/* The sizes; the comment at the top says what each is for. */
#define BO_NGP		300	/* records the process sees */
#define BO_NFIT		150	/* records the hyperparameters see */
#define BO_ARD		8	/* records per parameter for ARD */
#define BO_NLIST	20000	/* score all unseen ones up to this many */
#define BO_LISTPRODUCT	1000000	/* list spaces up to this size */
#define BO_NSAMPLE	4000	/* else score this many drawn at random */
#define BO_NSTARTS	8	/* and climb from this many of the best */
#define BO_NSTEPS	25	/* for at most this many steps each */
#define BO_NPOOL	256	/* candidates a batch is chosen among */
#define BO_NFANTASY	128	/* most fantasies in one batch */
#define BO_NDESIGN	32	/* candidates per space-filling pick */
#define SCREEN_CHUNK	256	/* candidates scored exactly at once */
#define BO_PMIN		1e-3	/* the least chance of success */

/* A number and the index it belongs to, for sorting best first. */
struct tgt {
	double y;
	size_t i;
};

static int
cmp_tgt_desc(const void *a, const void *b)
{
	const struct tgt *x = a, *y = b;

	if (x->y != y->y)
		return x->y < y->y ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * The candidates: configurations, their encodings, and the posterior
 * mean, variance and log EI of each, with a hash table from
 * configuration to index so that none is scored twice.
 */
struct pool {
	size_t np, d, n, cap;
	space_idx *cfg;
	double *x, *mu, *var, *lei;
	double *lpf;		/* log of the chance that it works */
	size_t *tab;		/* index + 1, 0 for an empty slot */
	size_t tcap;		/* a power of 2, at least twice n */
};

static void
pool_init(struct pool *p, size_t np)
{
	memset(p, 0, sizeof(*p));
	p->np = np;
	p->d = np ? np : 1;
	p->tcap = 1024;
	p->tab = ecalloc(p->tcap, sizeof(*p->tab));
}

static void
pool_release(struct pool *p)
{
	free(p->cfg);
	free(p->x);
	free(p->mu);
	free(p->var);
	free(p->lei);
	free(p->lpf);
	free(p->tab);
	memset(p, 0, sizeof(*p));
}

static size_t
pool_hash(const struct pool *p, const space_idx *cfg)
{
	return (size_t)hash_fnv1a(cfg, p->np * sizeof(*cfg)) &
	    (p->tcap - 1);
}

/* The index of cfg, or -1 when it is not in the pool. */
static long
pool_find(const struct pool *p, const space_idx *cfg)
{
	size_t h = pool_hash(p, cfg);

	for (; p->tab[h] != 0; h = (h + 1) & (p->tcap - 1))
		if (memcmp(p->cfg + (p->tab[h] - 1) * p->np, cfg,
		    p->np * sizeof(*cfg)) == 0)
			return (long)(p->tab[h] - 1);
	return -1;
}

static void
pool_rehash(struct pool *p)
{
	size_t i, h;

	free(p->tab);
	p->tcap *= 2;
	p->tab = ecalloc(p->tcap, sizeof(*p->tab));
	for (i = 0; i < p->n; i++) {
		for (h = pool_hash(p, p->cfg + i * p->np); p->tab[h] != 0;
		    h = (h + 1) & (p->tcap - 1))
			;
		p->tab[h] = i + 1;
	}
}

/* Adds cfg unless it is there already; returns 1 if added. */
static int
pool_add(struct pool *p, const struct space *sp, const space_idx *cfg)
{
	size_t h;

	if (pool_find(p, cfg) >= 0)
		return 0;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->cfg = ereallocarray(p->cfg, p->cap, (p->np ? p->np : 1) *
		    sizeof(*p->cfg));
		p->x = ereallocarray(p->x, p->cap, p->d * sizeof(*p->x));
		p->mu = ereallocarray(p->mu, p->cap, sizeof(*p->mu));
		p->var = ereallocarray(p->var, p->cap, sizeof(*p->var));
		p->lei = ereallocarray(p->lei, p->cap, sizeof(*p->lei));
		p->lpf = ereallocarray(p->lpf, p->cap, sizeof(*p->lpf));
	}
	memcpy(p->cfg + p->n * p->np, cfg, p->np * sizeof(*cfg));
	space_encode(sp, cfg, p->x + p->n * p->d);
	p->n++;
	if (2 * p->n > p->tcap)
		pool_rehash(p);
	else {
		for (h = pool_hash(p, cfg); p->tab[h] != 0;
		    h = (h + 1) & (p->tcap - 1))
			;
		p->tab[h] = p->n;
	}
	return 1;
}

/* A min-heap of numbers: the best k seen so far, the least on top. */
struct heap {
	double *v;
	size_t n, k;
};

static void
heap_push(struct heap *h, double x)
{
	size_t i, c;

	if (h->n < h->k) {
		/* Sift up. */
		for (i = h->n++; i > 0 && h->v[(i - 1) / 2] > x; i = c) {
			c = (i - 1) / 2;
			h->v[i] = h->v[c];
		}
		h->v[i] = x;
		return;
	}
	if (h->k == 0 || x <= h->v[0])
		return;
	/* Replace the least and sift down. */
	for (i = 0; (c = 2 * i + 1) < h->n; i = c) {
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= x)
			break;
		h->v[i] = h->v[c];
	}
	h->v[i] = x;
}

/*
 * What candidates are scored by: the process of the target, the one of
 * success (NULL when nothing failed), the best target so far, and how
 * many of the best candidates the batch is chosen among.
 */
struct surr {
	const struct gp *gp, *ok;
	double best;
	size_t keep;
};

/*
 * Scores m candidates whose mean and variance are known: log EI plus the
 * log of the chance that the candidate works, from the process fitted to
 * 1 for ok and 0 for failed, its mean clamped to [BO_PMIN, 1].
 */
static void
score(const struct surr *su, const double *x, size_t m, const double *mu,
    const double *var, double *lpf, double *lei)
{
	double *pf, *tmp;
	size_t j;

	if (su->ok != NULL) {
		pf = ereallocarray(NULL, m ? m : 1, sizeof(*pf));
		tmp = ereallocarray(NULL, m ? m : 1, sizeof(*tmp));
		gp_predict_bound(su->ok, x, m, pf, tmp);
		for (j = 0; j < m; j++)
			lpf[j] = log(pf[j] < BO_PMIN ? BO_PMIN :
			    pf[j] > 1 ? 1 : pf[j]);
		free(tmp);
		free(pf);
	} else
		for (j = 0; j < m; j++)
			lpf[j] = 0;
	for (j = 0; j < m; j++)
		lei[j] = gp_logei(mu[j], sqrt(var[j]), su->best) + lpf[j];
}

/*
 * Predicts and scores the candidates from index from on.  The exact
 * variance costs a triangular solve per candidate, n^2, where the mean
 * costs n, so many candidates are screened first: with the mean and a
 * bound of the variance (gp_predict_bound), which bound the score, they
 * are scored exactly in the order of their bounds until the bound of the
 * next one is below the keep-th best exact score.  The rest cannot be
 * among the best keep the batch is chosen from: they get -HUGE_VAL.
 */
static void
pool_score(struct pool *p, const struct surr *su, size_t from)
{
	size_t m = p->n - from, d = p->d, keep = su->keep, i, j, c, k;
	struct tgt *ord;
	struct heap h;
	double *xs, *mu, *var, *lpf, *lei;

	if (from >= p->n)
		return;
	if (m <= keep) {
		gp_predict(su->gp, p->x + from * d, m, p->mu + from,
		    p->var + from, NULL);
		score(su, p->x + from * d, m, p->mu + from, p->var + from,
		    p->lpf + from, p->lei + from);
		return;
	}
	gp_predict_bound(su->gp, p->x + from * d, m, p->mu + from,
	    p->var + from);
	ord = ereallocarray(NULL, m, sizeof(*ord));
	for (j = 0; j < m; j++) {
		i = from + j;
		ord[j].y = gp_logei(p->mu[i], sqrt(p->var[i]), su->best);
		ord[j].i = i;
		p->lei[i] = -HUGE_VAL;
		p->lpf[i] = 0;
	}
	qsort(ord, m, sizeof(*ord), cmp_tgt_desc);
	h.v = ereallocarray(NULL, keep, sizeof(*h.v));
	h.n = 0;
	h.k = keep;
	xs = ereallocarray(NULL, SCREEN_CHUNK, d * sizeof(*xs));
	mu = ereallocarray(NULL, SCREEN_CHUNK, sizeof(*mu));
	var = ereallocarray(NULL, SCREEN_CHUNK, sizeof(*var));
	lpf = ereallocarray(NULL, SCREEN_CHUNK, sizeof(*lpf));
	lei = ereallocarray(NULL, SCREEN_CHUNK, sizeof(*lei));
	for (j = 0; j < m; j += c) {
		if (h.n == keep && ord[j].y < h.v[0])
			break;
		c = m - j < SCREEN_CHUNK ? m - j : SCREEN_CHUNK;
		for (k = 0; k < c; k++)
			memcpy(xs + k * d, p->x + ord[j + k].i * d,
			    d * sizeof(*xs));
		gp_predict(su->gp, xs, c, mu, var, NULL);
		score(su, xs, c, mu, var, lpf, lei);
		for (k = 0; k < c; k++) {
			i = ord[j + k].i;
			p->var[i] = var[k];
			p->lpf[i] = lpf[k];
			p->lei[i] = lei[k];
			heap_push(&h, lei[k]);
		}
	}
	free(lei);
	free(lpf);
	free(var);
	free(mu);
	free(xs);
	free(h.v);
	free(ord);
}

/* How many parameters can vary. */
static size_t
nvarying(const struct space *sp)
{
	size_t k, n = 0;

	for (k = 0; k < sp->np; k++)
		n += sp->spec->params[k].n > 1;
	return n;
}

/* ---- the initial design ---- */

static double
mindist2(const double *x, const double *pts, size_t n, size_t d)
{
	double best = HUGE_VAL, s, t;
	size_t i, k;

	for (i = 0; i < n; i++) {
		s = 0;
		for (k = 0; k < d; k++) {
			t = x[k] - pts[i * d + k];
			s += t * t;
		}
		if (s < best)
			best = s;
	}
	return best;
}

static void
design(struct search *s, struct rng *r)
{
	struct space *sp = s->sp;
	size_t np = sp->np, d = np ? np : 1, i, j, n, cap, tries;
	space_idx *cfg, *pick;
	double *pts, *x, dist, far;

	for (i = 0; i < s->nprior && search_room(s) > 0; i++)
		if (s->prior[i].kind == OBS_OK)
			search_offer(s, s->prior[i].cfg);
	if (search_room(s) == 0)
		return;

	cap = s->nobs + s->nbatch + search_room(s) + 1;
	pts = ecalloc(cap, d * sizeof(*pts));
	n = 0;
	for (i = 0; i < s->nobs; i++)
		space_encode(sp, s->obs[i].cfg, pts + n++ * d);
	for (i = 0; i < s->nbatch; i++)
		space_encode(sp, s->batch + i * np, pts + n++ * d);
	cfg = ecalloc(d, sizeof(*cfg));
	pick = ecalloc(d, sizeof(*pick));
	x = ecalloc(d, sizeof(*x));
	while (search_room(s) > 0) {
		far = -1;
		for (j = tries = 0; j < BO_NDESIGN && tries < 8 * BO_NDESIGN;
		    tries++) {
			if (search_sample(s, r, cfg) != 0)
				break;
			if (search_seen(s, cfg))
				continue;
			j++;
			space_encode(sp, cfg, x);
			dist = mindist2(x, pts, n, d);
			if (dist > far) {
				far = dist;
				memcpy(pick, cfg, np * sizeof(*cfg));
			}
		}
		/* Nothing new to be found: the framework fills up. */
		if (far < 0 || !search_offer(s, pick))
			break;
		space_encode(sp, pick, pts + n++ * d);
	}
	free(x);
	free(pick);
	free(cfg);
	free(pts);
}

/* ---- the data ---- */

/*
 * The target of every observation (NAN for those left out), as the
 * comment at the top says.  Returns the best.
 */
static double
targets(const struct search *s, double *t)
{
	size_t i, nok = 0;
	int neg = 1, pos = 1;
	double sum = 0, sum2 = 0, worst = HUGE_VAL, best = -HUGE_VAL, sd;

	for (i = 0; i < s->nobs; i++)
		if (s->obs[i].kind == OBS_OK) {
			neg &= s->obs[i].score < 0;
			pos &= s->obs[i].score > 0;
		}
	if (!neg && !pos)
		search_quality(s, t);
	for (i = 0; i < s->nobs; i++) {
		if (s->obs[i].kind != OBS_OK) {
			t[i] = NAN;
			continue;
		}
		if (neg)
			t[i] = -log(-s->obs[i].score);
		else if (pos)
			t[i] = log(s->obs[i].score);
		nok++;
		sum += t[i];
		sum2 += t[i] * t[i];
		worst = t[i] < worst ? t[i] : worst;
		best = t[i] > best ? t[i] : best;
	}
	sd = nok > 1 ? sqrt(fmax(0, (sum2 - sum * sum / (double)nok) /
	    (double)(nok - 1))) : 0;
	if (!(sd > 0))
		sd = 1;
	for (i = 0; i < s->nobs; i++)
		if (s->obs[i].kind == OBS_FAILED)
			t[i] = worst - 0.5 * sd;
	return best;
}

/* Whether a sorts before b in cmp_tgt_desc's order, a total one. */
static int
tgt_before(const struct tgt *a, const struct tgt *b)
{
	return a->y != b->y ? a->y > b->y : a->i < b->i;
}

/*
 * The first k of v[0..n) in cmp_tgt_desc's order, sorted, into v[0..k):
 * what sorting the whole would put there (the order is total), at the
 * cost of one pass over a long history instead of its sort.  A min-heap
 * of the k best, the last of them on top.  Returns how many, at most k.
 */
static size_t
best_first(struct tgt *v, size_t n, size_t k)
{
	struct tgt x, *h = v;
	size_t m = 0, i, j, c;

	if (n <= k) {
		qsort(v, n, sizeof(*v), cmp_tgt_desc);
		return n;
	}
	/* h grows in v's own front: v[m..) has not been looked at yet. */
	for (i = 0; i < n; i++) {
		x = v[i];
		if (m == k) {
			if (!tgt_before(&x, &h[0]))
				continue;
			/* Sift x down from the top. */
			for (j = 0; (c = 2 * j + 1) < m; j = c) {
				if (c + 1 < m && tgt_before(&h[c], &h[c + 1]))
					c++;
				if (!tgt_before(&x, &h[c]))
					break;
				h[j] = h[c];
			}
			h[j] = x;
			continue;
		}
		/* Sift x up. */
		for (j = m++; j > 0 && tgt_before(&h[(j - 1) / 2], &x); j = c) {
			c = (j - 1) / 2;
			h[j] = h[c];
		}
		h[j] = x;
	}
	qsort(h, k, sizeof(*h), cmp_tgt_desc);
	return k;
}

/*
 * Picks at most BO_NGP observations (indices into s->obs) as the comment
 * at the top says; returns how many.
 */
static size_t
subsample(const struct search *s, const double *t, struct rng *r,
    size_t *pick)
{
	struct tgt *ok;
	char *taken;
	size_t *rest, i, n = 0, nok = 0, nrest = 0, j, k;

	taken = ecalloc(s->nobs ? s->nobs : 1, 1);
	ok = ereallocarray(NULL, s->nobs ? s->nobs : 1, sizeof(*ok));
	rest = ereallocarray(NULL, s->nobs ? s->nobs : 1, sizeof(*rest));
	for (i = 0; i < s->nobs; i++)
		if (s->obs[i].kind == OBS_OK) {
			ok[nok].y = t[i];
			ok[nok++].i = i;
		}
	nok = best_first(ok, nok, BO_NGP / 2);
	for (i = 0; i < nok && n < BO_NGP / 2; i++) {
		taken[ok[i].i] = 1;
		pick[n++] = ok[i].i;
	}
	for (i = s->nobs; i-- > 0 && n < BO_NGP / 2 + BO_NGP / 4;)
		if (!taken[i] && !isnan(t[i])) {
			taken[i] = 1;
			pick[n++] = i;
		}
	for (i = 0; i < s->nobs; i++)
		if (!taken[i] && !isnan(t[i]))
			rest[nrest++] = i;
	/* A partial Fisher-Yates shuffle draws the rest. */
	for (j = 0; j < nrest && n < BO_NGP; j++) {
		k = j + (size_t)rng_below(r, nrest - j);
		i = rest[k];
		rest[k] = rest[j];
		pick[n++] = i;
	}
	free(rest);
	free(ok);
	free(taken);
	return n;
}

/* ---- the candidates ---- */

/* How many of the best candidates the batch is chosen among. */
static size_t
npool(const struct search *s)
{
	return BO_NPOOL > 32 * s->want ? BO_NPOOL : 32 * s->want;
}

static void
candidates(struct search *s, struct rng *r, struct pool *p,
    const struct surr *su)
{
	struct space *sp = s->sp;
	size_t np = sp->np, i, j, nb, step, tries, span = 0;
	struct tgt *top;
	space_idx *cfg, *nbr;
	long cur, k;
	int adjacent;

	if (sp->list == NULL && sp->product <= BO_LISTPRODUCT)
		space_materialize(sp, BO_LISTPRODUCT);
	/*
	 * Whether a configuration was seen costs a hash of its id, so a long
	 * list is not scanned when it must hold more unseen ones than
	 * BO_NLIST: it is sampled.
	 */
	if (sp->list != NULL && sp->nlist <= BO_NLIST + s->nobs + s->nbatch) {
		for (i = 0; i < sp->nlist; i++)
			if (!search_seen(s, sp->list + i * np))
				pool_add(p, sp, sp->list + i * np);
		if (p->n <= BO_NLIST) {
			pool_score(p, su, 0);
			return;
		}
	} else {
		cfg = ecalloc(np ? np : 1, sizeof(*cfg));
		for (tries = 0; p->n < BO_NSAMPLE && tries < 4 * BO_NSAMPLE;
		    tries++) {
			if (search_sample(s, r, cfg) != 0)
				break;
			if (!search_seen(s, cfg))
				pool_add(p, sp, cfg);
		}
		free(cfg);
	}
	pool_score(p, su, 0);

	/*
	 * Hill climbs on EI from the best.  Where parameters have few
	 * values, a neighbour may change one to any other value; where they
	 * have many, only to the next one either way.
	 */
	for (i = 0; i < np; i++)
		span += sp->spec->params[i].n - 1;
	adjacent = span > 64;
	top = ereallocarray(NULL, p->n ? p->n : 1, sizeof(*top));
	for (i = 0; i < p->n; i++) {
		top[i].y = p->lei[i];
		top[i].i = i;
	}
	qsort(top, p->n, sizeof(*top), cmp_tgt_desc);
	nb = p->n < BO_NSTARTS ? p->n : BO_NSTARTS;
	for (j = 0; j < nb; j++) {
		cur = (long)top[j].i;
		for (step = 0; step < BO_NSTEPS; step++) {
			size_t from = p->n, m;
			long next = cur;

			m = search_unseen_neighbours(s, p->cfg + (size_t)cur *
			    np, adjacent, &nbr);
			for (i = 0; i < m; i++)
				pool_add(p, sp, nbr + i * np);
			pool_score(p, su, from);
			for (i = 0; i < m; i++) {
				k = pool_find(p, nbr + i * np);
				if (p->lei[k] > p->lei[next])
					next = k;
			}
			free(nbr);
			if (next == cur)
				break;
			cur = next;
		}
	}
	free(top);
}

/* ---- the batch ---- */

/*
 * The kriging believer over the best candidates: the EI argmax, then the
 * posterior refitted with it observed at its mean (gp_fantasy), EI again.
 */
static void
batch(struct search *s, const struct pool *p, const struct surr *su)
{
	size_t np = s->sp->np, d = p->d, m, i, a, b;
	struct gp_fantasy f;
	struct tgt *top;
	double *xs, *lei;
	char *used;
	long pick;

	m = su->keep;
	if (m > p->n)
		m = p->n;
	if (m == 0)
		return;
	top = ereallocarray(NULL, p->n, sizeof(*top));
	for (i = 0; i < p->n; i++) {
		top[i].y = p->lei[i];
		top[i].i = i;
	}
	qsort(top, p->n, sizeof(*top), cmp_tgt_desc);
	xs = ereallocarray(NULL, m, d * sizeof(*xs));
	lei = ereallocarray(NULL, m, sizeof(*lei));
	for (a = 0; a < m; a++) {
		memcpy(xs + a * d, p->x + top[a].i * d, d * sizeof(*xs));
		lei[a] = p->lei[top[a].i];
	}
	gp_fantasy_init(&f, su->gp, xs, m);
	used = ecalloc(m, 1);
	while (search_room(s) > 0) {
		pick = -1;
		for (a = 0; a < m; a++)
			if (!used[a] && (pick < 0 || lei[a] > lei[pick]))
				pick = (long)a;
		if (pick < 0)
			break;
		b = (size_t)pick;
		used[b] = 1;
		if (!search_offer(s, p->cfg + top[b].i * np) ||
		    search_room(s) == 0 || f.nf == BO_NFANTASY)
			continue;
		gp_fantasy_add(&f, b);
		for (a = 0; a < m; a++)
			if (!used[a])
				lei[a] = gp_logei(f.mu[a], sqrt(f.var[a]),
				    su->best) + p->lpf[top[a].i];
	}
	gp_fantasy_release(&f);
	free(used);
	free(lei);
	free(xs);
	free(top);
}

void
strat_bo(struct search *s, struct rng *r)
{
	struct space *sp = s->sp;
	size_t np = sp->np, d = np ? np : 1, i, n, nok = 0, nfail = 0, nmin;
	size_t *pick;
	double *t, *x, *y, best;
	struct gp gp, ok;
	struct pool p;
	struct surr su;

	if (search_room(s) == 0)
		return;
	for (i = 0; i < s->nobs; i++) {
		nok += s->obs[i].kind == OBS_OK;
		nfail += s->obs[i].kind == OBS_FAILED;
	}
	/* With no parameter that varies there is one configuration. */
	nmin = 2 * nvarying(sp);
	if (nmin < 5)
		nmin = 5;
	if (nok < 2 || nok + nfail < nmin || nvarying(sp) == 0) {
		design(s, r);
		return;
	}

	t = ereallocarray(NULL, s->nobs, sizeof(*t));
	best = targets(s, t);
	pick = ereallocarray(NULL, s->nobs, sizeof(*pick));
	n = subsample(s, t, r, pick);
	x = ereallocarray(NULL, n, d * sizeof(*x));
	y = ereallocarray(NULL, n, sizeof(*y));
	for (i = 0; i < n; i++) {
		space_encode(sp, s->obs[pick[i]].cfg, x + i * d);
		y[i] = t[pick[i]];
	}
	gp_init(&gp, d);
	gp_set(&gp, x, y, n);
	gp_init(&ok, d);
	if (gp_fit(&gp, n >= BO_ARD * nvarying(sp), BO_NFIT) != 0)
		design(s, r);
	else {
		su.gp = &gp;
		su.ok = NULL;
		su.best = best;
		su.keep = npool(s);
		/* Success, 1 or 0, under the same hyperparameters. */
		if (nfail > 0) {
			for (i = 0; i < n; i++)
				y[i] = s->obs[pick[i]].kind == OBS_OK;
			gp_set(&ok, x, y, n);
			memcpy(ok.ls, gp.ls, d * sizeof(*ok.ls));
			ok.g = gp.g;
			if (gp_factor(&ok) == 0)
				su.ok = &ok;
		}
		pool_init(&p, np);
		candidates(s, r, &p, &su);
		batch(s, &p, &su);
		pool_release(&p);
	}
	gp_release(&ok);
	gp_release(&gp);
	free(y);
	free(x);
	free(pick);
	free(t);
}
