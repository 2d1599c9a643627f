/*
 * external: proposals that are programs, for ar-propose(1).  Two things
 * live here:
 *
 * - The external proposer of a study (ar-study(5) key "proposer"): a
 *   program run with an argument vector, never a shell, in the study's
 *   folder, that writes JSON lines
 *	{"params": {...}, "source": "...", "parent": HASH, "by": TOKEN,
 *	 "ops": [...]}
 *   Every line is checked (as --from checks a configuration, plus the
 *   source's size and the parent's form) before any is taken, so that a
 *   bad line never leaves half a batch behind.
 *
 * - The variant of a record (ar-formats(7) "variant"): a source put
 *   into the content-addressed store (varstore.h), or the study's marked
 *   source rendered with the record's transformation knobs (xform.h),
 *   and the record's id that hashes it (space_id_variant).
 *
 * Nothing here prints: the proposer's stderr is handed back for the
 * tool to show.
 *
 * Ownership: external_run fills a struct external_batch the caller
 * releases with external_batch_release; external_env_paths fills a
 * struct external_env whose paths external_env_release frees (and
 * unlinks, when temporary); its variants is borrowed.
 */
#ifndef AR_EXTERNAL_H
#define AR_EXTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "hash.h"
#include "space.h"
#include "spec.h"
#include "util.h"

/* The proposer's time limit when the study gives none, in seconds. */
#define EXTERNAL_TIMEOUT_S	60.0

/* What the proposer is told, as environment variables (AR_STUDY, ...). */
struct external_env {
	char *study;		/* the study's path (made absolute) */
	char *history;		/* the history's path, "" when none */
	int tmp;		/* history is a temporary file */
	const char *variants;	/* the store */
	long number;		/* how many proposals are wanted */
	unsigned long long seed;
	long round;
};

/* One proposal the proposer made, checked. */
struct external_prop {
	space_idx *cfg;		/* np value indices */
	char *source;		/* NULL: none (a plain record) */
	size_t len;
	char parent[HASH_HEXLEN + 1];	/* "" when none */
	char *by;		/* NULL: "external" */
	json_t *ops;		/* NULL: none */
	size_t line;		/* of the proposer's output */
};

struct external_batch {
	struct external_prop *p;
	size_t n;
	char *err;		/* the proposer's stderr (never NULL after
				 * external_run returned 0 or -1 with
				 * *failed set) */
	size_t errlen;
};

/*
 * Why external_run failed: the study's "proposer" or its output was bad
 * (bad input: exit 2), or the proposer did not run to a clean end
 * (not found, non-zero exit, signal, timeout: exit 1).
 */
enum external_fail {
	EXTERNAL_BAD_INPUT = 2,
	EXTERNAL_FAILED = 1
};

/*
 * The study's "proposer" checked: 0, or -1 with err naming the study and
 * the key ("study.json: key \"proposer.command\": must be a non-empty
 * array of strings").  A study without the key is an error too.
 */
int external_check(const struct spec *s, struct ar_err *err);

/*
 * The proposer's environment for a run with the study at path, the
 * histories of -H (nhists paths; their text, as read, in hist): AR_HISTORY
 * is the one file's absolute path, or with several or with stdin ("-")
 * a temporary file holding hist, *tmp set (the caller unlinks it).
 * Fills env's study and history, strings the caller frees with
 * external_env_release.  Returns 0, or -1 with err set.
 */
int external_env_paths(struct external_env *env, const char *path,
    char *const *hists, size_t nhists, const struct ar_buf *hist,
    struct ar_err *err);
void external_env_release(struct external_env *env);

/*
 * Runs the study's proposer with env and reads its proposals into b:
 * returns 0, or -1 with err saying what went wrong, naming the proposer
 * and the line of its output ("proposer './p.sh' line 3: ...") and *why
 * set.  b->err holds the proposer's stderr whenever it ran.
 */
int external_run(const struct spec *s, struct space *sp,
    const struct external_env *env, struct external_batch *b,
    enum external_fail *why, struct ar_err *err);
void external_batch_release(struct external_batch *b);

/* The command's name as messages give it ("'./propose.sh'"), argv[0]. */
const char *external_name(const struct spec *s);

/*
 * What f holds, to its end, appended to b (name in messages): 0, or -1
 * with err set.
 */
int external_slurp(FILE *f, const char *name, struct ar_buf *b,
    struct ar_err *err);

/*
 * A history for -H read from f (called name): its text appended to
 * hist, the ids of the study's records added to ids, and a stream over
 * that text returned for search_read_history (the caller fcloses it);
 * NULL with err empty when the history is empty, with err set when it
 * cannot be read.
 */
FILE *external_history(FILE *f, const char *name, const char *study,
    struct ar_buf *hist, struct idset *ids, struct ar_err *err);

/*
 * The configurations of --from (f, called name, records or bare params
 * objects, JSON lines or CSV), each checked as space_from_json checks
 * it: *cfgs (np indices each, the caller frees them) and their number.
 * Returns 0, or -1 with err naming the file and the line; a file with
 * none is an error too.
 */
int external_from(struct space *sp, FILE *f, const char *name,
    space_idx **cfgs, size_t *n, struct ar_err *err);

/* The CSV columns of ar-propose's records (study, id, round, strategy,
 * params.NAME...), a NULL-terminated list freed with external_columns_free. */
const char **external_columns(const struct spec *s);
void external_columns_free(const char **cols);

/*
 * A new temporary file holding text (len bytes), for AR_HISTORY when
 * the history came from stdin or from several files: its path (the
 * caller unlinks and frees it), or NULL with err set.
 */
char *external_tmpfile(const char *text, size_t len, struct ar_err *err);

/*
 * The ids of the study's records in a history's text (len bytes of JSON
 * lines or CSV, called name) added to ids; records that cannot be read
 * are left for search_read_history to report.
 */
void external_history_ids(const char *text, size_t len, const char *name,
    const char *study, struct idset *ids);

/*
 * The record ar-propose writes for cfg in *rec (new), with its id in id:
 * study, id, round, strategy, params, and the variant: p's source when
 * p is not NULL and has one (p's parent, by and ops), else with dir not
 * NULL and a study with "transform" cfg's rendering (its parent the
 * rendering of the configuration parent, when not NULL).  Returns 1 when the record has a variant, 0 when not, or -1
 * with err set (as external_variant).
 */
int external_record(const struct space *sp, const char *dir,
    const space_idx *cfg, long round, const char *strategy,
    const struct external_prop *p, const space_idx *parent, json_t **rec,
    char id[SPACE_IDLEN + 1], struct ar_err *err);

/*
 * The variant of a record of cfg, made and stored in the store dir:
 * text (len bytes) when not NULL, else the rendering of cfg (by
 * "transform", the ops it applied).  parent is NULL or a hash, by NULL
 * for "transform" or "external" as text is NULL or not; ops, when not
 * NULL, is stolen.  Sets *variant (new) and id.  Returns 0, or -1 with
 * err set (the rendering or the store failed, the text is over the
 * study's variant_max).
 */
int external_variant(const struct space *sp, const char *dir,
    const space_idx *cfg, const char *text, size_t len, const char *parent,
    const char *by, json_t *ops, json_t **variant, char id[SPACE_IDLEN + 1],
    struct ar_err *err);

#endif
