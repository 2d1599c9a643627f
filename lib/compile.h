/*
 * compile: the compiling backends, one module each (compile_c.c,
 * compile_cuda.c), behind one interface: what goes into a variant's build
 * key besides its source, defines and flags (the compiler and its
 * version), and how one variant is compiled into a file.  build.c puts
 * the content-addressed cache around them and holds the table of
 * backends; this module also holds what the backends that run a
 * compiler program share.
 *
 * Adding a backend: a file compile_NAME.c that defines
 * `const struct compile_backend compile_NAME`, its declaration below,
 * and its line in build.c's table.
 *
 * Ownership: what a backend fills in a compile_run or a key buffer is the
 * caller's to free; backends hold no state of their own but the
 * compilers' identities, remembered per process.
 */
#ifndef AR_COMPILE_H
#define AR_COMPILE_H

#include <stddef.h>

#include <jansson.h>

#include "spec.h"
#include "util.h"

struct build_req {
	const char *cc;			/* compiler; NULL: $CC or "cc" */
	const char *source;		/* path of the source file */
	char *const *flags;		/* from the study; NULL-terminated */
	char *const *defines;		/* "NAME=VALUE"; NULL-terminated */
	const char *cache;		/* the cache folder */
	double timeout_s;		/* 0: none */
	/*
	 * CUDA (backend "cuda"): with arch set ("sm_90"), the variant is
	 * a cubin for that architecture instead of a shared object, built
	 * in-process by NVRTC (loaded at run time, see gpu.h), or by
	 * running nvcc -cubin when nvcc is set.  The key then covers the
	 * architecture and NVRTC's (or nvcc's) version instead of cc's, and
	 * the artifact is DIR/ab/key.cubin.  flags are NVRTC options (or
	 * nvcc's); cc is ignored.
	 */
	const char *arch;
	int nvcc;
	/* The backend; NULL: cuda when arch is set, else c. */
	const struct compile_backend *backend;
};

/* What one compile did. */
struct compile_run {
	int ok;			/* it made the output file */
	int keep_err;		/* a failure that is the compiler's answer,
				 * not an accident (killed, out of time) */
	double seconds;		/* the compiler's wall time */
	struct ar_buf msgs;	/* its messages */
};

struct compile_backend {
	const char *name;		/* the study's backend */
	const char *suffix;		/* the artifact's: ".so" */
	int gpu;			/* built for a GPU architecture */
	const char *const *columns;	/* the fields ar-compile adds */
	/*
	 * The target to build for, from what was asked (want: cuda's
	 * --arch, opencl's device selector; NULL: nothing), written into
	 * buf: cuda's architecture (GPU 0's when none is asked), the
	 * OpenCL device's identity (struct cl_dev's ident).  NULL with
	 * err set when there is none to be had (no OpenCL device); a
	 * backend without targets has no hook.
	 */
	const char *(*target)(const char *want, char *buf, size_t cap,
	    struct ar_err *err);
	/*
	 * The key's material besides the source, defines and flags: its
	 * version tag, which comes first and changes when the compiler's
	 * command does, and the fields appended after the flags (the
	 * compiler, its version).  Returns -1 with err set when the
	 * compiler cannot be found or asked.
	 */
	int (*key)(const struct build_req *req, const char **tag,
	    struct ar_buf *tail, struct ar_err *err);
	/*
	 * Compiles the variant into tmpout.  Returns 0 with run filled, a
	 * compile error included; -1 with err set when the machinery
	 * failed (no compiler, out of memory).
	 */
	int (*build)(const struct build_req *req, const char *tmpout,
	    struct compile_run *run, struct ar_err *err);
	/* Adds the backend's own fields to a record's "compile" object. */
	void (*record)(const struct build_req *req, json_t *compile);
};

extern const struct compile_backend compile_c;
extern const struct compile_backend compile_cuda;
extern const struct compile_backend compile_opencl;

/*
 * An opencl build runs in a fresh program, not a fork: ar-compile has
 * threads, and a driver started in a forked copy of a process with
 * threads can wait for ever on a lock one of them held (seen under
 * AddressSanitizer).  The build executes ar-compile again
 * (/proc/self/exe) with COMPILE_OPENCL_CHILD in its environment, and
 * ar-compile's main then calls compile_opencl_child, which never
 * returns: argv is the program, the source, the output file, the
 * device's identity and the build options.
 */
#define COMPILE_OPENCL_CHILD	"AR_INTERNAL_OPENCL_BUILD"
void compile_opencl_child(int argc, char **argv) __attribute__((noreturn));

/* For the backends: */

/* The number of strings in a NULL-terminated vector (0 for NULL). */
size_t compile_count(char *const *v);

/* A field of a key's text: NUL-terminated, so that no two inputs run
 * together into the same bytes. */
void compile_key_field(struct ar_buf *b, const char *s);

/*
 * A compiler's identity: the first line of `cc --version` that holds
 * match (any line when match is ""), remembered per process.  Returns a
 * string the caller frees, or NULL with err set when the compiler cannot
 * be run.
 */
char *compile_ident(const char *cc, const char *match, struct ar_err *err);

/*
 * Runs a compiler (argv) that is to write tmpout, with a time limit
 * (0: none), filling run.  Returns -1 with err set when it could not be
 * started.
 */
int compile_exec(char *const *argv, const char *tmpout, double timeout_s,
    struct compile_run *run, struct ar_err *err);

/*
 * The argument vector of a compiler program: prog, its two options a and
 * b (taken, as prog is), the flags, -D and each define, -o tmpout and the
 * source.  The caller frees it with ar_strv_free.
 */
char **compile_argv(char *prog, char *a, char *b,
    const struct build_req *req, const char *tmpout);


/*
 * What the variants of study s are built for (the backend's target,
 * NULL for a backend without one), asked by ar-compile's options: cuda's
 * --arch (and --nvcc), opencl's --device, else the study's "device".
 * Returns 0 with *target set (in buf, cap bytes), AR_EXIT_USAGE with err
 * set when an option is not for this study's backend, AR_EXIT_FAIL when
 * there is no target to be had (no OpenCL device).
 */
int compile_target(const struct compile_backend *be, const struct spec *s,
    const char *arch, int nvcc, const char *device, char *buf, size_t cap,
    const char **target, struct ar_err *err);

/* The compiler's messages kept at most (the log beside an artifact). */
#define COMPILE_LOG_CAPTURE	(256 * 1024)

#endif
