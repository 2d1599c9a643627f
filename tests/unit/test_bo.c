/*
 * Unit tests of gp and the bo strategy: the process interpolates and is
 * sure of itself at its data, its likelihood is the textbook one, the
 * expected improvement ranks as it should far into the tail, the fit
 * finds length scales that match the functions, and bo finds the optimum
 * of a small smooth space in far fewer evaluations than random search.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "gp.h"
#include "search.h"
#include "space.h"
#include "spec.h"
#include "strategy.h"

#define PI 3.14159265358979323846

static double
m52(double r)
{
	return (1 + sqrt(5.0) * r + 5.0 / 3 * r * r) * exp(-sqrt(5.0) * r);
}

static void
test_corr_is_matern52(void)
{
	struct gp gp;
	double a[2] = { 0.1, 0.2 }, b[2] = { 0.4, 0.6 };

	gp_init(&gp, 2);
	gp.ls[0] = 0.5;
	gp.ls[1] = 2;
	CHECK_DBL(gp_corr(&gp, a, a), 1, 1e-15);
	CHECK_DBL(gp_corr(&gp, a, b), m52(sqrt(0.36 + 0.04)), 1e-15);
	gp_release(&gp);
}

/* With two points the likelihood and the posterior have closed forms. */
static void
test_two_points_closed_form(void)
{
	struct gp gp;
	double x[2] = { 0, 0.3 }, y[2] = { 1, 3 }, q[1] = { 0.1 };
	double r, g = 0.01, det, e0, e1, a0, a1, s2, lml, r0, r1, mu, var;

	gp_init(&gp, 1);
	gp.ls[0] = 0.4;
	gp.g = g;
	gp_set(&gp, x, y, 2);
	CHECK_INT(gp_factor(&gp), 0);
	r = m52(0.3 / 0.4);
	det = (1 + g) * (1 + g) - r * r;
	e0 = y[0] - 2;
	e1 = y[1] - 2;
	a0 = ((1 + g) * e0 - r * e1) / det;
	a1 = ((1 + g) * e1 - r * e0) / det;
	s2 = (e0 * a0 + e1 * a1) / 2;
	lml = -(log(2 * PI * s2) + 1) - 0.5 * log(det);
	CHECK_DBL(gp.mean, 2, 1e-15);
	CHECK_DBL(gp.sf2, s2, 1e-12);
	CHECK_DBL(gp.lml, lml, 1e-12);
	gp_predict(&gp, q, 1, &mu, &var, NULL);
	r0 = m52(0.1 / 0.4);
	r1 = m52(0.2 / 0.4);
	CHECK_DBL(mu, 2 + r0 * a0 + r1 * a1, 1e-12);
	CHECK_DBL(var, s2 * (1 - ((1 + g) * (r0 * r0 + r1 * r1) -
	    2 * r * r0 * r1) / det), 1e-12);
	gp_release(&gp);
}

static void
test_interpolates_and_is_sure_at_data(void)
{
	struct gp gp;
	double x[6], y[6], mu[6], var[6], v[6 * 6], far[2] = { 0.5, 3 };
	double fmu[2], fvar[2], s;
	size_t i, j;

	for (i = 0; i < 6; i++) {
		x[i] = i / 5.0;
		y[i] = sin(3 * x[i]) + 2;
	}
	gp_init(&gp, 1);
	gp.ls[0] = 0.3;
	gp.g = 1e-8;
	gp_set(&gp, x, y, 6);
	CHECK_INT(gp_factor(&gp), 0);
	gp_predict(&gp, x, 6, mu, var, v);
	for (i = 0; i < 6; i++) {
		CHECK_DBL(mu[i], y[i], 1e-5);
		CHECK(var[i] < 1e-6 * gp.sf2);
		/* v holds L^-1 r: its squared norm is 1 - var / sf2 */
		s = 0;
		for (j = 0; j < 6; j++)
			s += v[i * 6 + j] * v[i * 6 + j];
		CHECK_DBL(s, 1 - var[i] / gp.sf2, 1e-9);
	}
	/* Between the points it is smooth; far from them it knows nothing. */
	far[0] = 0.5;
	gp_predict(&gp, far, 2, fmu, fvar, NULL);
	CHECK_DBL(fmu[0], sin(1.5) + 2, 0.02);
	CHECK(fvar[0] > var[2] && fvar[0] < 0.05 * gp.sf2);
	CHECK(fvar[1] > 0.999 * gp.sf2);
	CHECK_DBL(fmu[1], gp.mean, 1e-3);
	gp_release(&gp);
}

