/*
 * clrun: one candidate of an opencl study, measured in the child process
 * measure_run_child gives it (clrun.h).  Everything judged is judged by
 * the parent: the child reports times and checksums, and leaves every
 * run's outputs, and the inputs as the kernel left them, in the arena.
 */
#include "clrun.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl.h"

#ifdef AR_OPENCL

/* The guard zones around every buffer, in bytes: a multiple of any
 * device's base address alignment (NVIDIA's is 4096 bits). */
#define GUARD		4096
#define GUARD_BYTE	0xa5
/* How long a wait polls flat out before it naps between polls. */
#define SPIN_S		0.002
#define NAP_NS		50000L

/* A line of the report (measure.h). */
#define say	measure_say

/* The child's state. */
struct crun {
	const struct cl_session *s;
	const struct cl_api *a;
	const struct measure_child *ch;
	const struct clrun_job *job;
	int fd;
	cl_command_queue q;
	cl_kernel k;
	cl_mem *whole;			/* [t * n + i]: buffer with guards */
	cl_mem *in;			/* [t * n + i]: input i of set t */
	cl_mem *out;			/* [i]: output i (set 0's slots) */
	unsigned char **poison;		/* [i]: output i's poison */
	unsigned char *guard, *check;	/* GUARD bytes each */
	size_t nbufs;			/* the sets that have buffers */
};

static size_t
arg_bytes(const struct measure_child *ch, size_t i)
{
	return (size_t)ch->sh->count[i] * args_elemsize(ch->a->arg[i].type);
}

/* Opens the device and a queue that profiles; 0, or -1 after
 * reporting. */
static int
start(struct crun *r)
{
	struct ar_err err;
	cl_int rc;

	if ((r->s = cl_open(r->job->sel, &err)) == NULL) {
		say(r->fd, "error", "%s", err.msg);
		return -1;
	}
	r->a = r->s->api;
	if (strcmp(r->s->dev.ident, r->job->ident) != 0) {
		say(r->fd, "invalid", "built for '%s', not for this device "
		    "('%s')", r->job->ident, r->s->dev.ident);
		return -1;
	}
	r->q = r->a->create_queue(r->s->ctx, r->s->device,
	    CL_QUEUE_PROFILING_ENABLE, &rc);
	if (r->q == NULL) {
		say(r->fd, "error", "clCreateCommandQueue: %s",
		    cl_errname(rc));
		return -1;
	}
	return 0;
}

/* The program from its binary, and the kernel; 0, or -1 after
 * reporting. */
static int
load(struct crun *r)
{
	const struct clrun_job *job = r->job;
	struct ar_buf img = { 0 }, log = { 0 };
	struct ar_err err;
	const unsigned char *bin;
	cl_program prog;
	cl_int rc, st = CL_SUCCESS;
	size_t len = 0;

	if (ar_slurp(job->binary, 0, &img, &err) != 0) {
		say(r->fd, "invalid", "cannot read the program binary '%s': "
		    "%s", job->binary, strerror(errno));
		free(img.buf);
		return -1;
	}
	bin = (const unsigned char *)img.buf;
	prog = r->a->program_binary(r->s->ctx, 1, &r->s->device, &img.len,
	    &bin, &st, &rc);
	free(img.buf);
	if (prog == NULL || st != CL_SUCCESS) {
		say(r->fd, "invalid", "the program binary does not load on "
		    "this device: %s", cl_errname(prog == NULL ? rc : st));
		return -1;
	}
	if ((rc = r->a->build(prog, 1, &r->s->device, "", NULL, NULL)) !=
	    CL_SUCCESS) {
		if (r->a->build_info(prog, r->s->device, CL_PROGRAM_BUILD_LOG,
		    0, NULL, &len) == CL_SUCCESS && len > 1) {
			log.buf = emalloc(len + 1);
			if (r->a->build_info(prog, r->s->device,
			    CL_PROGRAM_BUILD_LOG, len, log.buf, NULL) !=
			    CL_SUCCESS)
				len = 0;
			log.buf[len] = '\0';
		}
		say(r->fd, "invalid", "the program binary does not build on "
		    "this device: %s%s%.600s", cl_errname(rc),
		    log.buf != NULL ? ": " : "",
		    log.buf != NULL ? log.buf : "");
		free(log.buf);
		return -1;
	}
	if ((r->k = r->a->create_kernel(prog, job->entry, &rc)) == NULL) {
		if (rc == CL_INVALID_KERNEL_NAME)
			say(r->fd, "invalid", "no kernel '%s' in the program",
			    job->entry);
		else
			say(r->fd, "invalid", "cannot create kernel '%s': %s",
			    job->entry, cl_errname(rc));
		return -1;
	}
	return 0;
}

