/*
 * build: variants compiled into a content-addressed cache (see build.h),
 * by the backends of compile.h, whose table this is.  Nothing here is
 * shared between calls, so several threads may build at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "build.h"

/* What a result's log holds: the first lines of the messages. */
#define LOG_LINES	20
#define LOG_BYTES	4096

/* The compiling backends, one module each (see compile.h). */
static const struct compile_backend *const backends[] = {
	&compile_c,
	&compile_cuda,
	&compile_opencl,
};
#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

const struct compile_backend *
build_backend(const char *name)
{
	size_t i;

	for (i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* Who builds req: its backend, else cuda for an architecture, else c. */
static const struct compile_backend *
backend_of(const struct build_req *req)
{
	if (req->backend != NULL)
		return req->backend;
	return req->arch != NULL ? &compile_cuda : &compile_c;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
artifact_path(const char *cache, const char *key, const char *suffix)
{
	struct ar_buf b = { 0 };

	buf_printf(&b, "%s/%.2s/%s%s", cache, key, key, suffix);
	return b.buf;
}

/*
 * The key's text: the backend's version tag, the source's hash, the
 * defines (sorted, so their order does not matter) and the flags, each
 * list after its length, then the backend's own fields.
 */
int
build_key(const struct build_req *req, char key[HASH_HEXLEN + 1],
    char **artifact, struct ar_err *err)
{
	const struct compile_backend *be = backend_of(req);
	char srchash[HASH_HEXLEN + 1], **defs;
	struct ar_buf b = { 0 }, tail = { 0 };
	const char *tag;
	size_t i, n;

	if (hash_file_sha256_hex(req->source, srchash, err) != 0)
		return -1;
	if (be->key(req, &tag, &tail, err) != 0) {
		free(tail.buf);
		return -1;
	}
	compile_key_field(&b, tag);
	compile_key_field(&b, "source");
	compile_key_field(&b, srchash);
	n = compile_count(req->defines);
	buf_printf(&b, "defines %zu", n);
	buf_add(&b, "", 1);
	defs = ecalloc(n + 1, sizeof(*defs));
	memcpy(defs, req->defines, n * sizeof(*defs));
	qsort(defs, n, sizeof(*defs), cmp_str);
	for (i = 0; i < n; i++)
		compile_key_field(&b, defs[i]);
	free(defs);
	n = compile_count(req->flags);
	buf_printf(&b, "flags %zu", n);
	buf_add(&b, "", 1);
	for (i = 0; i < n; i++)
		compile_key_field(&b, req->flags[i]);
	buf_add(&b, tail.buf, tail.len);
	free(tail.buf);
	hash_sha256_hex(b.buf, b.len, key);
	free(b.buf);
	if (artifact != NULL)
		*artifact = artifact_path(req->cache, key, be->suffix);
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

/*
 * The first lines of a compiler's messages as a record can hold them:
 * at most LOG_LINES lines and LOG_BYTES bytes, cut at a line's end where
 * one is near, valid UTF-8 (a stray byte becomes '?', as does a NUL), no
 * trailing white space.
 */
static char *
log_head(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	struct ar_buf b = { 0 };
	size_t i = 0, lines = 0, k;
	int cut = 0;

	for (; i < len; i += k) {
		if (s[i] == '\n' && ++lines == LOG_LINES)
			break;
		k = s[i] == '\0' ? 0 : utf8_len(s + i, len - i);
		if (b.len + (k ? k : 1) > LOG_BYTES) {
			cut = 1;
			break;
		}
		if (k == 0) {
			buf_add(&b, "?", 1);
			k = 1;
		} else
			buf_add(&b, s + i, k);
	}
	buf_add(&b, "", 1);
	b.len--;
	if (cut) {
		/* Cut in a line: drop the part of it, unless it is the
		 * first. */
		char *nl = strrchr(b.buf, '\n');

		if (nl != NULL)
			b.len = (size_t)(nl - b.buf);
	}
	while (b.len > 0 && strchr(" \t\r\n", b.buf[b.len - 1]) != NULL)
		b.len--;
	b.buf[b.len] = '\0';
	return b.buf;
}

/* Writes path by way of a temporary file and rename(2). */
static int
write_file(const char *path, const char *tmp, const char *data, size_t len,
    struct ar_err *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0 || ar_write_all(fd, data, len) != 0 || close(fd) != 0 ||
	    rename(tmp, path) != 0) {
		ar_errf(err, "cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		return -1;
	}
	return 0;
}

/* Answers from the cache: 1 when the key is known (built or failed). */
static int
from_cache(const char *cache, struct build_result *res)
{
	struct ar_buf lb = { 0 };
	struct ar_err lerr;
	struct stat st;
	char *path;

	if (stat(res->artifact, &st) == 0 && S_ISREG(st.st_mode)) {
		res->ok = 1;
		path = artifact_path(cache, res->key, ".log");
	} else {
		path = artifact_path(cache, res->key, ".err");
		if (stat(path, &st) != 0) {
			free(path);
			return 0;
		}
		res->ok = 0;
	}
	res->cached = 1;
	res->seconds = 0;
	if (ar_slurp(path, COMPILE_LOG_CAPTURE * 2, &lb, &lerr) == 0)
		res->log = log_head(lb.buf, lb.len);
	else
		res->log = estrdup("");
	free(lb.buf);
	free(path);
	return 1;
}

int
build_so(const struct build_req *req, struct build_result *res,
    struct ar_err *err)
{
	const struct compile_backend *be = backend_of(req);
	struct ar_buf dir = { 0 }, tmpout = { 0 }, tmplog = { 0 };
	struct compile_run run = { 0 };
	struct ar_buf *msgs = &run.msgs;
	char *logpath = NULL, *errpath = NULL;
	int fd, rc = -1;

	memset(res, 0, sizeof(*res));
	if (build_key(req, res->key, &res->artifact, err) != 0)
		goto fail;
	if (from_cache(req->cache, res))
		return 0;

	buf_printf(&dir, "%s/%.2s", req->cache, res->key);
	if (ar_mkdirs(dir.buf, "the cache folder", err) != 0)
		goto fail;
	/* Unique among the processes and threads that share the cache. */
	buf_printf(&tmpout, "%s/.tmp-%s-%ld-%ld%s", dir.buf, res->key,
	    (long)getpid(), (long)gettid(), be->suffix);
	buf_printf(&tmplog, "%s/.tmp-%s-%ld-%ld.log", dir.buf, res->key,
	    (long)getpid(), (long)gettid());
	/* Writing here first tells a cache we cannot write in from a
	 * compile error. */
	if ((fd = open(tmplog.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) < 0) {
		ar_errf(err, "cannot write in the cache folder '%s': %s",
		    dir.buf, strerror(errno));
		goto fail;
	}
	close(fd);

	if (be->build(req, tmpout.buf, &run, err) != 0) {
		unlink(tmpout.buf);
		unlink(tmplog.buf);
		goto fail;
	}
	res->ok = run.ok;
	res->seconds = run.seconds;
	buf_add(msgs, "", 1);
	msgs->len--;
	res->log = log_head(msgs->buf, msgs->len);

	logpath = artifact_path(req->cache, res->key, ".log");
	if (write_file(logpath, tmplog.buf, msgs->buf, msgs->len, err) != 0) {
		unlink(tmpout.buf);
		goto fail;
	}
	if (res->ok) {
		if (rename(tmpout.buf, res->artifact) != 0) {
			ar_errf(err, "cannot write '%s': %s", res->artifact,
			    strerror(errno));
			unlink(tmpout.buf);
			goto fail;
		}
	} else {
		unlink(tmpout.buf);
		errpath = artifact_path(req->cache, res->key, ".err");
		if (run.keep_err && write_file(errpath, tmplog.buf,
		    msgs->buf, msgs->len, err) != 0)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	build_result_release(res);
out:
	free(dir.buf);
	free(tmpout.buf);
	free(tmplog.buf);
	free(msgs->buf);
	free(logpath);
	free(errpath);
	return rc;
}

void
build_result_release(struct build_result *res)
{
	free(res->artifact);
	free(res->log);
	memset(res, 0, sizeof(*res));
}

json_t *
build_record(const struct build_req *req, const struct build_result *res,
    struct ar_err *err)
{
	json_t *c = json_object();
	char hex[HASH_HEXLEN + 1];

	json_object_set_new(c, "status", json_string(res->ok ? "ok" : "error"));
	json_object_set_new(c, "seconds", json_real(res->seconds));
	json_object_set_new(c, "log", json_string(res->log));
	if (res->ok) {
		if (hash_file_sha256_hex(res->artifact, hex, err) != 0) {
			json_decref(c);
			return NULL;
		}
		json_object_set_new(c, "sha256", json_string(hex));
	}
	if (backend_of(req)->record != NULL)
		backend_of(req)->record(req, c);
	return c;
}

char *
build_default_cache(void)
{
	struct ar_buf b = { 0 };
	const char *v;

	if ((v = getenv("AR_CACHE")) != NULL && *v != '\0')
		return estrdup(v);
	if ((v = getenv("XDG_CACHE_HOME")) != NULL && *v != '\0')
		buf_printf(&b, "%s/autoresearch", v);
	else if ((v = getenv("HOME")) != NULL && *v != '\0')
		buf_printf(&b, "%s/.cache/autoresearch", v);
	else
		return estrdup("./.ar-cache");
	return b.buf;
}

/* Whether s is the suffix of some backend's artifacts. */
static int
known_suffix(const char *s)
{
	size_t i;

	for (i = 0; i < NBACKENDS; i++)
		if (strcmp(s, backends[i]->suffix) == 0)
			return 1;
	return 0;
}

int
build_check_artifact(const char *cache, const char *path, const char *key,
    struct ar_err *err)
{
	char *rcache, *rpath, *base;
	size_t n, i;
	int rc = -1;

	for (i = 0; key[i] != '\0'; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
		    (key[i] >= 'a' && key[i] <= 'f')))
			break;
	if (i != HASH_HEXLEN || key[i] != '\0') {
		ar_errf(err, "'%s' is not a build key", key);
		return -1;
	}
	if ((rcache = realpath(cache, NULL)) == NULL) {
		ar_errf(err, "cannot find the cache folder '%s': %s", cache,
		    strerror(errno));
		return -1;
	}
	if ((rpath = realpath(path, NULL)) == NULL) {
		ar_errf(err, "cannot find the artifact '%s': %s", path,
		    strerror(errno));
		free(rcache);
		return -1;
	}
	n = strlen(rcache);
	base = strrchr(rpath, '/') + 1;
	if (strncmp(rpath, rcache, n) != 0 ||
	    (rpath[n] != '/' && strcmp(rcache, "/") != 0))
		ar_errf(err, "the artifact '%s' is not inside the cache '%s'",
		    path, cache);
	else if (strncmp(base, key, HASH_HEXLEN) != 0 ||
	    !known_suffix(base + HASH_HEXLEN))
		ar_errf(err, "the artifact '%s' is not the build of key %s",
		    path, key);
	else
		rc = 0;
	free(rcache);
	free(rpath);
	return rc;
}
