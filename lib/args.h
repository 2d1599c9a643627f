/*
 * args: the arguments a study's kernel is called with (ar-study(5),
 * "args"), as typed buffers.  A study lists each argument with a name and
 * a type: an array ("float32[]", "float64[]", "int32[]", "int64[]") with
 * a size in elements and an init, or a scalar ("float32", "float64",
 * "int32", "int64") with a value; sizes and values are expressions over
 * the parameters and problem constants.  An array marked "output" is one
 * the kernel writes: it is poisoned (NaN, or a sentinel for integers)
 * before every run and compared with the reference's afterwards.
 *
 * The module loads and checks the list (args_load), works out one
 * configuration's shape, the element counts and scalar values
 * (args_shape), fills input buffers from a seed, poisons outputs and
 * compares an output with the reference's.
 *
 * Ownership: args_load fills a struct released with args_release; it
 * borrows nothing from the spec.  args_shape fills a shape released with
 * args_shape_release.  Buffers are the caller's.
 */
#ifndef AR_ARGS_H
#define AR_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "spec.h"
#include "util.h"

enum args_type { ARGS_F32, ARGS_F64, ARGS_I32, ARGS_I64 };

enum args_init {
	ARGS_INIT_NONE,		/* outputs and scalars */
	ARGS_INIT_RANDOM,	/* floats in [-1, 1), ints in [-100, 100] */
	ARGS_INIT_ZERO,
	ARGS_INIT_VALUE		/* every element the number initval */
};

/* An array may hold at most this many elements (2^31). */
#define ARGS_MAX_COUNT	((uint64_t)1 << 31)

/* What an integer output holds before the kernel writes it. */
#define ARGS_POISON_I32	INT32_MIN
#define ARGS_POISON_I64	INT64_MIN

struct args_arg {
	char *name;
	enum args_type type;
	int array;		/* an array; else a scalar */
	int output;		/* an array the kernel writes */
	enum args_init init;
	double initval;		/* ARGS_INIT_VALUE */
	struct expr *expr;	/* the size (arrays) or the value (scalars) */
};

struct args {
	size_t n;
	struct args_arg *arg;
	size_t noutputs;	/* how many are outputs */
};

/*
 * Loads and checks the study's "args" (none when the key is absent):
 * every member's type and value, with messages that name the file and the
 * key: "s.json: key \"args[1].type\": unknown type 'float16[]' ...".  An
 * output must be an array, and its init, if any, "zero": it is poisoned
 * before every run, so the kernel cannot read it.  Returns 0 or -1.
 */
int args_load(struct args *a, const struct spec *s, struct ar_err *err);
void args_release(struct args *a);

/* A scalar argument's value, in its type. */
union args_scalar {
	int32_t i32;
	int64_t i64;
	float f32;
	double f64;
};

/*
 * One configuration's shape: per argument, the element count (arrays; 0
 * for scalars) and the value (scalars; zero bytes for arrays), and the
 * bytes of the input arrays and of the output arrays.
 */
struct args_shape {
	size_t n;
	uint64_t *count;
	union args_scalar *value;
	uint64_t in_bytes, out_bytes;
};

/*
 * Evaluates every size and value with slots (parameters then constants,
 * as spec.h numbers them).  A size must be an integer from 1 to
 * ARGS_MAX_COUNT (a real with an integer value will do); an integer
 * scalar's value must be an integer in its type's range; a float's any
 * finite number.  Returns 0, or -1 with err saying which argument and
 * why ("size of 'A' is 0, not a positive integer"): the configuration
 * cannot be run.  On -1 sh holds nothing to release.
 */
int args_shape(const struct args *a, const struct val *slots,
    struct args_shape *sh, struct ar_err *err);
void args_shape_release(struct args_shape *sh);
/* 1 when two shapes of the same args are the same. */
int args_shape_equal(const struct args_shape *x, const struct args_shape *y);
/* A deep copy. */
void args_shape_copy(struct args_shape *dst, const struct args_shape *src);

size_t args_elemsize(enum args_type t);
/* "float32[]", "int64", ... */
const char *args_typename(enum args_type t, int array);

/*
 * The seed of argument i of input set t, drawn from the run's seed, so
 * that every buffer has its own stream: the values of one argument do not
 * shift when another's size changes.
 */
uint64_t args_seed(uint64_t seed, size_t set, size_t i);

/* Fills count elements of buf as a's init says, drawing from seed. */
void args_fill(const struct args_arg *a, void *buf, uint64_t count,
    uint64_t seed);
/* Writes the poison of type t (NaN, or the sentinel) over count elements. */
void args_poison(enum args_type t, void *buf, uint64_t count);

/*
 * The comparison of outputs with the reference's, accumulated over any
 * number of buffers: an element passes when
 *     |out - ref| <= atol + rtol * |ref|,
 * or when both are the same infinity; NaN on either side fails.
 * max_abs is the largest |out - ref| and max_rel the largest
 * |out - ref| / |ref| over elements where ref is not 0, both over the
 * elements where both sides are finite; nonfinite says some element was
 * not, so the maxima understate the error.  first, got and want describe
 * the first failure.
 */
struct args_cmp {
	uint64_t n, nbad;
	double max_abs, max_rel;
	int nonfinite;
	uint64_t first;
	double got, want;
};
#define ARGS_CMP_INIT { 0, 0, 0.0, 0.0, 0, 0, 0.0, 0.0 }

/* Compares count elements; returns how many failed in this call. */
uint64_t args_compare(enum args_type t, const void *out, const void *ref,
    uint64_t count, double rtol, double atol, struct args_cmp *c);

#endif
