/*
 * strategy: the table of the strategies ar-propose(1) can run, by name,
 * and the running of one of them over a batch.  It sits above the
 * strategies (strat.h), which see only the framework (search.h).
 *
 * Adding a strategy: its file lib/strat_NAME.c defining strat_NAME, its
 * declaration in strat.h, and one line in the table (strategy.c).  The
 * table's order is the strategies' indices: an index seeds the
 * strategy's rng (search_rng), so a new strategy goes at the end.
 */
#ifndef AR_STRATEGY_H
#define AR_STRATEGY_H

#include <stddef.h>

#include "search.h"

/* The table, ended by an entry whose name is NULL; give it to
 * search_init. */
extern const struct strategy strategy_table[];
/* How many strategies it lists (the NULL entry not counted). */
extern const size_t strategy_count;

/* The indices in strategy_table of the strategies the code names. */
enum {
	STRATEGY_GRID, STRATEGY_RANDOM, STRATEGY_ANNEAL, STRATEGY_GA,
	STRATEGY_BO, STRATEGY_RL, STRATEGY_AUTO, STRATEGY_XFORM
};

/* The index of a strategy by name, or -1. */
int strategy_find(const char *name);

/*
 * Proposes up to want configurations with strategy number k of
 * strategy_table into s->batch (emptied first); what it could not offer
 * is drawn at random.  Returns how many there are: fewer than want only
 * when the space has no more valid configurations to give, or when
 * s->failed (s->err says why).
 */
size_t strategy_propose(struct search *s, int k, size_t want);

#endif
