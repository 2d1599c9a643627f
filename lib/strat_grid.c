/*
 * strat_grid: the valid configurations in the space's lexicographic order
 * (space_enumerate), skipping those measured already.  It learns nothing.
 */
#include "strat.h"

static int
grid_visit(void *ctx, const space_idx *cfg)
{
	struct search *s = ctx;

	search_offer(s, cfg);
	return search_room(s) == 0;
}

void
strat_grid(struct search *s, struct rng *r)
{
	(void)r;
	if (search_room(s) > 0)
		space_enumerate(s->sp, 1, grid_visit, s);
}
