/*
 * compile_opencl: backend "opencl", a variant built by the OpenCL driver
 * of the device it will run on (cl.h), in this process, with
 * clBuildProgram, into the driver's program binary.  req->arch holds the
 * device's identity (struct cl_dev's ident: platform, device, OpenCL and
 * driver versions), which the key covers: a binary is the driver's and
 * the device's, so another of either is another build.
 *
 * The device is probed once (cl_probe), and each variant is built by a
 * program of its own that opens the device its identity names
 * (compile.h says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl.h"
#include "compile.h"
#include "proc.h"

/* The key's version tag: it changes when the build's shape does. */
#define TAG_OPENCL	"autoresearch build 1: opencl clBuildProgram -I -D"

static int
opencl_key(const struct build_req *req, const char **tag,
    struct ar_buf *tail, struct ar_err *err)
{
	if (req->arch == NULL || *req->arch == '\0') {
		ar_errf(err, "no OpenCL device to build for");
		return -1;
	}
	*tag = TAG_OPENCL;
	compile_key_field(tail, "device");
	compile_key_field(tail, req->arch);
	return 0;
}

#ifdef AR_OPENCL
static int
has_space(const char *s)
{
	return strpbrk(s, " \t\n\r\v\f") != NULL;
}

/*
 * The build options: the source's folder on the include path, the
 * flags, then -D for each define.  OpenCL takes them as one string cut
 * at white space, so a define or a flag that holds any cannot be given:
 * that is said in msgs and NULL returned.
 */
static char *
options(const struct build_req *req, struct ar_buf *msgs)
{
	const char *slash = strrchr(req->source, '/');
	struct ar_buf o = { 0 };
	size_t i;

	if (slash == NULL)
		buf_adds(&o, "-I .");
	else if (memchr(req->source, ' ', (size_t)(slash - req->source)) ==
	    NULL)
		buf_printf(&o, "-I %.*s", (int)(slash - req->source) +
		    (slash == req->source), req->source);
	for (i = 0; req->flags != NULL && req->flags[i] != NULL; i++) {
		if (has_space(req->flags[i])) {
			buf_printf(msgs, "the flag '%s' holds white space, "
			    "which OpenCL's build options cannot carry\n",
			    req->flags[i]);
			free(o.buf);
			return NULL;
		}
		buf_printf(&o, " %s", req->flags[i]);
	}
	for (i = 0; req->defines != NULL && req->defines[i] != NULL; i++) {
		if (has_space(req->defines[i])) {
			buf_printf(msgs, "the define '%s' holds white space, "
			    "which OpenCL's build options cannot carry\n",
			    req->defines[i]);
			free(o.buf);
			return NULL;
		}
		buf_printf(&o, " -D %s", req->defines[i]);
	}
	return o.buf != NULL ? o.buf : estrdup("");
}

/* Writes len bytes to tmpout; 0, or -1 with err set. */
static int
write_out(const char *tmpout, const void *p, size_t len, struct ar_err *err)
{
	int fd = open(tmpout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0 || ar_write_all(fd, p, len) != 0 || close(fd) != 0) {
		ar_errf(err, "cannot write '%s': %s", tmpout, strerror(errno));
		if (fd >= 0)
			unlink(tmpout);
		return -1;
	}
	return 0;
}

/*
 * The build, in a program of its own (compile.h): opens the device the
 * identity names, builds with the options, writes the binary to the
 * output file and the build log to stdout (1), which the parent reads.
 * Exits 0 when it built, 1 for a compile error, 2 when the machinery
 * failed (the message on stdout).
 * It ends with _exit: what the driver keeps until then is not ours.
 */
static int
child_build(const char *source, const char *tmpout, const char *ident,
    const char *opts)
{
	const struct cl_session *s;
	const struct cl_api *a;
	struct ar_buf src = { 0 };
	struct ar_err err;
	unsigned char *bin;
	const char *text;
	char *log;
	size_t loglen = 0, binlen = 0;
	cl_program prog;
	cl_int rc;

	if ((s = cl_open(ident, &err)) == NULL ||
	    ar_slurp(source, 0, &src, &err) != 0) {
		dprintf(1, "%s", err.msg);
		return 2;
	}
	a = s->api;
	text = src.buf != NULL ? src.buf : "";
	if ((prog = a->program_source(s->ctx, 1, &text, NULL, &rc)) == NULL) {
		dprintf(1, "clCreateProgramWithSource: %s", cl_errname(rc));
		return 2;
	}
	rc = a->build(prog, 1, &s->device, opts, NULL, NULL);
	if (a->build_info(prog, s->device, CL_PROGRAM_BUILD_LOG, 0, NULL,
	    &loglen) == CL_SUCCESS && loglen > 1) {
		log = emalloc(loglen + 1);
		if (a->build_info(prog, s->device, CL_PROGRAM_BUILD_LOG, loglen,
		    log, NULL) == CL_SUCCESS) {
			log[loglen] = '\0';
			ar_write_all(1, log, strlen(log));
		}
	}
	/* The driver's answer: a compile error. */
	if (rc == CL_BUILD_PROGRAM_FAILURE || rc == CL_INVALID_BUILD_OPTIONS) {
		if (rc == CL_INVALID_BUILD_OPTIONS)
			dprintf(1, "clBuildProgram: %s (options: %s)\n",
			    cl_errname(rc), opts);
		return 1;
	}
	if (rc != CL_SUCCESS) {
		dprintf(1, "clBuildProgram: %s", cl_errname(rc));
		return 2;
	}
	if ((rc = a->program_info(prog, CL_PROGRAM_BINARY_SIZES,
	    sizeof(binlen), &binlen, NULL)) != CL_SUCCESS || binlen == 0) {
		dprintf(1, "the driver gives no program binary (%s)",
		    rc != CL_SUCCESS ? cl_errname(rc) : "0 bytes");
		return 2;
	}
	bin = emalloc(binlen);
	if ((rc = a->program_info(prog, CL_PROGRAM_BINARIES, sizeof(bin),
	    &bin, NULL)) != CL_SUCCESS) {
		dprintf(1, "clGetProgramInfo: %s", cl_errname(rc));
		return 2;
	}
	if (write_out(tmpout, bin, binlen, &err) != 0) {
		dprintf(1, "%s", err.msg);
		return 2;
	}
	return 0;
}

