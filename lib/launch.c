#include "launch.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

/* Dimensions are unsigned int in the driver's API. */
#define DIM_MAX	4294967295LL

static const char xyz[] = "xyz";


static int
load_dims(const struct spec *s, json_t *l, const char *name,
    struct expr **out, int *n, struct ar_err *err)
{
	json_t *v = json_object_get(l, name);
	char key[64];
	size_t i;

	if (!json_is_array(v) || json_array_size(v) < 1 ||
	    json_array_size(v) > 3) {
		ar_errf(err, "%s: key \"launch.%s\": %s", s->path, name,
		    v == NULL ? "missing (a GPU kernel needs a grid and a "
		    "block)" : "expected an array of one to three "
		    "expressions");
		return -1;
	}
	for (i = 0; i < json_array_size(v); i++) {
		snprintf(key, sizeof(key), "launch.%s[%zu]", name, i);
		if ((out[i] = spec_expr(s, key, json_array_get(v, i), err)) ==
		    NULL)
			return -1;
		*n = (int)i + 1;
	}
	return 0;
}

int
launch_load(struct launch *l, const struct spec *s, struct ar_err *err)
{
	json_t *v = json_object_get(s->root, "launch"), *sh;

	memset(l, 0, sizeof(*l));
	if (!json_is_object(v)) {
		ar_errf(err, "%s: key \"launch\": %s", s->path, v == NULL ?
		    "missing (a GPU kernel needs a grid and a block)" :
		    "expected an object");
		return -1;
	}
	if (load_dims(s, v, "grid", l->grid, &l->ngrid, err) != 0 ||
	    load_dims(s, v, "block", l->block, &l->nblock, err) != 0)
		return -1;
	if ((sh = json_object_get(v, "shared")) != NULL &&
	    (l->shared = spec_expr(s, "launch.shared", sh, err)) == NULL)
		return -1;
	return 0;
}

void
launch_release(struct launch *l)
{
	int i;

	for (i = 0; i < 3; i++) {
		expr_free(l->grid[i]);
		expr_free(l->block[i]);
	}
	expr_free(l->shared);
	memset(l, 0, sizeof(*l));
}

/* One dimension (min 1) or the shared bytes (min 0). */
static int
eval_one(const struct expr *e, const struct val *slots, const char *key,
    int64_t min, int64_t *out, struct ar_err *err)
{
	char msg[256], text[64];
	struct val v;
	int64_t i;
	int integral;

	if (expr_eval(e, slots, &v, msg, sizeof(msg)) != 0) {
		ar_errf(err, "%s: %s in '%s'", key, msg, expr_source(e));
		return -1;
	}
	if (v.t == VAL_INT) {
		i = v.u.i;
		integral = 1;
		snprintf(text, sizeof(text), "%lld", (long long)i);
	} else if (v.t == VAL_DBL) {
		integral = v.u.d == floor(v.u.d) &&
		    fabs(v.u.d) < 9007199254740992.0;
		i = integral ? (int64_t)v.u.d : 0;
		jsonw_fmt_g(v.u.d, text, sizeof(text));
	} else {
		ar_errf(err, "%s is \"%s\", not a number", key, v.u.s);
		return -1;
	}
	if (!integral || i < min) {
		ar_errf(err, "%s is %s, not %s integer", key, text,
		    min > 0 ? "a positive" : "a non-negative");
		return -1;
	}
	if (i > DIM_MAX) {
		ar_errf(err, "%s is %s, more than %lld", key, text, DIM_MAX);
		return -1;
	}
	*out = i;
	return 0;
}

int
launch_eval(const struct launch *l, const struct val *slots,
    struct launch_dims *d, struct ar_err *err)
{
	char key[64];
	int i;

	for (i = 0; i < 3; i++)
		d->grid[i] = d->block[i] = 1;
	d->shared = 0;
	for (i = 0; i < l->ngrid; i++) {
		snprintf(key, sizeof(key), "launch.grid[%d]", i);
		if (eval_one(l->grid[i], slots, key, 1, &d->grid[i], err))
			return -1;
	}
	for (i = 0; i < l->nblock; i++) {
		snprintf(key, sizeof(key), "launch.block[%d]", i);
		if (eval_one(l->block[i], slots, key, 1, &d->block[i], err))
			return -1;
	}
	if (l->shared != NULL && eval_one(l->shared, slots, "launch.shared",
	    0, &d->shared, err) != 0)
		return -1;
	return 0;
}

int64_t
launch_threads(const struct launch_dims *d)
{
	/* Each dimension is below 2^32, so a product of two fits; a third
	 * could overflow, hence the saturation. */
	double t = (double)d->block[0] * (double)d->block[1] *
	    (double)d->block[2];

	return t > 9e18 ? INT64_MAX : d->block[0] * d->block[1] * d->block[2];
}

