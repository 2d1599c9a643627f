/*
 * sim: the loop of pipelines/tune.mk on a replay study, in one process,
 * for the strategy benchmark.  Each round does what the pipeline's
 * programs do, through the same library code: the budget of the round
 * (EVALS and SECONDS as tune.mk counts them), the proposals of
 * ar-propose (search_init, the history in order, the model's prior,
 * strategy_propose with the same seed and round), the measurement of
 * ar-bench's replay backend (replay_lookup), the score of ar-score
 * (metric_score_json) and the model of ar-learn (model_learn per record,
 * the model handed to the next round as ar-propose would read it from its
 * file).  So the configurations it proposes are those the pipeline would
 * propose, which tests/strategies-sim.bats checks against the pipeline
 * itself; only the five processes a round are saved.
 *
 * usage: sim -s study [-D name=value] [--strategy S] [--seed K | --seeds A:B]
 *            [--evals N] [--batch B] [--seconds S] [--prior history]
 *            [--budgets B,B,...] [--trace | --history file]
 *            [--noise SIGMA] [--remeasure R] [--confirm K:R]
 *
 * Output, one JSON line per seed:
 *   {"study", "strategy", "seed", "evals": evaluations made,
 *    "cost_s": their replayed cost, "optimum_s": the least time in the
 *    file, "space": valid configurations, "product": the Cartesian size,
 *    "budgets": [B...], "a": [..], "b": [..], "to95": N or null}
 * a[i] is the fraction of optimum (optimum time / best time found, 0
 * when nothing ran ok) after budgets[i] evaluations (all of them when
 * the study ran out before); b[i] the same under the protocol of
 * Schoonhoven et al. (2022), where a search over the Cartesian product
 * spends evaluations on configurations that break a constraint: the
 * expectation of a[K] with K, the valid configurations among budgets[i]
 * drawn from the product without replacement, hypergeometric; to95 the
 * first evaluation that reaches 0.95 of optimum.
 * --trace instead writes each proposal as ar-propose writes it, and
 * --history FILE (one seed) writes the scored records, the history the
 * pipeline would have, for ar-learn --prior.
 *
 * Noise and re-measuring (issue 20: does re-measuring pay?).  --noise
 * SIGMA multiplies each measured time (time_s and times) by exp(SIGMA Z),
 * Z standard normal from a generator of the seed's own, one draw an
 * evaluation in order: log-normal noise, SIGMA 0.03 about 3%.  The
 * recorded time stays the truth, and the fractions of optimum (a, b,
 * to95) stay those of the true times of what was measured: what an oracle
 * would pick.  --remeasure R spends up to R of each round's evaluations
 * on measuring again the R configurations with the best score so far
 * (by the mean of their measurements); the search then sees each
 * configuration once, at the mean of its measurements (the model,
 * ar-learn's, learns its first measurement only).  --confirm K:R spends
 * the last K*R evaluations of EVALS as tune.mk's confirm does: the top K
 * by score, R times each, the best chosen by its median over the odd
 * passes.  With any of the three, each line also has "noise", "remeasure",
 * "confirm" ([K, R] or null), "remeasured" (the evaluations spent
 * measuring again), "chosen" (the TRUE fraction of optimum of the
 * configuration finally chosen: the best score; with --remeasure, the
 * best mean of those measured more than once, when one was; with
 * --confirm, the confirmed best), "chosen_all" (with --confirm, the one
 * with the best mean of its R re-measurements instead; with --remeasure
 * alone, the best mean of all) and "found" (the true fraction of the best
 * configuration measured).  Without them the output is as it was.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jsonw.h"
#include "metric.h"
#include "model.h"
#include "replay.h"
#include "rng.h"
#include "search.h"
#include "space.h"
#include "spec.h"
#include "stats.h"
#include "strategy.h"
#include "util.h"

static const char synopsis[] =
    "usage: sim -s study [-D name=value] [--strategy S] [--seed K | --seeds A:B]\n"
    "           [--evals N] [--batch B] [--seconds S] [--prior history]\n"
    "           [--budgets B,B,...] [--trace | --history file]\n"
    "           [--noise SIGMA] [--remeasure R] [--confirm K:R]\n";

static const char help[] =
    "Run the tuning loop of pipelines/tune.mk on a replay study in one "
    "process.\n\n"
    "  -s, --study FILE      a replay study\n"
    "  -D, --define N=V      override the problem constant N\n"
    "      --strategy S      the strategy (default auto)\n"
    "      --seed K          one seed (default 0)\n"
    "      --seeds A:B       the seeds A to B\n"
    "      --evals N         EVALS of tune.mk (default 400)\n"
    "      --batch B         BATCH of tune.mk (default 8)\n"
    "      --seconds S       SECONDS of tune.mk (no limit)\n"
    "      --prior FILE      PRIOR of tune.mk: warm the model with FILE\n"
    "      --budgets LIST    where to read the fraction of optimum "
    "(default\n"
    "                        25,50,100,200,400)\n"
    "      --trace           write the proposals, not the figures\n"
    "      --history FILE    also write the scored records to FILE\n"
    "      --noise SIGMA     log-normal noise on each measured time\n"
    "      --remeasure R     re-measure the top R each round\n"
    "      --confirm K:R     confirm the top K, R times each, at the end\n"
    "  -h, --help            print this help\n";

struct opts {
	const char *study, *prior, *history;
	char **defs;
	size_t ndefs;
	int strategy;
	uint64_t seed0, seed1;
	long evals, batch;
	double seconds;		/* 0: no limit */
	long *budgets;
	size_t nbudgets;
	int trace;
	double noise;		/* sigma of the log-normal noise; 0: none */
	long remeasure;		/* evaluations a round spent measuring again */
	long ctop, crep;	/* --confirm K:R; 0: none */
	int noisy;		/* any of the three: the extra figures */
};