/*
 * The kernel's parameters against the study's args (and the __local
 * one of launch.shared), and its launch against its own limits: the
 * work-group size it allows and the __local memory it declares with
 * what launch.shared adds.  0, or -1 after reporting.
 */
static int
check(struct crun *r)
{
	const struct clrun_job *job = r->job;
	const struct args *a = r->ch->a;
	struct launch_func f;
	struct ar_err err;
	cl_uint nargs;
	cl_ulong lmem;
	size_t wg, want = a->n + (job->dims.shared > 0);

	if (r->a->kernel_info(r->k, CL_KERNEL_NUM_ARGS, sizeof(nargs), &nargs,
	    NULL) == CL_SUCCESS && nargs != want) {
		say(r->fd, "invalid", "kernel '%s' takes %u parameters, but the "
		    "study's args are %zu%s", job->entry, nargs, a->n,
		    job->dims.shared > 0 ? ", and launch.shared adds a "
		    "__local one" : "");
		return -1;
	}
	memset(&f, 0, sizeof(f));
	if (r->a->kernel_wg_info(r->k, r->s->device, CL_KERNEL_WORK_GROUP_SIZE,
	    sizeof(wg), &wg, NULL) == CL_SUCCESS)
		f.max_threads = (int64_t)wg;
	if (r->a->kernel_wg_info(r->k, r->s->device, CL_KERNEL_LOCAL_MEM_SIZE,
	    sizeof(lmem), &lmem, NULL) == CL_SUCCESS)
		f.static_shared = (int64_t)lmem;
	if (launch_check(&job->dims, &job->lim, &f, &err) != 0) {
		say(r->fd, "invalid", "%s", err.msg);
		return -1;
	}
	return 0;
}

/*
 * A buffer of len bytes between two guard zones: the whole one in
 * *whole, the part the kernel sees returned; NULL after reporting.
 */
static cl_mem
guarded(struct crun *r, size_t len, const char *name, cl_mem *whole)
{
	cl_buffer_region reg = { GUARD, len };
	cl_mem sub;
	cl_int rc;

	*whole = r->a->create_buffer(r->s->ctx, CL_MEM_READ_WRITE,
	    len + 2 * GUARD, NULL, &rc);
	if (*whole == NULL) {
		say(r->fd, "invalid", "cannot allocate %zu bytes of device "
		    "memory for '%s': %s", len, name, cl_errname(rc));
		return NULL;
	}
	if ((rc = r->a->write(r->q, *whole, CL_TRUE, 0, GUARD, r->guard, 0,
	    NULL, NULL)) != CL_SUCCESS ||
	    (rc = r->a->write(r->q, *whole, CL_TRUE, GUARD + len, GUARD,
	    r->guard, 0, NULL, NULL)) != CL_SUCCESS) {
		say(r->fd, "error", "cannot write the guards of '%s': %s",
		    name, cl_errname(rc));
		return NULL;
	}
	/* A zero-sized buffer is no buffer to OpenCL: such an argument
	 * gets the first guard byte, which it must not touch. */
	if (len == 0)
		reg.size = 1;
	sub = r->a->sub_buffer(*whole, CL_MEM_READ_WRITE,
	    CL_BUFFER_CREATE_TYPE_REGION, &reg, &rc);
	if (sub == NULL)
		say(r->fd, "error", "cannot make the buffer of '%s': %s",
		    name, cl_errname(rc));
	return sub;
}

