/*
 * The "cuda" backend: a cubin run on device 0 by a worker process of its
 * own (cudarun.h), with a CUDA context of its own: ar-bench itself never
 * initialises CUDA.  Every run's outputs come back into the arena the c
 * backend's runs write, and are judged the same way against the
 * reference, which is C doing the GPU's work on the processor.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cudarun.h"
#include "launch.h"

/* What a worker may take beyond its runs (starting CUDA, loading the
 * cubin), and the rate its copies are counted at, in bytes a second. */
#define CUDA_SLACK_S	60.0
#define CUDA_COPY_RATE	1e9
/* --energy: windows of at least this many seconds each. */
#define ENERGY_WINDOW_S	0.5
#define ENERGY_WINDOWS	3

struct cuda {
	struct launch launch;
	const struct gpu_dev *gpu;	/* device 0 */
	int energy_said;		/* why there is no energy was said */
};


static int
cuda_prepare(struct bench *b, struct ar_err *err)
{
	struct cuda *c;
	int rc;

	b->priv = c = ecalloc(1, sizeof(*c));
	if ((rc = bench_load_args(b, err)) != 0)
		return rc;
	if (launch_load(&c->launch, &b->spec, err) != 0)
		return AR_EXIT_USAGE;
	return bench_load_entry(b, err);
}

static int
cuda_check(struct bench *b, struct bench_item *it, struct ar_err *err)
{
	json_t *comp = json_object_get(it->rec, "compile");
	const char *path, *arch, *by;

	if ((path = bench_artifact(it, err)) == NULL)
		return AR_EXIT_USAGE;
	arch = json_string_value(json_object_get(comp, "arch"));
	by = json_string_value(json_object_get(comp, "compiler"));
	if (arch == NULL || !variant_real_arch(arch)) {
		ar_errf(err, "%s (ar-compile records the GPU architecture it "
		    "built for, such as \"sm_90\")", arch == NULL ?
		    "no \"compile.arch\"" :
		    "\"compile.arch\" is not a real architecture");
		return AR_EXIT_USAGE;
	}
	if (by != NULL && strcmp(by, "nvcc") != 0 &&
	    strcmp(by, "nvrtc") != 0) {
		ar_errf(err, "\"compile.compiler\" is '%s', not \"nvrtc\" or "
		    "\"nvcc\"", by);
		return AR_EXIT_USAGE;
	}
	it->arch = estrdup(arch);
	return bench_check_artifact(b, it, path, arch,
	    by != NULL && strcmp(by, "nvcc") == 0, err);
}

/* The input was good: now, and only now, the study needs its GPU, so
 * that bad input is still bad input without one. */
static int
cuda_start(struct bench *b, struct ar_err *err)
{
	struct cuda *c = b->priv;
	const char *why;

	if ((c->gpu = gpu_probe(&why)) == NULL) {
		ar_errf(err, "%s: cannot measure a cuda study here: %s",
		    b->op->study, why);
		return AR_EXIT_FAIL;
	}
	b->host = measure_host();
	b->device = estrdup(c->gpu->name);
	return 0;
}

/*
 * What the device cannot run is found here before any process starts,
 * where the device's limits tell (the launch, the memory), and in the
 * worker against the kernel's own; the worker is a fresh process each
 * time, so that a fault or a hang is forgotten with its context.  A
 * worker that cannot start CUDA at all is tried once more, then ar-bench
 * gives up: a GPU that fails is no candidate's fault.
 */
static int
cuda_measure(struct bench *b, struct bench_item *it, struct bench_outcome *o,
    struct ar_err *err)
{
	struct cuda *c = b->priv;
	struct measure_proto p;
	struct measure_result res;
	struct measure_data *d;
	struct args_shape sh;
	struct cudarun_job job;
	uint64_t dev_need, copies;
	double slack;
	int rc;

	if ((rc = bench_seal(it, o, err)) != 0 || o->status != NULL)
		return rc;
	if (args_shape(&b->args, b->slots, &sh, err) != 0) {
		bench_fail(o, "invalid", "%s", err->msg);
		return 0;
	}
	memset(&job, 0, sizeof(job));
	if (launch_eval(&c->launch, b->slots, &job.dims, err) != 0 ||
	    launch_check(&job.dims, &c->gpu->lim, NULL, err) != 0) {
		bench_fail(o, "invalid", "%s", err->msg);
		args_shape_release(&sh);
		return 0;
	}
	dev_need = sh.in_bytes * b->nsets + sh.out_bytes;
	copies = sh.in_bytes * b->nsets * 2 + sh.out_bytes *
	    (b->warmup + b->repeat);
	if (!bench_fits(b, &sh, o)) {
		args_shape_release(&sh);
		return 0;
	}
	if (c->gpu->mem > 0 && dev_need > c->gpu->mem) {
		bench_fail(o, "invalid", "the buffers need %llu bytes of "
		    "device memory, more than the %llu the device has",
		    (unsigned long long)dev_need,
		    (unsigned long long)c->gpu->mem);
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

	job.cubin = it->load;
	job.entry = b->spec.entry;
	job.arch = it->arch;
	job.lim = c->gpu->lim;
	job.shared_default = c->gpu->shared_default;
	job.energy = b->op->energy;
	job.energy_window_s = ENERGY_WINDOW_S;
	job.energy_windows = ENERGY_WINDOWS;
	bench_proto(b, &p);
	p.keep_fd = it->sealed;
	slack = CUDA_SLACK_S + (double)copies / CUDA_COPY_RATE;
	if (job.energy)
		slack += ENERGY_WINDOWS * (b->timeout_s + 5 * ENERGY_WINDOW_S);
	if ((rc = bench_run_device(b, it, d, &p, cudarun_child, &job, slack,
	    "GPU", &res, err)) != 0)
		return rc;
	bench_take_result(b, o, &res);
	if (res.nenergy > 0)
		o->energy_j = stats_median(res.energy, res.nenergy);
	else if (b->op->energy && res.energy_error != NULL &&
	    !c->energy_said) {
		struct ar_buf t = { 0 };

		/* Said once: every candidate would say the same. */
		buf_printf(&t, "--energy: no energy measured: %s",
		    res.energy_error);
		free(b->note);
		b->note = t.buf;
		c->energy_said = 1;
	}
	measure_result_release(&res);
	return 0;
}

static void
cuda_release(struct bench *b)
{
	struct cuda *c = b->priv;

	if (c != NULL)
		launch_release(&c->launch);
	free(c);
	b->priv = NULL;
}

const struct bench_backend bench_cuda = {
	.name = "cuda",
	.columns = bench_c_columns,
	.energy_columns = bench_energy_columns,
	.ref_flags = bench_ref_device_flags,
	.prepare = cuda_prepare,
	.check = cuda_check,
	.start = cuda_start,
	.measure = cuda_measure,
	.release = cuda_release,
};