/* The screening bound: the same mean, never a smaller variance. */
static void
test_bound_holds(void)
{
	struct gp gp;
	double x[40 * 3], y[40], q[200 * 3], mu[200], var[200], bmu[200];
	double bvar[200];
	size_t i, k, tight = 0;
	unsigned st = 99;

	for (i = 0; i < 40 * 3; i++) {
		st = st * 1103515245 + 12345;
		x[i] = (st >> 8 & 0xffff) / 65535.0;
	}
	for (i = 0; i < 200 * 3; i++) {
		st = st * 1103515245 + 12345;
		q[i] = (st >> 8 & 0xffff) / 65535.0;
	}
	for (i = 0; i < 40; i++)
		y[i] = sin(3 * x[i * 3]) + x[i * 3 + 1] * x[i * 3 + 2];
	gp_init(&gp, 3);
	gp_set(&gp, x, y, 40);
	for (k = 0; k < 2; k++) {
		gp.ls[0] = gp.ls[1] = gp.ls[2] = k ? 0.2 : 0.7;
		gp.g = k ? 0.1 : 1e-6;
		CHECK_INT(gp_factor(&gp), 0);
		gp_predict(&gp, q, 200, mu, var, NULL);
		gp_predict_bound(&gp, q, 200, bmu, bvar);
		for (i = 0; i < 200; i++) {
			CHECK_DBL(bmu[i], mu[i], 1e-12);
			CHECK(bvar[i] >= var[i] - 1e-12 * gp.sf2);
			CHECK(bvar[i] <= gp.sf2);
			tight += bvar[i] < 0.9 * gp.sf2;
		}
	}
	/* and it is worth having: most points are well below the prior */
	CHECK(tight > 200);
	gp_release(&gp);
}

/*
 * A fantasy shrinks the variances exactly as refitting the posterior with
 * the point added does (the variances do not depend on the targets;
 * the profiled signal variance does, so both are compared over it).
 */
static void
test_fantasy_is_a_refit(void)
{
	struct gp gp, re;
	struct gp_fantasy f;
	double x[(15 + 2) * 2], y[15 + 2], q[30 * 2], mu[30], var[30];
	size_t i, add[2] = { 3, 17 };
	unsigned st = 5;

	for (i = 0; i < 15 * 2; i++) {
		st = st * 1103515245 + 12345;
		x[i] = (st >> 8 & 0xffff) / 65535.0;
	}
	for (i = 0; i < 30 * 2; i++) {
		st = st * 1103515245 + 12345;
		q[i] = (st >> 8 & 0xffff) / 65535.0;
	}
	for (i = 0; i < 15; i++)
		y[i] = cos(4 * x[i * 2]) * x[i * 2 + 1];
	gp_init(&gp, 2);
	gp.ls[0] = 0.3;
	gp.ls[1] = 0.5;
	gp.g = 0.01;
	gp_set(&gp, x, y, 15);
	CHECK_INT(gp_factor(&gp), 0);
	gp_fantasy_init(&f, &gp, q, 30);
	gp_fantasy_add(&f, add[0]);
	gp_fantasy_add(&f, add[1]);
	CHECK(f.var[add[0]] < 0.02 * gp.sf2);

	gp_init(&re, 2);
	re.ls[0] = 0.3;
	re.ls[1] = 0.5;
	re.g = 0.01;
	for (i = 0; i < 2; i++) {
		x[(15 + i) * 2] = q[add[i] * 2];
		x[(15 + i) * 2 + 1] = q[add[i] * 2 + 1];
		y[15 + i] = f.mu[add[i]];
	}
	gp_set(&re, x, y, 17);
	CHECK_INT(gp_factor(&re), 0);
	gp_predict(&re, q, 30, mu, var, NULL);
	for (i = 0; i < 30; i++)
		CHECK_DBL(f.var[i] / gp.sf2, var[i] / re.sf2, 1e-9);
	gp_fantasy_release(&f);
	gp_release(&re);
	gp_release(&gp);
}

