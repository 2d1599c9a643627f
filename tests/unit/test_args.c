/*
 * Unit tests of args (the study's arguments as typed buffers): loading
 * and its refusals, shapes from expressions, fills, poison and the
 * comparison with the reference; and of the small pure helpers of measure
 * that ar-bench's records rest on (statistics, the tail of a message).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "check.h"
#include "measure.h"
#include "spec.h"

static char dir[] = "/tmp/test_args.XXXXXX";

/* Loads a study whose "args" (and anything else) are given as the JSON
 * members after the fixed ones. */
static int
load(struct spec *s, struct args *a, const char *members, struct ar_err *err)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/k.c", dir);
	f = fopen(path, "w");
	fputs("void k(void) {}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	f = fopen(path, "w");
	fprintf(f, "{\"name\": \"t\", \"backend\": \"c\", \"source\": \"k.c\", "
	    "\"entry\": \"k\", \"problem\": {\"N\": 100}, "
	    "\"params\": {\"T\": [1, 2, 4]}, %s}\n", members);
	fclose(f);
	if (spec_load(s, path, NULL, 0, err) != 0)
		return -1;
	return args_load(a, s, err);
}

/* Expects members to be refused with a message containing want. */
static void
refused(const char *members, const char *want)
{
	struct spec s;
	struct args a;
	struct ar_err err;

	memset(&a, 0, sizeof(a));
	CHECK_INT(load(&s, &a, members, &err), -1);
	if (strstr(err.msg, want) == NULL) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, want);
		CHECK(0);
	}
	args_release(&a);
	spec_release(&s);
}

static const char good[] =
    "\"args\": ["
    "{\"name\": \"A\", \"type\": \"float32[]\", \"size\": \"N * T\"},"
    "{\"name\": \"B\", \"type\": \"int64[]\", \"size\": 3, \"init\": \"zero\"},"
    "{\"name\": \"C\", \"type\": \"float64[]\", \"size\": \"N\", "
    "\"output\": true},"
    "{\"name\": \"D\", \"type\": \"int32[]\", \"size\": 2, \"init\": 7},"
    "{\"name\": \"n\", \"type\": \"int32\", \"value\": \"N / T\"},"
    "{\"name\": \"x\", \"type\": \"float64\", \"value\": 0.25}]";

/* Slots for T = t: parameters then constants, as spec.h numbers them. */
static void
slots_for(struct val *sl, int64_t t)
{
	sl[0] = val_int(t);
	sl[1] = val_int(100);
}

static void
test_load(void)
{
	struct spec s;
	struct args a;
	struct ar_err err;

	CHECK_INT(load(&s, &a, good, &err), 0);
	CHECK_INT(a.n, 6);
	CHECK_INT(a.noutputs, 1);
	CHECK_STR(a.arg[0].name, "A");
	CHECK_INT(a.arg[0].type, ARGS_F32);
	CHECK_INT(a.arg[0].array, 1);
	CHECK_INT(a.arg[0].init, ARGS_INIT_RANDOM);	/* the default */
	CHECK_INT(a.arg[1].init, ARGS_INIT_ZERO);
	CHECK_INT(a.arg[2].output, 1);
	CHECK_INT(a.arg[2].init, ARGS_INIT_NONE);
	CHECK_INT(a.arg[3].init, ARGS_INIT_VALUE);
	CHECK_DBL(a.arg[3].initval, 7, 0);
	CHECK_INT(a.arg[4].array, 0);
	CHECK_INT(a.arg[4].type, ARGS_I32);
	CHECK_STR(args_typename(ARGS_I64, 1), "int64[]");
	CHECK_STR(args_typename(ARGS_F32, 0), "float32");
	CHECK_INT(args_elemsize(ARGS_F32), 4);
	CHECK_INT(args_elemsize(ARGS_I64), 8);
	args_release(&a);
	spec_release(&s);

	/* No args at all: a kernel of no arguments. */
	CHECK_INT(load(&s, &a, "\"bench\": {}", &err), 0);
	CHECK_INT(a.n, 0);
	args_release(&a);
	spec_release(&s);
}

