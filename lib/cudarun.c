/*
 * cudarun: one candidate of a cuda study, measured in the child process
 * measure_run_child gives it (cudarun.h).  Everything judged is judged
 * by the parent: the child reports times and checksums, and leaves every
 * run's outputs, and the inputs as the kernel left them, in the arena.
 */
#include "cudarun.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef AR_CUDA_DRIVER

/* How long a wait polls its event flat out before it naps between
 * polls, and the nap: short kernels are seen at once, long ones cost
 * no processor. */
#define SPIN_S		0.002
#define NAP_NS		50000L
/* How often the power is read when it must be sampled. */
#define POWER_EVERY_S	0.01
/* The most launches of one energy window. */
#define ENERGY_MAX_RUNS	200000
/* Spare parameter slots, all pointing at zeros, for a kernel that takes
 * more parameters than the driver could tell us about. */
#define SPARE_PARAMS	16
/* Past this many parameters more than the args, the driver's answers
 * about parameters are not believed. */
#define MAX_EXTRA_PARAMS 4096

/* A line of the report (measure.h). */
#define say	measure_say

/* The child's state. */
struct crun {
	const struct gpu_driver *d;
	const struct measure_child *ch;
	const struct cudarun_job *job;
	int fd;
	CUdevice dev;
	CUfunction fn;
	CUdeviceptr *in;		/* [t * n + i]: input i of set t */
	CUdeviceptr *out;		/* [i]: output i */
	CUdeviceptr *poison;		/* [i]: the poison of a 64-bit output */
	CUdeviceptr zeros;		/* what spare parameters point at */
	CUdeviceptr *ptrs;		/* the pointers the params point to */
	void **params;
	CUevent start, stop;
	unsigned char *image;
};

static const char *
cuerr(const struct crun *r, CUresult rc)
{
	static char buf[512];

	return gpu_cu_error(r->d, rc, buf, sizeof(buf));
}

static void
nap(void)
{
	struct timespec ts = { 0, NAP_NS };

	nanosleep(&ts, NULL);
}

/* Power samples taken while waiting, for the energy of a window. */
struct sampler {
	struct gpu_nvml *nvml;
	double sum, last;
	size_t n;
};

static void
sample(struct sampler *s)
{
	struct ar_err err;
	double w, t = ar_now();

	if (s == NULL || t - s->last < POWER_EVERY_S)
		return;
	s->last = t;
	if (gpu_nvml_power_w(s->nvml, &w, &err) == 0) {
		s->sum += w;
		s->n++;
	}
}

/*
 * Waits for ev until deadline (0: forever).  Returns 0 when it happened,
 * 1 when the deadline passed first, -1 with *rc set when the wait failed
 * (the kernel faulted).
 */
static int
wait_event(const struct crun *r, CUevent ev, double deadline, CUresult *rc,
    struct sampler *s)
{
	double t0 = ar_now(), t;

	for (;;) {
		*rc = r->d->event_query(ev);
		if (*rc == CUDA_SUCCESS)
			return 0;
		if (*rc != CUDA_ERROR_NOT_READY)
			return -1;
		t = ar_now();
		if (deadline > 0 && t >= deadline)
			return 1;
		sample(s);
		if (t - t0 < SPIN_S)
			sched_yield();
		else
			nap();
	}
}

static size_t
arg_bytes(const struct measure_child *ch, size_t i)
{
	return (size_t)ch->sh->count[i] * args_elemsize(ch->a->arg[i].type);
}

/* Starts CUDA on device 0; 0, or -1 after reporting an error. */
static int
start(struct crun *r)
{
	struct ar_err err;
	CUcontext cx;
	CUresult rc;

	if ((r->d = gpu_driver(&err)) == NULL) {
		say(r->fd, "error", "%s", err.msg);
		return -1;
	}
	/* Load every kernel of the module when it is loaded, so that the
	 * first run's time is the kernel's and a module that cannot load
	 * fails at once.  The caller's choice stands. */
	setenv("CUDA_MODULE_LOADING", "EAGER", 0);
	if ((rc = r->d->init(0)) != CUDA_SUCCESS) {
		say(r->fd, "error", "cuInit: %s", cuerr(r, rc));
		return -1;
	}
	if ((rc = r->d->device_get(&r->dev, 0)) != CUDA_SUCCESS ||
	    (rc = r->d->primary_retain(&cx, r->dev)) != CUDA_SUCCESS ||
	    (rc = r->d->ctx_set(cx)) != CUDA_SUCCESS) {
		say(r->fd, "error", "cannot create a context on device 0: %s",
		    cuerr(r, rc));
		return -1;
	}
	return 0;
}