/* Device buffers for every input set and output, the inputs copied in;
 * 0, or -1 after reporting. */
static int
buffers(struct crun *r)
{
	const struct measure_child *ch = r->ch;
	const struct args *a = ch->a;
	size_t n = a->n, i, t, len;
	cl_int rc;

	r->guard = emalloc(GUARD);
	r->check = emalloc(GUARD);
	memset(r->guard, GUARD_BYTE, GUARD);
	r->whole = ecalloc(ch->nsets * n + 1, sizeof(*r->whole));
	r->in = ecalloc(ch->nsets * n + 1, sizeof(*r->in));
	r->out = ecalloc(n + 1, sizeof(*r->out));
	r->poison = ecalloc(n + 1, sizeof(*r->poison));
	for (i = 0; i < n; i++) {
		const struct args_arg *g = &a->arg[i];

		if (!g->array)
			continue;
		len = arg_bytes(ch, i);
		for (t = 0; t < (g->output ? 1 : ch->nsets); t++) {
			cl_mem *p = g->output ? &r->out[i] :
			    &r->in[t * n + i];

			if ((*p = guarded(r, len, g->name,
			    &r->whole[t * n + i])) == NULL)
				return -1;
			if (g->output || len == 0)
				continue;
			if ((rc = r->a->write(r->q, *p, CL_TRUE, 0, len,
			    ch->arena + ch->in[t * n + i], 0, NULL, NULL)) !=
			    CL_SUCCESS) {
				say(r->fd, "error", "cannot copy input '%s' to "
				    "the device: %s", g->name, cl_errname(rc));
				return -1;
			}
		}
		if (g->output) {
			r->poison[i] = emalloc(len + 1);
			args_poison(g->type, r->poison[i], ch->sh->count[i]);
		}
	}
	return 0;
}

/* The arguments for input set t; a CL error, or CL_SUCCESS. */
static cl_int
set_args(struct crun *r, size_t t)
{
	const struct args *a = r->ch->a;
	size_t i, n = a->n;
	cl_int rc = CL_SUCCESS;

	for (i = 0; i < n && rc == CL_SUCCESS; i++) {
		if (a->arg[i].array)
			rc = r->a->set_arg(r->k, (cl_uint)i, sizeof(cl_mem),
			    a->arg[i].output ? &r->out[i] : &r->in[t * n + i]);
		else
			/* A union's members all start at its address. */
			rc = r->a->set_arg(r->k, (cl_uint)i,
			    args_elemsize(a->arg[i].type),
			    &r->ch->sh->value[i]);
	}
	if (rc == CL_SUCCESS && r->job->dims.shared > 0)
		rc = r->a->set_arg(r->k, (cl_uint)n,
		    (size_t)r->job->dims.shared, NULL);
	return rc;
}

/*
 * Whether the guards of every buffer of set t (and the outputs) are as
 * written; else reports a crash naming the buffer, and returns -1.
 */
static int
guards(struct crun *r, size_t t, const char *when)
{
	const struct measure_child *ch = r->ch;
	const struct args *a = ch->a;
	size_t n = a->n, i, len, side;
	cl_int rc;

	for (i = 0; i < n; i++) {
		const struct args_arg *g = &a->arg[i];
		cl_mem w;

		if (!g->array)
			continue;
		w = r->whole[(g->output ? 0 : t) * n + i];
		len = arg_bytes(ch, i);
		for (side = 0; side < 2; side++) {
			if ((rc = r->a->read(r->q, w, CL_TRUE, side ? GUARD +
			    len : 0, GUARD, r->check, 0, NULL, NULL)) !=
			    CL_SUCCESS) {
				say(r->fd, "crash", "%s: cannot read the guards "
				    "of '%s': %s", when, g->name,
				    cl_errname(rc));
				return -1;
			}
			if (memcmp(r->check, r->guard, GUARD) != 0) {
				say(r->fd, "crash", "wrote past the %s of its "
				    "%s '%s' (%s)", side ? "end" : "start",
				    g->output ? "output" : "input", g->name,
				    when);
				return -1;
			}
		}
	}
	return 0;
}

