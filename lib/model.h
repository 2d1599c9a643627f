/*
 * model: the model file of a study, what ar-learn(1) fits from the
 * scored records and ar-propose(1) will read.  It is JSON, rebuildable
 * from the history alone, and written atomically.
 *
 * Format "autoresearch-model", version 1:
 *   {"format": "autoresearch-model", "version": 1,
 *    "study": NAME, "objective": "minimize time_s",
 *    "evals": N, "status": {"ok": n, "crash": n, ...},
 *    "best": {"id", "round", "objective", "score", "params", "metrics"}
 *            or null,
 *    "rounds": R, "strategies": {}}
 * evals counts the records read, failures included; status counts them
 * by their "status" (a record without one under "none"), in the order of
 * ar-formats(7) and then by name; best is the record of status "ok" with
 * the highest numeric score, the earliest one on a tie; rounds is the
 * largest "round" read (0 when none).
 *
 * Versioning.  Later versions add fields: the learning strategies keep
 * their state (surrogates, policies, bandit credits, transfer priors)
 * under "strategies" and in new top-level fields.  A version that only
 * adds fields keeps the version number, and a reader ignores the fields
 * it does not know; model_load keeps them, and model_save writes them
 * back unchanged, after the fields above.  A change that an older reader
 * would misread raises "version", and a reader refuses a version newer
 * than its own (MODEL_VERSION).
 *
 * Everything in a model depends only on the records and their order, not
 * on how they were split between runs, so that updating a model run by
 * run gives the same file, byte for byte, as rebuilding it from the
 * whole history at once.
 *
 * Ownership: a model is filled by model_init or model_load and released
 * by model_release; the JSON values inside belong to it.
 */
#ifndef AR_MODEL_H
#define AR_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

#define MODEL_FORMAT	"autoresearch-model"
#define MODEL_VERSION	1

struct model_count {
	char *status;
	json_int_t n;
};

struct model {
	char *study, *objective;
	json_int_t evals, rounds;
	struct model_count *counts;	/* in the order they are written */
	size_t ncounts;
	json_t *best;		/* NULL, or the best's object */
	double best_score;
	json_t *strategies;	/* an object, kept as it was read */
	json_t *extra;		/* fields of later versions, in order */
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
