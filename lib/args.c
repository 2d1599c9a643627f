#include "args.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "rng.h"

static const struct {
	const char *name;
	enum args_type type;
	int array;
} types[] = {
	{ "float32[]", ARGS_F32, 1 }, { "float64[]", ARGS_F64, 1 },
	{ "int32[]", ARGS_I32, 1 }, { "int64[]", ARGS_I64, 1 },
	{ "float32", ARGS_F32, 0 }, { "float64", ARGS_F64, 0 },
	{ "int32", ARGS_I32, 0 }, { "int64", ARGS_I64, 0 },
};

/* The members an argument may have. */
static const char *const members[] = {
	"init", "name", "output", "size", "type", "value"
};

size_t
args_elemsize(enum args_type t)
{
	return t == ARGS_F32 || t == ARGS_I32 ? 4 : 8;
}

const char *
args_typename(enum args_type t, int array)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t && types[i].array == array)
			return types[i].name;
	return "?";
}

static int
is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}


static int
load_one(struct args_arg *a, const struct spec *s, json_t *o, size_t i,
    struct ar_err *err)
{
	json_t *v, *m;
	const char *key, *type;
	char at[64], what[96];
	size_t k;

	snprintf(at, sizeof(at), "args[%zu]", i);
	if (!json_is_object(o) ||
	    !json_is_string(json_object_get(o, "name")) ||
	    !json_is_string(json_object_get(o, "type"))) {
		ar_errf(err, "%s: key \"%s\": expected an object with a "
		    "\"name\" and a \"type\"", s->path, at);
		return -1;
	}
	json_object_foreach(o, key, m) {
		for (k = 0; k < sizeof(members) / sizeof(members[0]); k++)
			if (strcmp(members[k], key) == 0)
				break;
		if (k == sizeof(members) / sizeof(members[0])) {
			const char *near = ar_nearest(key, members, k);

			if (near != NULL)
				ar_errf(err, "%s: key \"%s.%s\": unknown key "
				    "(did you mean \"%s.%s\"?)", s->path, at,
				    key, at, near);
			else
				ar_errf(err, "%s: key \"%s.%s\": unknown key",
				    s->path, at, key);
			return -1;
		}
	}
	a->name = estrdup(json_string_value(json_object_get(o, "name")));
	if (a->name[0] == '\0') {
		ar_errf(err, "%s: key \"%s.name\": empty", s->path, at);
		return -1;
	}
	type = json_string_value(json_object_get(o, "type"));
	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		if (strcmp(types[k].name, type) == 0)
			break;
	if (k == sizeof(types) / sizeof(types[0])) {
		ar_errf(err, "%s: key \"%s.type\": unknown type '%s' "
		    "(float32[], float64[], int32[], int64[], float32, "
		    "float64, int32 or int64)", s->path, at, type);
		return -1;
	}
	a->type = types[k].type;
	a->array = types[k].array;

	if ((v = json_object_get(o, "output")) != NULL) {
		if (!json_is_boolean(v)) {
			ar_errf(err, "%s: key \"%s.output\": expected a "
			    "boolean", s->path, at);
			return -1;
		}
		a->output = json_is_true(v);
		if (a->output && !a->array) {
			ar_errf(err, "%s: key \"%s.output\": a scalar cannot "
			    "be an output", s->path, at);
			return -1;
		}
	}
	if (!a->array) {
		if (json_object_get(o, "size") != NULL ||
		    json_object_get(o, "init") != NULL) {
			ar_errf(err, "%s: key \"%s\": a scalar has a "
			    "\"value\", not a \"size\" or an \"init\"", s->path,
			    at);
			return -1;
		}
		if ((v = json_object_get(o, "value")) == NULL) {
			ar_errf(err, "%s: key \"%s.value\": missing", s->path,
			    at);
			return -1;
		}
		snprintf(what, sizeof(what), "%s.value", at);
		return (a->expr = spec_expr(s, what, v, err)) ? 0 : -1;
	}

	if (json_object_get(o, "value") != NULL) {
		ar_errf(err, "%s: key \"%s.value\": an array has a \"size\" "
		    "and an \"init\", not a \"value\"", s->path, at);
		return -1;
	}
	if ((v = json_object_get(o, "size")) == NULL) {
		ar_errf(err, "%s: key \"%s.size\": missing", s->path, at);
		return -1;
	}
	snprintf(what, sizeof(what), "%s.size", at);
	if ((a->expr = spec_expr(s, what, v, err)) == NULL)
		return -1;

