/*
 * strat_auto: a multi-armed bandit that shares each batch between the
 * two strategies that complement each other best, anneal and bo, by the
 * credit each earned recently, as OpenTuner's AUC bandit does.
 *
 * Why these two.  Replaying the twelve GPU spaces of examples/replay (20
 * seeds, batches of 8, pipelines/bench/strategies), anneal is the best
 * single strategy on some spaces and bo on others, and each helps the
 * other: bo's process learns from anneal's neighbourhood moves, and
 * anneal's chains start from what bo found.  Dealing the batch between
 * the two reached 0.95 of the optimum at 100 evaluations on average,
 * where bo alone reached 0.943 and anneal 0.935; a bandit over anneal,
 * ga, bo, rl and random reached only 0.939, since the weaker arms took
 * slots from the stronger two at every round (BENCHMARKS.md).
 *
 * The credit is read off the history alone, so that it needs no state of
 * its own and a model rebuilt from the history gives the same batches:
 * every record names the arm that proposed it ("strategy").  A record
 * earns its arm a reward for how it placed among the ok configurations
 * measured before its round (so that the order within a batch does not
 * matter): 1 for a new best, else the share of them it beats raised to
 * a high power, so that only the top places count much; a failure earns
 * 0.  An arm's credit is the mean of the rewards of its last AUTO_WINDOW
 * records, the later ones weighing more.  Each arm is dealt a fixed
 * share of the batch (AUTO_FLOOR between them), since either may be the
 * one that finds the next best; the rest is dealt slot by slot, each to
 * the arm with the highest credit plus an exploration bonus that shrinks
 * as the arm gets slots (UCB1), so that the arm that keeps improving
 * takes most of it, and an arm with no record yet is dealt first.  No arm
 * takes more than AUTO_ARM_MAX slots of one batch; what the arms leave
 * is drawn at random.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"

/* The arms, by name: each is run from the table of the search
 * (s->strategies), as strategy_propose runs a strategy. */
static const char *const arm_names[] = { "anneal", "bo" };
#define NARMS		(sizeof(arm_names) / sizeof(arm_names[0]))
/* The records of an arm that its credit looks back on. */
#define AUTO_WINDOW	24
/* The power on the share of the history a record beats. */
#define AUTO_POWER	8.0
/* The weight of the exploration bonus. */
#define AUTO_EXPLORE	0.3
/* The share of a batch dealt evenly, whatever the credit. */
#define AUTO_FLOOR	0.5
/*
 * The most slots of one batch an arm is dealt; the rest of a larger
 * batch is drawn at random (by strategy_propose).  A batch is measured
 * in parallel, so a strategy learns nothing between its slots, and
 * choosing thousands of configurations by a model costs more than it
 * could ever save (bo's batch selection grows with the square of the
 * batch).
 */
#define AUTO_ARM_MAX	256

