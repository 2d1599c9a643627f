/*
 * strat: the strategies of ar-propose(1), one file each (lib/strat_NAME.c),
 * every one a search_fn (search.h).  They are run through the table of
 * strategy.h; a strategy that runs others (auto) reaches them through
 * the table the search was given (s->strategies), never directly.
 */
#ifndef AR_STRAT_H
#define AR_STRAT_H

#include "search.h"

search_fn strat_grid, strat_random, strat_anneal, strat_ga, strat_bo,
    strat_rl, strat_auto, strat_xform;

#endif
