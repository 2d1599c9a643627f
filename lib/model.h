/*
 * model: the model file of a study, what ar-learn(1) fits from the
 * scored records and ar-propose(1) reads.  It is JSON, rebuildable from
 * the history alone (and the prior it was warmed with), and written
 * atomically.
 *
 * Format "autoresearch-model", version 2:
 *   {"format": "autoresearch-model", "version": 2,
 *    "study": NAME, "objective": "minimize time_s",
 *    "evals": N, "status": {"ok": n, "crash": n, ...},
 *    "best": {"id", "round", "objective", "score", "params", "metrics"}
 *            or null,
 *    "rounds": R, "strategies": {"rl": {...}},
 *    "prior": {...}}
 * evals counts the records read, failures included; status counts them
 * by their "status" (a record without one under "none"), in the order of
 * ar-formats(7) and then by name; best is the record of status "ok" with
 * the highest numeric score, the earliest one on a tie; rounds is the
 * largest "round" read (0 when none).
 *
 * "strategies" holds the state the learning strategies keep; today that
 * is the policy of rl, which appears with the first record learned (or
 * the prior):
 *   "rl": {"records": N learned, prior records included,
 *          "baseline": the running mean of the rewards,
 *          "policy": [{"param": NAME, "values": [...],
 *                      "logits": [...]}, ...] (the study's order),
 *          "scores": {"values": [...], "weights": [...]}: the ok scores
 *                    learned (ascending, merged by weight past 1024),
 *          "warm": {"records": n, "logits": [[...], ...]}: the policy
 *                  after the prior (only with one)}
 * "prior" (only in a model warmed by ar-learn --prior) is what
 * search_read_prior reads:
 *   {"history": PATH as given, "study": the prior's study or null,
 *    "records": N read,
 *    "points": [{"params": {...}, "q": Q}, ..., {"params": {...},
 *               "q": null}, ...]}
 * the prior's ok records first, best first, each with Q the quantile of
 * its score among the prior's ok records: 1 - (how many score higher) /
 * (how many are ok - 1), so 1 for the best (and any tied with it), 0 for
 * the worst, 1 when there is only one; at most MODEL_PRIOR_OK of them;
 * then its failures (q null) in file order, at most MODEL_PRIOR_FAILED;
 * a configuration measured twice is listed once, at its better place.
 *
 * Versioning.  A version that only adds fields keeps the version number;
 * a reader ignores the fields it does not know, model_load keeps them,
 * and model_save writes them back unchanged, after the fields above.  A
 * change that an older reader would misread raises "version".  Version 2
 * added the rl policy: a version 1 program would count new records
 * without teaching the policy, so it must refuse these files.  A reader
 * refuses a version newer than its own (MODEL_VERSION); model_load reads
 * an older one (its fields are a subset) and says so in m->version, and
 * ar-learn refuses to update it (--rebuild upgrades it).
 *
 * Everything in a model depends only on the prior and the records and
 * their order, not on how they were split between runs, so that updating
 * a model run by run gives the same file, byte for byte, as rebuilding
 * it from the whole history at once.  The floating-point state is
 * written with 17 significant digits, which reads back to the same
 * doubles.
 *
 * Ownership: a model is filled by model_init or model_load and released
 * by model_release; the JSON values inside belong to it.  A model bound
 * to a space (model_bind) borrows it: the space must outlive the model.
 */
#ifndef AR_MODEL_H
#define AR_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "space.h"
#include "util.h"

#define MODEL_FORMAT	"autoresearch-model"
#define MODEL_VERSION	2

/* How many points of a prior the model keeps (see above). */
#define MODEL_PRIOR_OK		1000
#define MODEL_PRIOR_FAILED	200

struct model_count {
	char *status;
	json_int_t n;
};

struct model_rl;		/* the rl policy being learned (model.c) */

struct model {
	int version;		/* the file's; MODEL_VERSION if new */
	char *study, *objective;
	json_int_t evals, rounds;
	struct model_count *counts;	/* in the order they are written */
	size_t ncounts;
	json_t *best;		/* NULL, or the best's object */
	double best_score;
	json_t *strategies;	/* an object, kept as it was read, but for
				 * "rl" while rl is live */
	json_t *extra;		/* the other fields, in order: "prior"
				 * when there is one, and those of later
				 * versions */

	/* Set by model_bind: the study's space, and the live policy
	 * (NULL until something is learned). */
	struct space *sp;
	struct model_rl *rl;
};

/* An empty model of a study. */
void model_init(struct model *m, const char *study, const char *objective);
void model_release(struct model *m);

/* What model_load found. */
enum {
	MODEL_LOADED = 0,
	MODEL_ABSENT = 1,	/* no file: m is left untouched */
	MODEL_NOTMODEL = -1,	/* not JSON, or no "format": not a model */
	MODEL_UNUSABLE = -2	/* a model file that cannot be used: empty,
				 * a newer or unknown version, a field of
				 * the wrong type, counts that disagree */
};

/*
 * Reads the model at path into m.  Returns one of the above; for the
 * negative ones, err says what is wrong ("m.json: model format version 2
 * is newer than this program's (1)").  A caller that is to replace the
 * file anyway (a rebuild) may do so on MODEL_UNUSABLE, never on
 * MODEL_NOTMODEL: that file may be something else that -m named by
 * mistake, a history say.
 */
int model_load(struct model *m, const char *path, struct ar_err *err);

/*
 * What a model reads of one record: its status (NULL when it has none),
 * its round, and its score, which may be null.
 */
