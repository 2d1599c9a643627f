/*
 * compile: what the backends that run a compiler share (see compile.h).
 *
 * The one piece of state is the compilers' identities: `CC --version` is
 * run once per compiler and process, under a mutex, since ar-compile
 * builds from several threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "proc.h"

/* How long `CC --version` may take. */
#define IDENT_TIMEOUT	30
/* Compilers whose identity is remembered per process. */
#define MAX_IDENTS	8

static pthread_mutex_t ident_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *cc, *match, *ident;
} idents[MAX_IDENTS];

size_t
compile_count(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void
compile_key_field(struct ar_buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
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
 * The line that names the compiler's maker and version: cc's first line;
 * for nvcc the line "Cuda compilation tools, release 13.0, V13.0.88",
 * since its first line names no version.  A compiler that cannot be
 * started is the machinery failing, reported here before any variant is
 * tried.
 */
char *
compile_ident(const char *cc, const char *match, struct ar_err *err)
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

int
compile_exec(char *const *argv, const char *tmpout, double timeout_s,
    struct compile_run *run, struct ar_err *err)
{
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	struct ar_buf *msgs = &run->msgs;
	struct stat st;
	char how[256];

	o.timeout_s = timeout_s;
	o.max_capture = COMPILE_LOG_CAPTURE;
	if (proc_run(argv, &o, &r, err) != 0)
		return -1;
	if (r.end == PROC_NOEXEC) {
		ar_errf(err, "cannot run the compiler '%s': %s", argv[0],
		    strerror(r.code));
		proc_result_release(&r);
		return -1;
	}
	run->seconds = r.wall_s;
	buf_add(msgs, r.err, r.errlen);
	buf_add(msgs, r.out, r.outlen);
	if (r.err_truncated || r.out_truncated)
		buf_adds(msgs, "\n(more messages were dropped)\n");
	if (r.end == PROC_EXITED && r.code == 0 && stat(tmpout, &st) == 0) {
		run->ok = 1;
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
		run->keep_err = r.end == PROC_EXITED && r.code != 0;
	}
	proc_result_release(&r);
	return 0;
}

char **
compile_argv(char *prog, char *a, char *b, const struct build_req *req,
    const char *tmpout)
{
	size_t nf = compile_count(req->flags), i, n = 0;
	size_t nd = compile_count(req->defines);
	char **argv = ecalloc(nf + nd + 7, sizeof(*argv));
	struct ar_buf d;

	argv[n++] = prog;
	argv[n++] = a;
	argv[n++] = b;
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

int
compile_target(const struct compile_backend *be, const struct spec *s,
    const char *arch, int nvcc, const char *device, char *buf, size_t cap,
    const char **target, struct ar_err *err)
{
	const char *want = arch;

	*target = NULL;
	if ((be == NULL || !be->gpu) && (arch != NULL || nvcc)) {
		ar_errf(err, "%s: %s is for a study of backend cuda, not '%s'",
		    s->path, arch != NULL ? "--arch" : "--nvcc", s->backend);
		return AR_EXIT_USAGE;
	}
	if (device != NULL && strcmp(s->backend, "opencl") != 0) {
		ar_errf(err, "%s: --device is for a study of backend opencl, "
		    "not '%s'", s->path, s->backend);
		return AR_EXIT_USAGE;
	}
	if (be == NULL || be->target == NULL)
		return 0;
	if (want == NULL)
		want = device != NULL ? device : json_string_value(
		    json_object_get(s->root, "device"));
	if ((*target = be->target(want, buf, cap, err)) == NULL) {
		struct ar_err e = *err;

		ar_errf(err, "%s: cannot build a study of backend %s here: %s",
		    s->path, s->backend, e.msg);
		return AR_EXIT_FAIL;
	}
	return 0;
}