/*
 * The same, in OpenCL's words: work-groups of work-items, __local
 * memory; its devices give no limits of grid or registers, and a kernel
 * tells the work-group size it allows and the __local memory it
 * declares.
 */
static int
check_opencl(const struct launch_dims *d, const struct launch_limits *lim,
    const struct launch_func *f, struct ar_err *err)
{
	int64_t items = launch_threads(d), local;
	int i;

	for (i = 0; i < 3; i++)
		if (lim->block[i] > 0 && d->block[i] > lim->block[i]) {
			ar_errf(err, "work-group dimension %d is %lld, more "
			    "than the %lld the device allows", i,
			    (long long)d->block[i], (long long)lim->block[i]);
			return -1;
		}
	if (lim->threads > 0 && items > lim->threads) {
		ar_errf(err, "a work-group of %lld work-items (%lld x %lld x "
		    "%lld), more than the %lld the device allows",
		    (long long)items, (long long)d->block[0],
		    (long long)d->block[1], (long long)d->block[2],
		    (long long)lim->threads);
		return -1;
	}
	local = d->shared + (f != NULL ? f->static_shared : 0);
	if (lim->shared > 0 && local > lim->shared) {
		ar_errf(err, "%lld bytes of __local memory a work-group "
		    "(%lld declared by the kernel, %lld of launch.shared), "
		    "more than the %lld the device has", (long long)local,
		    (long long)(f != NULL ? f->static_shared : 0),
		    (long long)d->shared, (long long)lim->shared);
		return -1;
	}
	if (f != NULL && f->max_threads > 0 && items > f->max_threads) {
		ar_errf(err, "a work-group of %lld work-items, more than the "
		    "%lld this kernel allows on the device", (long long)items,
		    (long long)f->max_threads);
		return -1;
	}
	return 0;
}

int
launch_check(const struct launch_dims *d, const struct launch_limits *lim,
    const struct launch_func *f, struct ar_err *err)
{
	int64_t threads = launch_threads(d), shared;
	int i;

	if (lim->opencl)
		return check_opencl(d, lim, f, err);
	for (i = 0; i < 3; i++)
		if (lim->block[i] > 0 && d->block[i] > lim->block[i]) {
			ar_errf(err, "block dimension %c is %lld, more than "
			    "the %lld the device allows", xyz[i],
			    (long long)d->block[i], (long long)lim->block[i]);
			return -1;
		}
	if (lim->threads > 0 && threads > lim->threads) {
		ar_errf(err, "a block of %lld threads (%lld x %lld x %lld), "
		    "more than the %lld the device allows",
		    (long long)threads, (long long)d->block[0],
		    (long long)d->block[1], (long long)d->block[2],
		    (long long)lim->threads);
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (lim->grid[i] > 0 && d->grid[i] > lim->grid[i]) {
			ar_errf(err, "grid dimension %c is %lld, more than "
			    "the %lld the device allows", xyz[i],
			    (long long)d->grid[i], (long long)lim->grid[i]);
			return -1;
		}
	shared = d->shared + (f != NULL ? f->static_shared : 0);
	if (lim->shared > 0 && shared > lim->shared) {
		if (f != NULL && f->static_shared > 0)
			ar_errf(err, "%lld bytes of shared memory a block "
			    "(%lld static, %lld dynamic), more than the %lld "
			    "the device allows", (long long)shared,
			    (long long)f->static_shared,
			    (long long)d->shared, (long long)lim->shared);
		else
			ar_errf(err, "%lld bytes of dynamic shared memory a "
			    "block, more than the %lld the device allows",
			    (long long)shared, (long long)lim->shared);
		return -1;
	}
	if (f == NULL)
		return 0;
	if (f->max_threads > 0 && threads > f->max_threads) {
		ar_errf(err, "a block of %lld threads, more than the %lld "
		    "this kernel allows (%lld registers a thread, or its "
		    "__launch_bounds__)", (long long)threads,
		    (long long)f->max_threads, (long long)f->regs);
		return -1;
	}
	/* The plain product is the least the block needs: the hardware
	 * rounds up, so this never refuses a block it would take. */
	if (lim->regs > 0 && f->regs > 0 && threads <= INT64_MAX / f->regs &&
	    threads * f->regs > lim->regs) {
		ar_errf(err, "a block of %lld threads of %lld registers needs "
		    "%lld, more than the %lld the device allows",
		    (long long)threads, (long long)f->regs,
		    (long long)(threads * f->regs), (long long)lim->regs);
		return -1;
	}
	return 0;
}
