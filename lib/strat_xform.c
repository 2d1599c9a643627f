/*
 * strat_xform: the seed's loop, a program transformed one step at a
 * time.  A configuration of a study with "transform" is a sequence of
 * transformations of its marked loops (xform.h): each knob is one
 * (loop, transformation, argument), 0 when not applied.  The search
 * starts from the naive program, every knob off, and grows a tree: each
 * proposal is a child of a program the history measured, with ONE
 * action added or changed (a knob set, changed or turned off, or one of
 * the study's own parameters changed), and it names that program as its
 * parent (search_offer_from, s->batch_parent).
 *
 * The parent is drawn by rank among the ok programs, the best the
 * likeliest (a geometric law over the ranks whose scale grows with the
 * history, so that the search widens as it learns), and now and then
 * uniformly among them all, to explore.  Among a few children of it
 * drawn at random the one the additive surrogate of search.h likes best
 * is offered, give or take a little noise: it learns which actions pay
 * (a tile size on one loop, a vector width on another) across the whole
 * tree.  A child that failed (compile_error, wrong, crash...) is in the
 * history, so the same action is never tried on that parent again; the
 * surrogate's failure model steers the other parents away from actions
 * that look like it.  Failures are never parents.
 *
 * Without "transform" the same loop runs over the study's own params: a
 * local search by single changes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"

/* Children drawn for the surrogate to choose from. */
#define XF_CHILDREN	16
/* Draws for one child before the parent is given up for this slot. */
#define XF_TRIES	64
/* The share of parents drawn uniformly among the ok programs. */
#define XF_EXPLORE	0.15
/* Slots in a row without a proposal before the strategy gives up. */
#define XF_MISSES	64
/* The noise on the surrogate's choice, in quality. */
#define XF_NOISE	0.05
/* The prior's best programs tried first, before the history has any. */
#define XF_PRIOR	4

/* The naive program: every knob off (value 0, or the source's order),
 * the study's own params at their first values. */
static int
root(struct search *s, struct rng *r, space_idx *cfg)
{
	memset(cfg, 0, s->sp->np * sizeof(*cfg));
	if (space_valid(s->sp, cfg))
		return 0;
	return search_sample(s, r, cfg);
}

/*
 * One child of parent: one parameter changed to another value.  The best
 * of up to XF_CHILDREN valid unseen ones by the surrogate, noise added;
 * 0, or -1 when none was found.
 */
static int
child(struct search *s, struct rng *r, const struct search_surrogate *m,
    const space_idx *parent, space_idx *out)
{
	const struct spec *spec = s->sp->spec;
	size_t np = s->sp->np, t, d, found = 0;
	space_idx *c = ecalloc(np ? np : 1, sizeof(*c));
	double v, bv = -INFINITY;

	for (t = 0; t < XF_TRIES && found < XF_CHILDREN; t++) {
		memcpy(c, parent, np * sizeof(*c));
		d = (size_t)rng_below(r, np);
		if (spec->params[d].n < 2)
			continue;
		/* Another value than the parent's, uniformly. */
		c[d] = (space_idx)((parent[d] + 1 + rng_below(r,
		    spec->params[d].n - 1)) % spec->params[d].n);
		if (!space_valid(s->sp, c) || search_seen(s, c))
			continue;
		v = search_screen(m, c);
		if (v <= SEARCH_FAILED_Q)
			continue;
		found++;
		v -= XF_NOISE * log(-log(rng_unif(r) + 1e-300));
		if (v > bv) {
			bv = v;
			memcpy(out, c, np * sizeof(*c));
		}
	}
	free(c);
	return found > 0 ? 0 : -1;
}

/* The index of the observation equal to cfg that is not a failure, or
 * -1. */
static int
find_obs(const struct search *s, const space_idx *cfg)
{
	size_t i;

	for (i = s->nobs; i-- > 0; )
		if (s->obs[i].kind != OBS_FAILED && memcmp(s->obs[i].cfg, cfg,
		    s->sp->np * sizeof(*cfg)) == 0)
			return (int)i;
	return -1;
}

void
strat_xform(struct search *s, struct rng *r)
{
	size_t np = s->sp->np, n = s->nobs ? s->nobs : 1, nok, i, miss = 0;
	double *q = ecalloc(n, sizeof(*q)), scale;
	struct search_ranked *rk = ecalloc(n, sizeof(*rk));
	space_idx *cfg = ecalloc(np ? np : 1, sizeof(*cfg));
	space_idx *naive = ecalloc(np ? np : 1, sizeof(*naive));
	struct search_surrogate m;
	int parent;

	nok = search_ranked_ok(s, q, rk);
	search_surrogate_fit(&m, s, q);
	/* The naive program first: the root of the tree. */
	if (root(s, r, naive) == 0)
		search_offer(s, naive);
	if (nok == 0)
		for (i = 0; i < s->nprior && i < XF_PRIOR &&
		    search_room(s) > 0; i++)
			if (s->prior[i].kind == OBS_OK)
				search_offer(s, s->prior[i].cfg);
	/* The naive program's children while nothing is ok yet: it was
	 * measured (or is in this batch) and is their parent. */
	parent = find_obs(s, naive);
	while (nok == 0 && search_room(s) > 0 && miss < XF_MISSES) {
		if (child(s, r, &m, naive, cfg) == 0 &&
		    search_offer_from(s, cfg, parent))
			miss = 0;
		else
			miss++;
	}
	/* The ranks' scale: the best few early, a wider top later. */
	scale = 1.0 + (double)nok / 12.0;
	while (nok > 0 && search_room(s) > 0 && miss < XF_MISSES) {
		size_t k;

		if (rng_unif(r) < XF_EXPLORE)
			k = (size_t)rng_below(r, nok);
		else {
			k = (size_t)floor(-scale * log(1.0 - rng_unif(r)));
			if (k >= nok)
				k = nok - 1;
		}
		parent = (int)rk[k].i;
		if (child(s, r, &m, s->obs[parent].cfg, cfg) == 0 &&
		    search_offer_from(s, cfg, parent))
			miss = 0;
		else
			miss++;
	}
	search_surrogate_release(&m);
	free(naive);
	free(cfg);
	free(rk);
	free(q);
}
