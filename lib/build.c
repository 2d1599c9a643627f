/*
 * build: variants compiled into a content-addressed cache (see build.h).
 *
 * The one piece of state shared between calls is the compilers'
 * identities: `CC --version` is run once per compiler and process, under
 * a mutex, since ar-compile calls build_so from several threads.  NVRTC
 * keeps its own (rtc.h), loaded once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "build.h"
#include "proc.h"
#include "rtc.h"

/* The log kept beside an artifact holds at most this much. */
#define LOG_CAPTURE	(256 * 1024)
/* What a result's log holds: the first lines of the messages. */
#define LOG_LINES	20
#define LOG_BYTES	4096
/* How long `CC --version` may take. */
#define IDENT_TIMEOUT	30
/* Compilers whose identity is remembered per process. */
#define MAX_IDENTS	8

static pthread_mutex_t ident_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *cc, *match, *ident;
} idents[MAX_IDENTS];

static const char *
pick_cc(const struct build_req *req)
{
	const char *cc = req->cc;

	if (cc == NULL || *cc == '\0')
		cc = getenv("CC");
	if (cc == NULL || *cc == '\0')
		cc = "cc";
	return cc;
}

/*
 * The first line of text that holds match (any line when match is ""),
 * else the first line, as a new string.
 */
static char *
first_line(const char *text, const char *match)
{
	const char *s = text;
	size_t n;

	for (;;) {
		n = strcspn(s, "\n");
		if (memmem(s, n, match, strlen(match)) != NULL)
			return estrndup(s, n);
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	return estrndup(text, strcspn(text, "\n"));
}

/*
 * The compiler's identity: the first line of `cc --version` that holds
 * match, which names its maker and version (cc's first line; for nvcc
 * the line "Cuda compilation tools, release 13.0, V13.0.88", since its
 * first line names no version).  A compiler that cannot be started is
 * the machinery failing, reported here before any variant is tried.
 */
static char *
cc_ident(const char *cc, const char *match, struct ar_err *err)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	char *argv[] = { (char *)cc, "--version", NULL };
	char *ident = NULL, how[256];
	int i;

	pthread_mutex_lock(&ident_lock);
	for (i = 0; i < MAX_IDENTS && idents[i].cc != NULL; i++)
		if (strcmp(idents[i].cc, cc) == 0 &&
		    strcmp(idents[i].match, match) == 0) {
			ident = estrdup(idents[i].ident);
			goto out;
		}
	o.timeout_s = IDENT_TIMEOUT;
	if (proc_run(argv, &o, &r, err) != 0)
		goto out;
	if (r.end == PROC_NOEXEC) {
		ar_errf(err, "cannot run the compiler '%s': %s", cc,
		    strerror(r.code));
	} else if (r.end != PROC_EXITED) {
		ar_errf(err, "the compiler '%s' failed to tell its version: "
		    "%s", cc, proc_describe(&r, how, sizeof(how)));
	} else {
		ident = first_line(r.outlen > 0 ? r.out : r.err, match);
		if (i < MAX_IDENTS) {
			idents[i].cc = estrdup(cc);
			idents[i].match = estrdup(match);
			idents[i].ident = estrdup(ident);
		}
	}
	proc_result_release(&r);
out:
	pthread_mutex_unlock(&ident_lock);
	return ident;
}

/*
 * Code built for "the machine it is built on" differs between machines
 * that may share a cache folder (a home on NFS), so the CPU is part of
 * the key then.
 */
