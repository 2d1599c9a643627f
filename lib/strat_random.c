/*
 * strat_random: configurations drawn uniformly from the valid ones,
 * without repeating the history or the batch.  It learns nothing; the
 * framework also fills with it what another strategy could not offer
 * (strategy_propose).
 */
#include <stdlib.h>

#include "strat.h"

/* Draws in a row that find what was measured already before the space
 * is listed, to be drawn from exactly. */
#define DUP_TRIES	1000

/* A random order of the listed space, drawn lazily (Fisher-Yates). */
static void
random_from_list(struct search *s, struct rng *r)
{
	struct space *sp = s->sp;
	uint32_t *perm = ecalloc(sp->nlist ? sp->nlist : 1, sizeof(*perm));
	size_t i, j, n = sp->nlist;

	for (i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (i = 0; i < n && search_room(s) > 0; i++) {
		uint32_t t;

		j = i + (size_t)rng_below(r, n - i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		search_offer(s, sp->list + (size_t)perm[i] * sp->np);
	}
	free(perm);
}

void
strat_random(struct search *s, struct rng *r)
{
	struct space *sp = s->sp;
	space_idx *cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	uint64_t dups = 0, give_up;
	int listed = 0;

	if (search_room(s) == 0)
		goto out;
	if (sp->product <= SEARCH_LIST_PRODUCT)
		space_materialize(sp, SEARCH_LIST_PRODUCT);
	/*
	 * A large space is sampled without listing it.  When samples keep
	 * failing or keep finding what was measured already, the valid set
	 * may be small after all: list it once and draw from the list, which
	 * also tells exactly when the space is exhausted.  A space too large
	 * to list is sampled on, up to a bound on duplicates far beyond what
	 * a history of that size makes likely.
	 */
	give_up = 100 * ((uint64_t)search_nknown(s) + (uint64_t)s->want) +
	    DUP_TRIES;
	while (sp->list == NULL && search_room(s) > 0) {
		if (space_sample(sp, r, cfg, SEARCH_SAMPLE_TRIES) != 0) {
			if (!space_materialize(sp, SEARCH_LIST_MAX))
				search_fail(s, "%s: the space is too sparse "
				    "to sample: no valid configuration in %d "
				    "random draws, and more than %u valid ones "
				    "to list", sp->spec->path,
				    SEARCH_SAMPLE_TRIES, SEARCH_LIST_MAX);
			break;
		}
		if (search_offer(s, cfg))
			continue;
		if (++dups == DUP_TRIES && !listed) {
			listed = 1;
			if (space_materialize(sp, SEARCH_LIST_MAX))
				break;
		}
		if (dups >= give_up) {
			search_warn(s, "%llu random draws in a row were "
			    "measured already; giving up",
			    (unsigned long long)dups);
			break;
		}
	}
	if (sp->list != NULL && search_room(s) > 0)
		random_from_list(s, r);
out:
	free(cfg);
}
