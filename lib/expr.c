/*
 * expr: an expression is parsed once into code for a small stack machine,
 * then evaluated as often as the caller likes without allocating.
 *
 * The parser is recursive descent with precedence climbing, and it emits
 * code as it goes.  The code of every operand is one contiguous run, which
 * makes the optimizations peepholes on the end of the code: when both
 * operands of an operator are single constants the operator is applied at
 * once (constant folding); when the right operand is a single slot or
 * constant, the operator reads it directly instead of from the stack.
 * Jumps are relative, so a run of code can be moved in one piece when a
 * constant condition picks one branch of ?: at parse time.
 *
 * Folding never turns an evaluation error into a parse error: when applying
 * an operator to constants fails (1 / 0), the code stays as it was and the
 * error happens when, and only if, that code is evaluated.
 */
#include "expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Nesting bounds the C stack of the recursive parser.  Pending values bound
 * the evaluation stack, which lives in expr_eval's frame so that evaluation
 * never allocates and any number of threads may evaluate one program.
 */
#define EXPR_MAXNEST	256
#define EXPR_MAXSTACK	256

/*
 * Every binary operator has three instructions: OP_X takes both operands
 * from the stack, OP_X_S takes its right operand from the slot in arg and
 * OP_X_K from the constant in k.  The three are consecutive.
 */
#define BINOPS(X) \
	X(MUL) X(DIV) X(MOD) X(ADD) X(SUB) X(SHL) X(SHR) \
	X(LT) X(LE) X(GT) X(GE) X(EQ) X(NE) X(BAND) X(BXOR) X(BOR) \
	X(MIN) X(MAX) X(POW)
#define BINOP_ENUM(n)	OP_##n, OP_##n##_S, OP_##n##_K,
#define FROM_SLOT	1
#define FROM_CONST	2

enum {
	OP_END, OP_CONST, OP_SLOT,
	OP_AND, OP_OR, OP_JFALSE, OP_JMP,
	OP_NEG, OP_PLUS, OP_NOT, OP_BNOT, OP_BOOL,
	OP_ABS, OP_CEIL, OP_FLOOR, OP_ROUND, OP_LOG2, OP_LOG, OP_EXP, OP_SQRT,
	BINOPS(BINOP_ENUM)
	OP_COUNT
};

