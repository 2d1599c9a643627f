/*
 * search: what a search strategy of ar-propose(1) sees, and how it
 * answers.  The strategies (lib/strat_*.c, listed in the table of
 * strategy.h) are functions of the same shape: they read the study's
 * history (and the model ar-learn(1) fitted, and the prior it was warmed
 * with), and offer configurations until the batch is full.  The
 * framework, not the strategy, refuses what must never be proposed: a
 * configuration that is invalid under the constraints, that the history
 * holds already, or that the batch holds already.
 *
 * Everything here is deterministic: the same history, model, seed and
 * round give the same batch.  A strategy draws its randomness only from
 * the rng it is handed.
 *
 * The same code serves ar-propose(1) and the in-process replay simulation
 * of pipelines/bench/strategies, so that the benchmark measures exactly
 * what the pipeline runs.
 *
 * Driving it, as ar-propose(1) does and as a simulator may, round by
 * round with one struct search kept throughout:
 *
 *	search_init(&s, &space, strategy_table, model_or_NULL, seed, 0);
 *	search_read_history(&s, f, name, &err);  or search_add() per record
 *	search_read_prior(&s);		   when the model has a prior
 *	for (round = s.maxround + 1; ...; round++) {
 *		s.round = round;
 *		n = strategy_propose(&s, k, batch);  k = strategy_find(name)
 *		if (s.failed) ... s.err says why
 *		for (i = 0; i < n; i++)	   measure s.batch + i * space.np,
 *			search_add(&s, cfg, kind, score, round,
 *			    s.batch_arm[i]);
 *	}
 *	search_release(&s);
 *
 * search_add must be given every configuration the batch held, with the
 * arm strategy_propose credited it to (s.batch_arm[i]: auto's credit is
 * read from there), before the next strategy_propose; the batch is
 * reused.  s.batch_parent[i] is the observation it was derived from, or
 * -1.
 *
 * In a study with "transform" (spec.h) a configuration is a program:
 * its id, the one the history's records carry, hashes the source its
 * knobs render (space_id_variant), and that is what "seen" compares.
 *
 * Nothing here prints or exits: a bad history record is an error
 * returned (or, under keep_going, a warning handed to s->warn), and a
 * strategy that cannot go on sets s->failed and s->err.
 *
 * Ownership: search_init borrows the space (and through it the spec),
 * the table of strategies and the model, which must outlive the search;
 * search_release frees the rest.
 */
#ifndef AR_SEARCH_H
#define AR_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "rng.h"
#include "space.h"
#include "util.h"

/* What became of a measured configuration, as far as searching goes. */
enum obs_kind {
	OBS_OK,		/* status "ok" with a finite score */
	OBS_FAILED,	/* a failure of the configuration itself:
			 * compile_error, invalid, wrong, crash, timeout,
			 * suspicious, infeasible: steer away from it */
	OBS_OTHER	/* measured, but nothing to learn from it: no
			 * status, no score, an unknown status */
};

/* One configuration of the history, in history order. */
struct obs {
	space_idx *cfg;		/* sp->np value indices */
	double score;		/* the record's score, higher is better;
				 * NAN unless kind is OBS_OK */
	enum obs_kind kind;
	long round;		/* -1 when the record has none */
	int arm;		/* the strategy that proposed it: an index in
				 * s->strategies, or -1 (from, unknown) */
	/* A study with several objectives: the record's raw values of
	 * them (its "objectives"), when hasobj. */
	int hasobj;
	double obj[SPEC_MAX_OBJECTIVES];
};

struct search;

/* Where a prior stands (search_read_prior): what the strategies see. */
enum search_prior_verdict {
	SEARCH_PRIOR_NONE,	/* no prior */
	SEARCH_PRIOR_TRIAL_ROUND, /* none of its points measured: its
				 * SEARCH_PRIOR_TRIAL best */
	SEARCH_PRIOR_WAITING,	/* some measured, none of the strategy's
				 * own: none of it */
	SEARCH_PRIOR_TRUSTED,	/* its points held up: all of it */
	SEARCH_PRIOR_DROPPED	/* they did not: none of it */
};
/* How many of the prior's best points are tried in its trial round. */
#define SEARCH_PRIOR_TRIAL	4

/* A strategy: offers configurations until search_room is 0 or it has
 * nothing more to offer (the framework then fills up at random). */
typedef void search_fn(struct search *s, struct rng *r);

/* A strategy as the search knows it: what the table of strategy.h
 * lists, ended by an entry whose name is NULL. */
struct strategy {
	const char *name;
	search_fn *fn;
	int learns;		/* 0 for grid and random */
};

