/*
 * spec: a study spec (ar-study(5)) loaded and checked.  A spec names the
 * kernel, the problem constants, the tunable parameters with every value
 * each may take, and the constraints a configuration must satisfy; the
 * later stages read the rest (args, launch, metrics, ...) from root.
 *
 * Every name an expression may use has a slot: slot i < nparams is
 * parameter i, slot nparams + j is problem constant j.  Expressions are
 * parsed against spec_lookup with the spec as context.
 *
 * Ownership: spec_load fills a struct the caller releases with
 * spec_release; every pointer inside belongs to the spec.
 */
#ifndef AR_SPEC_H
#define AR_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "util.h"
#include "xform.h"

/* A parameter may take at most this many values (indices are 16-bit). */
#define SPEC_MAXVALUES 65535

struct spec_param {
	char *name;
	size_t n;		/* number of values, >= 1 */
	json_t **values;	/* as listed in the spec (borrowed from root) */
	struct val *vals;	/* the same, for expressions */
	char **text;		/* the same as -D would spell them: "8", "1.5", "avx2" */
	int numeric;		/* every value is a number */
	/* A transformation knob the study's "transform" made (xform.h),
	 * not a -D define of the source. */
	int xform;
	/* rank[k]: position of value k when the values are sorted (numbers
	 * ascending; strings keep the listed order). */
	size_t *rank;
	size_t *byrank;		/* the inverse: byrank[r] is the value index */
};

struct spec_const {
	char *name;
	json_t *value;		/* owned */
	struct val val;
	char *text;
};

/* The most objectives a study may have (key "objectives"). */
#define SPEC_MAX_OBJECTIVES	4

struct spec {
	char *path;		/* as given */
	char *dir;		/* its folder, for the paths inside */
	json_t *root;		/* the whole document, owned */
	const char *name, *backend, *entry;	/* borrowed from root */
	char *source;		/* resolved against dir; NULL when none */
	/* SHA-256 of the source file ("" when none); for a study with a
	 * command, of the command line and that. */
	char srchash[65];

	size_t nparams;
	struct spec_param *params;
	size_t nconsts;
	struct spec_const *consts;	/* the problem, -D overrides applied */
	size_t nconstraints;
	struct expr **constraints;
	/* The largest source of a code variant, in bytes: the study's
	 * "variant_max_bytes", else SPEC_VARIANT_MAX. */
	size_t variant_max;
	/* Key "objectives": how many (0 without, else 2 to
	 * SPEC_MAX_OBJECTIVES), and which are "maximize". */
	size_t nobjectives;
	int objective_max[SPEC_MAX_OBJECTIVES];
	/* The study's "transform": its source's marked loops and the menu
	 * of knobs, which follow the study's own params (spec_param.xform)
	 * and whose constraints follow its own; NULL without one. */
	struct xform_src *xform;
};

#define SPEC_VARIANT_MAX	((size_t)1 << 20)

/*
 * Loads and checks path.  defs are "NAME=VALUE" overrides of problem
 * constants (from -D).  Returns 0, or -1 with err->msg naming the file
 * and the key: "study.json: key \"params.MR\": parameter has no values",
 * and nothing to release.
 */
int spec_load(struct spec *s, const char *path, char *const *defs,
    size_t ndefs, struct ar_err *err);
void spec_release(struct spec *s);

/*
 * Argument i of the argument vector under key ("command", or "check"),
 * "{NAME}" replaced by text[slot], the text of the parameter or constant
 * NAME, and "{{" and "}}" by "{" and "}".  spec_load checked the braces
 * and the names, so NULL (err set) means a study changed since.  The
 * caller frees the result.
 */
char *spec_argv_arg(const struct spec *s, const char *key, size_t i,
    const char *const *text, struct ar_err *err);
/*
 * For a study of backend command: 0 when the program of key ("command"
 * or "check") can be started as the command backend starts it (execvp
 * in the study's folder: a name with a '/' from that folder, any other
 * looked up in PATH), or the study has no such key; else -1 with err
 * naming the file and the key.  Not part of spec_load, since a study may
 * be proposed or scored where its program is not.
 */
int spec_check_program(const struct spec *s, const char *key,
    struct ar_err *err);

/* expr_lookup over the spec's slots. */
int spec_lookup(void *spec, const char *name, size_t len);
/* The name of a slot. */
const char *spec_slot_name(const struct spec *s, int slot);
size_t spec_nslots(const struct spec *s);

/* Index of a parameter by name, or -1. */
int spec_param_index(const struct spec *s, const char *name);
/*
 * Index of value v in a parameter's list, or -1.  Numbers match by value
 * (8 matches 8.0); failing that, a value matches the one with the same -D
 * text (the string "8" and the number 8, true and 1), since CSV cells
 * carry no type.
 */
long spec_value_index(const struct spec_param *p, json_t *v);

/*
 * Whether the params of study s fit a Kernel Tuner cache file's, fparams
 * ({name: [values]} in tune_params_keys order, as ktcache_params gives
 * them; path names the file in messages): every parameter of the study
 * must be one of the file's keys and every key a parameter (the order may
 * differ), and every value the study lists must be one of that key's
 * values (a study may list fewer).  spec_load checks it for every replay
 * study, so that a study that does not fit its file is refused by every
 * stage.  With map not NULL, map[i] receives the file's index of the key
 * parameter i is, and valmap[i][k] (s->params[i].n entries each) the
 * index among that key's values of its value k.  Returns 0, or -1 with
 * err set ("STUDY: key \"params.X\": not one of the tune_params of
 * 'FILE'").
 */
int spec_fit_file(const struct spec *s, json_t *fparams, const char *path,
    size_t *map, uint32_t *const *valmap, struct ar_err *err);

/*
 * Parses an expression of the study given as a string, or as a number
 * where a number will do (a size, a launch dimension), against the
 * study's slots.  Returns the program (the caller frees it with
 * expr_free), or NULL with err naming the file and the key.
 */
struct expr *spec_expr(const struct spec *s, const char *key, json_t *v,
    struct ar_err *err);

#endif
