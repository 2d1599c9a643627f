/*
 * rtc: NVIDIA's runtime compiler, loaded at run time (see rtc.h).
 *
 * The pointers to NVRTC's functions are the one piece of state, written
 * once under pthread_once and only read afterwards, so the compiles of
 * several threads need no lock.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc.h"

#if AR_HAVE_CUDA
#include <nvrtc.h>

/* The sonames tried, newest first; the unversioned name last, since it
 * comes only with a toolkit's development files. */
static const char *const names[] = {
	"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"
};

static struct {
	void *lib;
	char ident[PATH_MAX + 64];
	char why[1024];		/* why it could not be loaded */
	__typeof__(nvrtcVersion) *version;
	__typeof__(nvrtcGetErrorString) *error_string;
	__typeof__(nvrtcCreateProgram) *create;
	__typeof__(nvrtcDestroyProgram) *destroy;
	__typeof__(nvrtcCompileProgram) *compile;
	__typeof__(nvrtcGetProgramLogSize) *log_size;
	__typeof__(nvrtcGetProgramLog) *get_log;
	__typeof__(nvrtcGetCUBINSize) *cubin_size;
	__typeof__(nvrtcGetCUBIN) *get_cubin;
} nv;

static pthread_once_t nv_once = PTHREAD_ONCE_INIT;

/*
 * dlopen that keeps the first failure's message: the first name tried
 * is the one a user most likely expected to find, so its reason is the
 * one worth showing.
 */
static void *
try_open(const char *path, char *first, size_t cap)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (h == NULL && first[0] == '\0' && (e = dlerror()) != NULL)
		snprintf(first, cap, "%s", e);
	return h;
}

static void *
find_lib(const char **wanted, char *first, size_t cap)
{
	const char *dirs[] = { getenv("CUDA_HOME"), "/usr/local/cuda" };
	const char *v = getenv("AR_NVRTC");
	char path[PATH_MAX];
	void *h = NULL;
	size_t i, d;

	first[0] = '\0';
	if (v != NULL && *v != '\0') {
		*wanted = v;
		return try_open(v, first, cap);
	}
	*wanted = "libnvrtc.so";
	for (i = 0; h == NULL && i < sizeof(names) / sizeof(names[0]); i++)
		h = try_open(names[i], first, cap);
	for (d = 0; h == NULL && d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		if (dirs[d] == NULL || *dirs[d] == '\0')
			continue;
		for (i = 0; h == NULL && i < sizeof(names) / sizeof(names[0]);
		    i++) {
			snprintf(path, sizeof(path), "%s/lib64/%s", dirs[d],
			    names[i]);
			h = try_open(path, first, cap);
		}
	}
	return h;
}

#define SYM(field, name) \
	((nv.field = (__typeof__(nv.field))dlsym(nv.lib, name)) != NULL)

static void
load(void)
{
	const char *wanted, *base;
	char first[600], *real;
	Dl_info info;
	int major, minor;

	if ((nv.lib = find_lib(&wanted, first, sizeof(first))) == NULL) {
		snprintf(nv.why, sizeof(nv.why), "cannot load NVRTC (%.200s): "
		    "%s; install the CUDA toolkit or use --nvcc", wanted,
		    first);
		return;
	}
	/* nvrtcGetCUBIN is the newest of these: NVRTC 11.1. */
	if (!SYM(version, "nvrtcVersion") ||
	    !SYM(error_string, "nvrtcGetErrorString") ||
	    !SYM(create, "nvrtcCreateProgram") ||
	    !SYM(destroy, "nvrtcDestroyProgram") ||
	    !SYM(compile, "nvrtcCompileProgram") ||
	    !SYM(log_size, "nvrtcGetProgramLogSize") ||
	    !SYM(get_log, "nvrtcGetProgramLog") ||
	    !SYM(cubin_size, "nvrtcGetCUBINSize") ||
	    !SYM(get_cubin, "nvrtcGetCUBIN") ||
	    nv.version(&major, &minor) != NVRTC_SUCCESS) {
		const char *e = dlerror();

		snprintf(nv.why, sizeof(nv.why), "cannot use NVRTC (%.200s): "
		    "%.600s; NVRTC 11.1 or later is needed", wanted,
		    e != NULL ? e : "nvrtcVersion failed");
		dlclose(nv.lib);
		nv.lib = NULL;
		return;
	}
	/* The real file's name carries the patch release (13.0.88),
	 * which nvrtcVersion does not tell. */
	base = wanted;
	real = NULL;
	if (dladdr((void *)nv.version, &info) != 0 && info.dli_fname != NULL &&
	    (real = realpath(info.dli_fname, NULL)) != NULL)
		base = real;
	if (strrchr(base, '/') != NULL)
		base = strrchr(base, '/') + 1;
	snprintf(nv.ident, sizeof(nv.ident), "NVRTC %d.%d %s", major, minor,
	    base);
	free(real);
}

