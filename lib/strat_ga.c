/*
 * strat_ga: a steady-state genetic algorithm whose population is the
 * best of the history.
 *
 * Parents are chosen by tournament among the population: the best ok
 * configurations of the history (failures never breed).  A child takes
 * each parameter from one parent or the other (uniform crossover), then
 * mutates: each parameter, with probability 1/np, moves to the next
 * value up or down, or now and then to any value.  A child that breaks
 * a constraint is repaired: it moves to the valid configuration one
 * parameter away that the surrogate likes best, or, when there is none,
 * takes the offending parameters back from a parent one at a time.
 * Each slot of the batch breeds a few children and keeps the one the
 * additive surrogate (search.h) ranks highest, so that the measurements
 * go where the history says good values are; the surrogate has counted
 * the failures too, which is how the search learns to keep clear of them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"

/* Random configurations before the first generation. */
#define GA_INIT		8
/* The population: the best GA_POP ok configurations, or fewer. */
#define GA_POP		16
#define GA_TOURNAMENT	3
#define GA_CROSSOVER	0.9
/* Children bred for each slot; the surrogate keeps one. */
#define GA_BROOD	6
#define GA_PRIOR	8
#define GA_TRIES	32
/* Slots in a row that found nothing new before ga gives up. */
#define GA_MISSES	64

/* The best of GA_TOURNAMENT members drawn at random (they are in rank
 * order, so the smallest index wins). */
static size_t
tournament(struct rng *r, size_t npop)
{
	size_t j, k, best = npop;

	for (j = 0; j < GA_TOURNAMENT; j++) {
		k = (size_t)rng_below(r, npop);
		if (k < best)
			best = k;
	}
	return best;
}

static void
mutate(const struct spec *spec, struct rng *r, space_idx *c, size_t np)
{
	size_t d, rk;

	for (d = 0; d < np; d++) {
		const struct spec_param *p = &spec->params[d];

		if (p->n < 2 || rng_below(r, np) != 0)
			continue;
		if (rng_unif(r) < 0.25) {
			c[d] = (space_idx)rng_below(r, p->n);
			continue;
		}
		/* The next value up or down in sorted order. */
		rk = p->rank[c[d]];
		if (rk == 0 || (rk + 1 < p->n && rng_below(r, 2)))
			rk++;
		else
			rk--;
		c[d] = (space_idx)p->byrank[rk];
	}
}

/*
 * Makes an invalid child valid: the best valid configuration one
 * parameter away; else, parameter by parameter in random order, the
 * value of parent a.  Returns 0, or -1 when nothing helped.
 */
static int
repair(struct search *s, struct rng *r, const struct search_surrogate *m,
    space_idx *c, const space_idx *a)
{
	size_t np = s->sp->np, n, i, best = 0, d, j;
	space_idx *nb;
	double v, bv = -INFINITY;

	if (space_valid(s->sp, c))
		return 0;
	n = search_unseen_neighbours(s, c, 0, &nb);
	if (n > 0) {
		for (i = 0; i < n; i++) {
			v = search_screen(m, nb + i * np);
			if (v > bv) {
				bv = v;
				best = i;
			}
		}
		memcpy(c, nb + best * np, np * sizeof(*c));
		free(nb);
		return 0;
	}
	for (j = 0; j < np; j++) {
		d = (size_t)rng_below(r, np);
		c[d] = a[d];
		if (space_valid(s->sp, c))
			return 0;
	}
	memcpy(c, a, np * sizeof(*c));
	return -1;
}

/* One child of two tournament winners, valid and unseen; 0 or -1. */
static int
breed(struct search *s, struct rng *r, const struct search_surrogate *m,
    const struct search_ranked *pop, size_t npop, space_idx *c)
{
	const struct spec *spec = s->sp->spec;
	size_t np = s->sp->np, d, t;
	const space_idx *a, *b;

	for (t = 0; t < GA_TRIES; t++) {
		a = s->obs[pop[tournament(r, npop)].i].cfg;
		b = s->obs[pop[tournament(r, npop)].i].cfg;
		memcpy(c, a, np * sizeof(*c));
		if (rng_unif(r) < GA_CROSSOVER)
			for (d = 0; d < np; d++)
				if (rng_below(r, 2))
					c[d] = b[d];
		mutate(spec, r, c, np);
		if (repair(s, r, m, c, a) == 0 && !search_seen(s, c))
			return 0;
	}
	return -1;
}

void
strat_ga(struct search *s, struct rng *r)
{
	size_t np = s->sp->np, nok, npop, i, k, miss;
	double *q = ecalloc(s->nobs ? s->nobs : 1, sizeof(*q));
	struct search_ranked *rk = ecalloc(s->nobs ? s->nobs : 1, sizeof(*rk));
	space_idx *c = ecalloc(np ? np : 1, sizeof(*c));
	space_idx *best = ecalloc(np ? np : 1, sizeof(*best));
	struct search_surrogate m;
	double v, bv;

	nok = search_ranked_ok(s, q, rk);
	npop = nok < GA_POP ? nok : GA_POP;
	search_surrogate_fit(&m, s, q);

	/* A warm start: the prior's best are the first generation. */
	for (i = k = 0; nok < GA_INIT && i < s->nprior && k < GA_PRIOR &&
	    search_room(s) > 0; i++)
		if (s->prior[i].kind == OBS_OK) {
			search_offer(s, s->prior[i].cfg);
			k++;
		}
	/* Slots that found nothing in a row end the batch early: the
	 * space is nearly exhausted, and the framework fills up. */
	miss = 0;
	while (search_room(s) > 0 && miss < GA_MISSES) {
		if (npop < 2 || nok < GA_INIT) {
			if (search_sample(s, r, c) != 0)
				break;
			miss = search_offer(s, c) ? 0 : miss + 1;
			continue;
		}
		bv = -INFINITY;
		for (k = 0; k < GA_BROOD; k++) {
			if (breed(s, r, &m, rk, npop, c) != 0)
				continue;
			/* A little noise breaks the surrogate's ties. */
			v = search_screen(&m, c) + 0.01 * rng_unif(r);
			if (v > bv) {
				bv = v;
				memcpy(best, c, np * sizeof(*c));
			}
		}
		/* A brood that all looks like failures is left unborn. */
		if (bv > SEARCH_FAILED_Q && search_offer(s, best))
			miss = 0;
		else
			miss++;
	}
	search_surrogate_release(&m);
	free(best);
	free(c);
	free(rk);
	free(q);
}