/* How an operator is named in messages. */
static const char *const opnames[OP_COUNT] = {
	[OP_NEG] = "-", [OP_PLUS] = "+", [OP_NOT] = "!", [OP_BNOT] = "~",
	[OP_BOOL] = "&&", [OP_ABS] = "abs()", [OP_CEIL] = "ceil()",
	[OP_FLOOR] = "floor()", [OP_ROUND] = "round()", [OP_LOG2] = "log2()",
	[OP_LOG] = "log()", [OP_EXP] = "exp()", [OP_SQRT] = "sqrt()",
	[OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%", [OP_ADD] = "+",
	[OP_SUB] = "-", [OP_SHL] = "<<", [OP_SHR] = ">>", [OP_LT] = "<",
	[OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=", [OP_EQ] = "==",
	[OP_NE] = "!=", [OP_BAND] = "&", [OP_BXOR] = "^", [OP_BOR] = "|",
	[OP_MIN] = "min()", [OP_MAX] = "max()", [OP_POW] = "pow()"
};

static const struct func {
	const char *name;
	int op;
	int minargs;
	int maxargs;		/* 0: any number */
} funcs[] = {
	{ "abs", OP_ABS, 1, 1 },
	{ "ceil", OP_CEIL, 1, 1 },
	{ "exp", OP_EXP, 1, 1 },
	{ "floor", OP_FLOOR, 1, 1 },
	{ "log", OP_LOG, 1, 1 },
	{ "log2", OP_LOG2, 1, 1 },
	{ "max", OP_MAX, 2, 0 },
	{ "min", OP_MIN, 2, 0 },
	{ "pow", OP_POW, 2, 2 },
	{ "round", OP_ROUND, 1, 1 },
	{ "sqrt", OP_SQRT, 1, 1 },
};

struct insn {
	int op;
	int arg;		/* a slot, or a jump's distance */
	struct val k;		/* the constant of OP_CONST and OP_X_K */
};

struct expr {
	struct insn *code;
	int *slots;		/* distinct, ascending */
	size_t nslots;
	char **strs;		/* the string literals, owned */
	size_t nstrs;
	char *src;
};

/* The tokens of the language. */
enum {
	T_END, T_NUM, T_STR, T_NAME, T_OP, T_LPAREN, T_RPAREN, T_COMMA,
	T_QUEST, T_COLON
};

struct parser {
	const char *src;
	size_t pos;		/* where the token after this one starts */
	int tok;		/* this token */
	size_t tpos, tlen;
	int top;		/* the operator of a T_OP */
	size_t prevpos;		/* where the token before this one starts */
	struct val tval;	/* the value of a T_NUM or T_STR */

	expr_lookup *lookup;
	void *ctx;
	struct expr *e;
	size_t ncode, capcode;
	size_t capslots, capstrs;
	int sp;			/* values on the stack at this point */
	int nest;
	int isbool;		/* the last operand's value is always 0 or 1 */
	char *err;
	size_t errlen;
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes a message for the caller; evaluation errors and parse errors. */
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static inline int
truth(const struct val *v)
{
	switch (v->t) {
	case VAL_INT:
		return v->u.i != 0;
	case VAL_DBL:
		return v->u.d != 0;
	default:
		return v->u.s != NULL && v->u.s[0] != '\0';
	}
}

int
val_truth(const struct val *v)
{
	return truth(v);
}

double
val_num(const struct val *v)
{
	switch (v->t) {
	case VAL_INT:
		return (double)v->u.i;
	case VAL_DBL:
		return v->u.d;
	default:
		return NAN;
	}
}

static const char *
str(const struct val *v)
{
	return v->u.s != NULL ? v->u.s : "";
}

/* Stores a double result, which must be a number. */
static int
setdbl(struct val *a, double r, int op, char *err, size_t errlen)
{
	if (isnan(r))
		return fail(err, errlen, "NaN result in '%s'", opnames[op]);
	if (isinf(r))
		return fail(err, errlen, "infinite result in '%s'",
		    opnames[op]);
	*a = val_dbl(r);
	return 0;
}

/* x to the power y >= 0; returns -1 when the result does not fit. */
static int
ipow(int64_t x, int64_t y, int64_t *r)
{
	int64_t acc = 1;

	/*
	 * Squaring overflows only when a higher bit of y is still to come,
	 * and then the result itself would overflow too.
	 */
	for (;;) {
		if ((y & 1) && __builtin_mul_overflow(acc, x, &acc))
			return -1;
		y >>= 1;
		if (y == 0)
			break;
		if (__builtin_mul_overflow(x, x, &x))
			return -1;
	}
	*r = acc;
	return 0;
}

static int
binop_dbl(int op, struct val *a, const struct val *b, char *err,
    size_t errlen)
{
	double x = val_num(a), y = val_num(b), r;

	switch (op) {
	case OP_MUL:
		r = x * y;
		break;
	case OP_DIV:
		if (y == 0)
			return fail(err, errlen, "division by zero");
		r = x / y;
		break;
	case OP_MOD:
		if (y == 0)
			return fail(err, errlen, "modulo by zero");
		r = fmod(x, y);
		break;
	case OP_ADD:
		r = x + y;
		break;
	case OP_SUB:
		r = x - y;
		break;
	case OP_LT:
		*a = val_int(x < y);
		return 0;
	case OP_LE:
		*a = val_int(x <= y);
		return 0;
	case OP_GT:
		*a = val_int(x > y);
		return 0;
	case OP_GE:
		*a = val_int(x >= y);
		return 0;
	case OP_EQ:
		*a = val_int(x == y);
		return 0;
	case OP_NE:
		*a = val_int(x != y);
		return 0;
	case OP_MIN:
	case OP_MAX:
		/* A NaN would win or lose depending on the argument order. */
		if (isnan(x) || isnan(y))
			return fail(err, errlen, "NaN result in '%s'",
			    opnames[op]);
		if (op == OP_MIN ? y < x : y > x)
			*a = *b;
		return 0;
	case OP_POW:
		if (x < 0 && y != trunc(y))
			return fail(err, errlen, "domain error in pow()");
		r = pow(x, y);
		break;
	default:
		return fail(err, errlen, "'%s' needs integers", opnames[op]);
	}
	return setdbl(a, r, op, err, errlen);
}

/*
 * Applies binary operator op to a and b, leaving the result in a: the one
 * definition of the operators, used by folding and by evaluation's slow
 * path (evaluation handles the common integer cases itself).
 */
static int
binop(int op, struct val *a, const struct val *b, char *err, size_t errlen)
{
	int64_t x, y, r;
	int eq;

	if ((op == OP_EQ || op == OP_NE) && a->t == VAL_STR &&
	    b->t == VAL_STR) {
		eq = strcmp(str(a), str(b)) == 0;
		*a = val_int(op == OP_EQ ? eq : !eq);
		return 0;
	}
	if (a->t == VAL_STR || b->t == VAL_STR)
		return fail(err, errlen, "string where a number is needed "
		    "in '%s'", opnames[op]);
	if (a->t != VAL_INT || b->t != VAL_INT)
		return binop_dbl(op, a, b, err, errlen);

	x = a->u.i;
	y = b->u.i;
	switch (op) {
	case OP_MUL:
		if (__builtin_mul_overflow(x, y, &r))
			goto overflow;
		break;
	case OP_DIV:
		if (y == 0)
			return fail(err, errlen, "division by zero");
		if (x == INT64_MIN && y == -1)
			goto overflow;
		r = x / y;
		break;
	case OP_MOD:
		if (y == 0)
			return fail(err, errlen, "modulo by zero");
		if (x == INT64_MIN && y == -1)
			goto overflow;
		r = x % y;
		break;
	case OP_ADD:
		if (__builtin_add_overflow(x, y, &r))
			goto overflow;
		break;
	case OP_SUB:
		if (__builtin_sub_overflow(x, y, &r))
			goto overflow;
		break;
	case OP_SHL:
	case OP_SHR:
		if (y < 0 || y > 63)
			return fail(err, errlen, "bad shift by %lld",
			    (long long)y);
		/* Shifting left through the sign bit wraps, as in Java. */
		r = op == OP_SHL ? (int64_t)((uint64_t)x << y) : x >> y;
		break;
	case OP_LT:
		r = x < y;
		break;
	case OP_LE:
		r = x <= y;
		break;
	case OP_GT:
		r = x > y;
		break;
	case OP_GE:
		r = x >= y;
		break;
	case OP_EQ:
		r = x == y;
		break;
	case OP_NE:
		r = x != y;
		break;
	case OP_BAND:
		r = x & y;
		break;
	case OP_BXOR:
		r = x ^ y;
		break;
	case OP_BOR:
		r = x | y;
		break;
	case OP_MIN:
		r = y < x ? y : x;
		break;
	case OP_MAX:
		r = y > x ? y : x;
		break;
	case OP_POW:
		/* Beyond int64, or with a negative exponent, it is a double. */
		if (y < 0 || ipow(x, y, &r) < 0)
			return binop_dbl(op, a, b, err, errlen);
		break;
	default:
		return fail(err, errlen, "bad operator %d", op);
	}
	a->u.i = r;
	return 0;
overflow:
	return fail(err, errlen, "integer overflow in '%s'", opnames[op]);
}

/* Applies unary operator or one-argument function op to a, in place. */
static int
unop(int op, struct val *a, char *err, size_t errlen)
{
	double d, r;

	if (op == OP_NOT || op == OP_BOOL) {
		*a = val_int(op == OP_NOT ? !truth(a) : truth(a));
		return 0;
	}
	if (a->t == VAL_STR)
		return fail(err, errlen, "string where a number is needed "
		    "in '%s'", opnames[op]);
	if (a->t == VAL_INT) {
		switch (op) {
		case OP_NEG:
		case OP_ABS:
			if (a->u.i == INT64_MIN)
				return fail(err, errlen,
				    "integer overflow in '%s'", opnames[op]);
			if (op == OP_NEG || a->u.i < 0)
				a->u.i = -a->u.i;
			return 0;
		case OP_BNOT:
			a->u.i = ~a->u.i;
			return 0;
		case OP_PLUS:
		case OP_CEIL:
		case OP_FLOOR:
		case OP_ROUND:
			return 0;
		default:
			break;
		}
	}

	d = val_num(a);
	switch (op) {
	case OP_NEG:
		r = -d;
		break;
	case OP_PLUS:
		r = d;
		break;
	case OP_ABS:
		r = fabs(d);
		break;
	case OP_CEIL:
	case OP_FLOOR:
	case OP_ROUND:
		r = op == OP_CEIL ? ceil(d) : op == OP_FLOOR ? floor(d) :
		    round(d);
		/* An integer when it fits: the bounds are exact doubles. */
		if (r >= -0x1p63 && r < 0x1p63) {
			*a = val_int((int64_t)r);
			return 0;
		}
		break;
	case OP_LOG2:
	case OP_LOG:
		if (d <= 0)
			return fail(err, errlen, "domain error in %s",
			    opnames[op]);
		r = op == OP_LOG2 ? log2(d) : log(d);
		break;
	case OP_EXP:
		r = exp(d);
		break;
	case OP_SQRT:
		if (d < 0)
			return fail(err, errlen, "domain error in sqrt()");
		r = sqrt(d);
		break;
	default:
		return fail(err, errlen, "'%s' needs integers", opnames[op]);
	}
	return setdbl(a, r, op, err, errlen);
}

/*
 * The evaluator keeps the top of the stack, and the right operand of a
 * binary operator, in scalar variables that the compiler keeps in
 * registers, so that a chain of operations never waits for a store to
 * memory to be read back.  A value's union travels as the 64 bits of its
 * integer member, which C11 allows to be read back as any other member.
 *
 * With GCC and clang each instruction jumps straight to the code of the
 * next through a table of label addresses ("computed goto"), which gives
 * every instruction a branch of its own for the processor to predict and
 * makes a typical constraint about a third faster than one shared switch.
 * Other compilers, or -DEXPR_SWITCH, get the switch.
 */
#if defined(__GNUC__) && !defined(EXPR_SWITCH)
#define EXPR_THREADED
#define CASE(op)	L_##op
#define CASE_DEFAULT	L_default
#define NEXT		goto *labels[(in = ip++)->op]
#else
#define CASE(op)	case op
#define CASE_DEFAULT	default
#define NEXT		continue
#endif

/*
 * The three forms of a binary operator enter one body with the left operand
 * in tt and ti, where the result goes, and the right one in yt and yi.
 */
#define OPERANDS(n) \
	CASE(OP_##n): \
		yt = tt; \
		yi = ti; \
		sp--; \
		tt = sp->t; \
		ti = sp->u.i; \
		goto n##_body; \
	CASE(OP_##n##_S): \
		yt = slots[in->arg].t; \
		yi = slots[in->arg].u.i; \
		goto n##_body; \
	CASE(OP_##n##_K): \
		yt = in->k.t; \
		yi = in->k.u.i; \
	n##_body: \
		sem = OP_##n;

/* VAL_INT is 0, so one test covers both operands. */
#define BOTH_INT	((tt | yt) == VAL_INT)

/*
 * A comparison of two integers, the commonest operation of constraints,
 * is done in place; anything else goes to binop.
 */
#define CMP(n, rel) \
	OPERANDS(n) \
		if (BOTH_INT) { \
			ti = ti rel yi; \
			NEXT; \
		} \
		goto slow;

#define BINOP_LABELS(n) \
	[OP_##n] = &&L_OP_##n, [OP_##n##_S] = &&L_OP_##n##_S, \
	[OP_##n##_K] = &&L_OP_##n##_K,

/* The truth of the value in t and i. */
static inline int
truth_of(enum val_type t, int64_t i)
{
	struct val v;

	v.t = t;
	v.u.i = i;
	return truth(&v);
}

int
expr_eval(const struct expr *e, const struct val *slots, struct val *out,
    char *err, size_t errlen)
{
#ifdef EXPR_THREADED
	static const void *const labels[OP_COUNT] = {
		[OP_END] = &&L_OP_END, [OP_CONST] = &&L_OP_CONST,
		[OP_SLOT] = &&L_OP_SLOT, [OP_AND] = &&L_OP_AND,
		[OP_OR] = &&L_OP_OR, [OP_JFALSE] = &&L_OP_JFALSE,
		[OP_JMP] = &&L_OP_JMP, [OP_NOT] = &&L_OP_NOT,
		[OP_BOOL] = &&L_OP_BOOL,
		[OP_NEG] = &&L_default, [OP_PLUS] = &&L_default,
		[OP_BNOT] = &&L_default, [OP_ABS] = &&L_default,
		[OP_CEIL] = &&L_default, [OP_FLOOR] = &&L_default,
		[OP_ROUND] = &&L_default, [OP_LOG2] = &&L_default,
		[OP_LOG] = &&L_default, [OP_EXP] = &&L_default,
		[OP_SQRT] = &&L_default,
		BINOPS(BINOP_LABELS)
	};
#endif
	struct val stack[EXPR_MAXSTACK], *sp = stack, a, b;
	const struct insn *ip = e->code, *in;
	enum val_type tt = VAL_INT, yt = VAL_INT;
	int64_t ti = 0, yi = 0, r;
	int sem = 0;

	/*
	 * Each case either finishes its instruction and goes on to the next,
	 * or, for a binary operator whose fast path does not apply, goes to
	 * slow, where binop computes the result or the error.  The bottom
	 * entry of the stack is a dummy that the first push saves.
	 */
	for (;;) {
		in = ip++;
#ifdef EXPR_THREADED
		goto *labels[in->op];
#else
		switch (in->op) {
#endif
		CASE(OP_END):
			out->t = tt;
			out->u.i = ti;
			if (tt == VAL_DBL && !isfinite(out->u.d))
				return fail(err, errlen, "%s result",
				    isnan(out->u.d) ? "NaN" : "infinite");
			return 0;
		CASE(OP_CONST):
			sp->t = tt;
			sp->u.i = ti;
			sp++;
			tt = in->k.t;
			ti = in->k.u.i;
			NEXT;
		CASE(OP_SLOT):
			sp->t = tt;
			sp->u.i = ti;
			sp++;
			tt = slots[in->arg].t;
			ti = slots[in->arg].u.i;
			NEXT;
		CASE(OP_AND):
		CASE(OP_OR):
			/* The left operand decides, or the right one does. */
			if (truth_of(tt, ti) == (in->op == OP_OR)) {
				tt = VAL_INT;
				ti = in->op == OP_OR;
				ip = in + in->arg;
			} else {
				sp--;
				tt = sp->t;
				ti = sp->u.i;
			}
			NEXT;
		CASE(OP_JFALSE):
			r = truth_of(tt, ti);
			sp--;
			tt = sp->t;
			ti = sp->u.i;
			if (!r)
				ip = in + in->arg;
			NEXT;
		CASE(OP_JMP):
			ip = in + in->arg;
			NEXT;
		CASE(OP_NOT):
			ti = !truth_of(tt, ti);
			tt = VAL_INT;
			NEXT;
		CASE(OP_BOOL):
			ti = truth_of(tt, ti);
			tt = VAL_INT;
			NEXT;
		OPERANDS(MUL)
			if (BOTH_INT && !__builtin_mul_overflow(ti, yi, &r)) {
				ti = r;
				NEXT;
			}
			goto slow;
		OPERANDS(DIV)
			if (BOTH_INT && yi > 0) {
				ti /= yi;
				NEXT;
			}
			goto slow;
		OPERANDS(MOD)
			if (BOTH_INT && yi > 0) {
				ti %= yi;
				NEXT;
			}
			goto slow;
		OPERANDS(ADD)
			if (BOTH_INT && !__builtin_add_overflow(ti, yi, &r)) {
				ti = r;
				NEXT;
			}
			goto slow;
		OPERANDS(SUB)
			if (BOTH_INT && !__builtin_sub_overflow(ti, yi, &r)) {
				ti = r;
				NEXT;
			}
			goto slow;
		CMP(LT, <)
		CMP(LE, <=)
		CMP(GT, >)
		CMP(GE, >=)
		CMP(EQ, ==)
		CMP(NE, !=)
		OPERANDS(BAND)
			if (BOTH_INT) {
				ti &= yi;
				NEXT;
			}
			goto slow;
		OPERANDS(BOR)
			if (BOTH_INT) {
				ti |= yi;
				NEXT;
			}
			goto slow;
		OPERANDS(SHL)
			goto slow;
		OPERANDS(SHR)
			goto slow;
		OPERANDS(BXOR)
			goto slow;
		OPERANDS(MIN)
			goto slow;
		OPERANDS(MAX)
			goto slow;
		OPERANDS(POW)
			goto slow;
		CASE_DEFAULT:
			/* The unary operators and functions of one argument. */
			a.t = tt;
			a.u.i = ti;
			if (unop(in->op, &a, err, errlen) < 0)
				return -1;
			tt = a.t;
			ti = a.u.i;
			NEXT;
#ifndef EXPR_THREADED
		}
#endif
slow:
		a.t = tt;
		a.u.i = ti;
		b.t = yt;
		b.u.i = yi;
		if (binop(sem, &a, &b, err, errlen) < 0)
			return -1;
		tt = a.t;
		ti = a.u.i;
	}
}

/*
 * The parser.  Functions return 0, or -1 with the message written; every
 * parse function leaves exactly one more value on the (simulated) stack.
 */

static int
perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL && p->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Complains about the token at hand, which was not expected. */
static int
unexpected(struct parser *p)
{
	if (p->tok == T_END)
		return perr(p, "unexpected end of expression");
	return perr(p, "unexpected '%.*s' at column %zu",
	    (int)(p->tlen < 40 ? p->tlen : 40), p->src + p->tpos, p->tpos + 1);
}

static int
isdigitc(int c)
{
	return c >= '0' && c <= '9';
}

static int
isnamestart(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
isnamechar(int c)
{
	return isnamestart(c) || isdigitc(c) || c == '.';
}

static int
hexval(int c)
{
	if (isdigitc(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
lexnum(struct parser *p)
{
	const char *s = p->src, *start = s + p->tpos;
	size_t i = p->tpos, j;
	int64_t v = 0;
	int d, isdbl = 0;
	double x;
	char *end;

	if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		for (j = i + 2; (d = hexval(s[j])) >= 0; j++)
			if (v > (INT64_MAX - d) / 16)
				goto toolarge;
			else
				v = v * 16 + d;
		if (j == i + 2)
			goto bad;
	} else {
		for (j = i; isdigitc(s[j]); j++)
			if (v > (INT64_MAX - (s[j] - '0')) / 10)
				isdbl = -1;
			else
				v = v * 10 + (s[j] - '0');
		if (s[j] == '.') {
			isdbl = 1;
			for (j++; isdigitc(s[j]); j++)
				continue;
		}
		if (s[j] == 'e' || s[j] == 'E') {
			isdbl = 1;
			j++;
			if (s[j] == '+' || s[j] == '-')
				j++;
			if (!isdigitc(s[j]))
				goto bad;
			while (isdigitc(s[j]))
				j++;
		}
		if (isdbl < 0)
			goto toolarge;
	}
	p->tlen = j - i;
	if (isnamechar(s[j]))
		goto bad;
	p->pos = j;
	p->tok = T_NUM;
	if (!isdbl) {
		p->tval = val_int(v);
		return 0;
	}
	/*
	 * The scan above matched what strtod accepts, and the character
	 * after it cannot continue a number, so strtod stops at the same
	 * place (given the "C" locale's decimal point, which the programs
	 * of this toolkit never change).
	 */
	x = strtod(start, &end);
	if (end != s + j)
		goto bad;
	if (isinf(x))
		return perr(p, "number '%.*s' out of range at column %zu",
		    (int)p->tlen, start, i + 1);
	p->tval = val_dbl(x);
	return 0;
bad:
	while (isnamechar(s[j]))
		j++;
	return perr(p, "bad number '%.*s' at column %zu", (int)(j - i), start,
	    i + 1);
toolarge:
	while (isnamechar(s[j]))
		j++;
	return perr(p, "integer literal '%.*s' out of range at column %zu",
	    (int)(j - i), start, i + 1);
}

/* A string literal; the program keeps its unescaped text. */
static int
lexstr(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->tpos, j, n = 0;
	struct expr *e = p->e;
	char *t;

	for (j = i + 1; s[j] != '"'; j++) {
		if (s[j] == '\0')
			return perr(p, "unterminated string at column %zu",
			    i + 1);
		if (s[j] == '\\') {
			j++;
			if (s[j] != '"' && s[j] != '\\' && s[j] != 'n' &&
			    s[j] != 't') {
				if (s[j] == '\0')
					return perr(p, "unterminated string "
					    "at column %zu", i + 1);
				return perr(p, "bad escape '\\%c' at column "
				    "%zu", s[j], j);
			}
		}
	}
	t = emalloc(j - i);
	for (j = i + 1; s[j] != '"'; j++) {
		if (s[j] == '\\') {
			j++;
			t[n++] = s[j] == 'n' ? '\n' : s[j] == 't' ? '\t' :
			    s[j];
		} else
			t[n++] = s[j];
	}
	t[n] = '\0';
	if (e->nstrs == p->capstrs) {
		p->capstrs = p->capstrs ? 2 * p->capstrs : 4;
		e->strs = ereallocarray(e->strs, p->capstrs, sizeof(*e->strs));
	}
	e->strs[e->nstrs++] = t;
	p->tok = T_STR;
	p->tval = val_str(t);
	p->tlen = j + 1 - i;
	p->pos = j + 1;
	return 0;
}

/* Moves to the next token. */
static int
lex(struct parser *p)
{
	static const struct {
		const char *s;
		int tok, op;
	} ops[] = {
		/* Longest first, so that "<<" is not read as "<". */
		{ "<<", T_OP, OP_SHL }, { ">>", T_OP, OP_SHR },
		{ "<=", T_OP, OP_LE }, { ">=", T_OP, OP_GE },
		{ "==", T_OP, OP_EQ }, { "!=", T_OP, OP_NE },
		{ "&&", T_OP, OP_AND }, { "||", T_OP, OP_OR },
		{ "*", T_OP, OP_MUL }, { "/", T_OP, OP_DIV },
		{ "%", T_OP, OP_MOD }, { "+", T_OP, OP_ADD },
		{ "-", T_OP, OP_SUB }, { "<", T_OP, OP_LT },
		{ ">", T_OP, OP_GT }, { "&", T_OP, OP_BAND },
		{ "^", T_OP, OP_BXOR }, { "|", T_OP, OP_BOR },
		{ "!", T_OP, OP_NOT }, { "~", T_OP, OP_BNOT },
		{ "(", T_LPAREN, 0 }, { ")", T_RPAREN, 0 },
		{ ",", T_COMMA, 0 }, { "?", T_QUEST, 0 }, { ":", T_COLON, 0 },
	};
	const char *s = p->src;
	size_t i = p->pos, k, n;
	int c;

	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	p->prevpos = p->tpos;
	p->tpos = i;
	c = (unsigned char)s[i];
	if (c == '\0') {
		p->tok = T_END;
		p->tlen = 0;
		p->pos = i;
		return 0;
	}
	if (isdigitc(c) || (c == '.' && isdigitc(s[i + 1])))
		return lexnum(p);
	if (c == '"')
		return lexstr(p);
	if (isnamestart(c)) {
		for (k = i + 1; isnamechar(s[k]); k++)
			continue;
		p->tok = T_NAME;
		p->tlen = k - i;
		p->pos = k;
		return 0;
	}
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		n = strlen(ops[k].s);
		if (strncmp(s + i, ops[k].s, n) == 0) {
			p->tok = ops[k].tok;
			p->top = ops[k].op;
			p->tlen = n;
			p->pos = i + n;
			return 0;
		}
	}
	if (c < ' ' || c > '~')
		return perr(p, "unexpected byte 0x%02x at column %zu", c,
		    i + 1);
	return perr(p, "unexpected '%c' at column %zu", c, i + 1);
}

/* Appends an instruction and returns its index. */
static size_t
emit(struct parser *p, int op, int arg)
{
	struct expr *e = p->e;
	struct insn *in;

	if (p->ncode == p->capcode) {
		p->capcode = p->capcode ? 2 * p->capcode : 16;
		e->code = ereallocarray(e->code, p->capcode, sizeof(*e->code));
	}
	in = &e->code[p->ncode];
	in->op = op;
	in->arg = arg;
	in->k = val_int(0);
	return p->ncode++;
}

/* Points the jump at index j to the end of the code. */
static void
patch(struct parser *p, size_t j)
{
	p->e->code[j].arg = (int)(p->ncode - j);
}

static int
push(struct parser *p)
{
	if (++p->sp > EXPR_MAXSTACK)
		return perr(p, "expression too complex at column %zu",
		    p->tpos + 1);
	return 0;
}

static int
isboolval(const struct val *v)
{
	return v->t == VAL_INT && (v->u.i == 0 || v->u.i == 1);
}

static int
push_const(struct parser *p, struct val v)
{
	size_t i;

	if (push(p) < 0)
		return -1;
	i = emit(p, OP_CONST, 0);
	p->e->code[i].k = v;
	p->isbool = isboolval(&v);
	return 0;
}

static int
push_slot(struct parser *p, int slot)
{
	struct expr *e = p->e;

	if (push(p) < 0)
		return -1;
	emit(p, OP_SLOT, slot);
	p->isbool = 0;
	/* Sorted and made distinct at the end of parsing. */
	if (e->nslots == p->capslots) {
		p->capslots = p->capslots ? 2 * p->capslots : 8;
		e->slots = ereallocarray(e->slots, p->capslots,
		    sizeof(*e->slots));
	}
	e->slots[e->nslots++] = slot;
	return 0;
}

/* Whether the code from start on is one constant. */
static int
isconst(struct parser *p, size_t start)
{
	return p->ncode == start + 1 && p->e->code[start].op == OP_CONST;
}

/* Applies unary op to the operand whose code starts at start. */
static void
emit_unop(struct parser *p, int op, size_t start)
{
	struct insn *in = &p->e->code[start];
	struct val v;

	p->isbool = op == OP_NOT || op == OP_BOOL;
	if (isconst(p, start)) {
		v = in->k;
		if (unop(op, &v, NULL, 0) == 0) {
			in->k = v;
			p->isbool = isboolval(&v);
			return;
		}
	}
	emit(p, op, 0);
}

/*
 * Applies binary op to the operands whose code starts at lstart and at
 * rstart, folding constants and merging a simple right operand into the
 * operator.
 */
static void
emit_binop(struct parser *p, int op, size_t lstart, size_t rstart)
{
	struct insn *l = &p->e->code[lstart], *r = &p->e->code[rstart];
	struct val v;

	p->sp--;
	p->isbool = op >= OP_LT && op <= OP_NE;
	if (rstart == lstart + 1 && l->op == OP_CONST && isconst(p, rstart)) {
		v = l->k;
		if (binop(op, &v, &r->k, NULL, 0) == 0) {
			l->k = v;
			p->ncode = rstart;
			p->isbool = isboolval(&v);
			return;
		}
	}
	if (p->ncode == rstart + 1 && r->op == OP_SLOT)
		r->op = op + FROM_SLOT;
	else if (p->ncode == rstart + 1 && r->op == OP_CONST)
		r->op = op + FROM_CONST;
	else
		emit(p, op, 0);
}

static int parse_ternary(struct parser *);
static int parse_binary(struct parser *, int);

static int
prec(int op)
{
	switch (op) {
	case OP_MUL:
	case OP_DIV:
	case OP_MOD:
		return 10;
	case OP_ADD:
	case OP_SUB:
		return 9;
	case OP_SHL:
	case OP_SHR:
		return 8;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		return 7;
	case OP_EQ:
	case OP_NE:
		return 6;
	case OP_BAND:
		return 5;
	case OP_BXOR:
		return 4;
	case OP_BOR:
		return 3;
	case OP_AND:
		return 2;
	case OP_OR:
		return 1;
	default:
		return 0;
	}
}

static int
expect(struct parser *p, int tok, const char *what)
{
	if (p->tok != tok)
		return perr(p, "expected %s at column %zu", what, p->tpos + 1);
	return lex(p);
}

/* A call of f, with the token at hand the name. */
static int
parse_call(struct parser *p, const struct func *f)
{
	size_t start = p->ncode, astart = start;
	int nargs = 0;

	if (lex(p) < 0 || lex(p) < 0)		/* the name and '(' */
		return -1;
	if (p->tok != T_RPAREN)
		for (;;) {
			astart = p->ncode;
			if (parse_ternary(p) < 0)
				return -1;
			/* min and max fold their arguments pairwise. */
			if (++nargs > 1 && f->maxargs == 0)
				emit_binop(p, f->op, start, astart);
			if (p->tok == T_RPAREN)
				break;
			if (p->tok != T_COMMA)
				return perr(p, "expected ',' or ')' at column "
				    "%zu", p->tpos + 1);
			if (lex(p) < 0)
				return -1;
		}
	if (f->maxargs == 0 && nargs < f->minargs)
		return perr(p, "%s() takes at least %d arguments", f->name,
		    f->minargs);
	if (f->maxargs != 0 && (nargs < f->minargs || nargs > f->maxargs))
		return perr(p, "%s() takes %d argument%s", f->name,
		    f->minargs, f->minargs == 1 ? "" : "s");
	if (lex(p) < 0)
		return -1;
	if (f->op == OP_POW)
		emit_binop(p, f->op, start, astart);
	else if (f->maxargs == 1)
		emit_unop(p, f->op, start);
	return 0;
}

static int
parse_name(struct parser *p)
{
	const char *name = p->src + p->tpos, *s;
	size_t len = p->tlen, k;
	int slot;

	/* A name followed by '(' is a call, whatever else it might be. */
	for (s = p->src + p->pos; *s == ' ' || *s == '\t' || *s == '\n' ||
	    *s == '\r'; s++)
		continue;
	if (*s == '(') {
		for (k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++)
			if (strlen(funcs[k].name) == len &&
			    strncmp(funcs[k].name, name, len) == 0)
				return parse_call(p, &funcs[k]);
		return perr(p, "unknown function '%.*s'", (int)len, name);
	}
	if ((len == 4 && strncmp(name, "true", 4) == 0) ||
	    (len == 5 && strncmp(name, "false", 5) == 0)) {
		if (push_const(p, val_int(len == 4)) < 0)
			return -1;
		return lex(p);
	}
	slot = p->lookup != NULL ? p->lookup(p->ctx, name, len) : -1;
	if (slot < 0)
		return perr(p, "unknown name '%.*s'", (int)len, name);
	if (push_slot(p, slot) < 0)
		return -1;
	return lex(p);
}

static int
parse_primary(struct parser *p)
{
	switch (p->tok) {
	case T_NUM:
	case T_STR:
		if (push_const(p, p->tval) < 0)
			return -1;
		return lex(p);
	case T_NAME:
		return parse_name(p);
	case T_LPAREN:
		if (lex(p) < 0 || parse_ternary(p) < 0)
			return -1;
		return expect(p, T_RPAREN, "')'");
	default:
		return unexpected(p);
	}
}

static int
parse_unary(struct parser *p)
{
	size_t start;
	int op;

	if (p->tok != T_OP || (p->top != OP_SUB && p->top != OP_ADD &&
	    p->top != OP_NOT && p->top != OP_BNOT))
		return parse_primary(p);
	if (++p->nest > EXPR_MAXNEST)
		return perr(p, "expression nested too deeply at column %zu",
		    p->tpos + 1);
	op = p->top == OP_SUB ? OP_NEG : p->top == OP_ADD ? OP_PLUS : p->top;
	if (lex(p) < 0)
		return -1;
	start = p->ncode;
	if (parse_unary(p) < 0)
		return -1;
	emit_unop(p, op, start);
	p->nest--;
	return 0;
}

/* a && b and a || b, with a's code from lstart on and the operator read. */
static int
parse_logic(struct parser *p, int op, size_t lstart, int pr)
{
	struct insn *l = &p->e->code[lstart];
	size_t j, rstart;
	int decided;

	if (!isconst(p, lstart)) {
		j = emit(p, op, 0);
		p->sp--;
		rstart = p->ncode;
		if (parse_binary(p, pr + 1) < 0)
			return -1;
		if (!p->isbool)
			emit_unop(p, OP_BOOL, rstart);
		patch(p, j);
		p->isbool = 1;
		return 0;
	}

	/*
	 * A constant left operand decides at once, or leaves the truth of
	 * the right operand.  The right operand is parsed either way (it
	 * must be valid, and its names count as used) and its code dropped
	 * when it cannot matter.
	 */
	decided = truth(&l->k) == (op == OP_OR);
	p->ncode = lstart;
	p->sp--;
	rstart = p->ncode;
	if (parse_binary(p, pr + 1) < 0)
		return -1;
	if (decided) {
		p->ncode = lstart;
		p->sp--;
		return push_const(p, val_int(op == OP_OR));
	}
	if (!p->isbool)
		emit_unop(p, OP_BOOL, rstart);
	p->isbool = 1;
	return 0;
}

static int
parse_binary(struct parser *p, int minprec)
{
	size_t lstart = p->ncode, rstart;
	int op, pr;

	if (parse_unary(p) < 0)
		return -1;
	while (p->tok == T_OP && (pr = prec(p->top)) >= minprec && pr > 0) {
		op = p->top;
		if (lex(p) < 0)
			return -1;
		if (op == OP_AND || op == OP_OR) {
			if (parse_logic(p, op, lstart, pr) < 0)
				return -1;
			continue;
		}
		rstart = p->ncode;
		if (parse_binary(p, pr + 1) < 0)
			return -1;
		emit_binop(p, op, lstart, rstart);
	}
	return 0;
}

/* c ? a : b, right-associative, or any expression of lower precedence. */
static int
parse_ternary(struct parser *p)
{
	size_t cstart = p->ncode, astart, aend, bstart, jf = 0, jend = 0;
	int base = p->sp, isconstc, t = 0, abool;

	/* The token before this one opened the level: '(', '?', ':', ','. */
	if (++p->nest > EXPR_MAXNEST)
		return perr(p, "expression nested too deeply at column %zu",
		    p->prevpos + 1);
	if (parse_binary(p, 1) < 0)
		return -1;
	if (p->tok != T_QUEST) {
		p->nest--;
		return 0;
	}
	if (lex(p) < 0)
		return -1;
	isconstc = isconst(p, cstart);
	if (isconstc) {
		t = truth(&p->e->code[cstart].k);
		p->ncode = cstart;
	} else
		jf = emit(p, OP_JFALSE, 0);
	p->sp = base;
	astart = p->ncode;
	if (parse_ternary(p) < 0)
		return -1;
	abool = p->isbool;
	if (p->tok != T_COLON)
		return perr(p, "expected ':' at column %zu", p->tpos + 1);
	if (lex(p) < 0)
		return -1;
	if (!isconstc) {
		jend = emit(p, OP_JMP, 0);
		patch(p, jf);
	}
	aend = p->ncode;
	p->sp = base;
	bstart = p->ncode;
	if (parse_ternary(p) < 0)
		return -1;
	if (!isconstc) {
		patch(p, jend);
		p->isbool = abool && p->isbool;
	} else if (t) {
		p->ncode = aend;
		p->isbool = abool;
	} else {
		/* Relative jumps make the moved code valid where it lands. */
		memmove(&p->e->code[astart], &p->e->code[bstart],
		    (p->ncode - bstart) * sizeof(struct insn));
		p->ncode = astart + (p->ncode - bstart);
	}
	p->nest--;
	return 0;
}

static int
cmpint(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

struct expr *
expr_parse(const char *src, expr_lookup *lookup, void *ctx, char *err,
    size_t errlen)
{
	struct parser p;
	struct expr *e;
	size_t i, n;

	memset(&p, 0, sizeof(p));
	p.src = src;
	p.lookup = lookup;
	p.ctx = ctx;
	p.err = err;
	p.errlen = errlen;
	p.nest = -1;		/* the whole expression is not nested */
	p.e = e = ecalloc(1, sizeof(*e));
	e->src = estrdup(src);
	if (lex(&p) < 0)
		goto fail;
	if (p.tok == T_END) {
		perr(&p, "empty expression");
		goto fail;
	}
	if (parse_ternary(&p) < 0)
		goto fail;
	if (p.tok != T_END) {
		unexpected(&p);
		goto fail;
	}
	emit(&p, OP_END, 0);
	e->code = ereallocarray(e->code, p.ncode, sizeof(*e->code));

	if (e->nslots > 0) {
		qsort(e->slots, e->nslots, sizeof(*e->slots), cmpint);
		for (i = n = 1; i < e->nslots; i++)
			if (e->slots[i] != e->slots[n - 1])
				e->slots[n++] = e->slots[i];
		e->nslots = n;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return e;
fail:
	expr_free(e);
	return NULL;
}

size_t
expr_slots(const struct expr *e, const int **slots)
{
	*slots = e->slots;
	return e->nslots;
}

const char *
expr_source(const struct expr *e)
{
	return e->src;
}

void
expr_free(struct expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nstrs; i++)
		free(e->strs[i]);
	free(e->strs);
	free(e->slots);
	free(e->code);
	free(e->src);
	free(e);
}