static int
loaded(struct ar_err *err)
{
	pthread_once(&nv_once, load);
	if (nv.lib == NULL) {
		ar_errf(err, "%s", nv.why);
		return 0;
	}
	return 1;
}

int
rtc_ident(char *buf, size_t cap, struct ar_err *err)
{
	if (!loaded(err))
		return -1;
	snprintf(buf, cap, "%s", nv.ident);
	return 0;
}

int
rtc_compile(const char *name, const char *src, char *const *opts,
    size_t nopts, struct rtc_out *out, struct ar_err *err)
{
	nvrtcProgram prog;
	nvrtcResult r, c;
	double t0;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!loaded(err))
		return -1;
	t0 = ar_now();
	if ((r = nv.create(&prog, src, name, 0, NULL, NULL)) !=
	    NVRTC_SUCCESS) {
		ar_errf(err, "NVRTC cannot create a program of '%s': %s",
		    name, nv.error_string(r));
		return -1;
	}
	c = nv.compile(prog, (int)nopts, (const char *const *)opts);
	out->seconds = ar_now() - t0;
	if ((r = nv.log_size(prog, &n)) != NVRTC_SUCCESS)
		goto fail;
	out->log = emalloc(n + 1);
	if (n > 0 && (r = nv.get_log(prog, out->log)) != NVRTC_SUCCESS)
		goto fail;
	out->log[n] = '\0';
	out->loglen = strlen(out->log);
	if (c != NVRTC_SUCCESS) {
		/*
		 * An option NVRTC refuses (a study's flag) fails every
		 * variant alike, as cc refusing a flag does: a compile error
		 * with the reason, which the log may not give.
		 */
		if (c != NVRTC_ERROR_COMPILATION || out->loglen == 0) {
			struct ar_buf b = { 0 };

			buf_add(&b, out->log, out->loglen);
			if (b.len > 0 && b.buf[b.len - 1] != '\n')
				buf_adds(&b, "\n");
			buf_printf(&b, "nvrtc: %s\n", nv.error_string(c));
			free(out->log);
			out->log = b.buf;
			out->loglen = b.len;
		}
		nv.destroy(&prog);
		return 0;
	}
	if ((r = nv.cubin_size(prog, &n)) != NVRTC_SUCCESS)
		goto fail;
	if (n == 0) {
		ar_errf(err, "NVRTC made no cubin of '%s' (is the "
		    "architecture a real one, sm_XX?)", name);
		nv.destroy(&prog);
		rtc_out_release(out);
		return -1;
	}
	out->cubin = emalloc(n);
	if ((r = nv.get_cubin(prog, out->cubin)) != NVRTC_SUCCESS)
		goto fail;
	out->cubinlen = n;
	out->ok = 1;
	nv.destroy(&prog);
	return 0;
fail:
	ar_errf(err, "NVRTC failed on '%s': %s", name, nv.error_string(r));
	nv.destroy(&prog);
	rtc_out_release(out);
	return -1;
}

#else /* !AR_HAVE_CUDA */

static const char no_cuda[] = "cannot use NVRTC: built without CUDA "
    "support (no nvrtc.h under CUDA_HOME at build time); rebuild with the "
    "CUDA toolkit installed, or use --nvcc";

int
rtc_ident(char *buf, size_t cap, struct ar_err *err)
{
	(void)buf;
	(void)cap;
	ar_errf(err, "%s", no_cuda);
	return -1;
}

int
rtc_compile(const char *name, const char *src, char *const *opts,
    size_t nopts, struct rtc_out *out, struct ar_err *err)
{
	(void)name;
	(void)src;
	(void)opts;
	(void)nopts;
	memset(out, 0, sizeof(*out));
	ar_errf(err, "%s", no_cuda);
	return -1;
}

#endif

void
rtc_out_release(struct rtc_out *out)
{
	free(out->cubin);
	free(out->log);
	memset(out, 0, sizeof(*out));
}
