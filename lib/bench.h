/*
 * bench: what ar-bench does with a record, behind one table of backends.
 * A backend ("c", "cuda", "command", "replay", one file bench_NAME.c
 * each) says how a variant of its studies is measured; this module holds
 * what they share: the study's bench settings, the check of a record and
 * of its artifact, the artifact sealed for measuring, the reference, the
 * outcome of a measurement and the record it becomes.  ar-bench reads the
 * records, calls bench_measure on each and writes what bench_record
 * gives; it knows nothing of any backend.
 *
 * Adding a backend: a file bench_NAME.c that defines a struct
 * bench_backend bench_NAME, and one line for it in the table in bench.c.
 *
 * Failures: a function that can fail returns 0, or the exit status the
 * failure calls for with err set: AR_EXIT_USAGE when the study or the
 * input is bad, AR_EXIT_FAIL when the machine or the machinery failed
 * (no GPU, no memory to map, a child that cannot be forked).  Nothing here
 * prints: a warning is left in b->note for the tool to print.  A candidate
 * that fails is no failure: its outcome says what happened.
 *
 * Ownership: a struct bench owns its items, its settings and the
 * backend's state, all released with bench_release.  An outcome owns its
 * output, refused and error, released with bench_outcome_release;
 * bench_record returns a new reference.
 */
#ifndef AR_BENCH_H
#define AR_BENCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "build.h"
#include "expr.h"
#include "hash.h"
#include "measure.h"
#include "space.h"
#include "spec.h"
#include "stats.h"
#include "util.h"
#include "variant.h"

/* What ar-bench's options say of the measuring. */
struct bench_opts {
	const char *study;	/* the study's path */
	const char *cache;	/* --cache; NULL: build_default_cache()'s */
	const char *variants;	/* --variants; NULL: varstore_dir's */
	char **defs;		/* -D NAME=VALUE */
	size_t ndefs;
	long warmup, repeat;	/* -1: the study's */
	double timeout_s;	/* <= 0: the study's */
	uint64_t seed;		/* of the random inputs */
	int energy;		/* --energy */
	const char *device;	/* --device (opencl); NULL: the study's */
};

/* One record read, checked, and waiting to be measured. */
struct bench_item {
	json_t *rec;		/* owned */
	char *where;		/* "FILE:LINE" */
	space_idx *cfg;
	int compile_error;
	char *source;		/* c, cuda: the variant's file (its real
				 * path), NULL: the study's source */
	char *artifact;		/* c, cuda: the artifact's real path */
	char sha256[HASH_HEXLEN + 1];	/* c, cuda: its content, as built */
	char *arch;		/* cuda, opencl: what it was built for (the
				 * architecture, the device) */
	/* c, cuda, while it is measured: the artifact's bytes, sealed in
	 * memory (fd, or -1), and the path the child loads them from. */
	int sealed;
	char load[32];
};

/* What one measurement found, before it becomes fields. */
struct bench_outcome {
	const char *status;		/* NULL until it is known */
	struct stats st;		/* st.n 0: no times */
	double time_s;			/* replay: the recorded time; NAN:
					 * st.median is the time */
	double cost_s;			/* replay: the recorded cost */
	int verified;
	struct args_cmp cmp;
	double ref_time_s;		/* < 0: none */
	double energy_j;		/* cuda: < 0: none */
	json_t *output;			/* command: owned */
	json_t *refused;		/* c: the sandbox's refusals, owned */
	char *error;			/* owned */
};

struct bench;

/*
 * A backend.  Every hook may be NULL, measure excepted; each returns 0
 * or an exit status with err set (see above).
 */