static void
test_refusals(void)
{
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float16[]\", "
	    "\"size\": 1}]", "key \"args[0].type\": unknown type 'float16[]'");
	refused("\"args\": [{\"name\": \"n\", \"type\": \"int32\", "
	    "\"value\": 1, \"output\": true}]",
	    "key \"args[0].output\": a scalar cannot be an output");
	refused("\"args\": [{\"name\": \"C\", \"type\": \"float32[]\", "
	    "\"size\": 1, \"output\": true, \"init\": \"random\"}]",
	    "an output is poisoned before every run");
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": 1}, {\"name\": \"A\", \"type\": \"int32\", "
	    "\"value\": 1}]", "key \"args[1].name\": 'A' is given twice");
	refused("\"args\": [{\"name\": \"n\", \"type\": \"int32\", "
	    "\"size\": 1, \"value\": 1}]", "a scalar has a \"value\"");
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float32[]\"}]",
	    "key \"args[0].size\": missing");
	refused("\"args\": [{\"name\": \"n\", \"type\": \"int32\"}]",
	    "key \"args[0].value\": missing");
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": 1, \"fill\": 1}]", "key \"args[0].fill\": unknown key");
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": 1, \"init\": \"ones\"}]",
	    "expected \"random\", \"zero\" or a number");
	refused("\"args\": [{\"name\": \"A\", \"type\": \"int32[]\", "
	    "\"size\": 1, \"init\": 1.5}]", "1.5 is not an integer");
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": 1, \"output\": 1}]", "expected a boolean");
	/* spec.c checks the names of an expression already. */
	refused("\"args\": [{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"M\"}]", "unknown name 'M'");
}

static void
test_shape(void)
{
	struct spec s;
	struct args a;
	struct args_shape sh, sh2, sh4;
	struct ar_err err;
	struct val sl[2];

	CHECK_INT(load(&s, &a, good, &err), 0);
	slots_for(sl, 2);
	CHECK_INT(args_shape(&a, sl, &sh, &err), 0);
	CHECK_INT(sh.count[0], 200);
	CHECK_INT(sh.count[1], 3);
	CHECK_INT(sh.count[2], 100);
	CHECK_INT(sh.count[4], 0);
	CHECK_INT(sh.value[4].i32, 50);
	CHECK_DBL(sh.value[5].f64, 0.25, 0);
	/* Inputs: 200 floats, 3 int64, 2 int32; outputs 100 doubles. */
	CHECK_INT(sh.in_bytes, 200 * 4 + 3 * 8 + 2 * 4);
	CHECK_INT(sh.out_bytes, 100 * 8);

	args_shape_copy(&sh2, &sh);
	CHECK(args_shape_equal(&sh, &sh2));
	slots_for(sl, 4);
	CHECK_INT(args_shape(&a, sl, &sh4, &err), 0);
	CHECK(!args_shape_equal(&sh, &sh4));
	CHECK_INT(sh4.value[4].i32, 25);
	args_shape_release(&sh);
	args_shape_release(&sh2);
	args_shape_release(&sh4);
	args_release(&a);
	spec_release(&s);
}

/* The shape of one argument given as JSON members; 0 or -1 with err. */
static int
one_shape(const char *arg, int64_t t, struct args_shape *sh,
    struct ar_err *err)
{
	char members[512];
	struct spec s;
	struct args a;
	struct val sl[2];
	int rc;

	snprintf(members, sizeof(members), "\"args\": [%s]", arg);
	if (load(&s, &a, members, err) != 0) {
		fprintf(stderr, "load: %s\n", err->msg);
		CHECK(0);
		return -2;
	}
	slots_for(sl, t);
	rc = args_shape(&a, sl, sh, err);
	args_release(&a);
	spec_release(&s);
	return rc;
}

static void
shape_fails(const char *arg, int64_t t, const char *want)
{
	struct args_shape sh;
	struct ar_err err;

	CHECK_INT(one_shape(arg, t, &sh, &err), -1);
	if (strstr(err.msg, want) == NULL) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, want);
		CHECK(0);
	}
}

static void
test_bad_shapes(void)
{
	struct args_shape sh;
	struct ar_err err;

	shape_fails("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"T - 2\"}", 2,
	    "size of 'A' is 0, not a positive integer");
	shape_fails("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"T - 4\"}", 2, "size of 'A' is -2, not a positive");
	shape_fails("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"N / 8.0\"}", 1, "size of 'A' is 12.5, not a positive");
	shape_fails("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"N / (T - 1)\"}", 1,
	    "size of 'A': division by zero in 'N / (T - 1)'");
	shape_fails("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"pow(2, 31) + T - 1\"}", 2,
	    "size of 'A' is 2147483649, more than the 2147483648 elements");
	shape_fails("{\"name\": \"n\", \"type\": \"int32\", "
	    "\"value\": \"pow(2, 31)\"}", 1, "value of 'n' is 2147483648, "
	    "not an integer of type int32");
	shape_fails("{\"name\": \"n\", \"type\": \"int64\", "
	    "\"value\": \"N / 3.0\"}", 1, "not an integer");
	shape_fails("{\"name\": \"x\", \"type\": \"float32\", "
	    "\"value\": \"1e39\"}", 1, "out of the range of float32");

	/* The largest size allowed, and a real with an integer value. */
	CHECK_INT(one_shape("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"pow(2, 31)\"}", 1, &sh, &err), 0);
	CHECK_INT(sh.count[0], ARGS_MAX_COUNT);
	args_shape_release(&sh);
	CHECK_INT(one_shape("{\"name\": \"A\", \"type\": \"float32[]\", "
	    "\"size\": \"N / 4.0\"}", 1, &sh, &err), 0);
	CHECK_INT(sh.count[0], 25);
	args_shape_release(&sh);
	CHECK_INT(one_shape("{\"name\": \"n\", \"type\": \"int64\", "
	    "\"value\": \"-pow(2, 40)\"}", 1, &sh, &err), 0);
	CHECK_INT(sh.value[0].i64, -(1LL << 40));
	args_shape_release(&sh);
}

