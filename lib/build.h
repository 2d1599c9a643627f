/*
 * build: compiling a variant into a content-addressed cache.  A variant
 * is a source file compiled with the study's flags and one -D NAME=VALUE
 * per parameter and problem constant; its key is the SHA-256 of the
 * source's content, the defines (sorted), the flags, the compiler's path
 * and its version, so the same variant is built once, a changed source or
 * compiler builds anew, and an artifact's name says what it was built
 * from.
 *
 * Layout: DIR/ab/abcdef...so for key abcdef..., beside it the compiler's
 * messages (.log) and, for a variant that failed to compile, a marker
 * (.err) so that a known failure is not compiled again.  Files appear by
 * rename(2) only, so a killed build never leaves a half-written artifact.
 *
 * Ownership: build_result holds its own strings; release with
 * build_result_release.
 */
#ifndef AR_BUILD_H
#define AR_BUILD_H

#include <stddef.h>

#include "compile.h"
#include "hash.h"
#include "util.h"

/* A request, struct build_req, is compile.h's, since the backends read it. */

struct build_result {
	int ok;			/* 1 built (or found built), 0 compile error */
	int cached;		/* found in the cache, nothing was run */
	double seconds;		/* compiler wall time (0 when cached) */
	char key[HASH_HEXLEN + 1];
	char *artifact;		/* DIR/ab/key.so (exists when ok) */
	char *log;		/* the first lines of the compiler's messages */
};

/*
 * The backend of that name in the table of compiling backends, or NULL
 * when none builds for it (a study of backend "command" is not built).
 */
const struct compile_backend *build_backend(const char *name);

/* The key and artifact path a request would have, without building. */
int build_key(const struct build_req *req, char key[HASH_HEXLEN + 1],
    char **artifact, struct ar_err *err);

/*
 * Builds the variant as a shared object (cc -shared -fPIC FLAGS -D... -o
 * tmp SOURCE, then rename), or for CUDA as a cubin (see arch above),
 * unless the cache has it.  Returns 0 with res
 * filled, a compile error included (res->ok 0, the log kept); returns -1
 * with err set when the machinery failed (no compiler, cache not
 * writable).  Safe to call from several processes on one cache.
 */
int build_so(const struct build_req *req, struct build_result *res,
    struct ar_err *err);

void build_result_release(struct build_result *res);

/*
 * The "compile" object of a variant's record: its status, seconds and
 * log, the artifact's SHA-256 when built (what ar-bench checks before it
 * runs the artifact) and the backend's own fields.  Returns a new
 * object, or NULL with err set when the artifact cannot be read.
 */
json_t *build_record(const struct build_req *req,
    const struct build_result *res, struct ar_err *err);

/*
 * The cache folder used when none is given: $AR_CACHE, else
 * $XDG_CACHE_HOME/autoresearch, else $HOME/.cache/autoresearch (and
 * ./.ar-cache without a HOME).  Returns a string the caller frees.
 * ar-compile and ar-bench agree on it, which is what lets ar-bench
 * check a record's artifact.
 */
char *build_default_cache(void);

/*
 * Checks that path names an artifact inside cache whose name is key
 * (key.so, or key.cubin for CUDA): the real path (symlinks resolved) lies
 * under the real cache folder.
 * Returns 0, or -1 with err set.
 */
int build_check_artifact(const char *cache, const char *path,
    const char *key, struct ar_err *err);

#endif