static void
nap(void)
{
	struct timespec ts = { 0, NAP_NS };

	nanosleep(&ts, NULL);
}

/*
 * Waits for ev until deadline (0: forever).  Returns 0 when it ended
 * well, 1 when the deadline passed first, -1 with *rc set when it ended
 * in an error (the kernel faulted).
 */
static int
wait_event(const struct crun *r, cl_event ev, double deadline, cl_int *rc)
{
	double t0 = ar_now(), t;
	cl_int st;

	for (;;) {
		*rc = r->a->event_info(ev, CL_EVENT_COMMAND_EXECUTION_STATUS,
		    sizeof(st), &st, NULL);
		if (*rc != CL_SUCCESS)
			return -1;
		if (st == CL_COMPLETE)
			return 0;
		if (st < 0) {
			*rc = st;
			return -1;
		}
		t = ar_now();
		if (deadline > 0 && t >= deadline)
			return 1;
		if (t - t0 < SPIN_S)
			sched_yield();
		else
			nap();
	}
}

/* A launch the driver refused outright is a geometry it will not run. */
static int
refused(cl_int rc)
{
	return rc == CL_INVALID_WORK_GROUP_SIZE ||
	    rc == CL_INVALID_WORK_ITEM_SIZE ||
	    rc == CL_INVALID_GLOBAL_WORK_SIZE || rc == CL_OUT_OF_RESOURCES;
}

/* Poisons the outputs; a CL error, or CL_SUCCESS. */
static cl_int
poison(struct crun *r)
{
	const struct args *a = r->ch->a;
	cl_int rc = CL_SUCCESS;
	size_t i, len;

	for (i = 0; i < a->n && rc == CL_SUCCESS; i++)
		if (a->arg[i].output && (len = arg_bytes(r->ch, i)) > 0)
			rc = r->a->write(r->q, r->out[i], CL_TRUE, 0, len,
			    r->poison[i], 0, NULL, NULL);
	return rc;
}

