/*
 * Unit tests of importance: an additive function's shares and marginals
 * come out exactly from the whole space and nearly so through the
 * process, a pure interaction is all pair and no main effect, a
 * parameter with one value explains nothing, bad input is refused, the
 * same seed gives the same figures, the noise of small cells does not
 * make a pair out of nothing, failures narrow the sample to where
 * configurations work, a space too large to list is sampled by draws,
 * and the process fitted to a few points ranks the parameters as the
 * data of the whole space do.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "importance.h"
#include "rng.h"

static char dir[] = "/tmp/test_importance.XXXXXX";

#include "study.h"

/* Every valid configuration of sp, in order, and how many. */
static space_idx *
all_of(struct space *sp, size_t *n)
{
	space_idx *c;

	if (!space_materialize(sp, 1000000))
		return NULL;
	*n = sp->nlist;
	c = malloc(*n * sp->np * sizeof(*c));
	memcpy(c, sp->list, *n * sp->np * sizeof(*c));
	return c;
}

static double
num(const struct space *sp, const space_idx *cfg, size_t i)
{
	return json_number_value(sp->spec->params[i].values[cfg[i]]);
}

static const char additive[] =
    "{\"name\":\"add\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3],\"D\":[5],\"B\":[0,1,2],\"C\":[0,1]}}";

/* f = a + 2 b: Var(a) = 5/4, Var(2 b) = 8/3, C and D nothing. */
static void
test_additive_exact(void)
{
	struct spec spec;
	struct space sp;
	struct importance imp;
	struct ar_err err;
	space_idx *c;
	double *y, v = 5.0 / 4 + 8.0 / 3;
	size_t n, t;

	load(&spec, &sp, additive);
	c = all_of(&sp, &n);
	CHECK_INT(n, 24);
	y = malloc(n * sizeof(*y));
	for (t = 0; t < n; t++)
		y[t] = num(&sp, c + t * 4, 0) + 2 * num(&sp, c + t * 4, 2);
	CHECK_INT(importance_data(&sp, c, y, n, &imp, &err), 0);
	CHECK_INT(imp.np, 4);
	CHECK_INT(imp.nsample, 24);
	CHECK_DBL(imp.total, v, 1e-12);
	CHECK_DBL(imp.main[0], 5.0 / 4 / v, 1e-12);
	CHECK_DBL(imp.main[1], 0, 0);
	CHECK_DBL(imp.main[2], 8.0 / 3 / v, 1e-12);
	CHECK_DBL(imp.main[3], 0, 1e-12);
	CHECK_DBL(imp.pair, 0, 1e-12);
	CHECK_INT(imp.pi, 4);
	CHECK_INT(imp.pj, 4);
	/* f_A(a) = a + 2 E[b] = a + 2; D's one value sees the mean. */
	for (t = 0; t < 4; t++)
		CHECK_DBL(imp.marg[0][t], t + 2.0, 1e-12);
	CHECK_DBL(imp.marg[1][0], 1.5 + 2, 1e-12);
	importance_release(&imp);
	CHECK(imp.main == NULL && imp.marg == NULL);

	/* The process over the whole space, from every point: it
	 * interpolates, so the shares are the data's. */
	CHECK_INT(importance_gp(&sp, c, y, n, 100, 1, &imp, &err), 0);
	CHECK_INT(imp.nsample, 24);
	CHECK_DBL(imp.main[0], 5.0 / 4 / v, 0.01);
	CHECK_DBL(imp.main[2], 8.0 / 3 / v, 0.01);
	CHECK_DBL(imp.main[1], 0, 0);
	CHECK_DBL(imp.main[3], 0, 0.01);
	CHECK(imp.pair < 0.01);
	importance_release(&imp);
	free(y);
	free(c);
	space_release(&sp);
	spec_release(&spec);
}

static const char xorspace[] =
    "{\"name\":\"xor\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"C\":[0,1,2],\"A\":[0,1],\"B\":[0,1]}}";