/* Loads the cubin and finds the kernel; 0, or -1 after reporting. */
static int
load(struct crun *r)
{
	const struct cudarun_job *job = r->job;
	CUmodule mod;
	CUresult rc;
	struct ar_buf img = { 0 };
	struct ar_err err;
	int major = 0, minor = 0;

	if (ar_slurp(job->cubin, 0, &img, &err) != 0) {
		say(r->fd, "invalid", "cannot read the cubin '%s': %s",
		    job->cubin, strerror(errno));
		free(img.buf);
		return -1;
	}
	r->image = (unsigned char *)img.buf;
	if ((rc = r->d->module_load(&mod, r->image)) != CUDA_SUCCESS) {
		r->d->device_attr(&major,
		    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, r->dev);
		r->d->device_attr(&minor,
		    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, r->dev);
		say(r->fd, "invalid", "the cubin, built for %s, does not load "
		    "on this device (sm_%d%d): %s", job->arch ? job->arch :
		    "an unknown architecture", major, minor, cuerr(r, rc));
		return -1;
	}
	if ((rc = r->d->module_function(&r->fn, mod, job->entry)) !=
	    CUDA_SUCCESS) {
		if (rc == CUDA_ERROR_NOT_FOUND)
			say(r->fd, "invalid", "no kernel '%s' in the cubin (a "
			    "kernel keeps its name only when declared "
			    "extern \"C\" __global__)", job->entry);
		else
			say(r->fd, "invalid", "cannot find kernel '%s' in the "
			    "cubin: %s", job->entry, cuerr(r, rc));
		return -1;
	}
	return 0;
}

/*
 * The kernel's parameters against the study's args, where the driver
 * can tell them (CUDA 12.4 and later): how many, and the bytes of each.
 * A driver that cannot answer for the first parameter leaves it unsaid,
 * since a kernel without parameters and a driver without the answer look
 * alike.  0, or -1 after reporting.
 */
static int
check_params(struct crun *r)
{
	const struct args *a = r->ch->a;
	size_t i, off, size, want;

	if (r->d->param_info == NULL ||
	    r->d->param_info(r->fn, 0, &off, &size) != CUDA_SUCCESS)
		return 0;
	for (i = 0; r->d->param_info(r->fn, i, &off, &size) ==
	    CUDA_SUCCESS; i++) {
		/* A driver that answers for any index tells nothing. */
		if (i > a->n + MAX_EXTRA_PARAMS)
			return 0;
		if (i >= a->n)
			continue;
		want = a->arg[i].array ? sizeof(CUdeviceptr) :
		    args_elemsize(a->arg[i].type);
		if (size != want) {
			say(r->fd, "invalid", "parameter %zu of kernel '%s' "
			    "takes %zu bytes, but args[%zu] ('%s', %s) is %zu",
			    i + 1, r->job->entry, size, i, a->arg[i].name,
			    args_typename(a->arg[i].type, a->arg[i].array),
			    want);
			return -1;
		}
	}
	if (i != a->n) {
		say(r->fd, "invalid", "kernel '%s' takes %zu parameters, but "
		    "the study's args are %zu", r->job->entry, i, a->n);
		return -1;
	}
	return 0;
}

/* The launch against the kernel's own limits, and its shared memory
 * opted in; 0, or -1 after reporting. */