struct bench_backend {
	const char *name;		/* the study's "backend" */
	/*
	 * The record's fields as CSV columns, in order; energy_columns
	 * with --energy, NULL for a backend that measures no energy (it
	 * refuses --energy).
	 */
	const char *const *columns;
	const char *const *energy_columns;
	/* The record's "output" is the backend's to write (an input's is
	 * replaced); else an input's is passed on. */
	int output;
	/* The outcome is looked up, not measured: its cost_s is the
	 * record's, and neither the time taken nor the compile's counts. */
	int lookup;
	/* The flags the reference is built with, tried in turn until one
	 * compiles; NULL: the study's compile flags. */
	char *const *const *ref_flags;
	/* Checks the study before anything else is read of it. */
	int (*open)(struct bench *b, struct ar_err *err);
	/* Reads the study's own data (a replay's cache file) once its
	 * space is known, before the bench settings: what is wrong with
	 * the data is said before what is wrong with a setting. */
	int (*load)(struct bench *b, struct ar_err *err);
	/* Loads what the backend needs of the study, after its bench
	 * settings. */
	int (*prepare)(struct bench *b, struct ar_err *err);
	/* Checks the backend's part of a record: the artifact.  Returns
	 * AR_EXIT_USAGE for a bad record. */
	int (*check)(struct bench *b, struct bench_item *it,
	    struct ar_err *err);
	/* Once every record was read and found good: what the backend
	 * needs of the machine, and b->host and b->device.  NULL: the host
	 * and the CPU. */
	int (*start)(struct bench *b, struct ar_err *err);
	/* Measures it into o, b->slots set to its configuration. */
	int (*measure)(struct bench *b, struct bench_item *it,
	    struct bench_outcome *o, struct ar_err *err);
	void (*release)(struct bench *b);
};

/*
 * cuda, opencl: the reference of a study whose variants run on a device
 * is C doing the device's work on the processor: built with these flags
 * (cc -O3 with OpenMP, else without), and run by bench_reference_device.
 */
extern char *const *const bench_ref_device_flags[];

/* The record fields' columns the backends name: the c backend's, cuda's
 * with --energy, and those of a backend that checks no outputs. */
extern const char *const bench_c_columns[];
extern const char *const bench_energy_columns[];
extern const char *const bench_command_columns[];

/* The backend of that name, or NULL when there is none. */
const struct bench_backend *bench_backend_find(const char *name);

struct bench {
	const struct bench_opts *op;
	const struct bench_backend *be;
	struct spec spec;
	struct space space;
	size_t warmup, repeat, nsets;
	int per_variant;	/* bench.inputs "variant" */
	int sandbox;		/* bench.sandbox */
	double timeout_s, rtol, atol;
	/* The candidates' resource limits (0: none), bench.cpu_s,
	 * bench.memory_mb and bench.file_mb. */
	double cpu_s;
	size_t as_bytes, file_bytes;
	struct expr *bound;
	char *cache;		/* absolute (variant_cache) */
	char *store;		/* the variants store (varstore_dir) */
	struct val *slots;	/* the item being measured's */
	uint64_t max_bytes;	/* what one measurement's buffers may take */
	char *host;		/* the machine; replay: NULL */
	char *device;		/* the CPU or GPU; NULL if unknown */
	/* A warning for the tool to print (and free) when it is not NULL. */
	char *note;

	/* c, cuda: the kernel's arguments, the compile settings, the
	 * reference and the data of every shape met (measure.h). */
	struct args args;
	struct variant_compile vc;
	char *ref_source, *ref_so;
	const char *ref_entry;
	struct measure_cache mc;

	void *priv;		/* the backend's own */

	struct bench_item *items;
	size_t nitems, cap;
};

/* Loads the study op->study into b.  Returns 0 or AR_EXIT_USAGE. */
int bench_load(struct bench *b, const struct bench_opts *op,
    struct ar_err *err);
/*
 * Sets b to measure with backend be: checks the study and the options
 * for it, and reads the study's settings with the options over them.
 * A warning may be left in b->note, whatever it returns.
 */
int bench_prepare(struct bench *b, const struct bench_backend *be,
    struct ar_err *err);
/*
 * Checks a record and adds it to b->items: of this study, params in its
 * space, its code variant (variant_check_record: in the store, its
 * content its hash), the id of those params and that variant (when it
 * has one of ar-propose's), and what the backend checks.  Takes rec and where on success; returns
 * AR_EXIT_USAGE for a bad record, err saying why.
 */
int bench_add(struct bench *b, json_t *rec, char *where, struct ar_err *err);
/* Once every record was read and found good: the backend's start. */
int bench_start(struct bench *b, struct ar_err *err);
/* The fields as CSV columns. */
const char *const *bench_columns(const struct bench *b);