/* f = a xor b: neither alone says anything, the two together all. */
static void
test_pure_interaction(void)
{
	struct spec spec;
	struct space sp;
	struct importance imp;
	struct ar_err err;
	space_idx *c;
	double *y;
	size_t n, t;

	load(&spec, &sp, xorspace);
	c = all_of(&sp, &n);
	y = malloc(n * sizeof(*y));
	for (t = 0; t < n; t++)
		y[t] = (int)num(&sp, c + t * 3, 1) ^ (int)num(&sp, c + t * 3, 2);
	CHECK_INT(importance_data(&sp, c, y, n, &imp, &err), 0);
	for (t = 0; t < 3; t++)
		CHECK_DBL(imp.main[t], 0, 1e-12);
	CHECK_DBL(imp.pair, 1, 1e-12);
	CHECK_INT(imp.pi, 1);
	CHECK_INT(imp.pj, 2);
	importance_release(&imp);
	free(y);
	free(c);
	space_release(&sp);
	spec_release(&spec);
}

static void
test_refusals(void)
{
	struct spec spec;
	struct space sp;
	struct importance imp;
	struct ar_err err;
	space_idx c[3 * 4] = { 0, 0, 0, 0, 1, 0, 1, 1, 2, 0, 2, 0 };
	double y[3] = { 1, NAN, 2 }, bad[2] = { 1, INFINITY };

	load(&spec, &sp, additive);
	CHECK_INT(importance_data(&sp, c, y, 1, &imp, &err), -1);
	CHECK(strstr(err.msg, "at least 2") != NULL);
	CHECK(imp.main == NULL);
	importance_release(&imp);
	/* Two points, one failed: one ok is too few as well. */
	CHECK_INT(importance_gp(&sp, c, y, 2, 0, 1, &imp, &err), -1);
	CHECK(strstr(err.msg, "at least 2") != NULL);
	CHECK_INT(importance_data(&sp, c, bad, 2, &imp, &err), -1);
	CHECK(strstr(err.msg, "infinite") != NULL);
	c[1] = 1;		/* D has one value: index 1 is out */
	CHECK_INT(importance_gp(&sp, c, y, 3, 0, 1, &imp, &err), -1);
	CHECK(strstr(err.msg, "\"D\"") != NULL);
	c[1] = 0;
	/* With the failure left out, two ok points are enough. */
	CHECK_INT(importance_data(&sp, c, y, 3, &imp, &err), 0);
	CHECK_INT(imp.nsample, 2);
	importance_release(&imp);
	space_release(&sp);
	spec_release(&spec);
}

/* Five parameters of 8 values: shares 0.27, 0.37, 0.19 and 0.06 for
 * the first four, the fifth nothing, and A and B interacting (0.11
 * beyond their main effects). */
static const char five[] =
    "{\"name\":\"five\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3,4,5,6,7],\"B\":[0,1,2,3,4,5,6,7],"
    "\"C\":[0,1,2,3,4,5,6,7],\"D\":[0,1,2,3,4,5,6,7],"
    "\"E\":[0,1,2,3,4,5,6,7]}}";

static double
five_f(const struct space *sp, const space_idx *cfg)
{
	double a = num(sp, cfg, 0), b = num(sp, cfg, 1), c = num(sp, cfg, 2);
	double d = num(sp, cfg, 3);

	return 3 * sin(a / 2.5) + 0.5 * b + 0.05 * c * c + 0.2 * d +
	    0.12 * (a - 3.5) * (b - 3.5);
}

/* n random configurations of sp and their f, drawn with seed. */
static void
draw(struct space *sp, size_t n, uint64_t seed, space_idx *c, double *y,
    double (*f)(const struct space *, const space_idx *))
{
	struct rng r;
	size_t t;

	rng_seed(&r, seed);
	for (t = 0; t < n; t++) {
		space_sample(sp, &r, c + t * sp->np, 1000);
		y[t] = f(sp, c + t * sp->np);
	}
}

/* The order of the parameters by share, largest first. */
static void
order(const struct importance *imp, size_t *o)
{
	size_t i, j, k;

	for (i = 0; i < imp->np; i++)
		o[i] = i;
	for (i = 1; i < imp->np; i++)
		for (j = i; j > 0 && imp->main[o[j]] > imp->main[o[j - 1]];
		    j--) {
			k = o[j];
			o[j] = o[j - 1];
			o[j - 1] = k;
		}
}