/* The runs; 0, or -1 after reporting. */
static int
runs(struct crun *r)
{
	const struct measure_child *ch = r->ch;
	const struct launch_dims *d = &r->job->dims;
	const struct args *a = ch->a;
	size_t n = a->n, i, k, global[3], local[3];
	cl_ulong t0, t1;
	double deadline, sec;
	char when[64];
	cl_event ev;
	cl_int rc;
	int w;

	for (i = 0; i < 3; i++) {
		local[i] = (size_t)d->block[i];
		global[i] = (size_t)(d->grid[i] * d->block[i]);
	}
	for (k = 0; k < ch->nruns; k++) {
		snprintf(when, sizeof(when), "run %zu", k + 1);
		if ((rc = set_args(r, k % ch->nsets)) != CL_SUCCESS) {
			say(r->fd, "invalid", "the kernel's parameters do not "
			    "take the study's args: %s", cl_errname(rc));
			return -1;
		}
		if ((rc = poison(r)) != CL_SUCCESS) {
			say(r->fd, "crash", "run %zu of %zu: cannot poison the "
			    "outputs: %s", k + 1, ch->nruns, cl_errname(rc));
			return -1;
		}
		rc = r->a->ndrange(r->q, r->k, (cl_uint)r->job->work_dim, NULL,
		    global, local, 0, NULL, &ev);
		if (rc != CL_SUCCESS) {
			say(r->fd, refused(rc) ? "invalid" : "crash",
			    "run %zu of %zu: the driver refused the launch "
			    "(%zu x %zu x %zu work-items in groups of %zu x "
			    "%zu x %zu): %s", k + 1, ch->nruns, global[0],
			    global[1], global[2], local[0], local[1],
			    local[2], cl_errname(rc));
			return -1;
		}
		r->a->flush(r->q);
		deadline = ch->timeout_s > 0 ? ar_now() + ch->timeout_s : 0;
		if ((w = wait_event(r, ev, deadline, &rc)) > 0) {
			say(r->fd, "timeout", "run %zu of %zu did not finish "
			    "within %g s", k + 1, ch->nruns, ch->timeout_s);
			return -1;
		}
		if (w < 0) {
			say(r->fd, "crash", "run %zu of %zu: the kernel failed: "
			    "%s", k + 1, ch->nruns, cl_errname(rc));
			return -1;
		}
		if ((rc = r->a->event_profiling(ev, CL_PROFILING_COMMAND_START,
		    sizeof(t0), &t0, NULL)) != CL_SUCCESS ||
		    (rc = r->a->event_profiling(ev, CL_PROFILING_COMMAND_END,
		    sizeof(t1), &t1, NULL)) != CL_SUCCESS) {
			say(r->fd, "error", "the device gives no time of its "
			    "runs: %s", cl_errname(rc));
			return -1;
		}
		r->a->release_event(ev);
		sec = t1 > t0 ? (double)(t1 - t0) / 1e9 : 0;
		for (i = 0; i < n; i++)
			if (a->arg[i].output && arg_bytes(ch, i) > 0 &&
			    (rc = r->a->read(r->q, r->out[i], CL_TRUE, 0,
			    arg_bytes(ch, i), ch->arena + ch->out[k * n + i], 0,
			    NULL, NULL)) != CL_SUCCESS) {
				say(r->fd, "crash", "run %zu of %zu: cannot "
				    "read output '%s' back: %s", k + 1,
				    ch->nruns, a->arg[i].name, cl_errname(rc));
				return -1;
			}
		if (guards(r, k % ch->nsets, when) != 0)
			return -1;
		dprintf(r->fd, "run %zu %a %016llx\n", k, sec,
		    (unsigned long long)measure_checksum(ch, k));
	}
	/* The inputs as the kernel left them, for the parent to compare
	 * with the pristine ones. */
	for (k = 0; k < ch->nsets; k++)
		for (i = 0; i < n; i++)
			if (a->arg[i].array && !a->arg[i].output &&
			    arg_bytes(ch, i) > 0 &&
			    (rc = r->a->read(r->q, r->in[k * n + i], CL_TRUE, 0,
			    arg_bytes(ch, i), ch->arena + ch->in[k * n + i], 0,
			    NULL, NULL)) != CL_SUCCESS) {
				say(r->fd, "crash", "cannot read input '%s' "
				    "back: %s", a->arg[i].name, cl_errname(rc));
				return -1;
			}
	return 0;
}

int
clrun_child(const struct measure_child *ch, void *ctx, int fd)
{
	struct crun r;
	size_t i;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	r.ch = ch;
	r.job = ctx;
	r.fd = fd;
	if (start(&r) != 0 || load(&r) != 0 || check(&r) != 0 ||
	    buffers(&r) != 0 || runs(&r) != 0)
		goto out;
	dprintf(fd, "done\n");
	rc = 0;
out:
	/* The process ends now, and the device's memory with it; freeing
	 * it buffer by buffer would only add time. */
	for (i = 0; i < ch->a->n && r.poison != NULL; i++)
		free(r.poison[i]);
	free(r.poison);
	free(r.whole);
	free(r.in);
	free(r.out);
	free(r.guard);
	free(r.check);
	return rc;
}

#else /* !AR_OPENCL */

int
clrun_child(const struct measure_child *ch, void *ctx, int fd)
{
	(void)ch;
	(void)ctx;
	dprintf(fd, "error built without the OpenCL headers (CL/cl.h), so "
	    "without the opencl backend\n");
	return 1;
}

#endif
