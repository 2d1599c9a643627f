/*
 * compile_opencl: backend "opencl", a variant built by the OpenCL driver
 * of the device it will run on (cl.h), in this process, with
 * clBuildProgram, into the driver's program binary.  req->arch holds the
 * device's identity (struct cl_dev's ident: platform, device, OpenCL and
 * driver versions), which the key covers: a binary is the driver's and
 * the device's, so another of either is another build.
 *
 * The device must have been opened (cl_open) by the caller; every build
 * uses that one.  Like NVRTC, an in-process build has no time limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl.h"
#include "compile.h"

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

static int
opencl_build(const struct build_req *req, const char *tmpout,
    struct compile_run *run, struct ar_err *err)
{
	const struct cl_session *s;
	const struct cl_api *a;
	struct ar_buf src = { 0 };
	cl_program prog = NULL;
	unsigned char *bin = NULL;
	const char *text;
	char *opts, *log = NULL;
	size_t loglen = 0, binlen = 0;
	double t0;
	cl_int rc;
	int ret = -1;

	if ((s = cl_open(NULL, err)) == NULL)
		return -1;
	a = s->api;
	if (ar_slurp(req->source, 0, &src, err) != 0) {
		free(src.buf);
		return -1;
	}
	if ((opts = options(req, &run->msgs)) == NULL) {
		run->keep_err = 1;
		free(src.buf);
		return 0;
	}
	t0 = ar_now();
	text = src.buf != NULL ? src.buf : "";
	prog = a->program_source(s->ctx, 1, &text, NULL, &rc);
	if (prog == NULL) {
		ar_errf(err, "clCreateProgramWithSource: %s", cl_errname(rc));
		goto out;
	}
	rc = a->build(prog, 1, &s->device, opts, NULL, NULL);
	run->seconds = ar_now() - t0;
	if (a->build_info(prog, s->device, CL_PROGRAM_BUILD_LOG, 0, NULL,
	    &loglen) == CL_SUCCESS && loglen > 1) {
		log = emalloc(loglen + 1);
		if (a->build_info(prog, s->device, CL_PROGRAM_BUILD_LOG, loglen,
		    log, NULL) == CL_SUCCESS) {
			log[loglen] = '\0';
			buf_adds(&run->msgs, log);
		}
	}
	if (rc == CL_BUILD_PROGRAM_FAILURE || rc == CL_INVALID_BUILD_OPTIONS) {
		/* The driver's answer: a compile error. */
		if (rc == CL_INVALID_BUILD_OPTIONS)
			buf_printf(&run->msgs, "clBuildProgram: %s (options: "
			    "%s)\n", cl_errname(rc), opts);
		run->keep_err = 1;
		ret = 0;
		goto out;
	}
	if (rc != CL_SUCCESS) {
		ar_errf(err, "clBuildProgram: %s", cl_errname(rc));
		goto out;
	}
	if ((rc = a->program_info(prog, CL_PROGRAM_BINARY_SIZES,
	    sizeof(binlen), &binlen, NULL)) != CL_SUCCESS || binlen == 0) {
		ar_errf(err, "the driver gives no program binary (%s)",
		    rc != CL_SUCCESS ? cl_errname(rc) : "0 bytes");
		goto out;
	}
	bin = emalloc(binlen);
	if ((rc = a->program_info(prog, CL_PROGRAM_BINARIES, sizeof(bin),
	    &bin, NULL)) != CL_SUCCESS) {
		ar_errf(err, "clGetProgramInfo: %s", cl_errname(rc));
		goto out;
	}
	if (write_out(tmpout, bin, binlen, err) != 0)
		goto out;
	run->ok = 1;
	ret = 0;
out:
	if (prog != NULL)
		a->release_program(prog);
	free(bin);
	free(log);
	free(opts);
	free(src.buf);
	return ret;
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
#endif

/* The record names the device, which with the study makes its key, so
 * that ar-bench can check the artifact and where it may run. */
static void
opencl_record(const struct build_req *req, json_t *c)
{
	json_object_set_new(c, "device", json_string(req->arch));
}

/* The device want chooses, opened in this process (cl.h): its
 * identity. */
static const char *
opencl_target(const char *want, char *buf, size_t cap, struct ar_err *err)
{
#ifdef AR_OPENCL
	const struct cl_session *s;

	if ((s = cl_open(want, err)) == NULL)
		return NULL;
	snprintf(buf, cap, "%s", s->dev.ident);
	return buf;
#else
	(void)want;
	(void)buf;
	(void)cap;
	ar_errf(err, "built without the OpenCL headers (CL/cl.h), so "
	    "without the opencl backend");
	return NULL;
#endif
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
