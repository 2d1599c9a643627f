/*
 * launch: the geometry of a GPU kernel's launch (ar-study(5), "launch"):
 * a grid and a block of one to three dimensions each, and the bytes of
 * dynamic shared memory, all expressions over the parameters and problem
 * constants; and the check of one configuration's geometry against what
 * a device, and then the kernel compiled for it, allow.
 *
 * Nothing here needs a GPU or the CUDA headers: ar-bench checks a
 * launch against the device's limits before it starts a process for the
 * candidate, and the worker checks it again against the kernel's own
 * (its registers, static shared memory and __launch_bounds__) before it
 * launches.  A geometry that fails either check is "invalid", never run.
 *
 * Ownership: launch_load fills a struct released with launch_release;
 * it borrows nothing from the spec.
 */
#ifndef AR_LAUNCH_H
#define AR_LAUNCH_H

#include <stdint.h>

#include "expr.h"
#include "spec.h"
#include "util.h"

/* The bytes of shared memory a block may have without opting in. */
#define LAUNCH_SHARED_DEFAULT	49152

struct launch {
	struct expr *grid[3], *block[3];	/* NULL past ngrid, nblock */
	struct expr *shared;			/* NULL: 0 bytes */
	int ngrid, nblock;
};

/* One configuration's launch: every dimension from 1, unused ones 1. */
struct launch_dims {
	int64_t grid[3], block[3];
	int64_t shared;				/* dynamic, bytes */
};

/* What a device allows; 0 in any field: not known, not checked. */
struct launch_limits {
	int64_t threads;		/* threads per block */
	int64_t block[3];		/* per block dimension */
	int64_t grid[3];		/* per grid dimension */
	int64_t shared;			/* shared bytes per block, opted in */
	int64_t regs;			/* registers per block */
	int opencl;			/* an OpenCL device: say work-group,
					 * work-item, __local */
};

/* What the compiled kernel needs and allows; 0: not known. */
struct launch_func {
	int64_t static_shared;		/* bytes */
	int64_t regs;			/* per thread */
	int64_t max_threads;		/* per block, for this kernel */
};

/*
 * Loads the study's "launch" (spec_load has checked its form): grid and
 * block are required, shared is optional.  Returns 0, or -1 with err
 * naming the file and the key.
 */
int launch_load(struct launch *l, const struct spec *s, struct ar_err *err);
void launch_release(struct launch *l);

/*
 * Evaluates the launch with slots (parameters then constants, as spec.h
 * numbers them).  Every grid and block dimension must be an integer
 * from 1 to 2^32 - 1 (a real with an integer value will do), the shared
 * bytes an integer from 0.  Returns 0, or -1 with err saying which and
 * why ("launch.block[0] is 0, not a positive integer").
 */
int launch_eval(const struct launch *l, const struct val *slots,
    struct launch_dims *d, struct ar_err *err);

/*
 * Checks d against lim and, when f is not NULL, against the kernel's
 * needs: threads per block, each block and grid dimension, shared memory
 * (static and dynamic together), registers of the whole block.  Returns
 * 0, or -1 with err saying what is over which limit.
 */
int launch_check(const struct launch_dims *d, const struct launch_limits *lim,
    const struct launch_func *f, struct ar_err *err);

/* Threads of one block. */
int64_t launch_threads(const struct launch_dims *d);

#endif
