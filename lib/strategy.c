/*
 * strategy: the table of the strategies, and running one over a batch.
 */
#include <string.h>

#include "strat.h"
#include "strategy.h"

const struct strategy strategy_table[] = {
	{ "grid", strat_grid, 0 },
	{ "random", strat_random, 0 },
	{ "anneal", strat_anneal, 1 },
	{ "ga", strat_ga, 1 },
	{ "bo", strat_bo, 1 },
	{ "rl", strat_rl, 1 },
	{ "auto", strat_auto, 1 },
	{ "xform", strat_xform, 1 },
	{ NULL, NULL, 0 }
};
const size_t strategy_count = sizeof(strategy_table) /
    sizeof(strategy_table[0]) - 1;

int
strategy_find(const char *name)
{
	size_t k;

	for (k = 0; k < strategy_count; k++)
		if (strcmp(strategy_table[k].name, name) == 0)
			return (int)k;
	return -1;
}

size_t
strategy_propose(struct search *s, int k, size_t want)
{
	struct rng r;

	search_scalarise(s);
	search_begin(s, want, k);
	search_rng(s, k, &r);
	strategy_table[k].fn(s, &r);
	/* What a strategy could not offer is drawn at random, and credited
	 * to random: the records say who proposed what. */
	if (search_room(s) > 0 && k != STRATEGY_RANDOM &&
	    k != STRATEGY_GRID) {
		s->arm = STRATEGY_RANDOM;
		search_rng(s, STRATEGY_RANDOM, &r);
		strat_random(s, &r);
	}
	s->arm = k;
	return s->nbatch;
}