static void
test_fill(void)
{
	struct args_arg f = { .type = ARGS_F32, .array = 1,
	    .init = ARGS_INIT_RANDOM };
	struct args_arg d = { .type = ARGS_F64, .array = 1,
	    .init = ARGS_INIT_RANDOM };
	struct args_arg i32 = { .type = ARGS_I32, .array = 1,
	    .init = ARGS_INIT_RANDOM };
	struct args_arg i64 = { .type = ARGS_I64, .array = 1,
	    .init = ARGS_INIT_VALUE, .initval = -3 };
	struct args_arg z = { .type = ARGS_F64, .array = 1,
	    .init = ARGS_INIT_ZERO };
	float fa[1000], fb[1000];
	double da[1000];
	int32_t ia[1000];
	int64_t la[10];
	int neg = 0, k, same = 1, in = 1, ints = 1;
	int fneg = 0;

	args_fill(&f, fa, 1000, args_seed(7, 0, 0));
	args_fill(&f, fb, 1000, args_seed(7, 0, 0));
	CHECK(memcmp(fa, fb, sizeof(fa)) == 0);	/* same seed, same data */
	args_fill(&f, fb, 1000, args_seed(7, 1, 0));
	CHECK(memcmp(fa, fb, sizeof(fa)) != 0);	/* another set */
	args_fill(&f, fb, 1000, args_seed(7, 0, 1));
	CHECK(memcmp(fa, fb, sizeof(fa)) != 0);	/* another argument */
	args_fill(&f, fb, 1000, args_seed(8, 0, 0));
	CHECK(memcmp(fa, fb, sizeof(fa)) != 0);	/* another seed */
	for (k = 0; k < 1000; k++) {
		in &= fa[k] >= -1 && fa[k] <= 1;
		fneg += fa[k] < 0;
	}
	CHECK(in);
	CHECK(fneg > 400 && fneg < 600);

	args_fill(&d, da, 1000, 1);
	for (k = 0, in = 1; k < 1000; k++)
		in &= da[k] >= -1 && da[k] < 1;
	CHECK(in);

	args_fill(&i32, ia, 1000, 1);
	for (k = 0; k < 1000; k++) {
		ints &= ia[k] >= -100 && ia[k] <= 100;
		neg += ia[k] < 0;
	}
	CHECK(ints);
	CHECK(neg > 400 && neg < 600);

	args_fill(&i64, la, 10, 1);
	for (k = 0; k < 10; k++)
		same &= la[k] == -3;
	CHECK(same);
	da[0] = 5;
	args_fill(&z, da, 1000, 1);
	for (k = 0, same = 1; k < 1000; k++)
		same &= da[k] == 0;
	CHECK(same);
}

static void
test_poison(void)
{
	float f[4];
	double d[4];
	int32_t i[4];
	int64_t l[4];

	args_poison(ARGS_F32, f, 4);
	args_poison(ARGS_F64, d, 4);
	args_poison(ARGS_I32, i, 4);
	args_poison(ARGS_I64, l, 4);
	CHECK(isnan(f[0]) && isnan(f[3]));
	CHECK(isnan(d[0]) && isnan(d[3]));
	CHECK_INT(i[3], INT32_MIN);
	CHECK_INT(l[3], INT64_MIN);
}