static void
add_cpu(struct ar_buf *b, char *const *flags)
{
	char line[4096];
	FILE *f;
	int native = 0, model = 0, feat = 0;
	size_t i;

	for (i = 0; flags != NULL && flags[i] != NULL; i++)
		if (strstr(flags[i], "=native") != NULL)
			native = 1;
	if (!native)
		return;
	buf_adds(b, "cpu");
	buf_add(b, "", 1);
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while ((!model || !feat) && fgets(line, sizeof(line), f) != NULL) {
		if (!model && strncmp(line, "model name", 10) == 0)
			model = 1;
		else if (!feat && (strncmp(line, "flags", 5) == 0 ||
		    strncmp(line, "Features", 8) == 0))
			feat = 1;
		else
			continue;
		buf_adds(b, line);
	}
	buf_add(b, "", 1);
	fclose(f);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
count(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* A field of the key's text: NUL-terminated, so no two inputs run
 * together into the same bytes. */
static void
add_field(struct ar_buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
}

static char *
artifact_path(const char *cache, const char *key, const char *suffix)
{
	struct ar_buf b = { 0 };

	buf_printf(&b, "%s/%.2s/%s%s", cache, key, key, suffix);
	return b.buf;
}

/*
 * nvcc as it is run: by name when the PATH has it, else from where the
 * CUDA toolkit puts it, which a batch job's PATH often lacks.  "nvcc"
 * when it is nowhere, so that the failure to run it names it.
 */
static char *
find_nvcc(void)
{
	const char *path = getenv("PATH"), *dirs[2];
	struct ar_buf b = { 0 };
	size_t n, i;

	for (; path != NULL && *path != '\0'; path += n + (path[n] != '\0')) {
		n = strcspn(path, ":");
		b.len = 0;
		buf_printf(&b, "%.*s/nvcc", (int)n, n ? path : ".");
		if (access(b.buf, X_OK) == 0) {
			free(b.buf);
			return estrdup("nvcc");
		}
	}
	dirs[0] = getenv("CUDA_HOME");
	dirs[1] = "/usr/local/cuda";
	for (i = 0; i < 2; i++) {
		if (dirs[i] == NULL || *dirs[i] == '\0')
			continue;
		b.len = 0;
		buf_printf(&b, "%s/bin/nvcc", dirs[i]);
		if (access(b.buf, X_OK) == 0)
			return b.buf;
	}
	free(b.buf);
	return estrdup("nvcc");
}

/* The key's version tags: each changes when its command's shape does. */
#define TAG_CC		"autoresearch build 1: cc -shared -fPIC"
#define TAG_NVRTC	"autoresearch build 1: nvrtc --gpu-architecture " \
			"--include-path"
#define TAG_NVCC	"autoresearch build 1: nvcc -cubin -arch"

int
build_key(const struct build_req *req, char key[HASH_HEXLEN + 1],
    char **artifact, struct ar_err *err)
{
	char srchash[HASH_HEXLEN + 1], nv[512];
	const char *cc, *tag;
	struct ar_buf b = { 0 };
	char **defs, *ident = NULL, *nvcc = NULL;
	size_t i, n;

	if (hash_file_sha256_hex(req->source, srchash, err) != 0)
		return -1;
	if (req->arch == NULL) {
		tag = TAG_CC;
		cc = pick_cc(req);
		ident = cc_ident(cc, "", err);
	} else if (req->nvcc) {
		tag = TAG_NVCC;
		cc = nvcc = find_nvcc();
		ident = cc_ident(cc, "release", err);
	} else {
		tag = TAG_NVRTC;
		cc = "nvrtc";
		if (rtc_ident(nv, sizeof(nv), err) == 0)
			ident = estrdup(nv);
	}
	if (ident == NULL) {
		free(nvcc);
		return -1;
	}
	add_field(&b, tag);
	add_field(&b, "source");
	add_field(&b, srchash);
	n = count(req->defines);
	buf_printf(&b, "defines %zu", n);
	buf_add(&b, "", 1);
	defs = ecalloc(n + 1, sizeof(*defs));
	memcpy(defs, req->defines, n * sizeof(*defs));
	qsort(defs, n, sizeof(*defs), cmp_str);
	for (i = 0; i < n; i++)
		add_field(&b, defs[i]);
	free(defs);
	n = count(req->flags);
	buf_printf(&b, "flags %zu", n);
	buf_add(&b, "", 1);
	for (i = 0; i < n; i++)
		add_field(&b, req->flags[i]);
	if (req->arch != NULL) {
		add_field(&b, "arch");
		add_field(&b, req->arch);
	}
	add_field(&b, "cc");
	add_field(&b, cc);
	add_field(&b, ident);
	/* A cubin holds no host code: -march=native means nothing there. */
	if (req->arch == NULL)
		add_cpu(&b, req->flags);
	free(ident);
	free(nvcc);
	hash_sha256_hex(b.buf, b.len, key);
	free(b.buf);
	if (artifact != NULL)
		*artifact = artifact_path(req->cache, key,
		    req->arch != NULL ? ".cubin" : ".so");
	return 0;
}

/* Creates path and the folders above it, as mkdir -p. */
static int
mkdirs(const char *path, struct ar_err *err)
{
	char *p = estrdup(path), *s;
	struct stat st;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				ar_errf(err, "cannot create the cache folder "
				    "'%s': %s", p, strerror(errno));
				free(p);
				return -1;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	free(p);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ar_errf(err, "the cache folder '%s' is not a folder", path);
		return -1;
	}
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

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes path by way of a temporary file and rename(2). */
static int
write_file(const char *path, const char *tmp, const char *data, size_t len,
    struct ar_err *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0 || write_all(fd, data, len) != 0 || close(fd) != 0 ||
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
	if (ar_slurp(path, LOG_CAPTURE * 2, &lb, &lerr) == 0)
		res->log = log_head(lb.buf, lb.len);
	else
		res->log = estrdup("");
	free(lb.buf);
	free(path);
	return 1;
}

/*
 * Runs a compiler (argv) that writes tmpout.  Fills res->ok and
 * res->seconds, appends its messages to msgs, and sets *keep_err when
 * the failure is the compiler's answer rather than an accident.
 * Returns -1 with err set when the compiler could not be run.
 */
static int
run_compiler(char *const *argv, const char *tmpout, double timeout_s,
    struct build_result *res, struct ar_buf *msgs, int *keep_err,
    struct ar_err *err)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	struct stat st;
	char how[256];

	o.timeout_s = timeout_s;
	o.max_capture = LOG_CAPTURE;
	if (proc_run(argv, &o, &r, err) != 0)
		return -1;
	if (r.end == PROC_NOEXEC) {
		ar_errf(err, "cannot run the compiler '%s': %s", argv[0],
		    strerror(r.code));
		proc_result_release(&r);
		return -1;
	}
	res->seconds = r.wall_s;
	buf_add(msgs, r.err, r.errlen);
	buf_add(msgs, r.out, r.outlen);
	if (r.err_truncated || r.out_truncated)
		buf_adds(msgs, "\n(more messages were dropped)\n");
	if (r.end == PROC_EXITED && r.code == 0 && stat(tmpout, &st) == 0) {
		res->ok = 1;
	} else {
		if (msgs->len > 0 && msgs->buf[msgs->len - 1] != '\n')
			buf_adds(msgs, "\n");
		if (r.end == PROC_TIMEOUT)
			buf_printf(msgs, "compile timed out after %g s\n",
			    timeout_s);
		else if (r.end == PROC_EXITED && r.code == 0)
			buf_printf(msgs, "%s made no output file\n", argv[0]);
		else if (msgs->len == 0 || r.end != PROC_EXITED)
			buf_printf(msgs, "%s %s\n", argv[0],
			    proc_describe(&r, how, sizeof(how)));
		/* A compiler that said no is asked no more; one that was
		 * killed or ran out of time may do better next time. */
		*keep_err = r.end == PROC_EXITED && r.code != 0;
	}
	proc_result_release(&r);
	return 0;
}

/* The argument vector of cc (or of nvcc, for a cubin); the caller frees
 * it and its strings. */
static char **
compiler_argv(const struct build_req *req, const char *tmpout)
{
	size_t nf = count(req->flags), nd = count(req->defines), i, n = 0;
	char **argv = ecalloc(nf + nd + 7, sizeof(*argv));
	struct ar_buf d;

	if (req->arch != NULL) {
		argv[n++] = find_nvcc();
		argv[n++] = estrdup("-cubin");
		memset(&d, 0, sizeof(d));
		buf_printf(&d, "-arch=%s", req->arch);
		argv[n++] = d.buf;
	} else {
		argv[n++] = estrdup(pick_cc(req));
		argv[n++] = estrdup("-shared");
		argv[n++] = estrdup("-fPIC");
	}
	for (i = 0; i < nf; i++)
		argv[n++] = estrdup(req->flags[i]);
	for (i = 0; i < nd; i++) {
		memset(&d, 0, sizeof(d));
		buf_printf(&d, "-D%s", req->defines[i]);
		argv[n++] = d.buf;
	}
	argv[n++] = estrdup("-o");
	argv[n++] = estrdup(tmpout);
	argv[n++] = estrdup(req->source);
	return argv;
}

/* The whole of a source file, NUL-terminated, or NULL with err set. */
static char *
read_source(const char *path, struct ar_err *err)
{
	struct ar_buf b = { 0 };
	char tmp[65536];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		ar_errf(err, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	if (ferror(f)) {
		ar_errf(err, "cannot read '%s': %s", path, strerror(errno));
		fclose(f);
		free(b.buf);
		return NULL;
	}
	fclose(f);
	buf_add(&b, "", 1);
	return b.buf;
}

/*
 * Compiles to a cubin in this process with NVRTC, and writes it to
 * tmpout.  The options are those nvcc would be given, with the source's
 * folder on the include path, where nvcc looks by itself.  As
 * run_compiler; a compile error is always NVRTC's answer and is kept.
 */
static int
run_nvrtc(const struct build_req *req, const char *tmpout,
    struct build_result *res, struct ar_buf *msgs, int *keep_err,
    struct ar_err *err)
{
	size_t nf = count(req->flags), nd = count(req->defines), i, n = 0;
	const char *slash = strrchr(req->source, '/');
	char **opts, *src;
	struct rtc_out out;
	struct ar_buf d;
	int fd, rc = -1;

	if ((src = read_source(req->source, err)) == NULL)
		return -1;
	opts = ecalloc(nf + nd + 3, sizeof(*opts));
	memset(&d, 0, sizeof(d));
	buf_printf(&d, "--gpu-architecture=%s", req->arch);
	opts[n++] = d.buf;
	memset(&d, 0, sizeof(d));
	if (slash == NULL)
		buf_printf(&d, "--include-path=.");
	else
		buf_printf(&d, "--include-path=%.*s",
		    (int)(slash - req->source) + (slash == req->source),
		    req->source);
	opts[n++] = d.buf;
	for (i = 0; i < nf; i++)
		opts[n++] = estrdup(req->flags[i]);
	for (i = 0; i < nd; i++) {
		memset(&d, 0, sizeof(d));
		buf_printf(&d, "-D%s", req->defines[i]);
		opts[n++] = d.buf;
	}
	if (rtc_compile(req->source, src, opts, n, &out, err) != 0)
		goto out;
	res->seconds = out.seconds;
	buf_add(msgs, out.log, out.loglen);
	if (out.ok) {
		fd = open(tmpout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0666);
		if (fd < 0 || write_all(fd, out.cubin, out.cubinlen) != 0 ||
		    close(fd) != 0) {
			ar_errf(err, "cannot write '%s': %s", tmpout,
			    strerror(errno));
			if (fd >= 0)
				unlink(tmpout);
			rtc_out_release(&out);
			goto out;
		}
		res->ok = 1;
	} else
		*keep_err = 1;
	rtc_out_release(&out);
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(opts[i]);
	free(opts);
	free(src);
	return rc;
}

int
build_so(const struct build_req *req, struct build_result *res,
    struct ar_err *err)
{
	struct ar_buf dir = { 0 }, tmpout = { 0 }, tmplog = { 0 };
	struct ar_buf msgs = { 0 };
	const char *suffix = req->arch != NULL ? ".cubin" : ".so";
	char **argv = NULL, *logpath = NULL, *errpath = NULL;
	size_t i;
	int fd, rc = -1, keep_err = 0, run;

	memset(res, 0, sizeof(*res));
	if (build_key(req, res->key, &res->artifact, err) != 0)
		goto fail;
	if (from_cache(req->cache, res))
		return 0;

	buf_printf(&dir, "%s/%.2s", req->cache, res->key);
	if (mkdirs(dir.buf, err) != 0)
		goto fail;
	/* Unique among the processes and threads that share the cache. */
	buf_printf(&tmpout, "%s/.tmp-%s-%ld-%ld%s", dir.buf, res->key,
	    (long)getpid(), (long)gettid(), suffix);
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

	if (req->arch != NULL && !req->nvcc)
		run = run_nvrtc(req, tmpout.buf, res, &msgs, &keep_err, err);
	else {
		argv = compiler_argv(req, tmpout.buf);
		run = run_compiler(argv, tmpout.buf, req->timeout_s, res,
		    &msgs, &keep_err, err);
	}
	if (run != 0) {
		unlink(tmpout.buf);
		unlink(tmplog.buf);
		goto fail;
	}
	buf_add(&msgs, "", 1);
	msgs.len--;
	res->log = log_head(msgs.buf, msgs.len);

	logpath = artifact_path(req->cache, res->key, ".log");
	if (write_file(logpath, tmplog.buf, msgs.buf, msgs.len, err) != 0) {
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
		if (keep_err && write_file(errpath, tmplog.buf, msgs.buf,
		    msgs.len, err) != 0)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	build_result_release(res);
out:
	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
	free(dir.buf);
	free(tmpout.buf);
	free(tmplog.buf);
	free(msgs.buf);
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
	    (strcmp(base + HASH_HEXLEN, ".so") != 0 &&
	    strcmp(base + HASH_HEXLEN, ".cubin") != 0))
		ar_errf(err, "the artifact '%s' is not the build of key %s",
		    path, key);
	else
		rc = 0;
	free(rcache);
	free(rpath);
	return rc;
}