static int
check_launch(struct crun *r)
{
	const struct cudarun_job *job = r->job;
	struct launch_func f;
	struct ar_err err;
	CUresult rc;
	int v;

	memset(&f, 0, sizeof(f));
	if (r->d->func_attr(&v, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, r->fn) ==
	    CUDA_SUCCESS)
		f.static_shared = v;
	if (r->d->func_attr(&v, CU_FUNC_ATTRIBUTE_NUM_REGS, r->fn) ==
	    CUDA_SUCCESS)
		f.regs = v;
	if (r->d->func_attr(&v, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
	    r->fn) == CUDA_SUCCESS)
		f.max_threads = v;
	if (launch_check(&job->dims, &job->lim, &f, &err) != 0) {
		say(r->fd, "invalid", "%s", err.msg);
		return -1;
	}
	/* Beyond the default, dynamic shared memory must be asked for. */
	if (job->dims.shared > 0 && job->dims.shared + f.static_shared >
	    (job->shared_default > 0 ? job->shared_default :
	    LAUNCH_SHARED_DEFAULT) &&
	    (rc = r->d->func_set_attr(r->fn,
	    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
	    (int)job->dims.shared)) != CUDA_SUCCESS) {
		say(r->fd, "invalid", "the device refuses kernel '%s' %lld "
		    "bytes of dynamic shared memory (%lld static): %s",
		    job->entry, (long long)job->dims.shared,
		    (long long)f.static_shared, cuerr(r, rc));
		return -1;
	}
	return 0;
}

/* Device buffers for every input set and output, the inputs copied in;
 * 0, or -1 after reporting. */
static int
buffers(struct crun *r)
{
	const struct measure_child *ch = r->ch;
	const struct args *a = ch->a;
	size_t n = a->n, i, t, need = 0, freeb = 0, total = 0;
	unsigned char *tmp;
	CUresult rc;

	for (i = 0; i < n; i++) {
		if (!a->arg[i].array)
			continue;
		if (!a->arg[i].output)
			need += ch->nsets * arg_bytes(ch, i);
		else
			need += arg_bytes(ch, i) *
			    (args_elemsize(a->arg[i].type) == 8 ? 2 : 1);
	}
	if (r->d->mem_info(&freeb, &total) == CUDA_SUCCESS && need > freeb) {
		say(r->fd, "invalid", "the buffers need %zu bytes of device "
		    "memory, and %zu of %zu are free", need, freeb, total);
		return -1;
	}
	r->in = ecalloc(ch->nsets * n + 1, sizeof(*r->in));
	r->out = ecalloc(n + 1, sizeof(*r->out));
	r->poison = ecalloc(n + 1, sizeof(*r->poison));
	for (i = 0; i < n; i++) {
		const struct args_arg *g = &a->arg[i];
		size_t len = arg_bytes(ch, i);

		if (!g->array)
			continue;
		for (t = 0; t < (g->output ? 1 : ch->nsets); t++) {
			CUdeviceptr *p = g->output ? &r->out[i] :
			    &r->in[t * n + i];

			if ((rc = r->d->mem_alloc(p, len)) != CUDA_SUCCESS) {
				say(r->fd, "invalid", "cannot allocate %zu "
				    "bytes of device memory for '%s': %s",
				    len, g->name, cuerr(r, rc));
				return -1;
			}
			if (g->output)
				continue;
			if ((rc = r->d->htod(*p, ch->arena +
			    ch->in[t * n + i], len)) != CUDA_SUCCESS) {
				say(r->fd, "error", "cannot copy input '%s' to "
				    "the device: %s", g->name, cuerr(r, rc));
				return -1;
			}
		}
		/* A 64-bit poison is no 32-bit pattern: it is copied from
		 * a poisoned buffer kept on the device. */
		if (g->output && args_elemsize(g->type) == 8) {
			if ((rc = r->d->mem_alloc(&r->poison[i], len)) !=
			    CUDA_SUCCESS) {
				say(r->fd, "invalid", "cannot allocate %zu "
				    "bytes of device memory for the poison "
				    "of '%s': %s", len, g->name, cuerr(r, rc));
				return -1;
			}
			tmp = emalloc(len);
			args_poison(g->type, tmp, ch->sh->count[i]);
			rc = r->d->htod(r->poison[i], tmp, len);
			free(tmp);
			if (rc != CUDA_SUCCESS) {
				say(r->fd, "error", "cannot copy the poison of "
				    "'%s' to the device: %s", g->name,
				    cuerr(r, rc));
				return -1;
			}
		}
	}
	if ((rc = r->d->mem_alloc(&r->zeros, 64)) != CUDA_SUCCESS ||
	    (rc = r->d->memset32(r->zeros, 0, 16)) != CUDA_SUCCESS ||
	    (rc = r->d->event_create(&r->start, CU_EVENT_DEFAULT)) !=
	    CUDA_SUCCESS ||
	    (rc = r->d->event_create(&r->stop, CU_EVENT_DEFAULT)) !=
	    CUDA_SUCCESS) {
		say(r->fd, "error", "cannot set up the device: %s",
		    cuerr(r, rc));
		return -1;
	}
	return 0;
}