/*
 * Builds the reference, when b->ref_source is set.  Returns 0 with res
 * filled, res->ok 0 when it does not compile (res->log says why), else
 * b->ref_so set, and res for the caller to release
 * (build_result_release); AR_EXIT_FAIL with err set when the compiler
 * cannot run.
 */
int bench_build_reference(struct bench *b, struct build_result *res,
    struct ar_err *err);

/* Measures it (once the reference is built) into o. */
int bench_measure(struct bench *b, struct bench_item *it,
    struct bench_outcome *o, struct ar_err *err);
void bench_outcome_release(struct bench_outcome *o);
/* The record the outcome makes of the item's, wall_s the time its
 * measurement took. */
json_t *bench_record(const struct bench *b, const struct bench_item *it,
    const struct bench_outcome *o, double wall_s);
void bench_release(struct bench *b);

/*
 * For the backends.
 */

/* o failed with status and the message. */
void bench_fail(struct bench_outcome *o, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The bound, for a measurement that passed: a time below what the
 * machine could physically need is not believed.
 */
void bench_check_bound(struct bench *b, struct bench_outcome *o);
/* What a measurement in a child says of the candidate. */
void bench_take_result(struct bench *b, struct bench_outcome *o,
    const struct measure_result *res);
/* How the study measures a candidate: runs, timeout, tolerances, limits. */
void bench_proto(const struct bench *b, struct measure_proto *p);

/*
 * cuda, opencl: bench_reference for a reference that does a device's
 * work on the processor: once per input set, since its time says
 * nothing of the device's, each run within the study's timeout or 600
 * seconds, whichever is longer.
 */
int bench_reference_device(struct bench *b, struct measure_data *d,
    struct bench_outcome *o, struct ar_err *err);

/*
 * cuda, opencl: measures d with the device's child fn (measure_run_child
 * with job and slack_s).  A child that cannot start the device at all is
 * started once more, two seconds later; failing again, that is no
 * candidate's fault: AR_EXIT_FAIL with err saying the device (what)
 * failed twice.  Returns 0 with res filled for the caller to release.
 */
int bench_run_device(struct bench *b, const struct bench_item *it,
    struct measure_data *d, const struct measure_proto *p,
    measure_child_fn *fn, void *job, double slack_s, const char *what,
    struct measure_result *res, struct ar_err *err);

/* c, cuda: the args, the entry and the reference of the study. */
int bench_load_args(struct bench *b, struct ar_err *err);
int bench_load_entry(struct bench *b, struct ar_err *err);
/* c, cuda: the record's "artifact", or NULL with err set. */
const char *bench_artifact(const struct bench_item *it, struct ar_err *err);
/*
 * c, cuda: checks that path, the item's artifact, was built for it, for arch
 * (cuda; NULL for c) by nvcc or not, and fills it->artifact and
 * it->sha256.  Returns 0, AR_EXIT_USAGE (a bad record) or AR_EXIT_FAIL.
 */
int bench_check_artifact(struct bench *b, struct bench_item *it,
    const char *path, const char *arch, int nvcc, struct ar_err *err);
/*
 * c, cuda: seals the item's artifact for measuring (it->sealed,
 * it->load).
 * Returns 0 with o failed when the artifact cannot be read or changed.
 */
int bench_seal(struct bench_item *it, struct bench_outcome *o,
    struct ar_err *err);
/*
 * c, cuda: 1 when the buffers of a measurement of shape sh fit in
 * b->max_bytes, else 0 with o failed.
 */
int bench_fits(const struct bench *b, const struct args_shape *sh,
    struct bench_outcome *o);
/* c, cuda: the data of shape sh for it (measure_cache_get), in *d. */
int bench_data(struct bench *b, const struct bench_item *it,
    const struct args_shape *sh, struct measure_data **d,
    struct ar_err *err);
/*
 * c, cuda: runs the reference on d as p says, unless it has run; then
 * fails o when it failed on these inputs, else sets o->ref_time_s.
 */
int bench_reference(struct bench *b, struct measure_data *d,
    const struct measure_proto *p, struct bench_outcome *o,
    struct ar_err *err);

#endif
