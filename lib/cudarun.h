/*
 * cudarun: the cuda backend of ar-bench: the GPU it runs on, and the
 * measurement of one candidate on it.
 *
 * The CUDA driver (libcuda.so.1) and NVML (libnvidia-ml.so.1) are loaded
 * with dlopen, never linked (gpu.c), so that every program runs where
 * there is no GPU.  ar-bench never initialises CUDA in its own process:
 * gpu_probe learns about the device in a child process, and each
 * candidate is measured in a fresh child (cudarun_child, run by
 * measure_run_child), which creates its context, loads the cubin, runs
 * and exits.  A kernel that faults or hangs spoils that child's context
 * and nothing else; the next candidate starts clean.  CUDA cannot be
 * used in a child forked from a process that initialised it, which is
 * one more reason the parent never does.
 *
 * Built without the CUDA headers (AR_HAVE_CUDA unset, or no cuda.h),
 * gpu_probe fails with a message that says so and cudarun_child reports
 * an error.
 *
 * Ownership: gpu_probe returns static storage, filled once per process;
 * the driver table and NVML live until the process ends.  A cudarun_job
 * borrows everything it points to.
 */
#ifndef AR_CUDARUN_H
#define AR_CUDARUN_H

#include <stddef.h>
#include <stdint.h>

#include "gpu.h"
#include "launch.h"
#include "measure.h"
#include "util.h"

/*
 * One candidate, as cudarun_child measures it: the cubin (checked by the
 * parent) and its kernel, the launch (checked against the device's
 * limits by the parent, against the kernel's here), and whether to
 * measure energy.
 */
struct cudarun_job {
	const char *cubin;		/* path of the cubin */
	const char *entry;		/* the kernel's name */
	const char *arch;		/* what the cubin was built for */
	struct launch_dims dims;
	struct launch_limits lim;	/* the device's */
	int64_t shared_default;
	int energy;			/* measure joules per run */
	double energy_window_s;		/* each window lasts at least this */
	int energy_windows;
};

/*
 * The child of a cuda measurement (measure_child_fn; ctx is a struct
 * cudarun_job): initialises CUDA on device 0, loads the cubin, copies
 * the input sets to the device and, for every run, poisons the outputs
 * on the device, launches the kernel between two events, waits for it
 * within the timeout, and copies the outputs back into the run's slot.
 * Afterwards it copies the inputs back, so that the parent sees a kernel
 * that changed them, and, when asked, measures the energy of further
 * runs.  What cannot run as described (no such kernel, a cubin for
 * another device, parameters that do not match the study's args, a launch
 * beyond the kernel's limits, not enough device memory) is reported
 * invalid; a fault, crash; a hang, timeout.
 */
int cudarun_child(const struct measure_child *ch, void *ctx, int fd);

#endif
