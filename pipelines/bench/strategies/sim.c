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
#include "search.h"
#include "space.h"
#include "spec.h"
#include "strategy.h"
#include "util.h"

static const char synopsis[] =
    "usage: sim -s study [-D name=value] [--strategy S] [--seed K | --seeds A:B]\n"
    "           [--evals N] [--batch B] [--seconds S] [--prior history]\n"
    "           [--budgets B,B,...] [--trace | --history file]\n";

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
	double *best;		/* fraction of optimum after each evaluation */
	size_t n, cap;
	double cost;
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
static json_t *
measure(struct bench *b, struct space *sp, const space_idx *cfg, long round,
    int arm, struct replay_hit *hit)
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
		json_object_set_new(rec, "time_s", json_real(hit->time_s));
		if (hit->times.n > 0) {
			t = json_object();
			json_object_set_new(t, "n", json_integer((json_int_t)
			    hit->times.n));
			json_object_set_new(t, "min", json_real(hit->times.min));
			json_object_set_new(t, "median",
			    json_real(hit->times.median));
			json_object_set_new(t, "mean", json_real(hit->times.mean));
			json_object_set_new(t, "sd", json_real(hit->times.sd));
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

static void
push(struct run *rn, size_t np, json_t *rec, const space_idx *cfg,
    double frac)
{
	if (rn->n == rn->cap) {
		rn->cap = rn->cap ? 2 * rn->cap : 512;
		rn->recs = ereallocarray(rn->recs, rn->cap, sizeof(*rn->recs));
		rn->cfgs = ereallocarray(rn->cfgs, rn->cap * (np ? np : 1),
		    sizeof(*rn->cfgs));
		rn->best = ereallocarray(rn->best, rn->cap,
		    sizeof(*rn->best));
	}
	rn->recs[rn->n] = rec;
	memcpy(rn->cfgs + rn->n * np, cfg, np * sizeof(*cfg));
	rn->best[rn->n] = frac;
	rn->n++;
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
	long round, want;
	size_t i, got, np = b->spec.nparams;

	/* The model learns bound to a space of its own, as ar-learn's. */
	if (space_init(&msp, &b->spec, &err) != 0)
		bad(err.msg);
	model_init(&live, b->spec.name, b->objective);
	if (model_bind(&live, &msp, &err) != 0)
		bad(err.msg);
	if (op->prior != NULL && model_read_prior(&live, op->prior, &err) != 0)
		bad(err.msg);
	for (round = 1;; round++) {
		/* tune.mk's budget: what the rounds before this one spent. */
		want = op->batch;
		if (op->evals - (long)rn->n < want)
			want = op->evals - (long)rn->n;
		if (op->seconds > 0 && rn->cost >= op->seconds)
			want = 0;
		if (want <= 0)
			break;
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
			    s.batch_arm[i], &hit);

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
			rn->cost += hit.cost_s;
			push(rn, np, rec, cfg, best);
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
	if (k <= 0 || rn->n == 0)
		return 0;
	return rn->best[(size_t)k < rn->n ? (size_t)k - 1 : rn->n - 1];
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

	for (i = 0; i < rn->n && to95 < 0; i++)
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
	json_object_set_new(out, "evals", json_integer((json_int_t)rn->n));
	json_object_set_new(out, "cost_s", json_real(rn->cost));
	json_object_set_new(out, "optimum_s", json_real(b->optimum));
	json_object_set_new(out, "space", json_integer((json_int_t)b->valid));
	json_object_set_new(out, "product", json_real(b->product));
	json_object_set_new(out, "budgets", bud);
	json_object_set_new(out, "a", a);
	json_object_set_new(out, "b", pb);
	json_object_set_new(out, "to95", to95 < 0 ? json_null() :
	    json_integer(to95));
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
		{ "define", required_argument, NULL, 'D' },
		{ "evals", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "history", required_argument, NULL, 'H' },
		{ "prior", required_argument, NULL, 'p' },
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
	char *colon;
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
		case 'p':
			op.prior = optarg;
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