	v = json_object_get(o, "init");
	if (v == NULL)
		a->init = a->output ? ARGS_INIT_NONE : ARGS_INIT_RANDOM;
	else if (json_is_string(v) &&
	    strcmp(json_string_value(v), "random") == 0)
		a->init = ARGS_INIT_RANDOM;
	else if (json_is_string(v) &&
	    strcmp(json_string_value(v), "zero") == 0)
		a->init = ARGS_INIT_ZERO;
	else if (is_number(v)) {
		a->init = ARGS_INIT_VALUE;
		a->initval = json_number_value(v);
	} else {
		ar_errf(err, "%s: key \"%s.init\": expected \"random\", "
		    "\"zero\" or a number", s->path, at);
		return -1;
	}
	/*
	 * Every output is poisoned before every run, so that a kernel that
	 * skips part of its work is caught; one that read its output first
	 * would read the poison.  "zero" is accepted as the description of
	 * a buffer the kernel fills from nothing; anything else would
	 * promise contents the kernel never sees.
	 */
	if (a->output && a->init != ARGS_INIT_NONE &&
	    a->init != ARGS_INIT_ZERO) {
		ar_errf(err, "%s: key \"%s.init\": an output is poisoned "
		    "before every run; its init may only be \"zero\" or "
		    "absent", s->path, at);
		return -1;
	}
	if (a->output)
		a->init = ARGS_INIT_NONE;
	else if (a->init == ARGS_INIT_VALUE && (a->type == ARGS_I32 ||
	    a->type == ARGS_I64) && (a->initval != floor(a->initval) ||
	    fabs(a->initval) > (a->type == ARGS_I32 ? 2147483647.0 :
	    9007199254740992.0))) {
		char num[32];

		jsonw_fmt_g(a->initval, num, sizeof(num));
		ar_errf(err, "%s: key \"%s.init\": %s is not an integer "
		    "of type %s", s->path, at, num,
		    args_typename(a->type, 0));
		return -1;
	}
	return 0;
}

int
args_load(struct args *a, const struct spec *s, struct ar_err *err)
{
	json_t *list = json_object_get(s->root, "args");
	size_t i, j;

	memset(a, 0, sizeof(*a));
	if (list == NULL)
		return 0;
	if (!json_is_array(list)) {
		ar_errf(err, "%s: key \"args\": expected an array", s->path);
		return -1;
	}
	a->n = json_array_size(list);
	a->arg = ecalloc(a->n ? a->n : 1, sizeof(*a->arg));
	for (i = 0; i < a->n; i++) {
		if (load_one(&a->arg[i], s, json_array_get(list, i), i,
		    err) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(a->arg[j].name, a->arg[i].name) == 0) {
				ar_errf(err, "%s: key \"args[%zu].name\": '%s' "
				    "is given twice", s->path, i,
				    a->arg[i].name);
				return -1;
			}
		a->noutputs += a->arg[i].output;
	}
	return 0;
}

void
args_release(struct args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->arg[i].name);
		expr_free(a->arg[i].expr);
	}
	free(a->arg);
	memset(a, 0, sizeof(*a));
}

/* The integer a value stands for, if it is one (a real with no fraction
 * will do, since sizes are often computed with / on reals). */
static int
integral(const struct val *v, int64_t *out)
{
	if (v->t == VAL_INT) {
		*out = v->u.i;
		return 1;
	}
	if (v->t == VAL_DBL && v->u.d == floor(v->u.d) &&
	    fabs(v->u.d) < 9007199254740992.0) {
		*out = (int64_t)v->u.d;
		return 1;
	}
	return 0;
}

static void
val_text(const struct val *v, char *buf, size_t cap)
{
	if (v->t == VAL_INT)
		snprintf(buf, cap, "%lld", (long long)v->u.i);
	else if (v->t == VAL_DBL)
		jsonw_fmt_g(v->u.d, buf, cap);
	else
		snprintf(buf, cap, "\"%s\"", v->u.s);
}

static int
eval_one(const struct args_arg *a, const struct val *slots, uint64_t *count,
    union args_scalar *value, struct ar_err *err)
{
	char msg[256], text[64];
	struct val v;
	int64_t i;

