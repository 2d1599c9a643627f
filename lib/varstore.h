/*
 * varstore: the content-addressed store of code variants (issue 16,
 * ar-formats(7) "variant").  A variant is a whole source file; the store
 * is one folder holding each variant once, named by the SHA-256 of its
 * bytes and the extension of its language: DIR/HASH.c, DIR/HASH.cu.
 * Files are written to a temporary name in the folder and renamed, so a
 * reader never sees half a variant, and a variant written twice is the
 * same file.
 *
 * A record names its variant with the object
 *	{"sha256": HASH, "file": PATH, "parent": HASH or null, "by": WHO,
 *	 "ops": [...]}
 * where PATH is absolute.  Nothing about a variant is trusted for where
 * it came from: varstore_check is what every stage that reads a
 * variant's file runs first.
 *
 * Ownership: strings returned are the caller's.
 */
#ifndef AR_VARSTORE_H
#define AR_VARSTORE_H

#include <jansson.h>
#include <stddef.h>

#include "hash.h"
#include "util.h"

/*
 * The store folder: dir, or when dir is NULL $AR_VARIANTS, else the
 * folder "variants" in build_default_cache(); as an absolute path
 * (a leading "./" dropped).  The caller frees it.
 */
char *varstore_dir(const char *dir);

/*
 * The extension of a backend's variants, with its dot: ".c" for c,
 * ".cu" for cuda, ".cl" for opencl, ".txt" for any other.
 */
const char *varstore_ext(const char *backend);

/*
 * Puts text (len bytes) into the store dir (made if missing), unless it
 * is there already.  hash receives its SHA-256 and *path (when path is
 * not NULL) the file's absolute path.  Returns 0, or -1 with err set
 * (the folder cannot be made or written).
 */
int varstore_put(const char *dir, const char *ext, const void *text,
    size_t len, char hash[HASH_HEXLEN + 1], char **path,
    struct ar_err *err);

/*
 * Checks a record's "variant" object against the store dir before its
 * file is used: hash is 64 lowercase hex digits; file names a regular
 * file whose real path (symlinks resolved) lies in the real store folder
 * and whose name is HASH and ext; it holds at most max bytes; its
 * SHA-256 is hash; parent is null or 64 lowercase hex digits.  Returns
 * 0 with *path set to the file's real path, or -1 with err saying what
 * is wrong ("variant.file '...' is outside the store '...'", "variant
 * '...' holds N bytes, over the limit of M", "variant.file '...' does
 * not match its hash: ...").
 */
int varstore_check(const char *dir, const char *ext, json_t *variant,
    size_t max, char **path, struct ar_err *err);

/*
 * The variant object of a record, new: parent may be NULL (null), ops
 * NULL (no "ops"; a reference to ops is stolen otherwise).
 */
json_t *varstore_json(const char *hash, const char *path,
    const char *parent, const char *by, json_t *ops);

#endif
