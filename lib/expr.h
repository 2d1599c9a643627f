/*
 * expr: the one expression language of autoresearch, used for constraints,
 * buffer sizes, launch dimensions, metrics and bounds.  An expression is
 * parsed once into a compact program and evaluated many times, fast.
 *
 * The language is C-like:
 *   literals     42  0x2A  1.5  1e-3  "text"
 *   names        [A-Za-z_][A-Za-z0-9_.]*  (resolved to slots when parsed;
 *                a dot is allowed so that "times.median" can be a name)
 *   unary        -  +  !  ~
 *   binary       * / %   + -   << >>   < <= > >=   == !=   &   ^   |
 *                &&  ||  (short-circuit)   ?: (right-associative)
 *   functions    min(a, b, ...) max(a, b, ...) abs(x) ceil(x) floor(x)
 *                round(x) log2(x) log(x) exp(x) sqrt(x) pow(x, y)
 *   also         true (1) and false (0)
 *
 * Values are 64-bit integers, doubles or strings.  Arithmetic follows C:
 * an operation on two integers stays integer (7 / 2 is 3, -7 / 2 is -3,
 * -7 % 2 is -1), otherwise both sides are converted to double.  % on
 * doubles is fmod.  Comparisons and logical operators give the integer 0
 * or 1.  Bitwise operators and shifts take integers only.  Strings support
 * only == and != (with another string) and truth (non-empty).
 * ceil, floor and round return an integer when the result fits in int64,
 * abs keeps the type, min and max return the argument chosen, pow of two
 * integers with a non-negative exponent is an integer (when it fits),
 * and log2, log, exp and sqrt return doubles.
 *
 * Evaluation errors are errors of that one evaluation, never a crash:
 * division or modulo by zero (integer or double), integer overflow of
 * + - * /, a shift by a negative amount or by 64 or more, a string where
 * a number is needed, a domain error (log2 of a non-positive number,
 * sqrt of a negative one), and a result that is NaN or infinite.
 *
 * Ownership: expr_parse returns a program the caller releases with
 * expr_free.  Slots are the caller's: a string value in a slot must stay
 * valid while expr_eval runs, and a string result points either into the
 * program (a literal) or to the slot's string.
 */
#ifndef AR_EXPR_H
#define AR_EXPR_H

#include <stddef.h>
#include <stdint.h>

enum val_type { VAL_INT, VAL_DBL, VAL_STR };

struct val {
	enum val_type t;
	union {
		int64_t i;
		double d;
		const char *s;
	} u;
};

/* Constructors for the caller's slots. */
static inline struct val val_int(int64_t i) { struct val v = { VAL_INT, { .i = i } }; return v; }
static inline struct val val_dbl(double d) { struct val v = { VAL_DBL, { .d = d } }; return v; }
static inline struct val val_str(const char *s) { struct val v = { VAL_STR, { .s = s } }; return v; }

/*
 * Resolves a name (not NUL-terminated: len bytes) to a slot index >= 0,
 * or returns -1 when the name is unknown.
 */
typedef int expr_lookup(void *ctx, const char *name, size_t len);

struct expr;

/*
 * Parses src.  On success returns the program; on failure returns NULL and
 * writes a message such as "unknown name 'TILLE'" or "expected ')' at
 * column 7" into err (errlen bytes, always NUL-terminated when errlen > 0).
 */
struct expr *expr_parse(const char *src, expr_lookup *lookup, void *ctx,
    char *err, size_t errlen);

/*
 * Evaluates e with the slot values given.  Returns 0 and sets *out, or
 * returns -1 and, when err is not NULL, writes why (e.g. "division by
 * zero").  It never allocates, so it is cheap enough for the inner loop
 * of a search-space enumeration.
 */
int expr_eval(const struct expr *e, const struct val *slots, struct val *out,
    char *err, size_t errlen);

/* The distinct slots e reads, in ascending order; returns how many. */
size_t expr_slots(const struct expr *e, const int **slots);

/* The source text e was parsed from. */
const char *expr_source(const struct expr *e);

void expr_free(struct expr *e);

/* Truth of a value as C sees it: non-zero number, non-empty string. */
int val_truth(const struct val *v);
/* The number in v as a double (a string gives NaN). */
double val_num(const struct val *v);

#endif
