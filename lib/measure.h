/*
 * measure: timing a compiled variant of a "c" study and judging its runs
 * (ar-bench(1) describes the protocol for users).
 *
 * A measurement runs in a child process (proc_call), so that a kernel
 * that crashes or hangs takes only the child with it.  The child loads
 * the shared object, calls the entry point through libffi with the
 * study's arguments, and times each call alone with CLOCK_MONOTONIC.
 * Everything that decides the outcome stays in the parent, out of the
 * kernel's reach:
 *
 *   - the buffers live in one shared mapping the parent fills before the
 *     fork: the input sets, and for every run a fresh output slot
 *     poisoned beforehand, so no run can find an earlier run's answer in
 *     its output and the parent can check every run's output afterwards;
 *   - the pristine inputs and the reference's outputs live in private
 *     mappings (struct measure_data) that the child unmaps before it
 *     loads the kernel, so a kernel can neither copy the answers nor
 *     corrupt the copy they are checked against;
 *   - the parent compares each run's output with the reference's, checks
 *     that no input was changed, and that each output still holds what it
 *     held when the call returned (work left running after the return,
 *     in a thread, changes it later).
 *
 * The child reports, per run, its time and a checksum of its outputs;
 * those times are all it can tell, and they must add up to less than the
 * child's wall time as the parent measured it.
 *
 * Another backend brings its own child (measure_run_child): the cuda
 * backend's runs the kernel on the GPU and copies every run's outputs
 * into the same shared buffers, so that the same parent judges them.
 *
 * Ownership: a measure_cache owns its measure_data, released with
 * measure_cache_release.  measure_run fills a measure_result released
 * with measure_result_release.  measure_host and measure_cpu return a
 * string the caller frees.
 */
#ifndef AR_MEASURE_H
#define AR_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "stats.h"
#include "util.h"

/* The machine's host name: $AR_HOST where it is set and not empty (the
 * name a round spread over hosts knows it by: pipelines/hosts.sh), else
 * uname(2)'s nodename (what gethostname(2) gives). */
char *measure_host(void);
/* The CPU model from /proc/cpuinfo, else the machine type from uname(2). */
char *measure_cpu(void);

/*
 * The data of one shape: nsets input sets drawn from seed, and, once the
 * reference has run, its output for each set (or why it failed).
 */
struct measure_data {
	struct args_shape shape;
	size_t nsets;
	uint64_t seed;		/* the seed the sets were drawn from */
	unsigned char *mem;	/* private: the sets, then the outputs */
	size_t len;
	size_t *in;		/* [set * nargs + i]: offset of input i */
	size_t *ref;		/* [set * nargs + i]: offset of output i */
	int have_ref;		/* the reference ran and its outputs are kept */
	char *ref_error;	/* why the reference failed, or NULL */
	double ref_time_s;	/* the reference's median time */
	uint64_t used;		/* for eviction: when it was last used */
};

/*
 * The data of every shape met so far, so that the reference runs once
 * per shape.  Data are dropped, least recently used first, when keeping
 * them would pass max_bytes.
 */
struct measure_cache {
	struct measure_data **d;
	size_t n;
	uint64_t bytes, max_bytes, clock;
};

/*
 * The data of shape sh with nsets input sets drawn from seed: the cached
 * one, or a new one whose inputs are filled and whose reference has not
 * run yet.  Data drawn from another seed are dropped then, since a seed
 * of its own for each variant (ar-bench's bench.inputs "variant") is
 * never asked for again.  Returns NULL with err set when the memory
 * cannot be mapped.
 */
struct measure_data *measure_cache_get(struct measure_cache *c,
    const struct args *a, const struct args_shape *sh, size_t nsets,
    uint64_t seed, struct ar_err *err);
void measure_cache_release(struct measure_cache *c);

/* The bytes a measurement of shape sh needs, the data included. */
uint64_t measure_need(const struct args *a, const struct args_shape *sh,
    size_t nsets, size_t nruns);

/*
 * The last nlines lines of text that hold anything, joined with "; ", for
 * messages (a child's stderr); "" when there are none.  The caller frees
 * the string.
 */
char *measure_tail(const char *text, int nlines);

/* The protocol: warmup untimed runs, then repeat timed ones, each of at
 * most timeout_s seconds; run k uses input set k % nsets. */
struct measure_proto {
	size_t warmup, repeat;
	double timeout_s;
	double rtol, atol;
	/* The child's resource limits (0: none): CPU seconds, address
	 * space and largest file it may write, in bytes. */
	double cpu_s;
	size_t as_bytes, file_bytes;
	/* A descriptor the child keeps open (proc_opts.keep_fd), 0: none. */
	int keep_fd;
	/* The c backend: the kernel runs in the sandbox (sandbox.h). */
	int sandbox;
};