/* The parameters for input set t. */
static void
set_params(struct crun *r, size_t t)
{
	const struct args *a = r->ch->a;
	size_t i, n = a->n;

	for (i = 0; i < n; i++)
		if (a->arg[i].array)
			r->ptrs[i] = a->arg[i].output ? r->out[i] :
			    r->in[t * n + i];
}

static void
setup_params(struct crun *r)
{
	const struct args *a = r->ch->a;
	size_t i, n = a->n;

	r->ptrs = ecalloc(n + SPARE_PARAMS, sizeof(*r->ptrs));
	r->params = ecalloc(n + SPARE_PARAMS, sizeof(*r->params));
	for (i = 0; i < n + SPARE_PARAMS; i++) {
		if (i < n && !a->arg[i].array) {
			/* A union's members all start at its address. */
			r->params[i] = &r->ch->sh->value[i];
			continue;
		}
		if (i >= n)
			r->ptrs[i] = r->zeros;
		r->params[i] = &r->ptrs[i];
	}
}

/* Writes the poison over every output on the device. */
static CUresult
poison(struct crun *r)
{
	const struct args *a = r->ch->a;
	uint32_t pattern;
	float nanf32 = NAN;
	CUresult rc;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (!a->arg[i].output)
			continue;
		if (args_elemsize(a->arg[i].type) == 8)
			rc = r->d->dtod(r->out[i], r->poison[i],
			    arg_bytes(r->ch, i));
		else {
			if (a->arg[i].type == ARGS_F32)
				memcpy(&pattern, &nanf32, sizeof(pattern));
			else
				pattern = (uint32_t)ARGS_POISON_I32;
			rc = r->d->memset32(r->out[i], pattern,
			    (size_t)r->ch->sh->count[i]);
		}
		if (rc != CUDA_SUCCESS)
			return rc;
	}
	return CUDA_SUCCESS;
}

static CUresult
launch(struct crun *r)
{
	const struct launch_dims *d = &r->job->dims;

	return r->d->launch(r->fn, (unsigned)d->grid[0], (unsigned)d->grid[1],
	    (unsigned)d->grid[2], (unsigned)d->block[0],
	    (unsigned)d->block[1], (unsigned)d->block[2],
	    (unsigned)d->shared, NULL, r->params, NULL);
}

/* A launch the driver refused outright is a geometry it will not run. */
static int
refused(CUresult rc)
{
	return rc == CUDA_ERROR_INVALID_VALUE ||
	    rc == CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
}

static void
say_refused(struct crun *r, CUresult rc)
{
	const struct launch_dims *d = &r->job->dims;

	say(r->fd, "invalid", "the driver refused the launch (grid %lld x "
	    "%lld x %lld, block %lld x %lld x %lld, %lld bytes of dynamic "
	    "shared memory): %s", (long long)d->grid[0],
	    (long long)d->grid[1], (long long)d->grid[2],
	    (long long)d->block[0], (long long)d->block[1],
	    (long long)d->block[2], (long long)d->shared, cuerr(r, rc));
}

