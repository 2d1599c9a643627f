/*
 * Unit tests for lib/expr: the language as lib/expr.h specifies it, its
 * errors, and a stress of many expressions against values computed in C.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "expr.h"

/* The names the tests know, in slot order. */
enum {
	X, Y, Z, D, S, E, ZERO, BIG, SMALL, NEG1, NANV, INFV, MEDIAN, MAXN,
	TILE, ABC, U1, NSLOTS
};

static const char *const names[NSLOTS] = {
	"x", "y", "z", "d", "s", "e", "zero", "big", "small", "neg1", "nan",
	"inf", "times.median", "max", "TILE", "a.b.c", "_u1"
};

static struct val slots[NSLOTS];

/* How many lookups there were, to show that ctx reaches the callback. */
static int nlookups;

static int
lookup(void *ctx, const char *name, size_t len)
{
	int i;

	/* The name is not NUL-terminated: compare exactly len bytes. */
	(*(int *)ctx)++;
	for (i = 0; i < NSLOTS; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}

static void
reset_slots(void)
{
	slots[X] = val_int(5);
	slots[Y] = val_int(3);
	slots[Z] = val_int(-7);
	slots[D] = val_dbl(2.5);
	slots[S] = val_str("abc");
	slots[E] = val_str("");
	slots[ZERO] = val_int(0);
	slots[BIG] = val_int(INT64_MAX);
	slots[SMALL] = val_int(INT64_MIN);
	slots[NEG1] = val_int(-1);
	slots[NANV] = val_dbl(NAN);
	slots[INFV] = val_dbl(INFINITY);
	slots[MEDIAN] = val_dbl(1.5);
	slots[MAXN] = val_int(100);
	slots[TILE] = val_int(16);
	slots[ABC] = val_int(42);
	slots[U1] = val_int(-2);
}

static struct expr *
parse(const char *src, char *err, size_t errlen)
{
	return expr_parse(src, lookup, &nlookups, err, errlen);
}

static void
pass(void)
{
	check_passed++;
}

static void
failf(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
failf(int line, const char *fmt, ...)
{
	va_list ap;

	check_failed++;
	fprintf(stderr, "%s:%d: ", __FILE__, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Parses and evaluates src with the current slots.  Returns 0 with *out
 * set, -1 for an evaluation error or -2 for a parse error, with the
 * message in err.
 */
static int
run(const char *src, struct val *out, char *err, size_t errlen)
{
	struct expr *e;
	int rc;

	if ((e = parse(src, err, errlen)) == NULL)
		return -2;
	rc = expr_eval(e, slots, out, err, errlen);
	expr_free(e);
	return rc;
}

static void
expect_int(int line, const char *src, int64_t want)
{
	struct val v;
	char err[256];
	int rc = run(src, &v, err, sizeof(err));

	if (rc != 0)
		failf(line, "%s: %s", src, err);
	else if (v.t != VAL_INT)
		failf(line, "%s: not an integer (type %d, %g)", src, v.t,
		    val_num(&v));
	else if (v.u.i != want)
		failf(line, "%s is %" PRId64 ", expected %" PRId64, src, v.u.i,
		    want);
	else
		pass();
}

static void
expect_dbl(int line, const char *src, double want)
{
	struct val v;
	char err[256];
	int rc = run(src, &v, err, sizeof(err));

	if (rc != 0)
		failf(line, "%s: %s", src, err);
	else if (v.t != VAL_DBL)
		failf(line, "%s: not a double (type %d)", src, v.t);
	else if (!(fabs(v.u.d - want) <= 1e-12 * fmax(1, fabs(want))))
		failf(line, "%s is %.17g, expected %.17g", src, v.u.d, want);
	else
		pass();
}

static void
expect_str(int line, const char *src, const char *want)
{
	struct expr *e;
	struct val v;
	char err[256];

	/* A literal result lives in the program: free it after the test. */
	if ((e = parse(src, err, sizeof(err))) == NULL)
		failf(line, "%s: %s", src, err);
	else if (expr_eval(e, slots, &v, err, sizeof(err)) < 0)
		failf(line, "%s: %s", src, err);
	else if (v.t != VAL_STR)
		failf(line, "%s: not a string (type %d)", src, v.t);
	else if (strcmp(v.u.s, want) != 0)
		failf(line, "%s is \"%s\", expected \"%s\"", src, v.u.s, want);
	else
		pass();
	expr_free(e);
}

/* src parses, and its evaluation fails with a message holding want. */
static void
expect_eval_err(int line, const char *src, const char *want)
{
	struct val v;
	char err[256];
	int rc = run(src, &v, err, sizeof(err));

	if (rc == -2)
		failf(line, "%s: parse error: %s", src, err);
	else if (rc == 0)
		failf(line, "%s: evaluated, expected \"%s\"", src, want);
	else if (strstr(err, want) == NULL)
		failf(line, "%s: \"%s\", expected \"%s\"", src, err, want);
	else
		pass();
}

/* src does not parse, with a message holding want. */
static void
expect_parse_err(int line, const char *src, const char *want)
{
	struct expr *e;
	char err[256];

	strcpy(err, "(unchanged)");
	if ((e = parse(src, err, sizeof(err))) != NULL) {
		failf(line, "%.60s: parsed, expected \"%s\"", src, want);
		expr_free(e);
	} else if (strstr(err, want) == NULL)
		failf(line, "%.60s: \"%s\", expected \"%s\"", src, err, want);
	else
		pass();
}

#define EXPECT_INT(src, want)	expect_int(__LINE__, src, want)
#define EXPECT_DBL(src, want)	expect_dbl(__LINE__, src, want)
#define EXPECT_STR(src, want)	expect_str(__LINE__, src, want)
#define EXPECT_EVAL_ERR(src, want) expect_eval_err(__LINE__, src, want)
#define EXPECT_PARSE_ERR(src, want) expect_parse_err(__LINE__, src, want)

static void
test_literals(void)
{
	EXPECT_INT("42", 42);
	EXPECT_INT("  42  ", 42);
	EXPECT_INT("0", 0);
	EXPECT_INT("007", 7);
	EXPECT_INT("9223372036854775807", INT64_MAX);
	EXPECT_INT("-9223372036854775807 - 1", INT64_MIN);
	EXPECT_INT("true", 1);
	EXPECT_INT("false", 0);
	EXPECT_DBL("1.5", 1.5);
	EXPECT_DBL("1e-3", 0.001);
	EXPECT_DBL("1E3", 1000.0);
	EXPECT_DBL("2.5e+2", 250.0);
	EXPECT_DBL(".5", 0.5);
	EXPECT_DBL("1.", 1.0);
	EXPECT_DBL("1e308", 1e308);
	EXPECT_DBL("99999999999999999999.0", 1e20);
	EXPECT_STR("\"text\"", "text");
	EXPECT_STR("\"\"", "");
	EXPECT_STR("\"a\\\"b\\\\c\\nd\\te\"", "a\"b\\c\nd\te");
	EXPECT_INT("\t1\n+\r\n2 ", 3);
}

static void
test_hex(void)
{
	EXPECT_INT("0x2A", 42);
	EXPECT_INT("0x2a", 42);
	EXPECT_INT("0X10", 16);
	EXPECT_INT("0xff + 1", 256);
	EXPECT_INT("0x0", 0);
	EXPECT_INT("0x7FFFFFFFFFFFFFFF", INT64_MAX);
	EXPECT_INT("0x7fffffffffffffff == big", 1);
	EXPECT_PARSE_ERR("0x8000000000000000", "out of range at column 1");
	EXPECT_PARSE_ERR("0x", "bad number '0x' at column 1");
	EXPECT_PARSE_ERR("1 + 0xg", "bad number '0xg' at column 5");
	EXPECT_PARSE_ERR("0x1.8p3", "bad number");
}

/* The precedence and associativity of C's table, operator by operator. */
static void
test_precedence(void)
{
	EXPECT_INT("1 + 2 * 3", 7);
	EXPECT_INT("(1 + 2) * 3", 9);
	EXPECT_INT("x + y * x", 20);
	EXPECT_INT("10 - 4 - 3", 3);
	EXPECT_INT("x - y - 1", 1);
	EXPECT_INT("100 / 10 / 5", 2);
	EXPECT_INT("x * 8 / 4 / y", 3);
	EXPECT_INT("2 * 3 % 4", 2);
	EXPECT_INT("x * y % 4", 3);
	EXPECT_INT("7 % 4 * 3", 9);
	EXPECT_INT("1 << 2 + 1", 8);
	EXPECT_INT("1 + 2 << 1", 6);
	EXPECT_INT("x << 1 >> 2", 2);
	EXPECT_INT("1 << y < 9", 1);
	EXPECT_INT("1 < 2 == 1", 1);
	EXPECT_INT("3 > 2 > 1", 0);
	EXPECT_INT("1 < 2 < 3", 1);
	EXPECT_INT("y > 2 == x > 4", 1);
	EXPECT_INT("3 & 5 == 5", 1);
	EXPECT_INT("x & 6 ^ 3", 7);
	EXPECT_INT("1 | 2 ^ 3 & 4", 3);
	EXPECT_INT("6 ^ 3 | 8", 13);
	EXPECT_INT("x | y & zero", 5);
	EXPECT_INT("1 || 0 && 0", 1);
	EXPECT_INT("0 && 1 || 1", 1);
	EXPECT_INT("zero && x || y", 1);
	EXPECT_INT("x | 2 && 0", 0);
	EXPECT_INT("1 ? 2 : 3 ? 4 : 5", 2);
	EXPECT_INT("0 ? 2 : 0 ? 4 : 5", 5);
	EXPECT_INT("zero ? 2 : zero ? 4 : 5", 5);
	EXPECT_INT("x ? y ? 1 : 2 : 3", 1);
	EXPECT_INT("0 ? 1 : 2 + 10", 12);
	EXPECT_INT("1 || 0 ? 7 : 8", 7);
	EXPECT_INT("x > 1 ? x : y", 5);
	EXPECT_INT("-2 * 3", -6);
	EXPECT_INT("-x * y", -15);
	EXPECT_INT("-2 << 1", -4);
	EXPECT_INT("!0 + 1", 2);
	EXPECT_INT("!x + 1", 1);
	EXPECT_INT("~0", -1);
	EXPECT_INT("~x & 0xff", 250);
	EXPECT_INT("- -3", 3);
	EXPECT_INT("--3", 3);
	EXPECT_INT("-+-x", 5);
	EXPECT_INT("5 - -2", 7);
	EXPECT_INT("!!5", 1);
	EXPECT_INT("!!e", 0);
	EXPECT_INT("-(x - 10)", 5);
	EXPECT_INT("((((x))))", 5);
	EXPECT_INT("2 * (3 + 4) * 5", 70);
	EXPECT_INT("min(x, y) * 2 + max(x, y)", 11);
}

/*
 * The same text compiled by C and parsed by expr: where the language
 * follows C, the values must agree.  The text leans on precedence on
 * purpose, so the compiler's advice to add parentheses is off here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wparentheses"
static void
test_against_c(void)
{
	int64_t x = 5, y = 3, z = -7;
	struct {
		const char *src;
		int64_t want;
	} t[] = {
#define T(e)	{ #e, (int64_t)(e) }
		T(x * y + z % 3 - (x << 2)),
		T(x / y * y + x % y),
		T(z / y),
		T(z % y),
		T(z / -y),
		T(z % -y),
		T(-z % y),
		T(x - y - z - 1),
		T(x * -y * z),
		T(x << y >> 1),
		T(z >> 1),
		T(z >> 63),
		T((x & y) | (z ^ x)),
		T(x & y | z ^ x),
		T(~z & 0xFF),
		T(x < y),
		T(x <= 5),
		T(z > -8),
		T(y >= 4),
		T(x == 5 && y != 3),
		T(x == 5 || y != 3),
		T(!x || !!y),
		T(x > y ? x - y : y - x),
		T(z < 0 ? -z : z),
		T(x ? y ? z : 1 : 2),
		T(x + y * z - x / y % 2),
		T(x % y == 2 && z % 2 == -1),
		T((x + y) * (z - x) / (y - 1)),
		T(1 << x << y),
		T(x * 1000000007 % 998244353),
		T(0x7f & x + 0x100),
		T(x < y == z < 0),
		T(x != y != 0),
		T(-x - -y),
		T(x | 8 ^ 3 & 6),
		T(x && y && z),
		T(x && 0 || z),
		T(x > 2 ? y < 2 ? 10 : 20 : 30),
		T(x ^ y ^ z ^ 0x55),
		T((x << 20) + (y << 10) + z),
		T(x * x * x * x * x * x * x),
		T(z * z % 11 - z / 2),
		T(255 / (x - 4) % 7),
#undef T
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_int(__LINE__, t[i].src, t[i].want);
}
#pragma GCC diagnostic pop

static void
test_int_and_double(void)
{
	EXPECT_INT("7 / 2", 3);
	EXPECT_DBL("7 / 2.0", 3.5);
	EXPECT_DBL("7.0 / 2", 3.5);
	EXPECT_INT("-7 / 2", -3);
	EXPECT_INT("-7 % 2", -1);
	EXPECT_INT("7 % -2", 1);
	EXPECT_DBL("7.5 % 2", 1.5);
	EXPECT_DBL("-7.5 % 2", -1.5);
	EXPECT_DBL("d % 1", 0.5);
	EXPECT_DBL("1 + 1.5", 2.5);
	EXPECT_DBL("2 * 1.5", 3.0);
	EXPECT_DBL("x * d", 12.5);
	EXPECT_DBL("x - d", 2.5);
	EXPECT_DBL("d / 2", 1.25);
	EXPECT_DBL("-d", -2.5);
	EXPECT_DBL("+d", 2.5);
	EXPECT_INT("+x", 5);
	EXPECT_INT("1 / 3 * 3", 0);
	EXPECT_DBL("1 / 3.0 * 3", 1.0);
	EXPECT_INT("d > 2", 1);
	EXPECT_INT("d == 2.5", 1);
	EXPECT_INT("3 == 3.0", 1);
	EXPECT_INT("d != 2.5", 0);
	EXPECT_INT("x < d", 0);
	EXPECT_INT("0.5 && 1", 1);
	EXPECT_INT("!0.0", 1);
	/* Two integers compare exactly, beyond a double's 53 bits. */
	EXPECT_INT("9007199254740993 > 9007199254740992", 1);
	EXPECT_INT("big - 1 < big", 1);
	EXPECT_DBL("times.median * 2", 3.0);
}

static void
test_comparisons_give_int(void)
{
	EXPECT_INT("1.5 < 2", 1);
	EXPECT_INT("2.0 == 2", 1);
	EXPECT_INT("d >= d", 1);
	EXPECT_INT("d <= 1", 0);
	EXPECT_INT("s == s", 1);
	EXPECT_INT("s != \"abc\"", 0);
	EXPECT_INT("1.5 && 2.5", 1);
	EXPECT_INT("0.0 || d", 1);
	EXPECT_INT("!d", 0);
	EXPECT_INT("x && d", 1);
	EXPECT_INT("5 && 7", 1);
	EXPECT_INT("x || 0", 1);
	EXPECT_INT("s && 1", 1);
	EXPECT_INT("e || 0", 0);
	EXPECT_INT("x > 1 && x < 10", 1);
	EXPECT_INT("(x > 1) + (y > 1) + (z > 1)", 2);
}

static void
test_short_circuit(void)
{
	struct expr *e;
	struct val v;
	char err[128];

	EXPECT_INT("0 && 1 / 0", 0);
	EXPECT_INT("1 || 1 / 0", 1);
	EXPECT_INT("1 ? 2 : 1 / 0", 2);
	EXPECT_INT("0 ? 1 / 0 : 3", 3);
	EXPECT_INT("zero && 1 / zero", 0);
	EXPECT_INT("x || 1 / zero", 1);
	EXPECT_INT("x > 0 ? x : 1 / zero", 5);
	EXPECT_INT("x < 0 ? 1 / zero : y", 3);
	EXPECT_INT("x && y && 0 && 1 / 0", 0);
	EXPECT_INT("zero || zero || x || 1 / 0", 1);
	EXPECT_INT("e && s + 1", 0);
	EXPECT_EVAL_ERR("zero || 1 / zero", "division by zero");
	EXPECT_EVAL_ERR("x && 1 / zero", "division by zero");
	EXPECT_EVAL_ERR("zero ? 1 : 1 / zero", "division by zero");

	/*
	 * A constant that always fails is kept as code that fails, so the
	 * program parses and only fails where the code runs.
	 */
	e = parse("x > 0 && 1 / 0", err, sizeof(err));
	CHECK(e != NULL);
	if (e == NULL)
		return;
	slots[X] = val_int(-1);
	CHECK_INT(expr_eval(e, slots, &v, err, sizeof(err)), 0);
	CHECK_INT(v.t, VAL_INT);
	CHECK_INT(v.u.i, 0);
	slots[X] = val_int(5);
	CHECK_INT(expr_eval(e, slots, &v, err, sizeof(err)), -1);
	CHECK_STR(err, "division by zero");
	expr_free(e);
}

static void
test_eval_errors(void)
{
	struct expr *e;
	struct val v;
	char err[8];

	EXPECT_EVAL_ERR("1 / 0", "division by zero");
	EXPECT_EVAL_ERR("x / zero", "division by zero");
	EXPECT_EVAL_ERR("1.0 / 0", "division by zero");
	EXPECT_EVAL_ERR("d / 0.0", "division by zero");
	EXPECT_EVAL_ERR("1 % 0", "modulo by zero");
	EXPECT_EVAL_ERR("x % zero", "modulo by zero");
	EXPECT_EVAL_ERR("2.5 % 0.0", "modulo by zero");
	EXPECT_EVAL_ERR("d % zero", "modulo by zero");

	EXPECT_EVAL_ERR("big + 1", "integer overflow");
	EXPECT_EVAL_ERR("9223372036854775807 + 1", "integer overflow in '+'");
	EXPECT_EVAL_ERR("small - 1", "integer overflow in '-'");
	EXPECT_EVAL_ERR("big * 2", "integer overflow in '*'");
	EXPECT_EVAL_ERR("small * neg1", "integer overflow");
	EXPECT_EVAL_ERR("small / -1", "integer overflow in '/'");
	EXPECT_EVAL_ERR("small / neg1", "integer overflow in '/'");
	EXPECT_EVAL_ERR("small % -1", "integer overflow in '%'");
	EXPECT_EVAL_ERR("small % neg1", "integer overflow in '%'");
	EXPECT_EVAL_ERR("-small", "integer overflow in '-'");
	EXPECT_EVAL_ERR("abs(small)", "integer overflow in 'abs()'");
	EXPECT_EVAL_ERR("0x4000000000000000 * 2", "integer overflow");
	EXPECT_INT("small / 1", INT64_MIN);
	EXPECT_INT("small % 1", 0);
	EXPECT_INT("big - big - big - 1", INT64_MIN);

	EXPECT_EVAL_ERR("1 << 64", "bad shift");
	EXPECT_EVAL_ERR("1 << -1", "bad shift");
	EXPECT_EVAL_ERR("1 >> 64", "bad shift");
	EXPECT_EVAL_ERR("x << neg1", "bad shift");
	EXPECT_EVAL_ERR("x >> 100", "bad shift");
	EXPECT_INT("1 << 63", INT64_MIN);
	EXPECT_INT("x >> 63", 0);
	EXPECT_INT("neg1 >> 10", -1);

	EXPECT_EVAL_ERR("s + 1", "string where a number is needed");
	EXPECT_EVAL_ERR("1 - s", "string where a number is needed");
	EXPECT_EVAL_ERR("\"a\" * 2", "string where a number is needed");
	EXPECT_EVAL_ERR("-s", "string where a number is needed");
	EXPECT_EVAL_ERR("~s", "string where a number is needed");
	EXPECT_EVAL_ERR("s < \"b\"", "string where a number is needed");
	EXPECT_EVAL_ERR("s == 1", "string where a number is needed");
	EXPECT_EVAL_ERR("x != s", "string where a number is needed");
	EXPECT_EVAL_ERR("min(s, 1)", "string where a number is needed");
	EXPECT_EVAL_ERR("abs(s)", "string where a number is needed");
	EXPECT_EVAL_ERR("log2(\"8\")", "string where a number is needed");
	EXPECT_EVAL_ERR("pow(2, s)", "string where a number is needed");
	EXPECT_EVAL_ERR("s & 1", "string where a number is needed");

	EXPECT_EVAL_ERR("1.5 & 1", "'&' needs integers");
	EXPECT_EVAL_ERR("x | d", "'|' needs integers");
	EXPECT_EVAL_ERR("d ^ 1", "'^' needs integers");
	EXPECT_EVAL_ERR("d << 1", "'<<' needs integers");
	EXPECT_EVAL_ERR("1 >> d", "'>>' needs integers");
	EXPECT_EVAL_ERR("~1.5", "'~' needs integers");

	EXPECT_EVAL_ERR("log2(0)", "domain error in log2()");
	EXPECT_EVAL_ERR("log2(-1)", "domain error");
	EXPECT_EVAL_ERR("log2(z)", "domain error");
	EXPECT_EVAL_ERR("log(0.0)", "domain error in log()");
	EXPECT_EVAL_ERR("sqrt(-1)", "domain error in sqrt()");
	EXPECT_EVAL_ERR("sqrt(z)", "domain error");
	EXPECT_EVAL_ERR("pow(-8, 0.5)", "domain error in pow()");

	EXPECT_EVAL_ERR("1e308 * 10", "infinite result");
	EXPECT_EVAL_ERR("exp(1000)", "infinite result in 'exp()'");
	EXPECT_EVAL_ERR("pow(10, 400)", "infinite result");
	EXPECT_EVAL_ERR("pow(0.0, -1)", "infinite result");
	EXPECT_EVAL_ERR("nan + 1", "NaN result");
	EXPECT_EVAL_ERR("inf - inf", "NaN result");
	EXPECT_EVAL_ERR("inf", "infinite result");
	EXPECT_EVAL_ERR("nan", "NaN result");
	EXPECT_EVAL_ERR("x > 0 ? inf : 1", "infinite result");
	EXPECT_EVAL_ERR("min(nan, 1)", "NaN result");
	EXPECT_EVAL_ERR("max(1, nan)", "NaN result");
	EXPECT_EVAL_ERR("ceil(inf)", "infinite result");
	EXPECT_EVAL_ERR("floor(nan)", "NaN result");
	/* A NaN or an infinity that does not reach the result is no error. */
	EXPECT_INT("nan == nan", 0);
	EXPECT_INT("nan != nan", 1);
	EXPECT_INT("inf > big", 1);
	EXPECT_INT("x < 0 ? inf : 1", 1);

	/* err may be NULL, or short: it is cut and NUL-terminated. */
	e = parse("1 / zero", NULL, 0);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	CHECK_INT(expr_eval(e, slots, &v, NULL, 0), -1);
	memset(err, 'x', sizeof(err));
	CHECK_INT(expr_eval(e, slots, &v, err, sizeof(err)), -1);
	CHECK_STR(err, "divisio");
	memset(err, 'x', sizeof(err));
	CHECK_INT(expr_eval(e, slots, &v, err, 0), -1);
	CHECK_INT(err[0], 'x');
	expr_free(e);
}

static void
test_parse_errors(void)
{
	struct expr *e;
	char err[8], *deep;
	size_t i;

	EXPECT_PARSE_ERR("", "empty expression");
	EXPECT_PARSE_ERR("   \t\n", "empty expression");
	EXPECT_PARSE_ERR("TILLE", "unknown name 'TILLE'");
	EXPECT_PARSE_ERR("TILE + TILLE * 2", "unknown name 'TILLE'");
	EXPECT_PARSE_ERR("X", "unknown name 'X'");
	EXPECT_PARSE_ERR("times.mean", "unknown name 'times.mean'");
	EXPECT_PARSE_ERR("(1 + 2", "expected ')' at column 7");
	EXPECT_PARSE_ERR("(1 + 2 3", "expected ')' at column 8");
	EXPECT_PARSE_ERR("1 +", "unexpected end of expression");
	EXPECT_PARSE_ERR("-", "unexpected end of expression");
	EXPECT_PARSE_ERR("x ? 1 :", "unexpected end of expression");
	EXPECT_PARSE_ERR("min(1,", "unexpected end of expression");
	EXPECT_PARSE_ERR("foo(1)", "unknown function 'foo'");
	EXPECT_PARSE_ERR("x(1)", "unknown function 'x'");
	EXPECT_PARSE_ERR("true(1)", "unknown function 'true'");
	EXPECT_PARSE_ERR("min(1)", "min() takes at least 2 arguments");
	EXPECT_PARSE_ERR("min()", "min() takes at least 2 arguments");
	EXPECT_PARSE_ERR("max(x)", "max() takes at least 2 arguments");
	EXPECT_PARSE_ERR("abs(1, 2)", "abs() takes 1 argument");
	EXPECT_PARSE_ERR("ceil()", "ceil() takes 1 argument");
	EXPECT_PARSE_ERR("pow(1)", "pow() takes 2 arguments");
	EXPECT_PARSE_ERR("pow(1, 2, 3)", "pow() takes 2 arguments");
	EXPECT_PARSE_ERR("min(1 2)", "expected ',' or ')' at column 7");
	EXPECT_PARSE_ERR("min(1, 2", "expected ',' or ')' at column 9");
	EXPECT_PARSE_ERR("1 2", "unexpected '2' at column 3");
	EXPECT_PARSE_ERR("x y", "unexpected 'y' at column 3");
	EXPECT_PARSE_ERR("(1))", "unexpected ')' at column 4");
	EXPECT_PARSE_ERR(")", "unexpected ')' at column 1");
	EXPECT_PARSE_ERR("1 + * 2", "unexpected '*' at column 5");
	EXPECT_PARSE_ERR("x ? 1", "expected ':' at column 6");
	EXPECT_PARSE_ERR("1 = 2", "unexpected '=' at column 3");
	EXPECT_PARSE_ERR("x $ 1", "unexpected '$' at column 3");
	EXPECT_PARSE_ERR("x \001", "unexpected byte 0x01 at column 3");
	EXPECT_PARSE_ERR("1, 2", "unexpected ',' at column 2");
	EXPECT_PARSE_ERR("\"abc", "unterminated string at column 1");
	EXPECT_PARSE_ERR("s == \"abc\\", "unterminated string at column 6");
	EXPECT_PARSE_ERR("\"a\\qb\"", "bad escape '\\q' at column 3");
	EXPECT_PARSE_ERR("99999999999999999999",
	    "integer literal '99999999999999999999' out of range at column 1");
	EXPECT_PARSE_ERR("9223372036854775808", "out of range");
	EXPECT_PARSE_ERR("-9223372036854775808", "out of range at column 2");
	EXPECT_PARSE_ERR("1e999", "out of range at column 1");
	EXPECT_PARSE_ERR("1e", "bad number '1e' at column 1");
	EXPECT_PARSE_ERR("1e+", "bad number");
	EXPECT_PARSE_ERR("12abc", "bad number '12abc' at column 1");
	EXPECT_PARSE_ERR("1.5.3", "bad number '1.5.3'");
	EXPECT_PARSE_ERR("x + 1x", "bad number '1x' at column 5");

	/* No lookup function: every name is unknown. */
	e = expr_parse("x", NULL, NULL, NULL, 0);
	CHECK(e == NULL);
	e = expr_parse("1 + 2", NULL, NULL, NULL, 0);
	CHECK(e != NULL);
	expr_free(e);

	/* A short err is cut and NUL-terminated; a zero errlen is left. */
	memset(err, 'x', sizeof(err));
	CHECK(parse("TILLE", err, sizeof(err)) == NULL);
	CHECK_STR(err, "unknown");
	memset(err, 'x', sizeof(err));
	CHECK(parse("TILLE", err, 0) == NULL);
	CHECK_INT(err[0], 'x');
	CHECK(parse("TILLE", NULL, 0) == NULL);

	/* Each parse error frees what it had built (ASan checks). */
	deep = malloc(64);
	CHECK(deep != NULL);
	if (deep == NULL)
		return;
	strcpy(deep, "\"lit\" == s && (\"two\" + min(1, \"x\"");
	CHECK(parse(deep, NULL, 0) == NULL);
	free(deep);
	for (i = 0; i < 3; i++)
		CHECK(parse("\"a\" + \"b\" + \"c\" +", NULL, 0) == NULL);
}

/* n copies of a, then b, then n copies of c. */
static char *
nest(int n, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(n * (la + lc) + lb + 1), *p = s;
	int i;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++, p += la)
		memcpy(p, a, la);
	memcpy(p, b, lb);
	p += lb;
	for (i = 0; i < n; i++, p += lc)
		memcpy(p, c, lc);
	*p = '\0';
	return s;
}

static void
test_deep_nesting(void)
{
	struct expr *e;
	struct val v;
	char *s;
	int i;

	s = nest(200, "(", "x", ")");
	EXPECT_INT(s, 5);
	free(s);
	s = nest(256, "(", "x", ")");
	EXPECT_INT(s, 5);
	free(s);
	s = nest(257, "(", "x", ")");
	EXPECT_PARSE_ERR(s, "expression nested too deeply at column 257");
	free(s);
	s = nest(300, "-", "x", "");
	EXPECT_PARSE_ERR(s, "expression nested too deeply at column 257");
	free(s);
	s = nest(300, "min(1, ", "x", ")");
	EXPECT_PARSE_ERR(s, "expression nested too deeply at column 1796");
	free(s);
	s = nest(100000, "(", "1", ")");
	EXPECT_PARSE_ERR(s, "nested too deeply");
	free(s);
	s = nest(200, "-", "x", "");
	EXPECT_INT(s, 5);
	free(s);
	s = nest(100000, "!", "x", "");
	EXPECT_PARSE_ERR(s, "nested too deeply");
	free(s);
	s = nest(200, "x + (", "1", ")");
	EXPECT_INT(s, 1001);
	free(s);
	/* 256 pending values, the most the evaluation stack holds. */
	s = nest(255, "x + (", "y", ")");
	EXPECT_INT(s, 255 * 5 + 3);
	free(s);
	s = nest(256, "x + (", "y", ")");
	EXPECT_PARSE_ERR(s, "expression too complex");
	free(s);
	s = nest(1000, "0 ? 1 : ", "2", "");
	EXPECT_PARSE_ERR(s, "nested too deeply");
	free(s);
	s = nest(100, "min(x, ", "y", ")");
	EXPECT_INT(s, 3);
	free(s);

	/* Pending operands that would overflow the evaluation stack. */
	s = nest(40, "x | x ^ x & x == x < x << x + x * (", "x", ")");
	EXPECT_PARSE_ERR(s, "expression too complex");
	free(s);

	/* Long, flat expressions need neither nesting nor stack. */
	s = nest(20000, "x + ", "0", "");
	EXPECT_INT(s, 100000);
	free(s);
	s = nest(20000, "1 + ", "0", "");
	EXPECT_INT(s, 20000);
	free(s);
	s = nest(5000, "x && ", "1", "");
	EXPECT_INT(s, 1);
	free(s);
	s = malloc(6 * 3000 + 16);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	strcpy(s, "max(0");
	for (i = 0; i < 3000; i++)
		sprintf(s + strlen(s), ", %d", i % 997);
	strcat(s, ")");
	e = parse(s, NULL, 0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_INT(expr_eval(e, slots, &v, NULL, 0), 0);
		CHECK_INT(v.u.i, 996);
		expr_free(e);
	}
	free(s);
}

static void
test_functions(void)
{
	EXPECT_INT("min(3, 1, 2)", 1);
	EXPECT_INT("max(3, 1, 2)", 3);
	EXPECT_INT("min(x, y)", 3);
	EXPECT_INT("max(x, y, z)", 5);
	EXPECT_INT("min(x, y, z, 100)", -7);
	EXPECT_DBL("min(1, 0.5)", 0.5);
	EXPECT_INT("max(x, d)", 5);
	EXPECT_INT("min(2, 2.0)", 2);
	EXPECT_DBL("min(2.0, 2)", 2.0);
	EXPECT_INT("max (1, 2)", 2);
	EXPECT_INT("max(min(x, y), 1)", 3);
	EXPECT_INT("min(x + 1, y * 3, 7)", 6);

	EXPECT_INT("ceil(2.1)", 3);
	EXPECT_INT("ceil(-2.1)", -2);
	EXPECT_INT("floor(2.9)", 2);
	EXPECT_INT("floor(-2.1)", -3);
	EXPECT_INT("round(2.5)", 3);
	EXPECT_INT("round(-2.5)", -3);
	EXPECT_INT("round(2.4)", 2);
	EXPECT_INT("ceil(5)", 5);
	EXPECT_INT("floor(z)", -7);
	EXPECT_INT("ceil(d)", 3);
	EXPECT_INT("ceil(x / 2.0)", 3);
	EXPECT_INT("ceil(-9.2233720368547758e18)", INT64_MIN);
	EXPECT_DBL("ceil(1e300)", 1e300);
	EXPECT_DBL("floor(9.3e18)", 9.3e18);

	EXPECT_INT("pow(2, 10)", 1024);
	EXPECT_INT("pow(x, 3)", 125);
	EXPECT_INT("pow(-2, 3)", -8);
	EXPECT_INT("pow(0, 0)", 1);
	EXPECT_INT("pow(7, 0)", 1);
	EXPECT_INT("pow(2, 62)", INT64_C(1) << 62);
	EXPECT_INT("pow(-2, 63)", INT64_MIN);
	EXPECT_INT("pow(3, 39)", INT64_C(4052555153018976267));
	EXPECT_DBL("pow(2, 63)", 9223372036854775808.0);
	EXPECT_DBL("pow(3, 40)", 12157665459056928801.0);
	EXPECT_DBL("pow(2, -1)", 0.5);
	EXPECT_DBL("pow(2.0, 3)", 8.0);
	EXPECT_DBL("pow(4, 0.5)", 2.0);
	EXPECT_DBL("pow(-8, 1.0)", -8.0);

	EXPECT_DBL("log2(1024)", 10.0);
	EXPECT_DBL("log2(8.0)", 3.0);
	EXPECT_DBL("log2(TILE)", 4.0);
	EXPECT_DBL("log(1)", 0.0);
	EXPECT_DBL("log(exp(2))", 2.0);
	EXPECT_DBL("exp(0)", 1.0);
	EXPECT_DBL("sqrt(16)", 4.0);
	EXPECT_DBL("sqrt(2.25)", 1.5);
	EXPECT_DBL("sqrt(0)", 0.0);
	EXPECT_INT("abs(-3)", 3);
	EXPECT_INT("abs(z)", 7);
	EXPECT_INT("abs(x)", 5);
	EXPECT_DBL("abs(-2.5)", 2.5);
	EXPECT_INT("abs(-big)", INT64_MAX);

	/* A function's name alone is a name like any other. */
	EXPECT_INT("max", 100);
	EXPECT_INT("max(max, 1) + max", 200);
	EXPECT_INT("max(max,max)", 100);
}

static void
test_strings(void)
{
	struct expr *e;
	struct val v;

	EXPECT_INT("\"abc\" == \"abc\"", 1);
	EXPECT_INT("\"abc\" != \"abd\"", 1);
	EXPECT_INT("\"abc\" == \"abcd\"", 0);
	EXPECT_INT("s == \"abc\"", 1);
	EXPECT_INT("s != \"abc\"", 0);
	EXPECT_INT("\"\" == e", 1);
	EXPECT_INT("e == s", 0);
	EXPECT_INT("s ? 1 : 0", 1);
	EXPECT_INT("e ? 1 : 0", 0);
	EXPECT_INT("!e", 1);
	EXPECT_INT("!\"x\"", 0);
	EXPECT_INT("\"a\\\"b\" == \"a\\\"b\"", 1);
	EXPECT_STR("x > 0 ? \"big\" : \"small\"", "big");
	EXPECT_STR("x < 0 ? \"big\" : \"small\"", "small");
	EXPECT_STR("s", "abc");
	EXPECT_STR("1 ? s : e", "abc");
	EXPECT_STR("\"x\\ty\"", "x\ty");
	EXPECT_EVAL_ERR("\"a\" < \"b\"", "string where a number is needed");
	EXPECT_EVAL_ERR("s + \"d\"", "string where a number is needed");
	EXPECT_EVAL_ERR("max(s, s)", "string where a number is needed");

	/* A string result is the slot's own string, not a copy. */
	e = parse("x > 0 ? s : \"lit\"", NULL, 0);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	CHECK_INT(expr_eval(e, slots, &v, NULL, 0), 0);
	CHECK(v.t == VAL_STR && v.u.s == slots[S].u.s);
	slots[X] = val_int(-1);
	CHECK_INT(expr_eval(e, slots, &v, NULL, 0), 0);
	CHECK(v.t == VAL_STR);
	CHECK_STR(v.u.s, "lit");
	expr_free(e);
	reset_slots();
}

/*
 * Constant sub-expressions fold at parse time, but a folding that fails
 * stays code that fails when evaluated, never a parse error.
 */
static void
test_folding(void)
{
	struct expr *e;
	struct val v;
	const int *sl;

	EXPECT_INT("2 * 1024", 2048);
	EXPECT_INT("x * (2 * 1024)", 10240);
	EXPECT_INT("2 * 1024 + x", 2053);
	EXPECT_DBL("x * (1.0 / 4)", 1.25);
	EXPECT_INT("min(1, 2) + max(3, 4) * pow(2, 3)", 33);
	EXPECT_INT("1 ? x : y", 5);
	EXPECT_INT("0 ? x : y", 3);
	EXPECT_INT("1 ? (x ? 1 : y) : 5", 1);
	EXPECT_INT("0 ? 5 : (x ? y ? 7 : 8 : 9)", 7);
	EXPECT_INT("0 ? 5 : (zero ? 1 : y)", 3);
	EXPECT_INT("1 && x", 1);
	EXPECT_INT("1 && zero", 0);
	EXPECT_INT("0 || x", 1);
	EXPECT_INT("0 || d", 1);
	EXPECT_INT("1 || x", 1);
	EXPECT_INT("(1 && x) + 1", 2);
	EXPECT_INT("(x && y) + 1", 2);
	EXPECT_INT("(zero && y) + 1", 1);
	EXPECT_INT("-(3) * -(x)", 15);
	EXPECT_INT("!(1 + 1)", 0);
	EXPECT_STR("1 ? \"a\" : \"b\"", "a");
	EXPECT_INT("\"a\" == \"a\" && x", 1);

	/* These fold to an error, so they stay code and parse. */
	EXPECT_EVAL_ERR("1 / 0", "division by zero");
	EXPECT_EVAL_ERR("(1 / 0) + x", "division by zero");
	EXPECT_EVAL_ERR("x + 1 / 0", "division by zero");
	EXPECT_EVAL_ERR("-(-9223372036854775807 - 1)", "integer overflow");
	EXPECT_EVAL_ERR("\"a\" + 1", "string where a number is needed");
	EXPECT_EVAL_ERR("log2(0) > 1", "domain error");
	EXPECT_INT("x < 0 && 1 % 0", 0);
	EXPECT_INT("x > 0 || 1 % 0", 1);
	EXPECT_INT("1 ? x : 1 / 0", 5);
	EXPECT_INT("0 ? 1 / 0 : x", 5);

	/* A constant expression reads no slot. */
	e = parse("2 * 1024 - pow(2, 11)", NULL, 0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_INT(expr_slots(e, &sl), 0);
		CHECK_INT(expr_eval(e, NULL, &v, NULL, 0), 0);
		CHECK_INT(v.u.i, 0);
		expr_free(e);
	}
}

static void
test_slots(void)
{
	struct expr *e;
	const int *sl;
	size_t n;

	e = parse("y + x * y + x", NULL, 0);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	n = expr_slots(e, &sl);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(sl[0], X);
		CHECK_INT(sl[1], Y);
	}
	expr_free(e);

	/* Names in branches count, even a branch a constant rules out. */
	e = parse("TILE > 8 ? z : times.median + (0 && s == \"\") + (1 || d)",
	    NULL, 0);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	n = expr_slots(e, &sl);
	CHECK_INT(n, 5);
	if (n == 5) {
		CHECK_INT(sl[0], Z);
		CHECK_INT(sl[1], D);
		CHECK_INT(sl[2], S);
		CHECK_INT(sl[3], MEDIAN);
		CHECK_INT(sl[4], TILE);
	}
	expr_free(e);

	e = parse("42", NULL, 0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_INT(expr_slots(e, &sl), 0);
		expr_free(e);
	}
}

static void
test_names(void)
{
	int before = nlookups;

	EXPECT_DBL("times.median", 1.5);
	EXPECT_DBL("times.median+1", 2.5);
	EXPECT_INT("a.b.c", 42);
	EXPECT_INT("a.b.c-1", 41);
	EXPECT_INT("_u1 * TILE", -32);
	EXPECT_INT("x+y", 8);
	EXPECT_INT("x*TILE", 80);
	CHECK(nlookups > before);
	EXPECT_PARSE_ERR("xy", "unknown name 'xy'");
	EXPECT_PARSE_ERR("times.", "unknown name 'times.'");
	EXPECT_PARSE_ERR("times", "unknown name 'times'");
	EXPECT_PARSE_ERR("x + times.median.p", "unknown name 'times.median.p'");
	EXPECT_PARSE_ERR("True", "unknown name 'True'");
}

static void
test_source(void)
{
	const char *src = " x + 1 ";
	char buf[16];
	struct expr *e;

	strcpy(buf, src);
	e = parse(buf, NULL, 0);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	memset(buf, 0, sizeof(buf));
	CHECK_STR(expr_source(e), src);
	CHECK(expr_source(e) != buf);
	expr_free(e);
	expr_free(NULL);
}

static void
test_val_helpers(void)
{
	struct val v;

	v = val_int(0);
	CHECK_INT(val_truth(&v), 0);
	v = val_int(-3);
	CHECK_INT(val_truth(&v), 1);
	CHECK_DBL(val_num(&v), -3.0, 0);
	v = val_dbl(0.0);
	CHECK_INT(val_truth(&v), 0);
	v = val_dbl(0.25);
	CHECK_INT(val_truth(&v), 1);
	CHECK_DBL(val_num(&v), 0.25, 0);
	v = val_str("");
	CHECK_INT(val_truth(&v), 0);
	v = val_str("0");
	CHECK_INT(val_truth(&v), 1);
	CHECK(isnan(val_num(&v)));
}

/*
 * The stress: random expressions, printed with only the parentheses that
 * C's precedence needs, checked against a tree-walking reference
 * evaluator written with C's own operators.
 */

enum {
	N_INT, N_DBL, N_SLOT, N_NEG, N_NOT, N_BNOT, N_BIN, N_COND, N_MIN,
	N_MAX, N_ABS
};

enum {
	B_MUL, B_DIV, B_MOD, B_ADD, B_SUB, B_SHL, B_SHR, B_LT, B_LE, B_GT,
	B_GE, B_EQ, B_NE, B_BAND, B_BXOR, B_BOR, B_AND, B_OR, NB
};

static const char *const bname[NB] = {
	"*", "/", "%", "+", "-", "<<", ">>", "<", "<=", ">", ">=", "==",
	"!=", "&", "^", "|", "&&", "||"
};
static const int bprec[NB] = {
	10, 10, 10, 9, 9, 8, 8, 7, 7, 7, 7, 6, 6, 5, 4, 3, 2, 1
};

struct node {
	int kind, op;
	int64_t i;
	double d;
	struct node *a, *b, *c;
};

static uint64_t rng = 0x9E3779B97F4A7C15u;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static struct node *
gen(int depth)
{
	struct node *n = calloc(1, sizeof(*n));
	unsigned r;

	if (n == NULL)
		abort();
	r = depth <= 0 ? rnd(3) : rnd(20);
	if (r == 0) {
		n->kind = N_INT;
		switch (rnd(8)) {
		case 0:
			n->i = INT64_C(1) << (40 + rnd(23));
			break;
		case 1:
			n->i = 0;
			break;
		default:
			n->i = rnd(20);
		}
	} else if (r == 1) {
		if (rnd(4) == 0) {
			n->kind = N_DBL;
			n->d = rnd(16) / 4.0;
		} else {
			n->kind = N_INT;
			n->i = rnd(9);
		}
	} else if (r == 2 || r == 3) {
		n->kind = N_SLOT;
		n->i = rnd(3);
	} else if (r == 4) {
		n->kind = N_NEG + rnd(3);
		n->a = gen(depth - 1);
	} else if (r <= 15) {
		n->kind = N_BIN;
		n->op = rnd(NB);
		n->a = gen(depth - 1);
		n->b = gen(depth - 1);
	} else if (r <= 17) {
		n->kind = N_COND;
		n->a = gen(depth - 1);
		n->b = gen(depth - 1);
		n->c = gen(depth - 1);
	} else {
		n->kind = N_MIN + rnd(3);
		n->a = gen(depth - 1);
		n->b = n->kind == N_ABS ? NULL : gen(depth - 1);
	}
	return n;
}

static void
freenode(struct node *n)
{
	if (n == NULL)
		return;
	freenode(n->a);
	freenode(n->b);
	freenode(n->c);
	free(n);
}

/* How tightly n binds: a child that binds less needs parentheses. */
static int
nprec(const struct node *n)
{
	switch (n->kind) {
	case N_COND:
		return 0;
	case N_BIN:
		return bprec[n->op];
	case N_NEG:
	case N_NOT:
	case N_BNOT:
		return 11;
	default:
		return 12;
	}
}

static void
print(char *buf, size_t *len, const struct node *n, int need)
{
	static const char *const unames[] = { "-", "!", "~" };
	static const char *const fnames[] = { "min", "max", "abs" };
	int paren = nprec(n) < need || rnd(16) == 0;
	size_t l = *len;

	if (paren)
		l += sprintf(buf + l, "(");
	switch (n->kind) {
	case N_INT:
		l += sprintf(buf + l, rnd(4) ? "%" PRId64 : "0x%" PRIx64,
		    n->i);
		break;
	case N_DBL:
		l += sprintf(buf + l, "%.2f", n->d);
		break;
	case N_SLOT:
		l += sprintf(buf + l, "%s", names[n->i]);
		break;
	case N_NEG:
	case N_NOT:
	case N_BNOT:
		l += sprintf(buf + l, "%s", unames[n->kind - N_NEG]);
		*len = l;
		print(buf, len, n->a, 11);
		l = *len;
		break;
	case N_BIN:
		*len = l;
		print(buf, len, n->a, bprec[n->op]);
		l = *len;
		l += sprintf(buf + l, rnd(2) ? " %s " : "%s", bname[n->op]);
		*len = l;
		print(buf, len, n->b, bprec[n->op] + 1);
		l = *len;
		break;
	case N_COND:
		*len = l;
		print(buf, len, n->a, 1);
		l = *len;
		l += sprintf(buf + l, " ? ");
		*len = l;
		print(buf, len, n->b, 0);
		l = *len;
		l += sprintf(buf + l, " : ");
		*len = l;
		print(buf, len, n->c, 0);
		l = *len;
		break;
	default:
		l += sprintf(buf + l, "%s(", fnames[n->kind - N_MIN]);
		*len = l;
		print(buf, len, n->a, 0);
		l = *len;
		if (n->b != NULL) {
			l += sprintf(buf + l, ", ");
			*len = l;
			print(buf, len, n->b, 0);
			l = *len;
		}
		l += sprintf(buf + l, ")");
		break;
	}
	if (paren)
		l += sprintf(buf + l, ")");
	*len = l;
}

/* The reference: returns 0 with *v, or -1 for any evaluation error. */
static int
ref(const struct node *n, struct val *v)
{
	struct val a, b;
	int64_t x, y;
	double p, q;
	int c;

	switch (n->kind) {
	case N_INT:
		*v = val_int(n->i);
		return 0;
	case N_DBL:
		*v = val_dbl(n->d);
		return 0;
	case N_SLOT:
		*v = slots[n->i];
		return 0;
	case N_NEG:
	case N_NOT:
	case N_BNOT:
		if (ref(n->a, &a) < 0)
			return -1;
		if (n->kind == N_NOT) {
			*v = val_int(!val_truth(&a));
			return 0;
		}
		if (a.t == VAL_DBL) {
			if (n->kind == N_BNOT)
				return -1;
			*v = val_dbl(-a.u.d);
			return 0;
		}
		if (n->kind == N_BNOT) {
			*v = val_int(~a.u.i);
			return 0;
		}
		if (a.u.i == INT64_MIN)
			return -1;
		*v = val_int(-a.u.i);
		return 0;
	case N_COND:
		if (ref(n->a, &a) < 0)
			return -1;
		return ref(val_truth(&a) ? n->b : n->c, v);
	case N_ABS:
		if (ref(n->a, &a) < 0)
			return -1;
		if (a.t == VAL_DBL)
			*v = val_dbl(fabs(a.u.d));
		else if (a.u.i == INT64_MIN)
			return -1;
		else
			*v = val_int(a.u.i < 0 ? -a.u.i : a.u.i);
		return 0;
	case N_MIN:
	case N_MAX:
		if (ref(n->a, &a) < 0 || ref(n->b, &b) < 0)
			return -1;
		if (a.t == VAL_INT && b.t == VAL_INT)
			c = n->kind == N_MIN ? b.u.i < a.u.i : b.u.i > a.u.i;
		else
			c = n->kind == N_MIN ? val_num(&b) < val_num(&a) :
			    val_num(&b) > val_num(&a);
		*v = c ? b : a;
		return 0;
	default:
		break;
	}

	if (ref(n->a, &a) < 0)
		return -1;
	if (n->op == B_AND || n->op == B_OR) {
		if (val_truth(&a) == (n->op == B_OR)) {
			*v = val_int(n->op == B_OR);
			return 0;
		}
		if (ref(n->b, &b) < 0)
			return -1;
		*v = val_int(val_truth(&b));
		return 0;
	}
	if (ref(n->b, &b) < 0)
		return -1;
	if (a.t == VAL_INT && b.t == VAL_INT) {
		x = a.u.i;
		y = b.u.i;
		switch (n->op) {
		case B_MUL:
			if (__builtin_mul_overflow(x, y, &x))
				return -1;
			break;
		case B_DIV:
		case B_MOD:
			if (y == 0 || (x == INT64_MIN && y == -1))
				return -1;
			x = n->op == B_DIV ? x / y : x % y;
			break;
		case B_ADD:
			if (__builtin_add_overflow(x, y, &x))
				return -1;
			break;
		case B_SUB:
			if (__builtin_sub_overflow(x, y, &x))
				return -1;
			break;
		case B_SHL:
			if (y < 0 || y > 63)
				return -1;
			x = (int64_t)((uint64_t)x << y);
			break;
		case B_SHR:
			if (y < 0 || y > 63)
				return -1;
			x >>= y;
			break;
		case B_LT: x = x < y; break;
		case B_LE: x = x <= y; break;
		case B_GT: x = x > y; break;
		case B_GE: x = x >= y; break;
		case B_EQ: x = x == y; break;
		case B_NE: x = x != y; break;
		case B_BAND: x &= y; break;
		case B_BXOR: x ^= y; break;
		case B_BOR: x |= y; break;
		}
		*v = val_int(x);
		return 0;
	}
	p = val_num(&a);
	q = val_num(&b);
	switch (n->op) {
	case B_MUL: p *= q; break;
	case B_DIV:
		if (q == 0)
			return -1;
		p /= q;
		break;
	case B_MOD:
		if (q == 0)
			return -1;
		p = fmod(p, q);
		break;
	case B_ADD: p += q; break;
	case B_SUB: p -= q; break;
	case B_LT: *v = val_int(p < q); return 0;
	case B_LE: *v = val_int(p <= q); return 0;
	case B_GT: *v = val_int(p > q); return 0;
	case B_GE: *v = val_int(p >= q); return 0;
	case B_EQ: *v = val_int(p == q); return 0;
	case B_NE: *v = val_int(p != q); return 0;
	default:
		return -1;		/* bitwise and shifts take integers */
	}
	if (!isfinite(p))
		return -1;
	*v = val_dbl(p);
	return 0;
}

static void
test_stress(void)
{
	static const int64_t vals[] = { 0, 1, -1, 2, 3, -5, 7, 64, 1000 };
	static char buf[1 << 20];
	struct node *n;
	struct expr *e;
	struct val want, got;
	char err[256];
	size_t len;
	int i, k, rw, rg, nerr = 0, ndbl = 0, bad = 0;

	for (i = 0; i < 20000; i++) {
		n = gen(1 + rnd(7));
		len = 0;
		print(buf, &len, n, 0);
		if ((e = parse(buf, err, sizeof(err))) == NULL) {
			failf(__LINE__, "%s: %s", buf, err);
			freenode(n);
			continue;
		}
		for (k = 0; k < 4; k++) {
			slots[X] = val_int(vals[rnd(9)]);
			slots[Y] = rnd(4) == 0 ? val_dbl(vals[rnd(9)] / 2.0) :
			    val_int(vals[rnd(9)]);
			slots[Z] = val_int(vals[rnd(9)] * 3);
			rw = ref(n, &want);
			rg = expr_eval(e, slots, &got, err, sizeof(err));
			if (rw == 0 && want.t == VAL_DBL)
				ndbl++;
			nerr += rw < 0;
			if (rw != rg || (rw == 0 && (want.t != got.t ||
			    (want.t == VAL_INT && want.u.i != got.u.i) ||
			    (want.t == VAL_DBL && want.u.d != got.u.d)))) {
				if (bad++ < 10)
					failf(__LINE__, "%s with x=%g y=%g "
					    "z=%g: got %d %g (%s), expected "
					    "%d %g", buf, val_num(&slots[X]),
					    val_num(&slots[Y]),
					    val_num(&slots[Z]), rg,
					    rg == 0 ? val_num(&got) : 0,
					    rg == 0 ? "" : err, rw,
					    rw == 0 ? val_num(&want) : 0);
				else
					check_failed++;
			} else
				pass();
		}
		expr_free(e);
		freenode(n);
	}
	/* The stress is only worth its time if it reaches every outcome. */
	CHECK(nerr > 1000);
	CHECK(ndbl > 1000);
	reset_slots();
}

int
main(void)
{
	reset_slots();
	RUN(test_literals);
	RUN(test_hex);
	RUN(test_precedence);
	RUN(test_against_c);
	RUN(test_int_and_double);
	RUN(test_comparisons_give_int);
	RUN(test_short_circuit);
	reset_slots();
	RUN(test_eval_errors);
	RUN(test_parse_errors);
	RUN(test_deep_nesting);
	RUN(test_functions);
	RUN(test_strings);
	RUN(test_folding);
	RUN(test_slots);
	RUN(test_names);
	RUN(test_source);
	RUN(test_val_helpers);
	RUN(test_stress);
	return check_done("test_expr");
}
