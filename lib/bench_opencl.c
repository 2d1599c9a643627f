/*
 * The "opencl" backend: a program binary run on an OpenCL device by a
 * worker process of its own (clrun.h), which opens the device itself:
 * ar-bench never starts OpenCL in its own process (cl.h says why).
 * Every run's outputs come back into the arena the c backend's runs
 * write, and are judged the same way against the reference, which is C
 * doing the device's work on the processor.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cl.h"
#include "clrun.h"
#include "launch.h"

/* What a worker may take beyond its runs (opening the device, building
 * the binary, a first launch that compiles for its work-group size),
 * and the rate its copies are counted at, in bytes a second. */
#define CL_SLACK_S	60.0
#define CL_COPY_RATE	5e8

struct opencl {
	struct launch launch;
	int work_dim;
	const char *sel;		/* --device, else the study's */
	const struct cl_dev *dev;
};


static int
opencl_prepare(struct bench *b, struct ar_err *err)
{
	struct opencl *c;
	int rc;

	b->priv = c = ecalloc(1, sizeof(*c));
	c->sel = b->op->device != NULL ? b->op->device :
	    json_string_value(json_object_get(b->spec.root, "device"));
	if ((rc = bench_load_args(b, err)) != 0)
		return rc;
	if (launch_load(&c->launch, &b->spec, err) != 0)
		return AR_EXIT_USAGE;
	c->work_dim = c->launch.ngrid > c->launch.nblock ? c->launch.ngrid :
	    c->launch.nblock;
	return bench_load_entry(b, err);
}

/* The record's artifact, built (its compile.device says) for a device
 * that start() will compare with this one. */
static int
opencl_check(struct bench *b, struct bench_item *it, struct ar_err *err)
{
	json_t *comp = json_object_get(it->rec, "compile");
	const char *path, *dev;

	if ((path = bench_artifact(it, err)) == NULL)
		return AR_EXIT_USAGE;
	dev = json_string_value(json_object_get(comp, "device"));
	if (dev == NULL || *dev == '\0') {
		ar_errf(err, "no \"compile.device\" (ar-compile records the "
		    "OpenCL device it built for)");
		return AR_EXIT_USAGE;
	}
	it->arch = estrdup(dev);
	return bench_check_artifact(b, it, path, dev, 0, err);
}

/* The input was good: now, and only now, the study needs its device,
 * so that bad input is still bad input without one. */
static int
opencl_start(struct bench *b, struct ar_err *err)
{
	struct opencl *c = b->priv;
	const char *why;
	size_t i;

	if ((c->dev = cl_probe(c->sel, &why)) == NULL) {
		ar_errf(err, "%s: cannot measure an opencl study here: %s",
		    b->op->study, why);
		return AR_EXIT_FAIL;
	}
	for (i = 0; i < b->nitems; i++) {
		const struct bench_item *it = &b->items[i];

		if (it->compile_error || it->arch == NULL ||
		    strcmp(it->arch, c->dev->ident) == 0)
			continue;
		ar_errf(err, "%s: built for the OpenCL device '%s', but this "
		    "one is '%s' (build for it with ar-compile, or choose "
		    "the other with --device)", it->where, it->arch,
		    c->dev->ident);
		return AR_EXIT_USAGE;
	}
	b->host = measure_host();
	b->device = estrdup(c->dev->name);
	return 0;
}

/* Whether every buffer fits in one allocation of the device; else o
 * failed. */
static int
allocs_fit(const struct bench *b, const struct opencl *c,
    const struct args_shape *sh, struct bench_outcome *o)
{
	size_t i;
	uint64_t len;

	for (i = 0; i < b->args.n; i++) {
		if (!b->args.arg[i].array)
			continue;
		len = sh->count[i] * args_elemsize(b->args.arg[i].type);
		if (c->dev->max_alloc > 0 && len > c->dev->max_alloc) {
			bench_fail(o, "invalid", "'%s' needs %llu bytes, more "
			    "than the %llu the device allocates at once",
			    b->args.arg[i].name, (unsigned long long)len,
			    (unsigned long long)c->dev->max_alloc);
			return 0;
		}
	}
	return 1;
}

/*
 * What the device cannot run is found here before any process starts,
 * where its limits tell (the work-group, the __local memory, the
 * buffers), and in the worker against the kernel's own.  A worker that
 * cannot start OpenCL at all is tried once more, then ar-bench gives
 * up: a device that fails is no candidate's fault.
 */
static int
opencl_measure(struct bench *b, struct bench_item *it,
    struct bench_outcome *o, struct ar_err *err)
{
	struct opencl *c = b->priv;
	struct measure_proto p;
	struct measure_result res;
	struct measure_data *d;
	struct args_shape sh;
	struct clrun_job job;
	uint64_t need, copies;
	int rc;

	if ((rc = bench_seal(it, o, err)) != 0 || o->status != NULL)
		return rc;
	if (args_shape(&b->args, b->slots, &sh, err) != 0) {
		bench_fail(o, "invalid", "%s", err->msg);
		return 0;
	}
	memset(&job, 0, sizeof(job));
	if (launch_eval(&c->launch, b->slots, &job.dims, err) != 0 ||
	    launch_check(&job.dims, &c->dev->lim, NULL, err) != 0) {
		bench_fail(o, "invalid", "%s", err->msg);
		args_shape_release(&sh);
		return 0;
	}
	need = sh.in_bytes * b->nsets + sh.out_bytes;
	copies = sh.in_bytes * b->nsets * 2 + sh.out_bytes * 2 *
	    (b->warmup + b->repeat);
	if (!bench_fits(b, &sh, o) || !allocs_fit(b, c, &sh, o)) {
		args_shape_release(&sh);
		return 0;
	}
	if (c->dev->mem > 0 && need > c->dev->mem) {
		bench_fail(o, "invalid", "the buffers need %llu bytes of "
		    "device memory, more than the %llu the device has",
		    (unsigned long long)need, (unsigned long long)c->dev->mem);
		args_shape_release(&sh);
		return 0;
	}
	rc = bench_data(b, it, &sh, &d, err);
	args_shape_release(&sh);
	if (rc != 0)
		return rc;
	if ((rc = bench_reference_device(b, d, o, err)) != 0 ||
	    o->status != NULL)
		return rc;

	job.binary = it->load;
	job.entry = b->spec.entry;
	job.sel = c->sel;
	job.ident = c->dev->ident;
	job.work_dim = c->work_dim;
	job.lim = c->dev->lim;
	bench_proto(b, &p);
	p.keep_fd = it->sealed;
	if ((rc = bench_run_device(b, it, d, &p, clrun_child, &job,
	    CL_SLACK_S + (double)copies / CL_COPY_RATE, "OpenCL device", &res,
	    err)) != 0)
		return rc;
	bench_take_result(b, o, &res);
	measure_result_release(&res);
	return 0;
}

static void
opencl_release(struct bench *b)
{
	struct opencl *c = b->priv;

	if (c != NULL)
		launch_release(&c->launch);
	free(c);
	b->priv = NULL;
}

const struct bench_backend bench_opencl = {
	.name = "opencl",
	.columns = bench_c_columns,
	.ref_flags = bench_ref_device_flags,
	.prepare = opencl_prepare,
	.check = opencl_check,
	.start = opencl_start,
	.measure = opencl_measure,
	.release = opencl_release,
};
