/*
 * clrun: the opencl backend of ar-bench: one candidate measured on the
 * OpenCL device, in the child process measure_run_child gives it.  The
 * child opens the device itself (cl.h: a process that forks must not
 * have started OpenCL), builds the program from the driver's binary,
 * runs and exits; a kernel that faults or hangs takes that process with
 * it and nothing else.
 *
 * Ownership: a clrun_job borrows everything it points to.
 */
#ifndef AR_CLRUN_H
#define AR_CLRUN_H

#include "launch.h"
#include "measure.h"

/*
 * One candidate: the program binary (checked by the parent) and its
 * kernel, the device, and the launch (checked against the device's
 * limits by the parent, against the kernel's here).
 */
struct clrun_job {
	const char *binary;		/* path of the program binary */
	const char *entry;		/* the kernel's name */
	const char *sel;		/* the device's selector (cl.h) */
	const char *ident;		/* the device it was built for */
	struct launch_dims dims;	/* grid: work-groups; block: local */
	int work_dim;			/* 1 to 3 */
	struct launch_limits lim;	/* the device's */
};

/*
 * The child of an opencl measurement (measure_child_fn; ctx is a struct
 * clrun_job): opens the device, builds the binary, copies the input sets
 * to the device and, for every run, poisons the outputs, enqueues the
 * kernel, waits for it within the timeout, takes its time from the
 * event's profiling counters, and reads the outputs back into the run's
 * slot.  Every buffer lies between two guard zones that are checked
 * after each run, so that a write past either end is caught.
 * Afterwards it reads the inputs back, so that the parent sees a kernel
 * that changed them.  What cannot run as described (a binary for another
 * device, no such kernel, parameters that do not match the study's args,
 * a work-group or __local memory beyond the kernel's or the device's
 * limits) is reported invalid; a fault, crash; a hang, timeout.
 */
int clrun_child(const struct measure_child *ch, void *ctx, int fd);

#endif