/*
 * A batch being proposed.  Strategies call search_offer and read
 * search_room; everything else belongs to the framework.
 */
struct search {
	struct space *sp;
	/* The strategies, by index: a record's "strategy" is read as its
	 * index here (obs.arm), and an arm of auto is run from here. */
	const struct strategy *strategies;
	size_t nstrategies;
	const struct model *model;	/* NULL without -m */
	uint64_t seed;
	long round;			/* the round being proposed: may be
					 * set after reading the history */
	long maxround;			/* the history's largest "round",
					 * 0 when none */

	/* The history of this study, records whose configuration breaks
	 * a constraint of today's study left out. */
	struct obs *obs;
	size_t nobs;

	/*
	 * The prior the model was warmed with (ar-learn --prior), as
	 * configurations of today's space: score is the point's quantile
	 * among the prior's ok records mapped to [0, 1], 1 the best and 0
	 * the worst, kind OBS_OK; or kind OBS_FAILED with score NAN.  In
	 * the prior's own order, best first.  Empty without a prior, and
	 * only what prior_verdict lets the strategies see: a prior is
	 * tried on its best few points before it is trusted (search.c).
	 */
	struct obs *prior;
	size_t nprior;
	enum search_prior_verdict prior_verdict;

	/* The batch: cfgs of np indices each, who proposed each, and the
	 * observation each was derived from (an index in obs, or -1: a
	 * strategy that transforms a program names the program it
	 * transformed, search_offer_from). */
	space_idx *batch;
	int *batch_arm;
	int *batch_parent;
	size_t nbatch, want;
	int arm;			/* the arm offers are credited to */

	/* search_read_history skips a bad record with a warning instead
	 * of returning an error (--keep-going). */
	int keep_going;
	/* Where warnings go: a bad record skipped ("FILE:LINE: what;
	 * skipped"), a random strategy giving up.  NULL: nowhere. */
	void (*warn)(const char *msg);
	/* Set when a strategy could not go on (the space too sparse to
	 * sample), err saying why: search_room is 0 from then on, and the
	 * caller reports it as the failure of the run. */
	int failed;
	struct ar_err err;

	/* Private: ids of the history and of the batch. */
	void *priv;
};

/* table: the strategies (strategy_table), ended by a NULL name. */
void search_init(struct search *s, struct space *sp,
    const struct strategy *table, const struct model *model, uint64_t seed,
    long round);

/* The index of the strategy called name in s->strategies, or -1. */
int search_arm(const struct search *s, const char *name);
void search_release(struct search *s);

/*
 * Adds one record of the history: its params must already be checked
 * against the space (cfg).  Also adds the id to those never proposed.
 */
void search_add(struct search *s, const space_idx *cfg, enum obs_kind kind,
    double score, long round, int arm);

/*
 * Reads a history (JSON lines or CSV) of the study from f, called name in
 * messages, into s, skipping records of other studies.  A record of the
 * study must give every parameter one of its values and name no other
 * (the constraints are not checked).  Returns 0, or -1 at bad input with
 * err naming the file and line (the caller ends the run with exit 2),
 * unless s->keep_going, which skips a bad record with a warning; there,
 * a reader that cannot go on gives the same message again and the
 * function returns -1 with err->msg empty: it was said already.
 */
int search_read_history(struct search *s, FILE *f, const char *name,
    struct ar_err *err);

/*
 * How many valid configurations of the space the history holds: those
 * search_seen refuses, so that the space's count less this is what is
 * left to propose.
 */
size_t search_history_count(struct search *s);

/*
 * Reads the model's prior, if it has one, into s->prior, after the
 * history (the verdict on the prior is read off the history): on trial,
 * its SEARCH_PRIOR_TRIAL best points; trusted, all of it; set aside,
 * none.  The round after the trial, it says the verdict through s->warn.
 */
void search_read_prior(struct search *s);

/*
 * Empties the batch and makes room for want configurations credited to
 * arm k (-1: none, as for configurations given with --from).
 * strategy_propose does this itself; a strategy that hands part of its
 * batch to another one (auto) sets s->want and s->arm instead.
 */
void search_begin(struct search *s, size_t want, int k);

/*
 * The rng strategy k draws from: seeded from the seed, the round and the
 * strategy, so that each gets its own sequence, the same one whether it
 * runs alone or as an arm of auto.  Random's is seeded without k: it
 * keeps the sequence it drew before there were other strategies.
 */
void search_rng(const struct search *s, int k, struct rng *r);

/*
 * The quality of every observation of the history, for strategies that
 * must not depend on the scale of the scores: q[i] is the rank of obs i
 * among the OBS_OK ones mapped to [0, 1] (1 the best, 0 the worst, ties
 * share their mean rank, 1 when only one is ok), -1 for OBS_FAILED
 * (worse than every ok one) and NAN for OBS_OTHER.  Returns how many
 * were ok.
 */
