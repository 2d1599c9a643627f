/*
 * strat_anneal: simulated annealing over the neighbourhood, with
 * restarts, read off the history.
 *
 * A chain's state is not kept anywhere: each slot of the batch draws its
 * current state from the history's ok configurations with Boltzmann
 * weights exp((q - 1) / T) on their quality q (the rank in [0, 1], so
 * that the scale of the scores does not matter), and moves to an unseen
 * neighbour of it.  As the history grows the temperature T falls, and the
 * chains gather round the best states: early on a fair part of the top
 * of the history are states, late only the very best.  So a batch is
 * several chains, and several neighbours of the best states.
 *
 * Among a state's unseen neighbours (the next values up and down of one
 * parameter first, then any value of one parameter) the move takes the
 * one the additive surrogate of search.h likes best, give or take a
 * little noise: a greedy local search with restarts in the manner of
 * iterated local search, which does well on kernel spaces.  A state whose
 * neighbourhood is all measured is a local optimum, and one whose
 * neighbours all look like failures to the surrogate's failure model is
 * as good as one:
 * the move kicks it instead (several parameters at once), and a few slots
 * restart at random, so that one basin cannot hold the search.  Failures
 * are never states, the surrogate counts them worse than anything ok,
 * and its failure model keeps moves and kicks off configurations that
 * look like them: that is how the chains learn to keep clear of them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"

/* Random configurations before the first move. */
#define ANNEAL_INIT	3
/* The share of slots that restart at random. */
#define ANNEAL_RESTART	0.05
/* The prior's best configurations tried first. */
#define ANNEAL_PRIOR	8
#define ANNEAL_TRIES	64
/* Slots in a row that found nothing new before anneal gives up. */
#define ANNEAL_MISSES	256
/* Kicks drawn for the surrogate to choose from. */
#define ANNEAL_KICKS	8
/* The scale of the noise on the surrogate's choice, in quality. */
#define ANNEAL_NOISE	0.03

/* The temperature, in units of quality, after nok ok observations. */
static double
temperature(size_t nok)
{
	return 0.1 / (1.0 + (double)nok / 16.0) + 0.005;
}

/*
 * A kick: two or three parameters of from changed at random, the best of
 * a few such by the surrogate, valid and unseen.  Returns 0, or -1 when
 * none was found.
 */
static int
kick(struct search *s, struct rng *r, const struct search_surrogate *m,
    const space_idx *from, space_idx *cfg)
{
	const struct spec *spec = s->sp->spec;
	size_t np = s->sp->np, t, j, n, d, found = 0;
	space_idx *c = ecalloc(np ? np : 1, sizeof(*c));
	double v, bv = -INFINITY;

	for (t = 0; t < ANNEAL_TRIES && found < ANNEAL_KICKS; t++) {
		memcpy(c, from, np * sizeof(*c));
		n = 2 + (size_t)rng_below(r, 2);
		for (j = 0; j < n; j++) {
			d = (size_t)rng_below(r, np);
			c[d] = (space_idx)rng_below(r, spec->params[d].n);
		}
		if (!space_valid(s->sp, c) || search_seen(s, c))
			continue;
		v = search_screen(m, c);
		if (v <= SEARCH_FAILED_Q)
			continue;
		found++;
		if (v > bv) {
			bv = v;
			memcpy(cfg, c, np * sizeof(*c));
		}
	}
	free(c);
	return found > 0 ? 0 : -1;
}

/* One move from the state from: a neighbour, or a kick; 0 or -1. */
static int
move(struct search *s, struct rng *r, const struct search_surrogate *m,
    const space_idx *from, space_idx *cfg)
{
	size_t np = s->sp->np, n, i, best = 0;
	space_idx *nb;
	int adjacent;
	double v, bv;

	for (adjacent = 1; adjacent >= 0; adjacent--) {
		n = search_unseen_neighbours(s, from, adjacent, &nb);
		bv = -INFINITY;
		for (i = 0; i < n; i++) {
			/* Gumbel noise: a draw from a softmax. */
			v = search_screen(m, nb + i * np) -
			    ANNEAL_NOISE * log(-log(rng_unif(r) + 1e-300));
			if (v > bv) {
				bv = v;
				best = i;
			}
		}
		if (n > 0 && search_screen(m, nb + best * np) >
		    SEARCH_FAILED_Q) {
			memcpy(cfg, nb + best * np, np * sizeof(*cfg));
			free(nb);
			return 0;
		}
		free(nb);
	}
	return kick(s, r, m, from, cfg);
}

/* Offers the prior's best configurations, once, as the first states. */
static void
from_prior(struct search *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nprior && n < ANNEAL_PRIOR &&
	    search_room(s) > 0; i++) {
		if (s->prior[i].kind != OBS_OK)
			continue;
		search_offer(s, s->prior[i].cfg);
		n++;
	}
}

void
strat_anneal(struct search *s, struct rng *r)
{
	size_t np = s->sp->np, nok, i, miss;
	double *q = ecalloc(s->nobs ? s->nobs : 1, sizeof(*q));
	struct search_ranked *rk = ecalloc(s->nobs ? s->nobs : 1, sizeof(*rk));
	double *cum = ecalloc(s->nobs ? s->nobs : 1, sizeof(*cum));
	space_idx *cfg = ecalloc(np ? np : 1, sizeof(*cfg));
	struct search_surrogate m;
	double temp, u;

	nok = search_ranked_ok(s, q, rk);
	temp = temperature(nok);
	for (i = 0; i < nok; i++)
		cum[i] = (i ? cum[i - 1] : 0.0) + exp((rk[i].q - 1.0) / temp);
	search_surrogate_fit(&m, s, q);

	if (nok < ANNEAL_PRIOR)
		from_prior(s);
	/* Slots that found nothing in a row end the batch early: the
	 * space is nearly exhausted, and the framework fills up. */
	miss = 0;
	while (search_room(s) > 0 && miss < ANNEAL_MISSES) {
		int found;

		if (nok < ANNEAL_INIT || rng_unif(r) < ANNEAL_RESTART) {
			if (search_sample(s, r, cfg) != 0)
				break;
			found = 1;
		} else {
			u = rng_unif(r) * cum[nok - 1];
			for (i = 0; i + 1 < nok && cum[i] <= u; i++)
				;
			found = move(s, r, &m, s->obs[rk[i].i].cfg, cfg) == 0;
		}
		if (found && search_offer(s, cfg))
			miss = 0;
		else
			miss++;
	}
	search_surrogate_release(&m);
	free(cfg);
	free(cum);
	free(rk);
	free(q);
}
