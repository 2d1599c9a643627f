/*
 * ar-propose: the first stage.  Reads a study, optionally the history of
 * what was measured, and writes new configurations to try as records.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "external.h"
#include "hash.h"
#include "model.h"
#include "rec.h"
#include "search.h"
#include "space.h"
#include "spec.h"
#include "strategy.h"
#include "util.h"
#include "varstore.h"

static const char synopsis[] =
    "usage: ar-propose -s study [-D name=value] [-H history] [-m model]\n"
    "                  [-n number] [--strategy name] [--seed k] [--round r]\n"
    "                  [--variants dir] [--keep-going] [--csv]\n"
    "       ar-propose -s study [-D name=value] [-H history] [--keep-going]\n"
    "                  [--variants dir] --from file [--csv]\n"
    "       ar-propose -s study [-D name=value] [-H history] [--keep-going]\n"
    "                  --count\n";

static const char help[] =
    "Propose configurations of a study to measure next, as records.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -D, --define N=V      override the problem constant N\n"
    "  -H, --history FILE    learn from the records in FILE, and skip the\n"
    "                        configurations it holds\n"
    "  -m, --model FILE      the model ar-learn(1) fitted, and its prior\n"
    "  -n, --number N        propose at most N configurations (default 10)\n"
    "      --strategy S      grid, random, anneal, ga, bo, rl, xform or "
    "auto\n"
    "                        (default auto), or external: run the "
    "study's proposer\n"
    "      --seed K          seed of every random choice (default 0)\n"
    "      --round R         the round number to record (default: one "
    "past the\n"
    "                        history's last)\n"
    "      --from FILE       validate the configurations in FILE "
    "('-' for stdin)\n"
    "                        and write them as fresh records\n"
    "      --count           print the number of valid configurations "
    "(with -H, of\n"
    "                        those not in the history)\n"
    "      --variants DIR    the store of code variants (default "
    "$AR_VARIANTS)\n"
    "      --csv             write CSV instead of JSON lines\n"
    "      --keep-going      warn about a bad history record and skip it "
    "instead of\n"
    "                        stopping\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

#define STRATEGY_EXTERNAL	(-2)	/* not the table's: it runs no search */

struct opts {
	const char *study, *from, *model, *variants;
	char **defs, **hists;
	size_t ndefs, nhists;
	long number, round;
	uint64_t seed;
	int strategy, csv, count, keep, version;
};

struct out {
	struct search *s;
	const struct opts *op;
	char *store;		/* the variants store; NULL: none */
	struct idset known;	/* the ids of the history's records */
	struct idset given;	/* the ids of the records to write */
	struct ar_buf hist;	/* the histories' text, for the proposer */
	json_t **recs;
	size_t nrecs;
};

/*
 * The record of cfg, added to those to write with its variant: p's
 * source when it has one, else cfg's rendering when the study has
 * "transform".  Returns 1, or 0 when the record's id is in the history
 * or among the records already (said with a warning naming where).
 */
static int
add(struct out *o, const space_idx *cfg, const char *strategy,
    const struct external_prop *p, const space_idx *parent, const char *where)
{
	char id[SPACE_IDLEN + 1];
	const char *dup = NULL;
	struct ar_err err;
	json_t *rec;
	uint64_t key;
	int rc;

	rc = external_record(o->s->sp, o->store, cfg, o->s->round, strategy,
	    p, parent, &rec, id, &err);
	if (rc < 0)
		ar_die(AR_EXIT_FAIL, "%s: %s", where, err.msg);
	key = hash_id_key(id, SPACE_IDLEN);
	/* search_seen: a plain proposal of a record the history holds with
	 * no id; the framework checked those of the strategies. */
	if (idset_has(&o->known, key) || (p != NULL && rc == 0 &&
	    search_seen(o->s, cfg)))
		dup = "in the history already";
	else if (!idset_add(&o->given, key))
		dup = "proposed twice";
	if (dup != NULL) {
		ar_warn("%s: id %s is %s; skipped", where, id, dup);
		json_decref(rec);
		return 0;
	}
	o->recs = ereallocarray(o->recs, o->nrecs + 1, sizeof(*o->recs));
	o->recs[o->nrecs++] = rec;
	return 1;
}