static void
test_partial_ranks_like_whole(void)
{
	struct spec spec;
	struct space sp;
	struct importance whole, part;
	struct ar_err err;
	space_idx *c, pc[80 * 5];
	double *y, py[80];
	size_t n, t, ow[5], op[5];

	load(&spec, &sp, five);
	c = all_of(&sp, &n);
	CHECK_INT(n, 32768);
	y = malloc(n * sizeof(*y));
	for (t = 0; t < n; t++)
		y[t] = five_f(&sp, c + t * 5);
	CHECK_INT(importance_data(&sp, c, y, n, &whole, &err), 0);
	draw(&sp, 80, 7, pc, py, five_f);
	CHECK_INT(importance_gp(&sp, pc, py, 80, 4000, 3, &part, &err), 0);
	CHECK_INT(part.nsample, 4000);
	order(&whole, ow);
	order(&part, op);
	for (t = 0; t < 5; t++)
		CHECK_INT(op[t], ow[t]);
	CHECK_INT(ow[0], 1);
	CHECK_INT(ow[1], 0);
	CHECK_INT(ow[4], 4);
	CHECK_DBL(whole.main[1], 0.3668, 0.0001);
	CHECK_DBL(whole.pair, 0.1109, 0.0001);
	CHECK_DBL(part.pair, whole.pair, 0.03);
	for (t = 0; t < 5; t++)
		CHECK_DBL(part.main[t], whole.main[t], 0.05);
	/* A and B are the pair, here as there. */
	CHECK_INT(whole.pi, 0);
	CHECK_INT(whole.pj, 1);
	CHECK_INT(part.pi, 0);
	CHECK_INT(part.pj, 1);
	importance_release(&part);
	importance_release(&whole);
	free(y);
	free(c);
	space_release(&sp);
	spec_release(&spec);
}

static void
test_deterministic(void)
{
	struct spec spec;
	struct space sp;
	struct importance a, b;
	struct ar_err err;
	space_idx pc[60 * 5];
	double py[60];
	size_t i, k;

	load(&spec, &sp, five);
	draw(&sp, 60, 11, pc, py, five_f);
	CHECK_INT(importance_gp(&sp, pc, py, 60, 3000, 5, &a, &err), 0);
	CHECK_INT(importance_gp(&sp, pc, py, 60, 3000, 5, &b, &err), 0);
	CHECK(a.total == b.total && a.pair == b.pair && a.pi == b.pi);
	for (i = 0; i < 5; i++) {
		CHECK(memcmp(&a.main[i], &b.main[i], sizeof(double)) == 0);
		for (k = 0; k < 8; k++)
			CHECK(memcmp(&a.marg[i][k], &b.marg[i][k],
			    sizeof(double)) == 0);
	}
	importance_release(&b);
	/* Another seed draws another sample, of the same function. */
	CHECK_INT(importance_gp(&sp, pc, py, 60, 3000, 6, &b, &err), 0);
	CHECK(a.total != b.total);
	for (i = 0; i < 5; i++)
		CHECK_DBL(a.main[i], b.main[i], 0.02);
	importance_release(&b);
	importance_release(&a);
	space_release(&sp);
	spec_release(&spec);
}

/*
 * f = a + b + 4 c over 16^3 values, no interaction at all: the 256 cells
 * of A and B hold 8 samples each of 2,000, and c's variance within them
 * would add about 0.11 to their share if the noise were not taken off.
 * From 2,000 points, more than the process is fitted to.
 */
static const char sixteen[] =
    "{\"name\":\"sixteen\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],"
    "\"B\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],"
    "\"C\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}}";

static double
sixteen_f(const struct space *sp, const space_idx *cfg)
{
	return num(sp, cfg, 0) + num(sp, cfg, 1) + 4 * num(sp, cfg, 2);
}

static void
test_small_cells_make_no_pair(void)
{
	struct spec spec;
	struct space sp;
	struct importance imp;
	struct ar_err err;
	space_idx *c = malloc(2000 * 3 * sizeof(*c));
	double *y = malloc(2000 * sizeof(*y));

	load(&spec, &sp, sixteen);
	draw(&sp, 2000, 1, c, y, sixteen_f);
	CHECK_INT(importance_gp(&sp, c, y, 2000, 2000, 2, &imp, &err), 0);
	CHECK_INT(imp.nsample, 2000);
	CHECK(imp.pair < 0.02);
	CHECK_DBL(imp.main[0], 1.0 / 18, 0.02);
	CHECK_DBL(imp.main[2], 16.0 / 18, 0.03);
	importance_release(&imp);
	free(y);
	free(c);
	space_release(&sp);
	spec_release(&spec);
}

