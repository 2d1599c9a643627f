/*
 * strat_rl: proposes by sampling the stochastic policy that ar-learn(1)
 * trains by policy gradient (REINFORCE) from the scored history, the
 * prior first when the model was warmed with one (model.h, "strategies":
 * {"rl": ...}).  The policy is factorised: a softmax over the values of
 * each parameter.  Without a model, or a model without a policy that
 * fits the study, the policy is uniform.
 *
 * Every value keeps a floor of probability, RL_FLOOR / n for a parameter
 * of n values, so that the search never stops exploring however sure the
 * policy has become.  When the space is listed (it is small enough), a
 * batch is drawn exactly from the policy restricted to the valid
 * configurations not measured yet, without replacement, by the Gumbel
 * top-k trick: each configuration's log probability plus Gumbel noise,
 * the largest first.  A space too large to list is sampled parameter by
 * parameter; a sample that search_offer refuses (invalid, measured, in
 * the batch) is drawn again, and after RL_TRIES refusals in a row the
 * floor doubles, up to the uniform policy, until RL_GIVE_UP refusals
 * leave the rest of the batch to the framework.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"

#define RL_FLOOR	0.1
#define RL_TRIES	64
#define RL_GIVE_UP	100000
/* Spaces of up to this many combinations are listed (as search.c does). */
#define RL_LIST_PRODUCT	(1u << 22)

struct rl_key {
	double key;
	size_t i;
};

/* The larger key first; equal keys by index, so the order is total. */
static int
key_before(const struct rl_key *a, const struct rl_key *b)
{
	return a->key > b->key || (a->key == b->key && a->i < b->i);
}

static void
sift_down(struct rl_key *h, size_t n, size_t i)
{
	struct rl_key t;
	size_t c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && key_before(&h[c + 1], &h[c]))
			c++;
		if (!key_before(&h[c], &h[i]))
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

/* Uniform in (0, 1): never 0, so that its logarithm is finite. */
static double
unit_open(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Draws the batch from the listed space, without replacement. */
static void
from_list(struct search *s, struct rng *r, const double *lp,
    const size_t *off)
{
	struct space *sp = s->sp;
	size_t n = sp->nlist, i, d;
	struct rl_key *h = ecalloc(n ? n : 1, sizeof(*h));
	const space_idx *c;
	double sum;

	for (i = 0; i < n; i++) {
		c = sp->list + i * sp->np;
		for (d = 0, sum = 0; d < sp->np; d++)
			sum += lp[off[d] + c[d]];
		h[i].key = sum - log(-log(unit_open(r)));
		h[i].i = i;
	}
	for (i = n / 2; i-- > 0; )
		sift_down(h, n, i);
	while (n > 0 && search_room(s) > 0) {
		search_offer(s, sp->list + h[0].i * sp->np);
		h[0] = h[--n];
		sift_down(h, n, 0);
	}
	free(h);
}

/* Draws value indices for one configuration from the policy, each
 * parameter's mixed with the uniform in the share mix. */
static void
draw(const struct space *sp, struct rng *r, const double *prob,
    const size_t *off, double mix, space_idx *cfg)
{
	size_t d, k, n;
	double u, acc;

	for (d = 0; d < sp->np; d++) {
		n = off[d + 1] - off[d];
		u = rng_unif(r);
		acc = 0;
		for (k = 0; k + 1 < n; k++) {
			acc += (1 - mix) * prob[off[d] + k] + mix /
			    (double)n;
			if (u < acc)
				break;
		}
		cfg[d] = (space_idx)k;
	}
}

static void
by_params(struct search *s, struct rng *r, const double *prob,
    const size_t *off)
{
	space_idx *cfg = ecalloc(s->sp->np + 1, sizeof(*cfg));
	double mix = RL_FLOOR;
	long refused = 0, inarow = 0;

	while (search_room(s) > 0 && refused < RL_GIVE_UP) {
		draw(s->sp, r, prob, off, mix, cfg);
		if (search_offer(s, cfg)) {
			inarow = 0;
			continue;
		}
		refused++;
		if (++inarow % RL_TRIES == 0 && mix < 1)
			mix = mix * 2 < 1 ? mix * 2 : 1;
	}
	free(cfg);
}

void
strat_rl(struct search *s, struct rng *r)
{
	struct space *sp = s->sp;
	size_t *off, d, k, n;
	double *prob, *lp;

	if (search_room(s) == 0)
		return;
	off = ecalloc(sp->np + 1, sizeof(*off));
	for (d = 0; d < sp->np; d++)
		off[d + 1] = off[d] + sp->spec->params[d].n;
	prob = ecalloc(off[sp->np] + 1, sizeof(*prob));
	lp = ecalloc(off[sp->np] + 1, sizeof(*lp));
	if (!model_rl_probs(s->model, sp, prob))
		for (d = 0; d < sp->np; d++)
			for (k = off[d]; k < off[d + 1]; k++)
				prob[k] = 1.0 / (double)(off[d + 1] - off[d]);
	for (d = 0; d < sp->np; d++) {
		n = off[d + 1] - off[d];
		for (k = off[d]; k < off[d + 1]; k++)
			lp[k] = log((1 - RL_FLOOR) * prob[k] + RL_FLOOR /
			    (double)n);
	}
	if (sp->list == NULL && sp->product <= RL_LIST_PRODUCT)
		space_materialize(sp, RL_LIST_PRODUCT);
	if (sp->list != NULL)
		from_list(s, r, lp, off);
	else
		by_params(s, r, prob, off);
	free(off);
	free(prob);
	free(lp);
}