static void
test_logei(void)
{
	double phi1 = exp(-0.5) / sqrt(2 * PI), Phi1 = 0.5 * erfc(-1 /
	    sqrt(2.0)), a, b;

	/* EI of N(1, 1) over 0 is Phi(1) + phi(1); over 2, phi(1) - Phi(-1). */
	CHECK_DBL(gp_logei(1, 1, 0), log(Phi1 + phi1), 1e-12);
	CHECK_DBL(gp_logei(1, 1, 2), log(phi1 - (1 - Phi1)), 1e-10);
	/* The better mean and, at a mean below best, the wider spread win. */
	CHECK(gp_logei(2, 1, 1) > gp_logei(1.5, 1, 1));
	CHECK(gp_logei(0, 2, 1) > gp_logei(0, 1, 1));
	/* Ranked far into the tail, where exp() of it is 0, and smoothly
	 * across the switch to the asymptotic series. */
	a = gp_logei(-40, 1, 0);
	b = gp_logei(-41, 1, 0);
	CHECK(isfinite(a) && isfinite(b) && a > b);
	CHECK(exp(b) == 0);
	CHECK_DBL(gp_logei(-8 + 1e-9, 1, 0), gp_logei(-8 - 1e-9, 1, 0), 1e-5);
	CHECK(gp_logei(-7.99, 1, 0) > gp_logei(-8.01, 1, 0));
	/* No spread: the sure improvement, or none. */
	CHECK_DBL(gp_logei(3, 0, 1), log(2.0), 1e-15);
	CHECK(gp_logei(1, 0, 1) == -HUGE_VAL);
}

/* EI over a fitted process picks the candidate by the peak of the data. */
static void
test_ei_prefers_the_obvious_point(void)
{
	struct gp gp;
	double x[8], y[8], c[3] = { 0.02, 0.55, 0.98 }, mu[3], var[3], best;
	double e[3];
	size_t i;

	for (i = 0; i < 8; i++) {
		x[i] = i / 7.0;
		y[i] = -(x[i] - 0.55) * (x[i] - 0.55);
	}
	gp_init(&gp, 1);
	gp_set(&gp, x, y, 8);
	CHECK_INT(gp_fit(&gp, 0, 0), 0);
	gp_predict(&gp, c, 3, mu, var, NULL);
	best = y[4];
	for (i = 1; i < 8; i++)
		best = y[i] > best ? y[i] : best;
	for (i = 0; i < 3; i++)
		e[i] = gp_logei(mu[i], sqrt(var[i]), best);
	CHECK(e[1] > e[0] && e[1] > e[2]);
	gp_release(&gp);
}

static double
fit_ls(double freq, double noise, int ard, size_t d, double *ls)
{
	struct gp gp;
	double x[60 * 2], y[60], u;
	size_t i, k;
	unsigned st = 12345;

	for (i = 0; i < 60; i++) {
		for (k = 0; k < d; k++) {
			st = st * 1103515245 + 12345;
			x[i * d + k] = (st >> 8 & 0xffff) / 65535.0;
		}
		st = st * 1103515245 + 12345;
		u = (st >> 8 & 0xffff) / 65535.0 - 0.5;
		y[i] = sin(2 * PI * freq * x[i * d]) + noise * u;
	}
	gp_init(&gp, d);
	gp_set(&gp, x, y, 60);
	CHECK_INT(gp_fit(&gp, ard, 0), 0);
	for (k = 0; k < d; k++)
		ls[k] = gp.ls[k];
	u = gp.g;
	gp_release(&gp);
	return u;
}