	if (expr_eval(a->expr, slots, &v, msg, sizeof(msg)) != 0) {
		ar_errf(err, "%s of '%s': %s in '%s'", a->array ? "size" :
		    "value", a->name, msg, expr_source(a->expr));
		return -1;
	}
	val_text(&v, text, sizeof(text));
	if (a->array) {
		if (!integral(&v, &i) || i < 1) {
			ar_errf(err, "size of '%s' is %s, not a positive "
			    "integer", a->name, text);
			return -1;
		}
		if ((uint64_t)i > ARGS_MAX_COUNT) {
			ar_errf(err, "size of '%s' is %s, more than the %llu "
			    "elements an array may hold", a->name, text,
			    (unsigned long long)ARGS_MAX_COUNT);
			return -1;
		}
		*count = (uint64_t)i;
		return 0;
	}
	switch (a->type) {
	case ARGS_I32:
		if (!integral(&v, &i) || i < INT32_MIN || i > INT32_MAX) {
			ar_errf(err, "value of '%s' is %s, not an integer of "
			    "type int32", a->name, text);
			return -1;
		}
		value->i32 = (int32_t)i;
		return 0;
	case ARGS_I64:
		if (!integral(&v, &i)) {
			ar_errf(err, "value of '%s' is %s, not an integer",
			    a->name, text);
			return -1;
		}
		value->i64 = i;
		return 0;
	default:
		if (v.t == VAL_STR) {
			ar_errf(err, "value of '%s' is %s, not a number",
			    a->name, text);
			return -1;
		}
		if (a->type == ARGS_F32) {
			if (fabs(val_num(&v)) > 3.4028234663852886e38) {
				ar_errf(err, "value of '%s' is %s, out of "
				    "the range of float32", a->name, text);
				return -1;
			}
			value->f32 = (float)val_num(&v);
		} else
			value->f64 = val_num(&v);
		return 0;
	}
}

int
args_shape(const struct args *a, const struct val *slots,
    struct args_shape *sh, struct ar_err *err)
{
	size_t i;

	sh->n = a->n;
	sh->count = ecalloc(a->n ? a->n : 1, sizeof(*sh->count));
	/* Zeroed, padding included, so that shapes compare with memcmp. */
	sh->value = ecalloc(a->n ? a->n : 1, sizeof(*sh->value));
	sh->in_bytes = sh->out_bytes = 0;
	for (i = 0; i < a->n; i++) {
		const struct args_arg *g = &a->arg[i];

		if (eval_one(g, slots, &sh->count[i], &sh->value[i],
		    err) != 0) {
			args_shape_release(sh);
			return -1;
		}
		if (g->output)
			sh->out_bytes += sh->count[i] * args_elemsize(g->type);
		else if (g->array)
			sh->in_bytes += sh->count[i] * args_elemsize(g->type);
	}
	return 0;
}

void
args_shape_release(struct args_shape *sh)
{
	free(sh->count);
	free(sh->value);
	memset(sh, 0, sizeof(*sh));
}

int
args_shape_equal(const struct args_shape *x, const struct args_shape *y)
{
	size_t n = x->n ? x->n : 1;

	return x->n == y->n &&
	    memcmp(x->count, y->count, n * sizeof(*x->count)) == 0 &&
	    memcmp(x->value, y->value, n * sizeof(*x->value)) == 0;
}

void
args_shape_copy(struct args_shape *dst, const struct args_shape *src)
{
	size_t n = src->n ? src->n : 1;

	*dst = *src;
	dst->count = ecalloc(n, sizeof(*dst->count));
	dst->value = ecalloc(n, sizeof(*dst->value));
	memcpy(dst->count, src->count, n * sizeof(*dst->count));
	memcpy(dst->value, src->value, n * sizeof(*dst->value));
}

uint64_t
args_seed(uint64_t seed, size_t set, size_t i)
{
	struct rng r;

	/* Through the generator once more, so that nearby seeds, sets and
	 * arguments give unrelated streams. */
	rng_seed(&r, seed ^ ((uint64_t)set + 1) * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)i + 1) * 0xc2b2ae3d27d4eb4fULL);
	return rng_next(&r);
}