/*
 * Configurations with a >= 4 fail; where they work, f = b.  The sample
 * keeps to the half that works, over which A explains nothing.
 */
static const char halves[] =
    "{\"name\":\"halves\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3,4,5,6,7],\"B\":[0,1,2,3,4,5,6,7]}}";

static double
halves_f(const struct space *sp, const space_idx *cfg)
{
	return num(sp, cfg, 0) >= 4 ? NAN : num(sp, cfg, 1);
}

static void
test_failures_narrow_the_sample(void)
{
	struct spec spec;
	struct space sp;
	struct importance imp;
	struct ar_err err;
	space_idx *c;
	double *y;
	size_t n, t;

	load(&spec, &sp, halves);
	c = all_of(&sp, &n);
	y = malloc(n * sizeof(*y));
	for (t = 0; t < n; t++)
		y[t] = halves_f(&sp, c + t * 2);
	CHECK_INT(importance_data(&sp, c, y, n, &imp, &err), 0);
	CHECK_INT(imp.nsample, 32);
	CHECK_DBL(imp.main[0], 0, 1e-12);
	CHECK_DBL(imp.main[1], 1, 1e-12);
	CHECK(isnan(imp.marg[0][5]));
	importance_release(&imp);
	CHECK_INT(importance_gp(&sp, c, y, n, 0, 1, &imp, &err), 0);
	CHECK(imp.nsample >= 28 && imp.nsample <= 36);
	CHECK(imp.main[0] < 0.05);
	CHECK(imp.main[1] > 0.9);
	importance_release(&imp);
	free(y);
	free(c);
	space_release(&sp);
	spec_release(&spec);
}

/* 10^8 combinations, too many to list: the sample is drawn. */
static const char huge[] =
    "{\"name\":\"huge\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3,4,5,6,7,8,9],\"B\":[0,1,2,3,4,5,6,7,8,9],"
    "\"C\":[0,1,2,3,4,5,6,7,8,9],\"D\":[0,1,2,3,4,5,6,7,8,9],"
    "\"E\":[0,1,2,3,4,5,6,7,8,9],\"F\":[0,1,2,3,4,5,6,7,8,9],"
    "\"G\":[0,1,2,3,4,5,6,7,8,9],\"H\":[0,1,2,3,4,5,6,7,8,9]},"
    "\"constraints\":[\"A + H <= 12\"]}";

static double
huge_f(const struct space *sp, const space_idx *cfg)
{
	return num(sp, cfg, 0) + 2 * num(sp, cfg, 1);
}

static void
test_unlisted_space(void)
{
	struct spec spec;
	struct space sp;
	struct importance imp;
	struct ar_err err;
	space_idx c[150 * 8];
	double y[150];
	size_t i;

	load(&spec, &sp, huge);
	draw(&sp, 150, 3, c, y, huge_f);
	CHECK_INT(importance_gp(&sp, c, y, 150, 3000, 1, &imp, &err), 0);
	CHECK(sp.list == NULL);
	CHECK_INT(imp.nsample, 3000);
	/* Under the constraint A's variance is 7.15 and 2 B's 33; H
	 * bounds A, so that E[f | H] moves too (0.023 of the whole). */
	CHECK_DBL(imp.main[0], 0.178, 0.05);
	CHECK_DBL(imp.main[1], 0.822, 0.05);
	CHECK_DBL(imp.main[7], 0.023, 0.015);
	for (i = 2; i < 7; i++)
		CHECK(imp.main[i] < 0.01);
	importance_release(&imp);
	space_release(&sp);
	spec_release(&spec);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_additive_exact);
	RUN(test_pure_interaction);
	RUN(test_refusals);
	RUN(test_partial_ranks_like_whole);
	RUN(test_deterministic);
	RUN(test_small_cells_make_no_pair);
	RUN(test_failures_narrow_the_sample);
	RUN(test_unlisted_space);
	unload_dir(NULL, 0);
	return check_done("test_importance");
}
