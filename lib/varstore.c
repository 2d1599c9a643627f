/*
 * varstore: the content-addressed store of code variants (varstore.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "varstore.h"

char *
varstore_dir(const char *dir)
{
	struct ar_buf b = { 0 };
	const char *v;
	char *abs;

	if (dir == NULL && (v = getenv("AR_VARIANTS")) != NULL && *v != '\0')
		dir = v;
	if (dir == NULL) {
		char *cache = build_default_cache();

		buf_printf(&b, "%s/variants", cache);
		free(cache);
		dir = b.buf;
	}
	abs = ar_abspath(dir);
	free(b.buf);
	return abs;
}

const char *
varstore_ext(const char *backend)
{
	if (strcmp(backend, "c") == 0)
		return ".c";
	if (strcmp(backend, "cuda") == 0)
		return ".cu";
	if (strcmp(backend, "opencl") == 0)
		return ".cl";
	return ".txt";
}

int
varstore_put(const char *dir, const char *ext, const void *text, size_t len,
    char hash[HASH_HEXLEN + 1], char **path, struct ar_err *err)
{
	struct ar_buf p = { 0 }, tmp = { 0 };
	struct stat st;
	int fd, rc = -1;

	hash_sha256_hex(text, len, hash);
	if (ar_mkdirs(dir, "the variants store", err) != 0)
		return -1;
	buf_printf(&p, "%s/%s%s", dir, hash, ext);
	if (stat(p.buf, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == len) {
		rc = 0;		/* there already: the name is the content */
		goto out;
	}
	buf_printf(&tmp, "%s/.%s%s.%ld.tmp", dir, hash, ext, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0 || ar_write_all(fd, text, len) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp.buf, p.buf) != 0) {
		ar_errf(err, "cannot write the variant '%s': %s", p.buf,
		    strerror(errno));
		if (fd >= 0)
			unlink(tmp.buf);
		goto out;
	}
	rc = 0;
out:
	if (rc == 0 && path != NULL) {
		*path = p.buf;
		p.buf = NULL;
	}
	free(p.buf);
	free(tmp.buf);
	return rc;
}

int
varstore_check(const char *dir, const char *ext, json_t *variant,
    size_t max, char **path, struct ar_err *err)
{
	const char *hash, *file, *base;
	char realdir[PATH_MAX], realfile[PATH_MAX], got[HASH_HEXLEN + 1];
	struct ar_buf b = { 0 };
	json_t *parent;
	struct stat st;
	size_t n;

	if (!json_is_object(variant)) {
		ar_errf(err, "\"variant\" must be an object");
		return -1;
	}
	hash = json_string_value(json_object_get(variant, "sha256"));
	if (!hash_is_hex(hash, HASH_HEXLEN)) {
		ar_errf(err, "variant.sha256 must be a SHA-256 as 64 lowercase "
		    "hex digits");
		return -1;
	}
	parent = json_object_get(variant, "parent");
	if (parent != NULL && !json_is_null(parent) &&
	    !hash_is_hex(json_string_value(parent), HASH_HEXLEN)) {
		ar_errf(err, "variant.parent must be null or a SHA-256 as 64 "
		    "lowercase hex digits");
		return -1;
	}
	if ((file = json_string_value(json_object_get(variant, "file")))
	    == NULL) {
		ar_errf(err, "variant.file must be a string, the variant's "
		    "path in the store");
		return -1;
	}
	if (realpath(dir, realdir) == NULL) {
		ar_errf(err, "the variants store '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if (realpath(file, realfile) == NULL) {
		ar_errf(err, "variant.file '%s': %s", file, strerror(errno));
		return -1;
	}
	n = strlen(realdir);
	base = strrchr(realfile, '/') + 1;
	if (strncmp(realfile, realdir, n) != 0 || realfile[n] != '/' ||
	    base != realfile + n + 1) {
		ar_errf(err, "variant.file '%s' is outside the store '%s'",
		    file, dir);
		return -1;
	}
	if (strncmp(base, hash, HASH_HEXLEN) != 0 ||
	    strcmp(base + HASH_HEXLEN, ext) != 0) {
		ar_errf(err, "variant.file '%s' is not named by its hash "
		    "(%s%s)", file, hash, ext);
		return -1;
	}
	if (stat(realfile, &st) != 0 || !S_ISREG(st.st_mode)) {
		ar_errf(err, "variant.file '%s' is not a regular file", file);
		return -1;
	}
	if ((size_t)st.st_size > max) {
		ar_errf(err, "variant '%s' holds %lld bytes, over the limit "
		    "of %zu", file, (long long)st.st_size, max);
		return -1;
	}
	if (ar_slurp(realfile, max + 1, &b, err) != 0)
		return -1;
	if (b.len > max) {
		ar_errf(err, "variant '%s' holds more than %zu bytes, over "
		    "the limit", file, max);
		free(b.buf);
		return -1;
	}
	hash_sha256_hex(b.buf, b.len, got);
	free(b.buf);
	if (strcmp(got, hash) != 0) {
		ar_errf(err, "variant.file '%s' does not match its hash: its "
		    "content hashes to %s", file, got);
		return -1;
	}
	if (path != NULL)
		*path = estrdup(realfile);
	return 0;
}

json_t *
varstore_json(const char *hash, const char *path, const char *parent,
    const char *by, json_t *ops)
{
	json_t *v = json_object();

	json_object_set_new(v, "sha256", json_string(hash));
	json_object_set_new(v, "file", json_string(path));
	json_object_set_new(v, "parent", parent != NULL ?
	    json_string(parent) : json_null());
	json_object_set_new(v, "by", json_string(by));
	if (ops != NULL)
		json_object_set_new(v, "ops", ops);
	return v;
}
