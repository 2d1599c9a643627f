/*
 * space: the valid configurations of a study.  A configuration is an
 * array of nparams value indices (cfg[i] indexes spec->params[i].values).
 * The space enumerates them in lexicographic order of the spec's listing,
 * checking each constraint as soon as every parameter it names is bound,
 * so that a failing prefix prunes its whole subtree; it counts them,
 * samples them uniformly, lists a configuration's neighbours, encodes one
 * as numbers for models, and gives each its stable id.
 *
 * A constraint whose evaluation fails (a division by zero, say) rejects
 * the configuration, as a false one does.
 *
 * Ownership: space_init borrows the spec, which must outlive the space;
 * space_release frees what the space allocated.  A space is not safe to
 * share between threads (it keeps scratch slots for evaluation).
 */
#ifndef AR_SPACE_H
#define AR_SPACE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "rng.h"
#include "spec.h"
#include "util.h"

typedef uint16_t space_idx;	/* spec.h caps a parameter's values to fit */

#define SPACE_IDLEN 16		/* hex digits of an id */

struct space {
	const struct spec *spec;
	size_t np;
	struct val *slots;		/* scratch: params then constants */
	/* The checks: the constraints, each split into its top-level &&
	 * terms so that every term prunes as early as it can. */
	struct expr **checks;
	size_t nchecks;
	/* Checks by the depth at which their last parameter is bound:
	 * those of level[d] .. level[d+1]-1 in order[] are checked once
	 * parameter d is set.  Level np holds those naming no parameter. */
	size_t *level;
	size_t *order;
	int never;			/* a parameter-free constraint fails */
	double product;			/* the Cartesian size */

	/* The valid configurations, when space_materialize kept them. */
	space_idx *list;
	size_t nlist;

	/* What id hashing needs, built once: the fixed prefix (and a
	 * hash that has absorbed it), the parameters in name order, each
	 * value's JSON text, and each value's line of the id text,
	 * "name=value\n", with its length. */
	struct ar_buf idprefix;
	struct hash_prefixed idhash;
	size_t *byname;
	char ***idtext;
	char ***idline;
	size_t **idlinelen;
};

int space_init(struct space *sp, const struct spec *s, struct ar_err *err);
void space_release(struct space *sp);

/* 1 if cfg satisfies every constraint, else 0. */
int space_valid(struct space *sp, const space_idx *cfg);

/*
 * Calls visit for every valid configuration, in lexicographic order;
 * stops early, returning visit's value, when it returns non-zero.  With
 * prune 0 every combination is built before it is checked (for the
 * benchmark that shows what pruning saves).
 */
typedef int space_visit(void *ctx, const space_idx *cfg);
int space_enumerate(struct space *sp, int prune, space_visit *visit,
    void *ctx);
uint64_t space_count(struct space *sp, int prune);
/*
 * The valid configurations, as ar-propose --count gives them: counted
 * by space_count (pruned) when the space has at most SPACE_COUNT_MAX
 * combinations; else estimated, *estimated set, from SPACE_COUNT_DRAWS
 * uniform draws of the combinations (always the same draws), since a
 * space of transformation knobs can hold 10^20 and more.
 */
#define SPACE_COUNT_MAX		1e9
#define SPACE_COUNT_DRAWS	100000
double space_count_estimate(struct space *sp, int *estimated);

/*
 * Keeps the list of valid configurations in memory, unless there are
 * more than max of them: returns 1 if kept, 0 if the space is larger.
 */
int space_materialize(struct space *sp, size_t max);

/*
 * Draws a valid configuration uniformly at random into cfg: from the list
 * when one is kept, else by sampling each parameter in turn and starting
 * over as soon as a bound constraint fails (which is still uniform over
 * the valid set).  Returns 0, or -1 when the space is empty or so sparse
 * that max_tries draws found nothing valid.
 */
int space_sample(struct space *sp, struct rng *r, space_idx *cfg,
    uint64_t max_tries);

/*
 * Neighbours of cfg that are valid, each differing in one parameter:
 * with adjacent set, the next smaller and larger value of that parameter
 * (in sorted order); else every other value.  Calls visit for each;
 * returns how many there were (or stops early as space_enumerate).
 */
int space_neighbours(struct space *sp, const space_idx *cfg, int adjacent,
    space_visit *visit, void *ctx);

/*
 * cfg as numbers in [0, 1] for models: per parameter, the rank of its
 * value among the sorted values over (n - 1); 0 when n is 1.
 */
void space_encode(const struct space *sp, const space_idx *cfg, double *x);

/*
 * The stable id: the first 16 hex digits of the SHA-256 of the study
 * name, the source's hash, the problem constants and the parameters
 * (names sorted, so the order in the spec does not matter).
 */
void space_id(const struct space *sp, const space_idx *cfg,
    char id[SPACE_IDLEN + 1]);
/*
 * The id of a record that carries a code variant: as space_id, with the
 * line "variant=HASH\n" after the parameters', HASH the variant's
 * SHA-256 (ar-formats(7) "variant"), so that the same program is one id
 * and two programs two.  variant NULL gives space_id's id.
 */
void space_id_variant(const struct space *sp, const space_idx *cfg,
    const char *variant, char id[SPACE_IDLEN + 1]);

/*
 * A study with "transform" (spec->xform): its marked source rendered with
 * the knobs of cfg (xform_render), the text (malloc'd, *len bytes) and
 * the ops applied (new reference, when ops is not NULL); NULL with err
 * set when the study has no "transform" or the rendering failed.
 * space_render_hash gives the SHA-256 of that text: 0, or -1.
 */
char *space_render(const struct space *sp, const space_idx *cfg,
    size_t *len, json_t **ops, struct ar_err *err);
int space_render_hash(const struct space *sp, const space_idx *cfg,
    char hash[HASH_HEXLEN + 1], struct ar_err *err);

/* The params object {"NAME": value, ...} in the spec's order. */
json_t *space_params_json(const struct space *sp, const space_idx *cfg);

/*
 * Reads a params object back into cfg.  Returns 0, or -1 with err set to
 * what is wrong: a name the study does not have, a value not in its list,
 * a parameter missing, or a constraint the configuration violates.
 */
int space_from_json(struct space *sp, json_t *params, space_idx *cfg,
    struct ar_err *err);

/*
 * A record of this study read into cfg, as ar-compile and ar-bench take
 * one: its "study", when it has one, is the study's name, and its
 * "params" an object that space_from_json reads.  Returns 0, or -1 with
 * err set.
 */
int space_from_record(struct space *sp, json_t *rec, space_idx *cfg,
    struct ar_err *err);

/*
 * As space_from_json, but the constraints are not checked: a record of
 * the history may break one the study gained since it was measured.
 * params may be NULL (the record has none): an error too.
 */
int space_params_from_json(struct space *sp, json_t *params,
    space_idx *cfg, struct ar_err *err);

/*
 * As space_params_from_json, from the text of a params object that is
 * valid JSON (a span rec_peek found; text NULL when it found none);
 * quick when it is written as the stages write it, each value as the
 * study spells it, and parsed only otherwise.
 */
int space_params_text(struct space *sp, const char *text, size_t len,
    space_idx *cfg, struct ar_err *err);

#endif