enum measure_end {
	MEASURE_OK,		/* every run returned; outputs right */
	MEASURE_WRONG,		/* every run returned; an output was wrong */
	MEASURE_CRASH,		/* died, exited, or ended without a result */
	MEASURE_TIMEOUT,	/* a run did not return in time */
	MEASURE_LOAD,		/* the object or its function would not load */
	MEASURE_TAMPERED,	/* what the child reported cannot be true */
	MEASURE_INVALID		/* the child found it cannot run as described */
};

struct measure_result {
	enum measure_end end;
	double *times;		/* the timed runs, in order */
	size_t ntimes;
	struct stats stats;
	struct args_cmp cmp;	/* all runs and outputs together */
	char *error;		/* what went wrong, or NULL */
	double wall_s;		/* the child's life as the parent saw it */
	/* Joules per run, one per energy window the child reported, or
	 * why it could not (see measure_run_child). */
	double *energy;
	size_t nenergy;
	char *energy_error;
	/* The system calls the sandbox refused, by name, in the order the
	 * kernel first tried them; nrefused of them. */
	char **refused;
	size_t nrefused;
};

/*
 * Runs entry of the shared object so on d's input sets as p says, in a
 * child.  With reference set, the outputs become d's reference outputs
 * (d->have_ref, or d->ref_error when the run failed); otherwise every
 * run's output is checked against them, which must exist unless there
 * are no outputs.  c is the cache d belongs to: the child unmaps all of
 * it.  Returns 0 with res filled, whatever the kernel did; -1 with err
 * set when the machinery failed (no memory, no fork).
 */
int measure_run(struct measure_cache *c, struct measure_data *d,
    const struct args *a, const char *so, const char *entry,
    const struct measure_proto *p, int reference,
    struct measure_result *res, struct ar_err *err);
void measure_result_release(struct measure_result *res);

/*
 * What the child of another backend (cuda) is given, all of it set up
 * before the fork: the arguments and their shape, and the arena shared
 * with the parent, in which in[t * a->n + i] is the offset of input i of
 * set t and out[k * a->n + i] that of output i of run k (poisoned).  Run
 * k uses input set k % nsets; the first warmup runs are untimed.
 */
struct measure_child {
	const struct args *a;
	const struct args_shape *sh;
	unsigned char *arena;
	size_t len;
	const size_t *in, *out;
	size_t nsets, nruns, warmup;
	double timeout_s;
};

/*
 * A backend's child: runs the variant ch->nruns times and reports on fd,
 * one line each, in this order:
 *
 *   run K TIME SUM	run K (from 0) took TIME seconds (printf's %a);
 *			SUM is measure_checksum of its outputs, as 16 hex
 *			digits, taken after they are in the arena
 *   energy J		joules per run (%a) over one energy window, after
 *			the runs, as many windows as were measured
 *   noenergy MSG	why no energy could be measured
 *   refused NAME	the sandbox refused the system call NAME (at any
 *			time, once per call)
 *   done		every run was made and reported
 *
 * or, instead of going on, one of
 *
 *   error MSG		the machinery failed (no driver): MEASURE_LOAD
 *   invalid MSG	the variant cannot run as described: MEASURE_INVALID
 *   crash MSG		the variant failed (a fault): MEASURE_CRASH
 *   timeout MSG	a run did not end in time: MEASURE_TIMEOUT
 *
 * Before the child runs, the answers and pristine inputs of the cache are
 * unmapped and fatal signals have their default action.  After it, the
 * parent checks what a c child is checked for: the inputs in the arena
 * (a child whose variant runs elsewhere copies them back, so that a
 * variant that changed them is caught), every run's outputs, and the
 * checksums.  Returns what fn returns.
 */
typedef int measure_child_fn(const struct measure_child *ch, void *ctx,
    int fd);

/*
 * measure_run with fn as the child (reference 0).  slack_s is what the
 * child may take beyond its runs (starting a device, energy windows)
 * before the parent kills it.
 */
int measure_run_child(struct measure_cache *c, struct measure_data *d,
    const struct args *a, const struct measure_proto *p,
    measure_child_fn *fn, void *ctx, double slack_s,
    struct measure_result *res, struct ar_err *err);

/* One line of a child's report: the word, a space, the message with
 * its line breaks made spaces, so that a message never breaks the line. */
void measure_say(int fd, const char *word, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The checksum of run k's outputs in the arena, as a child reports it. */
uint64_t measure_checksum(const struct measure_child *ch, size_t k);

#endif