struct model_obs {
	const char *status;
	int has_round;
	json_int_t round;
	int has_score;
	double score;
};

/*
 * Counts one record.  Returns 1 when it is the new best (status "ok", a
 * score above the best's): the caller then hands the whole record to
 * model_set_best.  Reading only these few fields of each record, and a
 * whole record only for a new best, keeps a long history quick to read.
 */
int model_count(struct model *m, const struct model_obs *o);
/* Whether model_count would find a new best, without counting. */
int model_beats(const struct model *m, const struct model_obs *o);
void model_set_best(struct model *m, json_t *rec, double score);

/*
 * model_count and model_set_best for a parsed record.  Returns 1 for a
 * new best, 0, or -1 with err set when a field has the wrong type (see
 * model_obs_json).
 */
int model_update(struct model *m, json_t *rec, struct ar_err *err);

/*
 * The model_obs of a parsed record (o->status borrows from rec), or -1
 * with err set: a record without a "score" (not scored), a score that is
 * not a number or null, a status that is not a string, or a round that
 * is not an integer.
 */
int model_obs_json(json_t *rec, struct model_obs *o, struct ar_err *err);

/*
 * Learning.  The strategies' state depends on the study's parameters,
 * so a model learns bound to the study's space: model_bind checks that
 * the state the file holds fits the space (the same parameters, the same
 * values in the same order) and returns 0, or -1 with err set ("key
 * \"strategies.rl.policy\": ...").  A model binds once; model_learn
 * binds on its first call.
 */
int model_bind(struct model *m, struct space *sp, struct ar_err *err);

/*
 * Learns one parsed record: model_update, then the strategies' part
 * (model_learn_cfg with the record's params).  Returns 1 for a new best,
 * 0, or -1 with err set (a bad record, as model_update says, or a model
 * that does not fit sp).  This is what ar-learn does per record, and what
 * a simulation that runs the loop in one process calls per evaluation.
 */
int model_learn(struct model *m, struct space *sp, json_t *rec,
    struct ar_err *err);

/*
 * The strategies' part of learning one record of observation o, after
 * model_count has counted it: cfg is its params as sp->np value indices,
 * or NULL when they are not a configuration of the space (a parameter
 * missing, a value it does not list; constraints are not checked).  The
 * rl policy learns from the records of status "ok" with a score and from
 * the failures (compile_error, invalid, wrong, crash, timeout,
 * suspicious, infeasible); the others leave it as it is.  m must be bound.  A
 * simulation that has the configuration already calls model_count and
 * this, and never parses a record (its model then has no "best").
 */
void model_learn_cfg(struct model *m, const struct model_obs *o,
    const space_idx *cfg);
/* Whether model_learn_cfg learns anything from o (so that a caller can
 * skip reading the params of the records it would not). */
int model_teaches(const struct model_obs *o);

/*
 * The params of a record as a configuration for model_learn_cfg: cfg is
 * filled and 0 returned, or -1 when params is not an object that gives
 * every parameter of the space one of its values (keys the space does
 * not have are ignored).
 */
int model_cfg_json(struct space *sp, json_t *params, space_idx *cfg);

/*
 * Warms a model with a prior: the scored records of a related study in
 * the file at path ("-" the standard input), of any study name (but one).
 * Sets the field "prior" of m->extra (see the format above) and teaches
 * the rl policy the prior's records first, with the reward of each
 * record its quantile in the prior and a smaller step, and keeps that
 * policy as "warm".  m must
 * be bound and have learned nothing yet.  Returns 0, or -1 with err set:
 * "cannot open ...", or "PATH:LINE: what is wrong" for input that is not
 * scored records (params missing or not an object, no score, a field of
 * the wrong type, a record of a second study).
 */
int model_read_prior(struct model *m, const char *path, struct ar_err *err);

/*
 * For a rebuild that keeps the prior: m, fresh and bound, takes the prior
 * of old (a loaded model of the same study) and the policy that prior
 * left ("warm"), as if model_read_prior had read the prior again.
 * Returns 1 when old had a prior, 0 when not, -1 with err set when its
 * warm policy does not fit m's space.
 */
int model_keep_prior(struct model *m, const struct model *old,
    struct ar_err *err);

/*
 * Whether two models hold the same prior and warm policy (both may have
 * none): ar-learn --prior on a model that has one checks it this way.
 */
int model_same_prior(const struct model *a, const struct model *b);

/*
 * The rl policy's probabilities for proposing: prob[off[d] + k] for
 * value k of parameter d, where off[d] sums the value counts of the
 * parameters before d; each parameter's values sum to 1.  From the live
 * policy when m is bound to sp, else from the file's "strategies.rl"
 * when it fits sp.  Returns 1, or 0 (prob untouched) when m is NULL or
 * holds no rl policy that fits.
 */
int model_rl_probs(const struct model *m, const struct space *sp,
    double *prob);

/* The model as the file holds it (a new reference). */
json_t *model_json(const struct model *m);

/*
 * Writes the model to path atomically: a temporary file in the same
 * folder (".NAME.XXXXXX"), written, flushed to disk, then renamed over
 * path, and the folder flushed, so that a reader, or the file after a
 * crash, sees the old model or the new one and never a part.  The file
 * keeps the mode of the model it replaces (a new one gets 0666 less the
 * umask).  Returns 0, or -1 with err set and the temporary file removed.
 */
int model_save(const struct model *m, const char *path, struct ar_err *err);

#endif