void
args_fill(const struct args_arg *a, void *buf, uint64_t count, uint64_t seed)
{
	struct rng r;
	uint64_t k;

	if (a->init == ARGS_INIT_ZERO || a->init == ARGS_INIT_NONE) {
		memset(buf, 0, count * args_elemsize(a->type));
		return;
	}
	rng_seed(&r, seed);
	for (k = 0; k < count; k++) {
		double d = a->init == ARGS_INIT_VALUE ? a->initval :
		    a->type == ARGS_F32 || a->type == ARGS_F64 ?
		    2.0 * rng_unif(&r) - 1.0 :
		    (double)rng_below(&r, 201) - 100.0;

		switch (a->type) {
		case ARGS_F32:
			((float *)buf)[k] = (float)d;
			break;
		case ARGS_F64:
			((double *)buf)[k] = d;
			break;
		case ARGS_I32:
			((int32_t *)buf)[k] = (int32_t)d;
			break;
		case ARGS_I64:
			((int64_t *)buf)[k] = (int64_t)d;
			break;
		}
	}
}

void
args_poison(enum args_type t, void *buf, uint64_t count)
{
	uint64_t k;

	switch (t) {
	case ARGS_F32:
		for (k = 0; k < count; k++)
			((float *)buf)[k] = NAN;
		break;
	case ARGS_F64:
		for (k = 0; k < count; k++)
			((double *)buf)[k] = NAN;
		break;
	case ARGS_I32:
		for (k = 0; k < count; k++)
			((int32_t *)buf)[k] = ARGS_POISON_I32;
		break;
	case ARGS_I64:
		for (k = 0; k < count; k++)
			((int64_t *)buf)[k] = ARGS_POISON_I64;
		break;
	}
}

/*
 * One element, for the slow cases: a failure, a value that is not finite,
 * or the rare element of either kind the fast test below cannot settle.
 * d is |out - ref| as exactly as the caller could compute it.
 */
static int
judge(struct args_cmp *c, double o, double r, double d, uint64_t k,
    double rtol, double atol)
{
	int ok;

	if (isfinite(o) && isfinite(r)) {
		if (d > c->max_abs)
			c->max_abs = d;
		if (r != 0.0 && d / fabs(r) > c->max_rel)
			c->max_rel = d / fabs(r);
		ok = d <= atol + rtol * fabs(r);
	} else {
		c->nonfinite = 1;
		ok = o == r;	/* the same infinity; NaN never */
	}
	if (!ok) {
		if (c->nbad == 0) {
			c->first = k;
			c->got = o;
			c->want = r;
		}
		c->nbad++;
	}
	return !ok;
}

/*
 * The loop for one element type.  Most elements pass: the test in the
 * loop settles those whose difference is finite and within tolerance
 * (NaN fails every comparison, so it falls through to judge), keeping
 * the maxima without a division.
 */
#define COMPARE_LOOP(T) do { \
	const T *o_ = out, *r_ = ref; \
	for (k = 0; k < count; k++) { \
		double o = (double)o_[k], r = (double)r_[k]; \
		double d = fabs(o - r), ar = fabs(r); \
		if (d <= atol + rtol * ar && d < INFINITY && ar < INFINITY) { \
			if (d > c->max_abs) \
				c->max_abs = d; \
			if (d > c->max_rel * ar && ar != 0.0) \
				c->max_rel = d / ar; \
			continue; \
		} \
		bad += (uint64_t)judge(c, o, r, o == r ? 0.0 : d, k, rtol, \
		    atol); \
	} \
} while (0)

uint64_t
args_compare(enum args_type t, const void *out, const void *ref,
    uint64_t count, double rtol, double atol, struct args_cmp *c)
{
	uint64_t k, bad = 0;

	switch (t) {
	case ARGS_F32:
		COMPARE_LOOP(float);
		break;
	case ARGS_F64:
		COMPARE_LOOP(double);
		break;
	case ARGS_I32:
		COMPARE_LOOP(int32_t);
		break;
	case ARGS_I64:
		/* Compared exactly before they are rounded to doubles: two
		 * int64 far from 0 could round together. */
		for (k = 0; k < count; k++) {
			int64_t oi = ((const int64_t *)out)[k];
			int64_t ri = ((const int64_t *)ref)[k];
			double o = (double)oi, r = (double)ri, d;

			d = oi == ri ? 0.0 : fabs(o - r);
			if (oi != ri && d == 0.0)
				d = 1.0;
			bad += (uint64_t)judge(c, o, r, d, k, rtol, atol);
		}
		break;
	}
	c->n += count;
	return bad;
}