static void
test_fit_finds_length_scales(void)
{
	double slow[2], fast[2], g0, g1;

	/* A smooth function gets a long length scale, a wiggly one a short
	 * one; noise shows as noise. */
	g0 = fit_ls(0.5, 0, 0, 1, slow);
	fit_ls(4, 0, 0, 1, fast);
	CHECK(slow[0] > 0.2 && slow[0] < 5);
	CHECK(fast[0] > 0.02 && fast[0] < 0.3);
	CHECK(slow[0] > 3 * fast[0]);
	g1 = fit_ls(0.5, 0.5, 0, 1, slow);
	CHECK(g1 > 100 * g0);
	/* ARD: a dimension the function ignores gets a longer scale. */
	fit_ls(1, 0, 1, 2, slow);
	CHECK(slow[1] > 2 * slow[0]);
}

/* ---- the strategy ---- */

static char dir[] = "/tmp/test_bo.XXXXXX";

#include "study.h"

/*
 * A smooth space of 10 x 10 x 10 configurations less a corner the
 * constraint cuts off: time is a quadratic bowl with its minimum 1 at
 * A = 3, B = 6, C = 4.
 */
static const char small[] =
    "{\"name\":\"bowl\",\"backend\":\"c\",\"source\":\"k.c\","
    "\"params\":{\"A\":[0,1,2,3,4,5,6,7,8,9],"
    "\"B\":[9,8,7,6,5,4,3,2,1,0],"
    "\"C\":[0,1,2,3,4,5,6,7,8,9]},"
    "\"constraints\":[\"A + B + C <= 22\"]}";

static double
bowl(const struct space *sp, const space_idx *cfg)
{
	double a = json_number_value(sp->spec->params[0].values[cfg[0]]);
	double b = json_number_value(sp->spec->params[1].values[cfg[1]]);
	double c = json_number_value(sp->spec->params[2].values[cfg[2]]);

	return 1 + ((a - 3) * (a - 3) + (b - 6) * (b - 6) +
	    2 * (c - 4) * (c - 4) + 0.5 * (a - 3) * (b - 6)) / 20;
}

/*
 * Runs strategy k in rounds of batch configurations until it proposes
 * the optimum (time 1) or has spent max evaluations; returns how many it
 * spent.  Configurations where fail says so are recorded as failures.
 */
static size_t
evals_to_optimum(struct space *sp, int k, uint64_t seed, size_t batch,
    size_t max, int (*fail)(const struct space *, const space_idx *))
{
	struct search s;
	size_t n = 0, i, got;
	long round;
	int found = 0;

	search_init(&s, sp, strategy_table, NULL, seed, 1);
	for (round = 1; !found && n < max; round++) {
		s.round = round;
		got = strategy_propose(&s, k, batch);
		if (got == 0)
			break;
		for (i = 0; i < got; i++) {
			const space_idx *c = s.batch + i * sp->np;
			double t = bowl(sp, c);

			if (fail != NULL && fail(sp, c))
				search_add(&s, c, OBS_FAILED, NAN, round, k);
			else
				search_add(&s, c, OBS_OK, -t, round, k);
			n++;
			if (t == 1 && (fail == NULL || !fail(sp, c)))
				found = 1;
		}
	}
	search_release(&s);
	return n;
}

static void
test_bo_finds_the_optimum_sooner(void)
{
	struct spec spec;
	struct space sp;
	size_t seed, nb, nr, sumb = 0, sumr = 0;

	load(&spec, &sp, small);
	for (seed = 1; seed <= 3; seed++) {
		nb = evals_to_optimum(&sp, STRATEGY_BO, seed, 4, 400, NULL);
		nr = evals_to_optimum(&sp, STRATEGY_RANDOM, seed, 4, 400, NULL);
		printf("test_bo: seed %zu: optimum after %zu evaluations with "
		    "bo, %zu%s with random\n", seed, nb, nr,
		    nr >= 400 ? " (not found)" : "");
		CHECK(nb <= 40);
		sumb += nb;
		sumr += nr;
	}
	CHECK(4 * sumb < sumr);
	space_release(&sp);
	spec_release(&spec);
}