struct arm {
	int k;				/* its index in s->strategies */
	double reward[AUTO_WINDOW];	/* a ring, the last AUTO_WINDOW */
	size_t n;			/* rewards seen, all told */
	double credit;
	size_t slots;			/* in this batch */
};

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* How many of the n sorted values v are below x (binary search). */
static size_t
below(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
arm_slot(const struct arm *arm, int k)
{
	size_t a;

	for (a = 0; a < NARMS; a++)
		if (k >= 0 && arm[a].k == k)
			return (int)a;
	return -1;
}

/*
 * The rewards, in history order, round by round: a round's records are
 * judged against the ok scores of the rounds before it (records without
 * a round are a round each).  Those scores are counted in a Fenwick tree
 * over the places of all the ok scores in sorted order, so that a long
 * history of many small rounds takes O(n log n).
 */
static void
credit(const struct search *s, struct arm *arm)
{
	double *all = ecalloc(s->nobs ? s->nobs : 1, sizeof(*all));
	size_t *tree = ecalloc(s->nobs + 1, sizeof(*tree));
	size_t nall = 0, nin = 0, i, j, k, a, w, p, cnt;
	double rw, wsum, max = -INFINITY;

	for (i = 0; i < s->nobs; i++)
		if (s->obs[i].kind == OBS_OK)
			all[nall++] = s->obs[i].score;
	qsort(all, nall, sizeof(*all), cmp_dbl);
	for (i = 0; i < s->nobs; i = j) {
		for (j = i + 1; j < s->nobs && s->obs[i].round >= 0 &&
		    s->obs[j].round == s->obs[i].round; j++)
			;
		for (k = i; k < j; k++) {
			const struct obs *o = &s->obs[k];
			int sl = arm_slot(arm, o->arm);

			if (sl < 0 || o->kind == OBS_OTHER)
				continue;
			if (o->kind == OBS_FAILED)
				rw = 0;
			else if (nin == 0 || o->score > max)
				rw = 1;
			else {
				/* How many scores in the tree are below. */
				cnt = 0;
				for (p = below(all, nall, o->score); p > 0;
				    p -= p & -p)
					cnt += tree[p];
				rw = pow((double)cnt / (double)nin,
				    AUTO_POWER);
			}
			arm[sl].reward[arm[sl].n % AUTO_WINDOW] = rw;
			arm[sl].n++;
		}
		for (k = i; k < j; k++) {
			if (s->obs[k].kind != OBS_OK)
				continue;
			for (p = below(all, nall, s->obs[k].score) + 1;
			    p <= nall; p += p & -p)
				tree[p]++;
			nin++;
			if (s->obs[k].score > max)
				max = s->obs[k].score;
		}
	}
	for (a = 0; a < NARMS; a++) {
		size_t n = arm[a].n < AUTO_WINDOW ? arm[a].n : AUTO_WINDOW;

		/* The last reward weighs n, the one before n - 1, ... */
		arm[a].credit = 0;
		wsum = 0;
		for (w = 0; w < n; w++) {
			double wt = (double)(n - w);

			arm[a].credit += wt * arm[a].reward[(arm[a].n - 1 - w) %
			    AUTO_WINDOW];
			wsum += wt;
		}
		if (wsum > 0)
			arm[a].credit /= wsum;
	}
	free(tree);
	free(all);
}

void
strat_auto(struct search *s, struct rng *r)
{
	struct arm arm[NARMS];
	size_t a, best, slot, want = s->want, total = 0, room, target, each;
	double v, bv, uses;
	int self = s->arm;
	struct rng ar;

	(void)r;
	memset(arm, 0, sizeof(arm));
	for (a = 0; a < NARMS; a++)
		arm[a].k = search_arm(s, arm_names[a]);
	credit(s, arm);
	for (a = 0; a < NARMS; a++)
		total += arm[a].n < AUTO_WINDOW ? arm[a].n : AUTO_WINDOW;
	room = search_room(s);
	target = s->nbatch;
	if (room > NARMS * AUTO_ARM_MAX)
		room = NARMS * AUTO_ARM_MAX;
	each = (size_t)((double)room * AUTO_FLOOR / (double)NARMS);
	for (a = 0; a < NARMS; a++)
		arm[a].slots = each;
	for (slot = each * NARMS; slot < room; slot++) {
		best = NARMS;
		bv = -INFINITY;
		for (a = 0; a < NARMS; a++) {
			if (arm[a].slots >= AUTO_ARM_MAX)
				continue;
			uses = (double)(arm[a].n < AUTO_WINDOW ? arm[a].n :
			    AUTO_WINDOW) + (double)arm[a].slots;
			/* An arm with no record yet is dealt first. */
			v = uses == 0 ? INFINITY : arm[a].credit +
			    AUTO_EXPLORE * sqrt(log((double)(total + slot) +
			    1.0) / uses);
			if (v > bv) {
				bv = v;
				best = a;
			}
		}
		arm[best].slots++;
	}
	/* Each arm offers its share in turn, from its own rng; what one
	 * cannot offer passes to the next, and what none could is drawn at
	 * random by strategy_propose. */
	for (a = 0; a < NARMS; a++) {
		if (arm[a].slots == 0 || arm[a].k < 0)
			continue;
		target += arm[a].slots;
		s->want = target;
		s->arm = arm[a].k;
		search_rng(s, arm[a].k, &ar);
		s->strategies[arm[a].k].fn(s, &ar);
	}
	s->want = want;
	s->arm = self;
}