void
compile_opencl_child(int argc, char **argv)
{
	int rc = 2;

	if (argc != 5)
		dprintf(1, "%s: run with %d operands, not the 4 of an opencl "
		    "build", COMPILE_OPENCL_CHILD, argc - 1);
	else
		rc = child_build(argv[1], argv[2], argv[3], argv[4]);
	_exit(rc);
}

/*
 * A build runs in a program of its own (compile.h), so that a driver's
 * compiler that crashes or hangs on a variant takes only that process (a
 * compile error, tried again next time), and so that this process,
 * which has threads, never starts the driver and its own.
 */
static int
opencl_build(const struct build_req *req, const char *tmpout,
    struct compile_run *run, struct ar_err *err)
{
	static char *const env[] = { COMPILE_OPENCL_CHILD "=1", NULL };
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result r;
	struct ar_buf *msgs = &run->msgs;
	char *argv[6], how[256], *opts;
	int rc = 0;

	if ((opts = options(req, msgs)) == NULL) {
		run->keep_err = 1;
		return 0;
	}
	argv[0] = (char *)"/proc/self/exe";
	argv[1] = (char *)req->source;
	argv[2] = (char *)tmpout;
	argv[3] = (char *)req->arch;
	argv[4] = opts;
	argv[5] = NULL;
	o.env = env;
	o.timeout_s = req->timeout_s;
	o.max_capture = COMPILE_LOG_CAPTURE;
	if (proc_run(argv, &o, &r, err) != 0) {
		free(opts);
		return -1;
	}
	run->seconds = r.wall_s;
	if (r.end == PROC_NOEXEC || (r.end == PROC_EXITED && r.code == 2)) {
		ar_errf(err, "the OpenCL build failed: %.*s",
		    r.end == PROC_NOEXEC ? 200 : (int)(r.outlen < 900 ?
		    r.outlen : 900), r.end == PROC_NOEXEC ?
		    "cannot run /proc/self/exe" : r.out);
		rc = -1;
		goto out;
	}
	buf_add(msgs, r.out, r.outlen);
	if (r.end == PROC_EXITED && r.code == 0)
		run->ok = 1;
	else {
		if (msgs->len > 0 && msgs->buf[msgs->len - 1] != '\n')
			buf_adds(msgs, "\n");
		if (r.end == PROC_TIMEOUT)
			buf_printf(msgs, "compile timed out after %g s\n",
			    req->timeout_s);
		else if (r.end != PROC_EXITED)
			buf_printf(msgs, "the OpenCL build %s%s%.*s\n",
			    proc_describe(&r, how, sizeof(how)),
			    r.errlen > 0 ? ": " : "",
			    (int)(r.errlen < 600 ? r.errlen : 600), r.err);
		/* A driver that said no is asked no more; one that crashed
		 * or ran out of time may do better next time. */
		run->keep_err = r.end == PROC_EXITED && r.code == 1;
	}
out:
	proc_result_release(&r);
	free(opts);
	return rc;
}
#else
static int
opencl_build(const struct build_req *req, const char *tmpout,
    struct compile_run *run, struct ar_err *err)
{
	(void)req;
	(void)tmpout;
	(void)run;
	ar_errf(err, "built without the OpenCL headers (CL/cl.h), so "
	    "without the opencl backend");
	return -1;
}

void
compile_opencl_child(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	dprintf(1, "built without the OpenCL headers (CL/cl.h)");
	_exit(2);
}
#endif

/* The record names the device, which with the study makes its key, so
 * that ar-bench can check the artifact and where it may run. */
static void
opencl_record(const struct build_req *req, json_t *c)
{
	json_object_set_new(c, "device", json_string(req->arch));
}

/* The device want chooses, probed in a child (cl.h): its identity. */
static const char *
opencl_target(const char *want, char *buf, size_t cap, struct ar_err *err)
{
	const struct cl_dev *d;
	const char *why;

	if ((d = cl_probe(want, &why)) == NULL) {
		ar_errf(err, "%s", why);
		return NULL;
	}
	snprintf(buf, cap, "%s", d->ident);
	return buf;
}

static const char *const opencl_columns[] = {
	"artifact", "compile.status", "compile.seconds", "compile.log",
	"compile.sha256", "compile.device", NULL
};

const struct compile_backend compile_opencl = {
	.name = "opencl",
	.suffix = ".clbin",
	.columns = opencl_columns,
	.target = opencl_target,
	.key = opencl_key,
	.build = opencl_build,
	.record = opencl_record,
};