static void
test_compare(void)
{
	struct args_cmp c = ARGS_CMP_INIT;
	double ref[4] = { 1, 100, 0, -2 };
	double out[4] = { 1, 100, 0, -2 };
	float fref[2] = { 1, 2 }, fout[2] = { 1, 2 };
	int64_t lref[2] = { INT64_MAX, 5 }, lout[2] = { INT64_MAX - 1, 5 };
	int32_t iref[2] = { 3, 4 }, iout[2] = { 3, INT32_MIN };

	/* Equal. */
	CHECK_INT(args_compare(ARGS_F64, out, ref, 4, 1e-4, 1e-5, &c), 0);
	CHECK_INT(c.n, 4);
	CHECK_DBL(c.max_abs, 0, 0);
	CHECK_DBL(c.max_rel, 0, 0);

	/* Within atol + rtol * |ref|: 100 allows 1e-5 + 1e-2. */
	c = (struct args_cmp)ARGS_CMP_INIT;
	out[1] = 100.01;
	out[2] = 1e-5;	/* ref 0: atol alone, exactly at the edge */
	CHECK_INT(args_compare(ARGS_F64, out, ref, 4, 1e-4, 1e-5, &c), 0);
	CHECK_DBL(c.max_abs, 0.01, 1e-9);
	/* max_rel skips the element whose reference is 0. */
	CHECK_DBL(c.max_rel, 1e-4, 1e-9);

	/* Beyond: the first failure is described. */
	c = (struct args_cmp)ARGS_CMP_INIT;
	out[1] = 100.02;
	out[3] = 2;
	CHECK_INT(args_compare(ARGS_F64, out, ref, 4, 1e-4, 1e-5, &c), 2);
	CHECK_INT(c.nbad, 2);
	CHECK_INT(c.first, 1);
	CHECK_DBL(c.got, 100.02, 1e-9);
	CHECK_DBL(c.want, 100, 0);
	CHECK_DBL(c.max_abs, 4, 0);
	CHECK_DBL(c.max_rel, 2, 0);
	CHECK_INT(c.nonfinite, 0);

	/* NaN fails, on either side; the same infinity passes. */
	c = (struct args_cmp)ARGS_CMP_INIT;
	fout[0] = NAN;
	CHECK_INT(args_compare(ARGS_F32, fout, fref, 2, 1, 1, &c), 1);
	CHECK_INT(c.nonfinite, 1);
	CHECK(isnan(c.got));
	c = (struct args_cmp)ARGS_CMP_INIT;
	fout[0] = 1;
	fref[1] = NAN;
	fout[1] = NAN;
	CHECK_INT(args_compare(ARGS_F32, fout, fref, 2, 1, 1, &c), 1);
	c = (struct args_cmp)ARGS_CMP_INIT;
	fref[1] = INFINITY;
	fout[1] = INFINITY;
	CHECK_INT(args_compare(ARGS_F32, fout, fref, 2, 0, 0, &c), 0);
	fout[1] = -INFINITY;
	CHECK_INT(args_compare(ARGS_F32, fout, fref, 2, 0, 0, &c), 1);

	/* Poison left in an output never passes. */
	c = (struct args_cmp)ARGS_CMP_INIT;
	CHECK_INT(args_compare(ARGS_I32, iout, iref, 2, 1e-4, 1e-5, &c), 1);
	CHECK_INT(c.first, 1);

	/* int64 far from 0: 1 apart, though the doubles are equal. */
	c = (struct args_cmp)ARGS_CMP_INIT;
	CHECK_INT(args_compare(ARGS_I64, lout, lref, 2, 0, 0.5, &c), 1);
	CHECK(c.max_abs >= 1);

	/* The comparison accumulates over calls. */
	c = (struct args_cmp)ARGS_CMP_INIT;
	args_compare(ARGS_F64, ref, ref, 4, 0, 0, &c);
	args_compare(ARGS_F64, out, ref, 4, 1e-4, 1e-5, &c);
	CHECK_INT(c.n, 8);
	CHECK_INT(c.nbad, 2);
}

static void
test_stats(void)
{
	struct stats st;
	double t[] = { 3, 1, 2, 10 };
	double one[] = { 0.5 };
	char *s;

	stats_summary(t, 4, &st);
	CHECK_INT(st.n, 4);
	CHECK_DBL(st.min, 1, 0);
	CHECK_DBL(st.median, 2.5, 0);
	CHECK_DBL(st.mean, 4, 0);
	CHECK_DBL(st.sd, sqrt((1 + 9 + 4 + 36) / 3.0), 1e-12);
	stats_summary(t, 3, &st);
	CHECK_DBL(st.median, 2, 0);
	stats_summary(one, 1, &st);
	CHECK_DBL(st.sd, 0, 0);
	CHECK_DBL(st.median, 0.5, 0);

	s = measure_tail("a\n\nb\n  c  \n\n", 2);
	CHECK_STR(s, "b; c");
	free(s);
	s = measure_tail("only", 3);
	CHECK_STR(s, "only");
	free(s);
	s = measure_tail("\n \n", 3);
	CHECK_STR(s, "");
	free(s);
}

int
main(void)
{
	char path[256];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_load);
	RUN(test_refusals);
	RUN(test_shape);
	RUN(test_bad_shapes);
	RUN(test_fill);
	RUN(test_poison);
	RUN(test_compare);
	RUN(test_stats);
	rc = check_done("test_args");
	snprintf(path, sizeof(path), "%s/k.c", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}