/* The runs; 0, or -1 after reporting. */
static int
runs(struct crun *r, double *times)
{
	const struct measure_child *ch = r->ch;
	const struct args *a = ch->a;
	size_t n = a->n, i, k;
	double deadline;
	CUresult rc;
	float ms;
	int w;

	for (k = 0; k < ch->nruns; k++) {
		set_params(r, k % ch->nsets);
		if ((rc = poison(r)) != CUDA_SUCCESS) {
			say(r->fd, "crash", "run %zu of %zu: cannot poison the "
			    "outputs: %s", k + 1, ch->nruns, cuerr(r, rc));
			return -1;
		}
		if ((rc = r->d->event_record(r->start, NULL)) != CUDA_SUCCESS) {
			say(r->fd, "crash", "run %zu of %zu: %s", k + 1,
			    ch->nruns, cuerr(r, rc));
			return -1;
		}
		if ((rc = launch(r)) != CUDA_SUCCESS) {
			if (refused(rc))
				say_refused(r, rc);
			else
				say(r->fd, "crash", "run %zu of %zu: the launch "
				    "failed: %s", k + 1, ch->nruns,
				    cuerr(r, rc));
			return -1;
		}
		if ((rc = r->d->event_record(r->stop, NULL)) != CUDA_SUCCESS) {
			say(r->fd, "crash", "run %zu of %zu: %s", k + 1,
			    ch->nruns, cuerr(r, rc));
			return -1;
		}
		deadline = ch->timeout_s > 0 ? ar_now() + ch->timeout_s : 0;
		if ((w = wait_event(r, r->stop, deadline, &rc, NULL)) > 0) {
			say(r->fd, "timeout", "run %zu of %zu did not finish "
			    "within %g s", k + 1, ch->nruns, ch->timeout_s);
			return -1;
		}
		if (w < 0 || (rc = r->d->event_elapsed(&ms, r->start,
		    r->stop)) != CUDA_SUCCESS) {
			say(r->fd, "crash", "run %zu of %zu: %s", k + 1,
			    ch->nruns, cuerr(r, rc));
			return -1;
		}
		for (i = 0; i < n; i++)
			if (a->arg[i].output && (rc = r->d->dtoh(ch->arena +
			    ch->out[k * n + i], r->out[i], arg_bytes(ch, i))) !=
			    CUDA_SUCCESS) {
				say(r->fd, "crash", "run %zu of %zu: cannot "
				    "copy output '%s' back: %s", k + 1,
				    ch->nruns, a->arg[i].name, cuerr(r, rc));
				return -1;
			}
		times[k] = ms / 1e3;
		dprintf(r->fd, "run %zu %a %016llx\n", k, times[k],
		    (unsigned long long)measure_checksum(ch, k));
	}
	/* The inputs as the kernel left them, for the parent to compare
	 * with the pristine ones. */
	for (k = 0; k < ch->nsets; k++)
		for (i = 0; i < n; i++)
			if (a->arg[i].array && !a->arg[i].output &&
			    (rc = r->d->dtoh(ch->arena + ch->in[k * n + i],
			    r->in[k * n + i], arg_bytes(ch, i))) !=
			    CUDA_SUCCESS) {
				say(r->fd, "crash", "cannot copy input '%s' "
				    "back: %s", a->arg[i].name, cuerr(r, rc));
				return -1;
			}
	return 0;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * The energy of a run: windows of back-to-back launches on input set 0,
 * each long enough for the device's counter (or its power readings) to
 * see, the energy of the window divided by its launches.  Their outputs
 * are not checked: every one of them is what a checked run computed.
 * 0, or -1 after reporting a fault of the kernel.
 */
static int
energy(struct crun *r, const double *times)
{
	const struct measure_child *ch = r->ch;
	const struct cudarun_job *job = r->job;
	struct gpu_nvml *nv;
	struct sampler s;
	struct ar_err err;
	char busid[64] = "", uuid[64] = "";
	unsigned long long e0, e1;
	double *t, per, t0, t1, deadline;
	size_t nper, j, nt = ch->nruns - ch->warmup;
	CUuuid u;
	CUresult rc;
	int w, win, counter;

	if (r->d->device_busid(busid, (int)sizeof(busid), r->dev) !=
	    CUDA_SUCCESS)
		busid[0] = '\0';
	if (r->d->device_uuid != NULL &&
	    r->d->device_uuid(&u, r->dev) == CUDA_SUCCESS) {
		const unsigned char *b = (const unsigned char *)u.bytes;

		snprintf(uuid, sizeof(uuid), "GPU-%02x%02x%02x%02x-%02x%02x-"
		    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		    b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
		    b[11], b[12], b[13], b[14], b[15]);
	}
	if ((nv = gpu_nvml_open(busid, uuid, &err)) == NULL) {
		say(r->fd, "noenergy", "%s", err.msg);
		return 0;
	}
	counter = gpu_nvml_energy_mj(nv, &e0, &err) == 0;
	if (!counter && gpu_nvml_power_w(nv, &t0, &err) != 0) {
		say(r->fd, "noenergy", "%s", err.msg);
		return 0;
	}
	/* The median timed run sizes the windows. */
	t = ecalloc(nt + 1, sizeof(*t));
	memcpy(t, times + ch->warmup, nt * sizeof(*t));
	qsort(t, nt, sizeof(*t), dbl_cmp);
	per = nt > 0 ? t[nt / 2] : 1e-3;
	free(t);
	if (per < 1e-6)
		per = 1e-6;
	nper = (size_t)ceil(job->energy_window_s / per);
	if (nper < 1)
		nper = 1;
	if (nper > ENERGY_MAX_RUNS)
		nper = ENERGY_MAX_RUNS;
	set_params(r, 0);
	for (win = 0; win < job->energy_windows; win++) {
		memset(&s, 0, sizeof(s));
		s.nvml = nv;
		r->d->ctx_sync();
		if (counter && gpu_nvml_energy_mj(nv, &e0, &err) != 0) {
			say(r->fd, "noenergy", "%s", err.msg);
			return 0;
		}
		t0 = ar_now();
		/* Sampled while the launches queue up too: once the queue
		 * is full, a launch waits for the device. */
		if (!counter) {
			s.last = t0 - POWER_EVERY_S;
			sample(&s);
		}
		for (j = 0; j < nper; j++) {
			if ((rc = launch(r)) != CUDA_SUCCESS) {
				say(r->fd, "crash", "energy: the launch "
				    "failed: %s", cuerr(r, rc));
				return -1;
			}
			if (!counter)
				sample(&s);
		}
		if ((rc = r->d->event_record(r->stop, NULL)) != CUDA_SUCCESS) {
			say(r->fd, "crash", "energy: %s", cuerr(r, rc));
			return -1;
		}
		deadline = ch->timeout_s > 0 ? ar_now() + ch->timeout_s +
		    4 * per * (double)nper : 0;
		w = wait_event(r, r->stop, deadline, &rc, counter ? NULL : &s);
		if (w > 0) {
			say(r->fd, "timeout", "energy: %zu runs did not "
			    "finish within %g s", nper, deadline - t0);
			return -1;
		}
		if (w < 0) {
			say(r->fd, "crash", "energy: %s", cuerr(r, rc));
			return -1;
		}
		t1 = ar_now();
		if (!counter) {
			s.last = t1 - POWER_EVERY_S;
			sample(&s);
		}
		if (counter) {
			if (gpu_nvml_energy_mj(nv, &e1, &err) != 0) {
				say(r->fd, "noenergy", "%s", err.msg);
				return 0;
			}
			if (e1 <= e0) {
				say(r->fd, "noenergy", "the energy counter did "
				    "not advance in %.3g s", t1 - t0);
				return 0;
			}
			dprintf(r->fd, "energy %a\n",
			    (double)(e1 - e0) / 1e3 / (double)nper);
		} else {
			if (s.n == 0) {
				say(r->fd, "noenergy", "no power reading in "
				    "%.3g s", t1 - t0);
				return 0;
			}
			dprintf(r->fd, "energy %a\n", s.sum / (double)s.n *
			    (t1 - t0) / (double)nper);
		}
	}
	return 0;
}

int
cudarun_child(const struct measure_child *ch, void *ctx, int fd)
{
	struct crun r;
	double *times;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	r.ch = ch;
	r.job = ctx;
	r.fd = fd;
	times = ecalloc(ch->nruns + 1, sizeof(*times));
	if (start(&r) != 0 || load(&r) != 0 || check_params(&r) != 0 ||
	    check_launch(&r) != 0 || buffers(&r) != 0)
		goto out;
	setup_params(&r);
	if (runs(&r, times) != 0)
		goto out;
	if (r.job->energy && r.job->energy_windows > 0 &&
	    energy(&r, times) != 0)
		goto out;
	dprintf(fd, "done\n");
	rc = 0;
out:
	/* The process ends now, and the device's memory and the context
	 * with it; freeing them one by one would only add time. */
	free(times);
	free(r.image);
	free(r.in);
	free(r.out);
	free(r.poison);
	free(r.ptrs);
	free(r.params);
	return rc;
}

#else /* !AR_CUDA_DRIVER */

int
cudarun_child(const struct measure_child *ch, void *ctx, int fd)
{
	(void)ch;
	(void)ctx;
	dprintf(fd, "error built without the CUDA headers (cuda.h), so "
	    "without the cuda backend\n");
	return 1;
}

#endif