/* What stays the same from one seed to the next. */
struct bench {
	const struct opts *op;
	struct spec spec;
	struct replay *rp;
	struct metric_set *ms;
	const char *objective;
	double optimum;		/* seconds */
	double product;
	uint64_t valid;
	char modelpath[4096];	/* where a round's model is handed over */
	char *dataset;		/* the file's name less .json[.gz] */
	char *device;		/* ar-bench's: the file's device_name, or NULL */
};

/* One seed's run: the history as the pipeline would hold it. */
struct run {
	json_t **recs;
	space_idx *cfgs;
	double *truth;		/* a record's true time; INFINITY: not ok */
	double *sum;		/* the sum of its measured times */
	long *cnt;		/* and how many */
	size_t n, cap;
	double *best;		/* fraction of optimum after each evaluation */
	size_t nevals, ecap;
	double cost;
	struct rng noise;
	long remeasured;
	double chosen, chosen_all, found;
};

static void
bad(const char *msg)
{
	ar_die(AR_EXIT_USAGE, "%s", msg);
}

/* The least recorded time of a configuration of the study. */
static double
find_optimum(struct bench *b)
{
	struct replay_hit hit;
	space_idx *cfg = ecalloc(b->spec.nparams + 1, sizeof(*cfg));
	double best = INFINITY;
	size_t i;

	for (i = 0; i < replay_nrecords(b->rp); i++)
		if (replay_record(b->rp, i, cfg, &hit) == 1 &&
		    strcmp(hit.status, "ok") == 0 && hit.time_s < best)
			best = hit.time_s;
	free(cfg);
	return best;
}

/*
 * The record ar-propose | ar-compile | ar-bench | ar-score would write
 * for cfg, field for field.
 */