/* The configurations with A + C >= 9 crash: near half, and next to the
 * optimum. */
static int
fail_a6(const struct space *sp, const space_idx *cfg)
{
	return json_number_value(sp->spec->params[0].values[cfg[0]]) +
	    json_number_value(sp->spec->params[2].values[cfg[2]]) >= 9;
}

/*
 * Runs strategy k for 48 evaluations where fail_a6 says what fails;
 * returns how many failures it proposed past the initial design.
 */
static size_t
failures(struct space *sp, int k, uint64_t seed)
{
	struct search s;
	size_t n, i, nfail = 0;
	const space_idx *c;

	search_init(&s, sp, strategy_table, NULL, seed, 1);
	for (n = 0; n < 48; n += 4) {
		s.round = (long)n / 4 + 1;
		CHECK_INT(strategy_propose(&s, k, 4), 4);
		for (i = 0; i < 4; i++) {
			c = s.batch + i * sp->np;
			if (!fail_a6(sp, c)) {
				search_add(&s, c, OBS_OK, -bowl(sp, c),
				    s.round, k);
				continue;
			}
			search_add(&s, c, OBS_FAILED, NAN, s.round, k);
			nfail += n >= 16;
		}
	}
	search_release(&s);
	return nfail;
}

static void
test_bo_learns_from_failures(void)
{
	struct spec spec;
	struct space sp;
	size_t fb = 0, fr = 0;
	uint64_t seed;

	load(&spec, &sp, small);
	for (seed = 1; seed <= 3; seed++) {
		fb += failures(&sp, STRATEGY_BO, seed);
		fr += failures(&sp, STRATEGY_RANDOM, seed);
	}
	printf("test_bo: failures proposed past the initial design: bo %zu, "
	    "random %zu\n", fb, fr);
	/* Random search keeps spending about 40 % on them. */
	CHECK(fr >= 30);
	CHECK(3 * fb <= fr);
	space_release(&sp);
	spec_release(&spec);
}

static void
test_bo_is_deterministic(void)
{
	struct spec spec;
	struct space sp;
	struct search s;
	space_idx first[3][8 * 3];
	size_t run, i, round;

	load(&spec, &sp, small);
	for (run = 0; run < 2; run++) {
		search_init(&s, &sp, strategy_table, NULL, 42, 1);
		for (round = 0; round < 3; round++) {
			s.round = (long)round + 1;
			CHECK_INT(strategy_propose(&s, STRATEGY_BO, 8), 8);
			if (run == 0)
				memcpy(first[round], s.batch,
				    sizeof(first[round]));
			else
				CHECK(memcmp(first[round], s.batch,
				    sizeof(first[round])) == 0);
			for (i = 0; i < 8; i++)
				search_add(&s, s.batch + i * 3, OBS_OK,
				    -bowl(&sp, s.batch + i * 3), s.round,
				    STRATEGY_BO);
		}
		search_release(&s);
	}
	space_release(&sp);
	spec_release(&spec);
}

/* With a prior and no history, the prior's points come first. */
static void
test_bo_starts_from_the_prior(void)
{
	struct spec spec;
	struct space sp;
	struct search s;
	static const space_idx pts[3][3] = { { 3, 3, 4 }, { 1, 2, 3 },
	    { 5, 5, 5 } };
	size_t i;

	load(&spec, &sp, small);
	search_init(&s, &sp, strategy_table, NULL, 1, 1);
	s.prior = ecalloc(3, sizeof(*s.prior));
	s.nprior = 3;
	for (i = 0; i < 3; i++) {
		s.prior[i].cfg = ecalloc(3, sizeof(space_idx));
		memcpy(s.prior[i].cfg, pts[i], sizeof(pts[i]));
		s.prior[i].kind = i == 1 ? OBS_FAILED : OBS_OK;
		s.prior[i].score = i == 1 ? NAN : 1 - 0.5 * (double)i;
		s.prior[i].round = -1;
		s.prior[i].arm = -1;
	}
	CHECK_INT(strategy_propose(&s, STRATEGY_BO, 4), 4);
	CHECK(memcmp(s.batch, pts[0], sizeof(pts[0])) == 0);
	CHECK(memcmp(s.batch + 3, pts[2], sizeof(pts[2])) == 0);
	for (i = 2; i < 4; i++)
		CHECK(memcmp(s.batch + 3 * i, pts[1], sizeof(pts[1])) != 0);
	search_release(&s);
	space_release(&sp);
	spec_release(&spec);
}

