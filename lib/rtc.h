/*
 * rtc: NVRTC, NVIDIA's runtime compiler, for the cuda backend's builds.  The
 * library is loaded with dlopen on first use, so that every program runs
 * on a machine without CUDA and only a cuda build asks for it; nothing
 * links against libnvrtc.  Built without the CUDA headers (AR_HAVE_CUDA
 * unset), every call fails with a message that says so.
 *
 * The library looked for is $AR_NVRTC when that is set (that file and no
 * other); else libnvrtc.so.13, .12, .11.2 and libnvrtc.so on the loader's
 * path, then the same names in $CUDA_HOME/lib64 and /usr/local/cuda/lib64.
 *
 * Thread safety: the library is loaded once per process (pthread_once);
 * each compile uses a program object of its own, so several threads may
 * compile at once.
 *
 * Ownership: the loaded library lives until the process ends; what
 * rtc_compile fills is released with rtc_out_release.
 */
#ifndef AR_RTC_H
#define AR_RTC_H

#include <stddef.h>

#include "util.h"

/*
 * NVRTC's identity, for build keys: "NVRTC 13.0 libnvrtc.so.13.0.88"
 * (its version and the real name of the file loaded, which carries the
 * patch release), written into buf.  Returns 0, or -1 with err set when
 * NVRTC cannot be loaded.
 */
int rtc_ident(char *buf, size_t cap, struct ar_err *err);

struct rtc_out {
	int ok;			/* 1 compiled, 0 a compile error */
	char *cubin;		/* ok: the cubin (an ELF image) */
	size_t cubinlen;
	char *log;		/* NVRTC's messages, NUL-terminated */
	size_t loglen;
	double seconds;		/* wall time of the compile */
};

/*
 * Compiles src (named name in messages) with the options given, to a
 * cubin when an option names a real architecture
 * (--gpu-architecture=sm_90).  Returns 0 with out filled, a compile error
 * included (out->ok 0, the log says why); returns -1 with err set when
 * the machinery failed (NVRTC missing, out of memory).
 */
int rtc_compile(const char *name, const char *src, char *const *opts,
    size_t nopts, struct rtc_out *out, struct ar_err *err);

void rtc_out_release(struct rtc_out *out);

#endif