/* The factor of the noise on the next measurement: exp(sigma Z). */
static double
noise_factor(const struct opts *op, struct rng *r)
{
	double u1, u2;

	if (op->noise == 0)
		return 1;
	u1 = 1 - rng_unif(r);	/* (0, 1] */
	u2 = rng_unif(r);
	return exp(op->noise * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static json_t *
measure(struct bench *b, struct space *sp, const space_idx *cfg, long round,
    int arm, struct replay_hit *hit, double f)
{
	char id[SPACE_IDLEN + 1];
	struct ar_err err;
	json_t *rec = json_object(), *t;

	space_id(sp, cfg, id);
	replay_lookup(b->rp, cfg, hit);
	json_object_set_new(rec, "study", json_string(b->spec.name));
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "round", json_integer(round));
	json_object_set_new(rec, "strategy",
	    json_string(strategy_table[arm].name));
	json_object_set_new(rec, "params", space_params_json(sp, cfg));
	json_object_set_new(rec, "status", json_string(hit->status));
	if (strcmp(hit->status, "ok") == 0) {
		json_object_set_new(rec, "time_s", json_real(hit->time_s * f));
		if (hit->times.n > 0) {
			t = json_object();
			json_object_set_new(t, "n", json_integer((json_int_t)
			    hit->times.n));
			json_object_set_new(t, "min",
			    json_real(hit->times.min * f));
			json_object_set_new(t, "median",
			    json_real(hit->times.median * f));
			json_object_set_new(t, "mean",
			    json_real(hit->times.mean * f));
			json_object_set_new(t, "sd", json_real(hit->times.sd * f));
			json_object_set_new(rec, "times", t);
		}
	}
	json_object_set_new(rec, "cost_s", json_real(hit->cost_s));
	if (b->device != NULL)
		json_object_set_new(rec, "device", json_string(b->device));
	if (strcmp(hit->status, "ok") != 0 && hit->error != NULL)
		json_object_set_new(rec, "error", json_string(hit->error));
	if (metric_score_json(b->ms, rec, &err) != 0)
		bad(err.msg);
	return rec;
}

/*
 * The model as ar-propose reads it from the file ar-learn wrote: through
 * the file's JSON, so that nothing the live model holds beyond the file
 * can make the simulation differ from the pipeline.
 */
static void
hand_over(struct bench *b, const struct model *live, struct model *m)
{
	struct ar_err err;
	json_t *j = model_json(live);

	if (json_dump_file(j, b->modelpath, JSON_COMPACT) != 0)
		ar_die(AR_EXIT_FAIL, "%s: cannot write", b->modelpath);
	json_decref(j);
	if (model_load(m, b->modelpath, &err) != MODEL_LOADED)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
}

/* An evaluation made: the fraction of optimum after it. */
static void
evaluated(struct run *rn, double frac, double cost)
{
	if (rn->nevals == rn->ecap) {
		rn->ecap = rn->ecap ? 2 * rn->ecap : 512;
		rn->best = ereallocarray(rn->best, rn->ecap,
		    sizeof(*rn->best));
	}
	rn->best[rn->nevals++] = frac;
	rn->cost += cost;
}

/* A configuration measured for the first time, truly taking truth. */
static void
push(struct run *rn, size_t np, json_t *rec, const space_idx *cfg,
    double truth)
{
	json_t *t = json_object_get(rec, "time_s");

	if (rn->n == rn->cap) {
		rn->cap = rn->cap ? 2 * rn->cap : 512;
		rn->recs = ereallocarray(rn->recs, rn->cap, sizeof(*rn->recs));
		rn->cfgs = ereallocarray(rn->cfgs, rn->cap * (np ? np : 1),
		    sizeof(*rn->cfgs));
		rn->truth = ereallocarray(rn->truth, rn->cap,
		    sizeof(*rn->truth));
		rn->sum = ereallocarray(rn->sum, rn->cap, sizeof(*rn->sum));
		rn->cnt = ereallocarray(rn->cnt, rn->cap, sizeof(*rn->cnt));
	}
	rn->recs[rn->n] = rec;
	memcpy(rn->cfgs + rn->n * np, cfg, np * sizeof(*cfg));
	rn->truth[rn->n] = truth;
	rn->sum[rn->n] = json_is_number(t) ? json_number_value(t) : 0;
	rn->cnt[rn->n] = 1;
	rn->n++;
}

/* A record's score, -INFINITY when it has none. */
static double
score_of(const json_t *rec)
{
	json_t *sc = json_object_get(rec, "score");

	return json_is_number(sc) ? json_number_value(sc) : -INFINITY;
}

/*
 * The k records of the best score, best first (ties: the earlier), of
 * those measured ok with one, at least min times; returns how many (at
 * most k).
 */
static size_t
top(const struct run *rn, size_t k, size_t *out, long min)
{
	size_t i, j, m = 0;

	for (i = 0; i < rn->n; i++) {
		if (!isfinite(rn->truth[i]) || score_of(rn->recs[i]) ==
		    -INFINITY || rn->cnt[i] < min)
			continue;
		for (j = m; j > 0 && score_of(rn->recs[out[j - 1]]) <
		    score_of(rn->recs[i]); j--)
			if (j < k)
				out[j] = out[j - 1];
		if (j < k) {
			out[j] = i;
			if (m < k)
				m++;
		}
	}
	return m;
}

/*
 * Record i (measured ok) measured again: one more evaluation, which finds
 * nothing new (frac stays).  Returns the time measured.
 */
static double
again(struct bench *b, struct space *sp, struct run *rn, size_t i,
    double frac)
{
	struct replay_hit hit;
	json_t *rec = rn->recs[i], *m;
	double t;

	m = measure(b, sp, rn->cfgs + i * sp->np, (long)json_integer_value(
	    json_object_get(rec, "round")), strategy_find(json_string_value(
	    json_object_get(rec, "strategy"))), &hit,
	    noise_factor(b->op, &rn->noise));
	t = json_number_value(json_object_get(m, "time_s"));
	json_decref(m);
	rn->remeasured++;
	evaluated(rn, frac, hit.cost_s);
	return t;
}

/* Record i measured again in the loop: it holds the mean from then on. */
static void
remeasure(struct bench *b, struct space *sp, struct run *rn, size_t i,
    double frac)
{
	struct ar_err err;

	rn->sum[i] += again(b, sp, rn, i, frac);
	rn->cnt[i]++;
	json_object_set_new(rn->recs[i], "time_s", json_real(rn->sum[i] /
	    (double)rn->cnt[i]));
	if (metric_score_json(b->ms, rn->recs[i], &err) != 0)
		bad(err.msg);
}

/*
 * The end of a noisy run: --confirm's measurements, and the true fraction
 * of optimum of what is chosen and of the best measured.
 */
static void
finish(struct bench *b, struct space *sp, struct run *rn, double frac)
{
	const struct opts *op = b->op;
	size_t k = op->ctop > 0 ? (size_t)op->ctop : 1, *idx, m, i, p, n;
	size_t pick = 0, pick_all = 0;
	double *t, *odd, med, mean, bmed = INFINITY, bmean = INFINITY;

	rn->found = 0;
	for (i = 0; i < rn->n; i++)
		if (b->optimum / rn->truth[i] > rn->found)
			rn->found = b->optimum / rn->truth[i];
	idx = ecalloc(k, sizeof(*idx));
	m = top(rn, k, idx, 1);
	rn->chosen = rn->chosen_all = m > 0 ? b->optimum / rn->truth[idx[0]] :
	    0;
	/* --remeasure trusts what it measured again, when it did. */
	if (op->remeasure > 0 && top(rn, 1, &pick, 2) == 1)
		rn->chosen = b->optimum / rn->truth[pick];
	if (op->ctop > 0 && m > 0) {
		/* As tune.mk's confirm: pass p measures each of the top. */
		t = ecalloc(m * (size_t)op->crep, sizeof(*t));
		odd = ecalloc((size_t)op->crep, sizeof(*odd));
		for (p = 0; p < (size_t)op->crep; p++)
			for (i = 0; i < m; i++)
				t[i * (size_t)op->crep + p] = again(b, sp, rn,
				    idx[i], frac);
		for (i = 0; i < m; i++) {
			for (n = 0, mean = 0, p = 0; p < (size_t)op->crep; p++) {
				mean += t[i * (size_t)op->crep + p];
				if (p % 2 == 0)
					odd[n++] = t[i * (size_t)op->crep + p];
			}
			med = stats_median(odd, n);
			if (med < bmed) {
				bmed = med;
				pick = i;
			}
			if (mean < bmean) {
				bmean = mean;
				pick_all = i;
			}
		}
		rn->chosen = b->optimum / rn->truth[idx[pick]];
		rn->chosen_all = b->optimum / rn->truth[idx[pick_all]];
		free(t);
		free(odd);
	}
	free(idx);
}

/* A record as the stages write it (jsonw: reals in their shortest text). */
static void
write_json(FILE *f, json_t *j)
{
	char *text = jsonw_dumps(j, 0);

	if (text == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	fprintf(f, "%s\n", text);
	free(text);
}

/* The run of one seed: rounds until the budget is spent. */
static void
simulate(struct bench *b, uint64_t seed, struct run *rn)
{
	const struct opts *op = b->op;
	struct space msp, sp;
	struct model live, seen;
	struct search s;
	struct replay_hit hit;
	struct ar_err err;
	double best = 0;
	long round, want, r, evals = op->evals - op->ctop * op->crep;
	size_t i, got, np = b->spec.nparams, *idx = NULL;

	/* The model learns bound to a space of its own, as ar-learn's. */
	if (space_init(&msp, &b->spec, &err) != 0)
		bad(err.msg);
	model_init(&live, b->spec.name, b->objective);
	if (model_bind(&live, &msp, &err) != 0)
		bad(err.msg);
	if (op->prior != NULL && model_read_prior(&live, op->prior, &err) != 0)
		bad(err.msg);
	rng_seed(&rn->noise, seed ^ 0x6e6f697365ULL);
	if (op->remeasure > 0)
		idx = ecalloc((size_t)op->remeasure, sizeof(*idx));
	for (round = 1;; round++) {
		/* tune.mk's budget: what the rounds before this one spent. */
		want = op->batch;
		if (evals - (long)rn->nevals < want)
			want = evals - (long)rn->nevals;
		if (op->seconds > 0 && rn->cost >= op->seconds)
			want = 0;
		if (want <= 0)
			break;
		/* --remeasure: the top so far, leaving one proposal at least. */
		r = op->remeasure < want - 1 ? op->remeasure : want - 1;
		if (r > 0) {
			r = (long)top(rn, (size_t)r, idx, 1);
			for (i = 0; i < (size_t)r; i++)
				remeasure(b, &msp, rn, idx[i], best);
			want -= r;
		}
		/* ar-propose: a fresh process, its model read from the file. */
		if (space_init(&sp, &b->spec, &err) != 0)
			bad(err.msg);
		hand_over(b, &live, &seen);
		search_init(&s, &sp, strategy_table, &seen, seed, 0);
		s.warn = cli_warn;
		for (i = 0; i < rn->n; i++) {
			json_t *rec = rn->recs[i], *sc = json_object_get(rec,
			    "score");
			const char *arm = json_string_value(json_object_get(rec,
			    "strategy"));
			double v = json_is_number(sc) ? json_number_value(sc) :
			    NAN;

			search_add(&s, rn->cfgs + i * np, search_kind(
			    json_string_value(json_object_get(rec, "status")),
			    json_is_number(sc), v), v,
			    (long)json_integer_value(json_object_get(rec,
			    "round")), strategy_find(arm));
		}
		search_read_prior(&s);
		s.round = round;
		got = strategy_propose(&s, op->strategy, (size_t)want);
		if (s.failed)
			ar_die(AR_EXIT_FAIL, "%s", s.err.msg);
		/* ar-bench, ar-score, then ar-learn over the round. */
		for (i = 0; i < got; i++) {
			const space_idx *cfg = s.batch + i * sp.np;
			json_t *rec = measure(b, &sp, cfg, round,
			    s.batch_arm[i], &hit, noise_factor(op,
			    &rn->noise));

			if (op->trace) {
				json_t *p = json_pack("{s:O,s:O,s:O,s:O,s:O}",
				    "study", json_object_get(rec, "study"),
				    "id", json_object_get(rec, "id"),
				    "round", json_object_get(rec, "round"),
				    "strategy", json_object_get(rec,
				    "strategy"),
				    "params", json_object_get(rec, "params"));

				write_json(stdout, p);
				json_decref(p);
			}
			if (strcmp(hit.status, "ok") == 0 &&
			    b->optimum / hit.time_s > best)
				best = b->optimum / hit.time_s;
			push(rn, np, rec, cfg, strcmp(hit.status, "ok") == 0 ?
			    hit.time_s : INFINITY);
			evaluated(rn, best, hit.cost_s);
		}
		for (i = rn->n - got; i < rn->n; i++)
			if (model_learn(&live, &msp, rn->recs[i], &err) < 0)
				bad(err.msg);
		search_release(&s);
		model_release(&seen);
		space_release(&sp);
		/* A round that proposes nothing ends the study. */
		if (got == 0)
			break;
	}
	if (op->noisy)
		finish(b, &msp, rn, best);
	free(idx);
	model_release(&live);
	space_release(&msp);
}

/* log of the binomial coefficient. */
static double
lchoose(double n, double k)
{
	return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/* The fraction of optimum after k evaluations of the run. */
static double
frac_at(const struct run *rn, long k)
{
	if (k <= 0 || rn->nevals == 0)
		return 0;
	return rn->best[(size_t)k < rn->nevals ? (size_t)k - 1 :
	    rn->nevals - 1];
}

/*
 * The expected fraction when budget evaluations are drawn from the
 * Cartesian product, of which only the valid ones are our evaluations.
 */
static double
frac_product(const struct bench *b, const struct run *rn, long budget)
{
	double P = b->product, V = (double)b->valid, sum = 0, lp;
	long k, lo, hi;

	if (V >= P)
		return frac_at(rn, budget);
	lo = (long)fmax(0, (double)budget - (P - V));
	hi = (long)fmin((double)budget, V);
	for (k = lo; k <= hi; k++) {
		lp = lchoose(V, (double)k) + lchoose(P - V,
		    (double)(budget - k)) - lchoose(P, (double)budget);
		sum += exp(lp) * frac_at(rn, k);
	}
	return sum;
}

static void
report(const struct bench *b, uint64_t seed, const struct run *rn)
{
	const struct opts *op = b->op;
	json_t *out = json_object(), *bud = json_array(), *a = json_array(),
	    *pb = json_array();
	size_t i;
	long to95 = -1;

	for (i = 0; i < rn->nevals && to95 < 0; i++)
		if (rn->best[i] >= 0.95)
			to95 = (long)i + 1;
	for (i = 0; i < op->nbudgets; i++) {
		json_array_append_new(bud, json_integer(op->budgets[i]));
		json_array_append_new(a, json_real(frac_at(rn,
		    op->budgets[i])));
		json_array_append_new(pb, json_real(frac_product(b, rn,
		    op->budgets[i])));
	}
	json_object_set_new(out, "dataset", json_string(b->dataset));
	json_object_set_new(out, "study", json_string(b->spec.name));
	json_object_set_new(out, "strategy",
	    json_string(strategy_table[op->strategy].name));
	json_object_set_new(out, "seed", json_integer((json_int_t)seed));
	json_object_set_new(out, "prior", op->prior ? json_string(op->prior) :
	    json_null());
	json_object_set_new(out, "evals", json_integer((json_int_t)
	    rn->nevals));
	json_object_set_new(out, "cost_s", json_real(rn->cost));
	json_object_set_new(out, "optimum_s", json_real(b->optimum));
	json_object_set_new(out, "space", json_integer((json_int_t)b->valid));
	json_object_set_new(out, "product", json_real(b->product));
	json_object_set_new(out, "budgets", bud);
	json_object_set_new(out, "a", a);
	json_object_set_new(out, "b", pb);
	json_object_set_new(out, "to95", to95 < 0 ? json_null() :
	    json_integer(to95));
	if (op->noisy) {
		json_object_set_new(out, "noise", json_real(op->noise));
		json_object_set_new(out, "remeasure",
		    json_integer(op->remeasure));
		json_object_set_new(out, "confirm", op->ctop > 0 ?
		    json_pack("[I,I]", (json_int_t)op->ctop,
		    (json_int_t)op->crep) : json_null());
		json_object_set_new(out, "remeasured",
		    json_integer(rn->remeasured));
		json_object_set_new(out, "chosen", json_real(rn->chosen));
		json_object_set_new(out, "chosen_all", op->ctop > 0 ||
		    op->remeasure > 0 ? json_real(rn->chosen_all) :
		    json_null());
		json_object_set_new(out, "found", json_real(rn->found));
	}
	write_json(stdout, out);
	json_decref(out);
}

static void
run_release(struct run *rn)
{
	size_t i;

	for (i = 0; i < rn->n; i++)
		json_decref(rn->recs[i]);
	free(rn->recs);
	free(rn->cfgs);
	free(rn->truth);
	free(rn->sum);
	free(rn->cnt);
	free(rn->best);
	memset(rn, 0, sizeof(*rn));
}

static void
load(struct bench *b, const struct opts *op)
{
	struct space sp;
	struct ar_err err;
	char *dot, *tmp;
	int fd;

	memset(b, 0, sizeof(*b));
	b->op = op;
	if (spec_load(&b->spec, op->study, op->defs, op->ndefs, &err) != 0)
		bad(err.msg);
	if (strcmp(b->spec.backend, "replay") != 0)
		ar_die(AR_EXIT_USAGE, "%s: not a replay study (backend '%s')",
		    op->study, b->spec.backend);
	if ((b->rp = replay_load(b->spec.source, &err)) == NULL)
		bad(err.msg);
	if (replay_truncated(b->rp) > 0)
		ar_warn("%s: the file is cut off; %zu records kept",
		    b->spec.source, replay_truncated(b->rp));
	if (replay_bind(b->rp, &b->spec, &err) != 0)
		bad(err.msg);
	if ((b->ms = metric_new(&b->spec, NULL, &err)) == NULL)
		bad(err.msg);
	b->objective = metric_objective(b->ms);
	b->dataset = estrdup(strrchr(b->spec.source, '/') ?
	    strrchr(b->spec.source, '/') + 1 : b->spec.source);
	if ((dot = strstr(b->dataset, ".json")) != NULL)
		*dot = '\0';
	if (*replay_device(b->rp) != '\0')
		b->device = estrdup(replay_device(b->rp));
	if (json_object_get(b->spec.root, "bound") != NULL)
		ar_die(AR_EXIT_USAGE, "%s: a study with a \"bound\" is not "
		    "simulated (ar-bench would check its times against it)",
		    op->study);
	b->optimum = find_optimum(b);
	if (!isfinite(b->optimum))
		ar_die(AR_EXIT_USAGE, "%s: no configuration ran ok",
		    b->spec.source);
	if (space_init(&sp, &b->spec, &err) != 0)
		bad(err.msg);
	b->product = sp.product;
	b->valid = space_count(&sp, 1);
	space_release(&sp);
	tmp = getenv("TMPDIR");
	snprintf(b->modelpath, sizeof(b->modelpath), "%s/ar-sim.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(b->modelpath)) < 0)
		ar_die(AR_EXIT_FAIL, "cannot make a temporary file: %s",
		    strerror(errno));
	close(fd);
}

static void
parse_budgets(struct opts *op, const char *arg)
{
	char *copy = estrdup(arg), *tok, *save = NULL;

	op->nbudgets = 0;
	free(op->budgets);
	op->budgets = ecalloc(strlen(arg) + 1, sizeof(*op->budgets));
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		op->budgets[op->nbudgets++] = cli_long(synopsis, "--budgets",
		    tok, 1, LONG_MAX);
	free(copy);
	if (op->nbudgets == 0)
		cli_bad_usage(synopsis, "--budgets: no budget given");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "budgets", required_argument, NULL, 'B' },
		{ "confirm", required_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "evals", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "history", required_argument, NULL, 'H' },
		{ "noise", required_argument, NULL, 'N' },
		{ "prior", required_argument, NULL, 'p' },
		{ "remeasure", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' },
		{ "seeds", required_argument, NULL, 'R' },
		{ "strategy", required_argument, NULL, 't' },
		{ "study", required_argument, NULL, 's' },
		{ "trace", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { .evals = 400, .batch = 8,
	    .strategy = STRATEGY_AUTO };
	struct bench b;
	struct run rn;
	FILE *hf = NULL;
	uint64_t seed;
	char *colon, *end;
	size_t i;
	int ch;

	cli_setprogname(argv);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	parse_budgets(&op, "25,50,100,200,400");
	while ((ch = getopt_long(argc, argv, "D:hs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			op.batch = cli_long(synopsis, "--batch", optarg, 1,
			    LONG_MAX);
			break;
		case 'B':
			parse_budgets(&op, optarg);
			break;
		case 'C':
			if ((colon = strchr(optarg, ':')) == NULL)
				cli_bad_usage(synopsis, "--confirm: not K:R");
			*colon = '\0';
			op.ctop = cli_long(synopsis, "--confirm", optarg, 1,
			    LONG_MAX);
			op.crep = cli_long(synopsis, "--confirm", colon + 1, 1,
			    LONG_MAX);
			op.noisy = 1;
			break;
		case 'c':
			op.seconds = cli_seconds(synopsis, "--seconds", optarg,
			    0);
			break;
		case 'D':
			op.defs[op.ndefs++] = optarg;
			break;
		case 'e':
			op.evals = cli_long(synopsis, "--evals", optarg, 0,
			    LONG_MAX);
			break;
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'H':
			op.history = optarg;
			break;
		case 'N':
			errno = 0;
			op.noise = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(op.noise >= 0 && op.noise <= 1))
				cli_bad_usage(synopsis, "--noise: expected a "
				    "number from 0 to 1, not '%s'", optarg);
			op.noisy = 1;
			break;
		case 'p':
			op.prior = optarg;
			break;
		case 'r':
			op.remeasure = cli_long(synopsis, "--remeasure", optarg,
			    0, LONG_MAX);
			op.noisy = 1;
			break;
		case 'R':
			if ((colon = strchr(optarg, ':')) == NULL)
				cli_bad_usage(synopsis, "--seeds: not A:B");
			*colon = '\0';
			op.seed0 = cli_seed(synopsis, "--seeds", optarg);
			op.seed1 = cli_seed(synopsis, "--seeds", colon + 1);
			if (op.seed1 < op.seed0)
				cli_bad_usage(synopsis, "--seeds: B < A");
			break;
		case 'S':
			op.seed0 = op.seed1 = cli_seed(synopsis, "--seed",
			    optarg);
			break;
		case 's':
			op.study = optarg;
			break;
		case 't':
			if ((op.strategy = strategy_find(optarg)) < 0)
				cli_bad_usage(synopsis, "unknown strategy '%s'",
				    optarg);
			break;
		case 'T':
			op.trace = 1;
			break;
		default:
			cli_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		cli_bad_usage(synopsis, "unexpected operand '%s'", argv[0]);
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	if (op.history != NULL && op.seed1 != op.seed0)
		cli_bad_usage(synopsis, "--history takes one seed");
	if (op.ctop > 0 && op.seconds > 0)
		cli_bad_usage(synopsis, "--confirm takes a budget of --evals, "
		    "not --seconds");
	if (op.ctop > 0 && op.ctop > (op.evals - 1) / op.crep)
		cli_bad_usage(synopsis, "--confirm %ld:%ld: more than --evals "
		    "%ld leaves to search", op.ctop, op.crep, op.evals);

	load(&b, &op);
	if (op.history != NULL && (hf = fopen(op.history, "w")) == NULL)
		ar_die(AR_EXIT_FAIL, "cannot open '%s': %s", op.history,
		    strerror(errno));
	for (seed = op.seed0;; seed++) {
		memset(&rn, 0, sizeof(rn));
		simulate(&b, seed, &rn);
		if (hf != NULL)
			for (i = 0; i < rn.n; i++)
				write_json(hf, rn.recs[i]);
		if (!op.trace)
			report(&b, seed, &rn);
		run_release(&rn);
		if (fflush(stdout) != 0)
			break;
		if (seed == op.seed1)
			break;
	}
	if (hf != NULL && ar_fshut(hf, op.history))
		return AR_EXIT_FAIL;
	unlink(b.modelpath);
	metric_free(b.ms);
	replay_free(b.rp);
	free(b.dataset);
	free(b.device);
	spec_release(&b.spec);
	free(op.budgets);
	free(op.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : AR_EXIT_OK;
}