size_t search_quality(const struct search *s, double *q);

/*
 * A study with several objectives: each ok observation's score becomes
 * ParEGO's scalarisation of its objectives under weights drawn for
 * s->round (see search.c); nothing for a study with one.  strategy_
 * propose calls it, so every strategy ranks by it.
 */
void search_scalarise(struct search *s);

/*
 * What a record's status says of its configuration: OBS_OK for "ok" with
 * a finite score, OBS_FAILED for a failure of the configuration
 * (compile_error, invalid, wrong, crash, timeout, suspicious,
 * infeasible), else
 * OBS_OTHER.  status may be NULL.
 */
enum obs_kind search_kind(const char *status, int has_score, double score);

/* An observation's index with its quality, to be sorted best first
 * (by qsort with search_cmp_ranked; ties keep history order). */
struct search_ranked {
	double q;
	size_t i;
};
int search_cmp_ranked(const void *a, const void *b);
/*
 * Fills q as search_quality does and rk (s->nobs entries of room) with
 * the OBS_OK observations, best first.  Returns how many there are.
 */
size_t search_ranked_ok(const struct search *s, double *q,
    struct search_ranked *rk);

/*
 * The valid neighbours of cfg (space_neighbours) that are neither in the
 * history nor in the batch, nu of them at *out, np indices each: a new
 * array the caller frees (NULL when none).
 */
size_t search_unseen_neighbours(struct search *s, const space_idx *cfg,
    int adjacent, space_idx **out);

/*
 * Draws a valid configuration uniformly into cfg, listing the space
 * first when it is small enough; 0, or -1 when there is none.
 */
int search_sample(struct search *s, struct rng *r, space_idx *cfg);

/* Spaces up to this many combinations are listed in memory for sampling. */
#define SEARCH_LIST_PRODUCT	(1u << 22)
/* A sparse space is listed anyway when sampling finds little; this caps it. */
#define SEARCH_LIST_MAX		(1u << 24)
/* The random draws space_sample makes for one valid configuration. */
#define SEARCH_SAMPLE_TRIES	1000000

/* How many ids the history holds (every record of the study's). */
size_t search_nknown(const struct search *s);

/* Hands the message to s->warn, if any. */
void search_warn(struct search *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets s->failed, with the message in s->err. */
void search_fail(struct search *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A cheap surrogate for strategies that screen candidates: an additive
 * model, one effect per value of each parameter, fitted to targets y (one
 * per observation, NAN to leave it out) by backfitting with the effects
 * shrunk towards 0, so that a value never observed has effect 0.  It
 * fits 10,000 observations in a few milliseconds; it knows nothing of
 * interactions, which the local moves of the strategies make up for.
 * Fitted to quality (search_quality, a failure as SEARCH_FAILED_Q) it
 * predicts how good a configuration is; fitted to 1 for a failure and 0
 * for an ok one, how likely it is to fail.
 */
#define SEARCH_FAILED_Q	(-0.2)
struct search_additive {
	size_t np;
	size_t *off;		/* the effects of parameter d: eff[off[d] + k] */
	double *eff;
	double *cnt;		/* how often each value was observed */
	double mean;
};
void search_additive_fit(struct search_additive *m, const struct search *s,
    const double *y);
double search_additive_pred(const struct search_additive *m,
    const space_idx *cfg);
void search_additive_release(struct search_additive *m);

/*
 * Both, as the strategies screen candidates with them: search_screen is
 * the predicted quality of cfg, or SEARCH_FAILED_Q when the failure
 * model puts its chance of failing past halfway from the history's
 * failure rate to certainty.  q is search_quality's.
 */
struct search_surrogate {
	struct search_additive good, fail;
	int failures;		/* whether the history holds any */
};
void search_surrogate_fit(struct search_surrogate *m, const struct search *s,
    const double *q);
double search_screen(const struct search_surrogate *m, const space_idx *cfg);
void search_surrogate_release(struct search_surrogate *m);

/*
 * Offers cfg to the batch: returns 1 when it was taken (valid, in
 * neither the history nor the batch), else 0.
 */
int search_offer(struct search *s, const space_idx *cfg);
/* As search_offer, cfg derived from observation parent (-1: none). */
int search_offer_from(struct search *s, const space_idx *cfg, int parent);
/* Whether cfg is in the history or the batch already. */
int search_seen(struct search *s, const space_idx *cfg);
/* How many more configurations the batch wants: 0 once s->failed. */
size_t search_room(const struct search *s);

#endif