/*
 * --from: every configuration is checked before any is written, so a bad
 * one in the middle never leaves half a batch in the pipe.
 */
static void
propose_from(struct out *o, const char *path)
{
	struct space *sp = o->s->sp;
	FILE *f = cli_open_input(path);
	struct idset given = { 0 };
	space_idx *cfgs, *cfg;
	size_t n, i;
	struct ar_err err;

	if (external_from(sp, f, ar_fname(path), &cfgs, &n, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	cli_close_input(f);
	search_begin(o->s, n, -1);
	for (i = 0; i < n; i++) {
		char id[SPACE_IDLEN + 1];

		cfg = cfgs + i * (sp->np ? sp->np : 1);
		space_id(sp, cfg, id);
		if (!idset_add(&given, hash_id_key(id, SPACE_IDLEN)))
			ar_warn("%s: configuration %zu (id %s) is given "
			    "twice; skipped", ar_fname(path), i + 1, id);
		else if (!search_offer(o->s, cfg))
			ar_warn("%s: configuration %zu (id %s) is in the "
			    "history already; skipped", ar_fname(path), i + 1,
			    id);
	}
	idset_release(&given);
	free(cfgs);
}

/*
 * --strategy external: the study's proposer, run once; every line of its
 * output was checked before any record is made, and the first -n that
 * are new are kept.
 */
static void
propose_external(struct out *o)
{
	const struct opts *op = o->op;
	struct search *s = o->s;
	const struct spec *spec = s->sp->spec;
	const char *name = external_name(spec);
	struct external_env env = { NULL, NULL, 0, o->store, op->number,
	    op->seed, s->round };
	struct external_batch b;
	enum external_fail why;
	struct ar_err err;
	char where[256];
	size_t i, kept = 0, extra = 0;
	int rc;

	if (external_check(spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (external_env_paths(&env, op->study, op->hists, op->nhists,
	    &o->hist, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	rc = external_run(spec, s->sp, &env, &b, &why, &err);
	external_env_release(&env);
	fwrite(b.err, 1, b.errlen, stderr);
	if (rc != 0)
		ar_die((int)why, "%s", err.msg);
	for (i = 0; i < b.n; i++) {
		if (kept == (size_t)op->number) {
			extra++;
			continue;
		}
		snprintf(where, sizeof(where), "proposer '%s' line %zu", name,
		    b.p[i].line);
		kept += (size_t)add(o, b.p[i].cfg, "external", &b.p[i], NULL,
		    where);
	}
	if (b.n == 0)
		ar_warn("proposer '%s' proposed nothing", name);
	else if (extra > 0)
		ar_warn("proposer '%s' proposed %zu more than the %ld wanted; "
		    "the first %ld are kept", name, extra, op->number,
		    op->number);
	external_batch_release(&b);
}

/* The model of -m, or NULL when there is no such file. */
static struct model *
load_model(const char *path, const struct spec *spec, struct model *m)
{
	struct ar_err err;
	int rc;

	if (path == NULL || (rc = model_load(m, path, &err)) == MODEL_ABSENT)
		return NULL;
	if (rc != MODEL_LOADED)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (m->study == NULL || strcmp(m->study, spec->name) != 0)
		ar_die(AR_EXIT_USAGE, "%s: the model is of study '%s', not "
		    "'%s'", path, m->study ? m->study : "", spec->name);
	return m;
}

/*
 * The histories of -H into s; a bad record ends the run with exit 2
 * (under --keep-going, once it was warned about and the reader cannot
 * go on).  With o, and records with variants to write, their text is
 * kept in o->hist and their ids in o->known too.
 */
static void
read_histories(struct search *s, const struct opts *op, struct out *o)
{
	struct ar_err err;
	const char *name;
	char *buf = emalloc(1 << 20);	/* -H is read in blocks this big */
	size_t i;
	FILE *f;
	int rc;

	s->keep_going = op->keep;
	s->warn = cli_warn;
	for (i = 0; i < op->nhists; i++) {
		name = ar_fname(op->hists[i]);
		f = cli_open_input(op->hists[i]);
		if (f != stdin)		/* which outlives buf */
			setvbuf(f, buf, _IOFBF, 1 << 20);
		if (o != NULL && o->store != NULL) {
			FILE *m = external_history(f, name, s->sp->spec->name,
			    &o->hist, &o->known, &err);

			cli_close_input(f);
			if (m == NULL && err.msg[0] != '\0')
				ar_die(AR_EXIT_FAIL, "%s", err.msg);
			if ((f = m) == NULL)
				continue;
		}
		rc = search_read_history(s, f, name, &err);
		if (rc != 0 && err.msg[0] != '\0')
			ar_die(AR_EXIT_USAGE, "%s", err.msg);
		if (rc != 0)
			exit(AR_EXIT_USAGE);	/* said already */
		cli_close_input(f);
	}
	free(buf);
}

/*
 * --count: the valid configurations (estimated, and said so, in a space
 * too large to count), less those the history holds: what is left.
 */
static void
count(struct space *sp, const struct opts *op)
{
	int est;
	double n = space_count_estimate(sp, &est);
	struct search s;

	if (op->nhists > 0) {
		search_init(&s, sp, strategy_table, NULL, 0, 0);
		read_histories(&s, op, NULL);
		n -= (double)search_history_count(&s);
		search_release(&s);
	}
	if (est)
		ar_warn("%.3g combinations: estimated from %d draws",
		    sp->product, SPACE_COUNT_DRAWS);
	printf(est ? "%.3g\n" : "%.0f\n", n);
}

/* The work, once the options are checked; returns the exit status. */
static int
propose(const struct opts *op)
{
	struct spec spec;
	struct space space;
	struct model mbuf, *model = NULL;
	struct search s;
	struct out o = { 0 };
	struct rec_writer *w;
	struct ar_err err;
	const char **cols = NULL;
	char where[64];
	size_t i;
	int status = AR_EXIT_OK;

	if (spec_load(&spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (space_init(&space, &spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (op->count) {
		count(&space, op);
		goto out;
	}
	model = load_model(op->model, &spec, &mbuf);
	search_init(&s, &space, strategy_table, model, op->seed, 0);
	o.s = &s;
	o.op = op;
	if (op->strategy == STRATEGY_EXTERNAL || spec.xform != NULL)
		o.store = varstore_dir(op->variants);
	read_histories(&s, op, &o);
	search_read_prior(&s);
	/* Each round draws its own sequence, so that a loop that keeps the
	 * seed does not walk through the draws of the rounds before it;
	 * the same seed and history still give the same output. */
	s.round = op->round >= 0 ? op->round : s.maxround + 1;

	if (op->from != NULL)
		propose_from(&o, op->from);
	else if (op->strategy == STRATEGY_EXTERNAL)
		propose_external(&o);
	else {
		strategy_propose(&s, op->strategy, (size_t)op->number);
		if (s.failed)
			ar_die(AR_EXIT_FAIL, "%s", s.err.msg);
	}
	for (i = 0; i < s.nbatch; i++) {
		snprintf(where, sizeof(where), "proposal %zu", i + 1);
		add(&o, s.batch + i * space.np, s.batch_arm[i] < 0 ? "from" :
		    strategy_table[s.batch_arm[i]].name, NULL,
		    s.batch_parent[i] >= 0 ? s.obs[s.batch_parent[i]].cfg :
		    NULL, where);
	}

	cols = external_columns(&spec);
	w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV : REC_JSONL,
	    cols, 0);
	rec_writer_on_warn(w, cli_warn);
	for (i = 0; i < o.nrecs; i++) {
		if (rec_write(w, o.recs[i], &err) != 0) {
			if (errno == EPIPE)
				exit(AR_EXIT_OK);
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		}
		json_decref(o.recs[i]);
	}
	if (rec_writer_free(w, &err) != 0) {
		/* A reader that left is no failure of ours. */
		if (errno != EPIPE) {
			ar_warn("%s", err.msg);
			status = AR_EXIT_FAIL;
		}
	} else if (op->from == NULL && op->strategy != STRATEGY_EXTERNAL &&
	    s.nbatch < (size_t)op->number)
		ar_warn("space exhausted: %zu of %ld configurations proposed "
		    "(%s)", s.nbatch, op->number, op->nhists > 0 ?
		    "every other valid one is in the history" :
		    "there are no more valid ones");
	search_release(&s);
	if (model != NULL)
		model_release(model);
	free(o.recs);
	free(o.store);
	free(o.hist.buf);
	idset_release(&o.known);
	idset_release(&o.given);
out:
	external_columns_free(cols);
	space_release(&space);
	spec_release(&spec);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "count", no_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "history", required_argument, NULL, 'H' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "model", required_argument, NULL, 'm' },
		{ "number", required_argument, NULL, 'n' },
		{ "round", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "strategy", required_argument, NULL, 't' },
		{ "study", required_argument, NULL, 's' },
		{ "variants", required_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { .number = 10, .round = -1,
	    .strategy = STRATEGY_AUTO };
	size_t i, nstdin;
	int ch, status;

	cli_setprogname(argv);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	op.hists = ecalloc((size_t)argc, sizeof(*op.hists));
	while ((ch = getopt_long(argc, argv, "D:H:hm:n:s:", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'c':
			op.count = 1;
			break;
		case 'C':
			op.csv = 1;
			break;
		case 'D':
			op.defs[op.ndefs++] = optarg;
			break;
		case 'f':
			op.from = optarg;
			break;
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'H':
			op.hists[op.nhists++] = optarg;
			break;
		case 'k':
			op.keep = 1;
			break;
		case 'm':
			op.model = optarg;
			break;
		case 'n':
			op.number = cli_long(synopsis, "-n", optarg, 0,
			    LONG_MAX);
			break;
		case 'r':
			op.round = cli_long(synopsis, "--round", optarg, 0,
			    LONG_MAX);
			break;
		case 'S':
			op.seed = (uint64_t)cli_long(synopsis, "--seed", optarg,
			    0, LONG_MAX);
			break;
		case 's':
			op.study = optarg;
			break;
		case 't':
			op.strategy = strcmp(optarg, "external") == 0 ?
			    STRATEGY_EXTERNAL : strategy_find(optarg);
			if (op.strategy == -1)
				cli_bad_usage(synopsis, "unknown strategy '%s' "
				    "(grid, random, anneal, ga, bo, rl, xform, auto "
				    "or external)",
				    optarg);
			break;
		case 'v':
			op.variants = optarg;
			break;
		case 'V':
			op.version = 1;
			break;
		default:
			cli_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (op.version) {
		free(op.defs);
		free(op.hists);
		return cli_version("ar-propose");
	}
	if (argc != 0)
		cli_bad_usage(synopsis, "unexpected operand '%s'", argv[0]);
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	for (i = 0, nstdin = op.from && strcmp(op.from, "-") == 0;
	    i < op.nhists; i++)
		nstdin += strcmp(op.hists[i], "-") == 0;
	if (nstdin > 1)
		cli_bad_usage(synopsis, "only one of --from and -H can read "
		    "stdin");

	status = propose(&op);
	free(op.defs);
	free(op.hists);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