/*
 * Spaces too large to score every configuration: 30^3 listed ones,
 * more than bo scores all of, and 30^5 that are never listed.  Bo
 * samples, then climbs.
 */
static double
bowl_n(const struct space *sp, const space_idx *cfg)
{
	static const double o[] = { 7, 22, 13, 4, 18 };
	double t = 1, v;
	size_t k;

	for (k = 0; k < sp->np; k++) {
		v = json_number_value(sp->spec->params[k].values[cfg[k]]);
		t += 4 * (v - o[k]) * (v - o[k]) / (29.0 * 29.0);
	}
	return t;
}

static double
best_after(struct space *sp, int k, uint64_t seed, size_t rounds)
{
	struct search s;
	size_t i, r;
	double t, best = HUGE_VAL;

	search_init(&s, sp, strategy_table, NULL, seed, 1);
	for (r = 0; r < rounds; r++) {
		s.round = (long)r + 1;
		strategy_propose(&s, k, 8);
		for (i = 0; i < s.nbatch; i++) {
			t = bowl_n(sp, s.batch + i * sp->np);
			best = t < best ? t : best;
			search_add(&s, s.batch + i * sp->np, OBS_OK, -t,
			    s.round, k);
		}
	}
	search_release(&s);
	return best;
}

static void
test_bo_large_spaces(void)
{
	struct spec spec;
	struct space sp;
	struct ar_buf b = { 0 };
	size_t np, k, v;
	double tb, tr;

	for (np = 3; np <= 5; np += 2) {
		buf_adds(&b, "{\"name\":\"big\",\"backend\":\"c\","
		    "\"source\":\"k.c\",\"params\":{");
		for (k = 0; k < np; k++) {
			buf_printf(&b, "%s\"P%zu\":[", k ? "," : "", k);
			for (v = 0; v < 30; v++)
				buf_printf(&b, "%s%zu", v ? "," : "", v);
			buf_adds(&b, "]");
		}
		buf_adds(&b, "}}");
		buf_add(&b, "", 1);
		load(&spec, &sp, b.buf);
		b.len = 0;
		tb = best_after(&sp, STRATEGY_BO, 7, 8);
		tr = best_after(&sp, STRATEGY_RANDOM, 7, 8);
		printf("test_bo: 30^%zu configurations, best after 64: bo "
		    "%.4f, random %.4f (optimum 1)\n", np, tb, tr);
		CHECK(tb < 1.02);
		CHECK(tb - 1 < (tr - 1) / 4);
		space_release(&sp);
		spec_release(&spec);
	}
	free(b.buf);
}

int
main(void)
{
	RUN(test_corr_is_matern52);
	RUN(test_two_points_closed_form);
	RUN(test_interpolates_and_is_sure_at_data);
	RUN(test_bound_holds);
	RUN(test_fantasy_is_a_refit);
	RUN(test_logei);
	RUN(test_ei_prefers_the_obvious_point);
	RUN(test_fit_finds_length_scales);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	RUN(test_bo_finds_the_optimum_sooner);
	RUN(test_bo_learns_from_failures);
	RUN(test_bo_is_deterministic);
	RUN(test_bo_starts_from_the_prior);
	RUN(test_bo_large_spaces);
	unload_dir(NULL, 0);
	return check_done("test_bo");
}
