/*
 * compile_cuda: backend "cuda", a variant built into a cubin for one GPU
 * architecture (req->arch), in this process by NVRTC (rtc.h), or by
 * running nvcc -cubin when req->nvcc is set.  The key covers the
 * architecture and NVRTC's (or nvcc's) version; a cubin holds no host
 * code, so the CPU never goes in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "gpu.h"
#include "rtc.h"

/* The key's version tags: each changes when its command's shape does. */
#define TAG_NVRTC	"autoresearch build 1: nvrtc --gpu-architecture " \
			"--include-path"
#define TAG_NVCC	"autoresearch build 1: nvcc -cubin -arch"

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

static int
cuda_key(const struct build_req *req, const char **tag,
    struct ar_buf *tail, struct ar_err *err)
{
	char nv[512], *ident = NULL, *nvcc = NULL;
	const char *cc;

	if (req->nvcc) {
		*tag = TAG_NVCC;
		cc = nvcc = find_nvcc();
		ident = compile_ident(cc, "release", err);
	} else {
		*tag = TAG_NVRTC;
		cc = "nvrtc";
		if (rtc_ident(nv, sizeof(nv), err) == 0)
			ident = estrdup(nv);
	}
	if (ident == NULL) {
		free(nvcc);
		return -1;
	}
	compile_key_field(tail, "arch");
	compile_key_field(tail, req->arch);
	compile_key_field(tail, "cc");
	compile_key_field(tail, cc);
	compile_key_field(tail, ident);
	free(ident);
	free(nvcc);
	return 0;
}

/*
 * Compiles to a cubin in this process with NVRTC, and writes it to
 * tmpout.  The options are those nvcc would be given, with the source's
 * folder on the include path, where nvcc looks by itself.  A compile
 * error is always NVRTC's answer and is kept.
 */
static int
run_nvrtc(const struct build_req *req, const char *tmpout,
    struct compile_run *run, struct ar_err *err)
{
	size_t nf = compile_count(req->flags), i, n = 0;
	size_t nd = compile_count(req->defines);
	const char *slash = strrchr(req->source, '/');
	struct ar_buf src = { 0 }, d;
	struct rtc_out out;
	char **opts;
	int fd, rc = -1;

	if (ar_slurp(req->source, 0, &src, err) != 0) {
		free(src.buf);
		return -1;
	}
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
	if (rtc_compile(req->source, src.buf, opts, n, &out, err) != 0)
		goto out;
	run->seconds = out.seconds;
	buf_add(&run->msgs, out.log, out.loglen);
	if (out.ok) {
		fd = open(tmpout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0666);
		if (fd < 0 || ar_write_all(fd, out.cubin, out.cubinlen) != 0 ||
		    close(fd) != 0) {
			ar_errf(err, "cannot write '%s': %s", tmpout,
			    strerror(errno));
			if (fd >= 0)
				unlink(tmpout);
			rtc_out_release(&out);
			goto out;
		}
		run->ok = 1;
	} else
		run->keep_err = 1;
	rtc_out_release(&out);
	rc = 0;
out:
	ar_strv_free(opts);
	free(src.buf);
	return rc;
}

static int
cuda_build(const struct build_req *req, const char *tmpout,
    struct compile_run *run, struct ar_err *err)
{
	struct ar_buf a = { 0 };
	char **argv;
	int rc;

	if (!req->nvcc)
		return run_nvrtc(req, tmpout, run, err);
	buf_printf(&a, "-arch=%s", req->arch);
	argv = compile_argv(find_nvcc(), estrdup("-cubin"), a.buf, req,
	    tmpout);
	rc = compile_exec(argv, tmpout, req->timeout_s, run, err);
	ar_strv_free(argv);
	return rc;
}

/*
 * A cubin's record names the architecture and the compiler, which with
 * the study make its key, so that ar-bench can check the artifact.
 */
static void
cuda_record(const struct build_req *req, json_t *c)
{
	json_object_set_new(c, "arch", json_string(req->arch));
	json_object_set_new(c, "compiler",
	    json_string(req->nvcc ? "nvcc" : "nvrtc"));
}

static const char *
cuda_target(const char *want, char *buf, size_t cap, struct ar_err *err)
{
	(void)err;
	if (want != NULL) {
		snprintf(buf, cap, "%s", want);
		return buf;
	}
	return gpu_default_arch(buf, cap);
}

static const char *const cuda_columns[] = {
	"artifact", "compile.status", "compile.seconds", "compile.log",
	"compile.sha256", "compile.arch", "compile.compiler", NULL
};

const struct compile_backend compile_cuda = {
	.name = "cuda",
	.suffix = ".cubin",
	.gpu = 1,
	.columns = cuda_columns,
	.target = cuda_target,
	.key = cuda_key,
	.build = cuda_build,
	.record = cuda_record,
};
