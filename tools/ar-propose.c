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
#include "hash.h"
#include "model.h"
#include "rec.h"
#include "search.h"
#include "space.h"
#include "spec.h"
#include "strategy.h"
#include "util.h"

static const char synopsis[] =
    "usage: ar-propose -s study [-D name=value] [-H history] [-m model]\n"
    "                  [-n number] [--strategy name] [--seed k] [--round r]\n"
    "                  [--keep-going] [--csv]\n"
    "       ar-propose -s study [-D name=value] [-H history] [--keep-going]\n"
    "                  --from file [--csv]\n"
    "       ar-propose -s study [-D name=value] [-H history] [--keep-going]\n"
    "                  --count\n";

static const char help[] =
    "Propose configurations of a study to measure next, as records.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -D, --define N=V      override the problem constant N\n"
    "  -H, --history FILE    learn from the records in FILE, and skip "
    "the\n"
    "                        configurations it holds\n"
    "  -m, --model FILE      the model ar-learn(1) fitted, and its prior\n"
    "  -n, --number N        propose at most N configurations "
    "(default 10)\n"
    "      --strategy S      grid, random, anneal, ga, bo, rl or auto "
    "(default auto)\n"
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
    "      --csv             write CSV instead of JSON lines\n"
    "      --keep-going      warn about a bad history record and skip it "
    "instead of\n"
    "                        stopping\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

struct opts {
	const char *study, *from, *model;
	char **defs, **hists;
	size_t ndefs, nhists;
	long number, round;
	uint64_t seed;
	int strategy;
	int csv, count, keep, version;
};

struct out {
	struct search *s;
	struct rec_writer *w;
};

static void
emit(struct out *o, const space_idx *cfg, int arm)
{
	struct search *s = o->s;
	struct ar_err err;
	char id[SPACE_IDLEN + 1];
	json_t *rec = json_object();

	space_id(s->sp, cfg, id);
	json_object_set_new(rec, "study", json_string(s->sp->spec->name));
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "round", json_integer(s->round));
	json_object_set_new(rec, "strategy", json_string(arm < 0 ? "from" :
	    strategy_table[arm].name));
	json_object_set_new(rec, "params", space_params_json(s->sp, cfg));
	if (rec_write(o->w, rec, &err) != 0) {
		if (errno == EPIPE)
			exit(AR_EXIT_OK);
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	}
	json_decref(rec);
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
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	struct idset given = { 0 };
	space_idx *cfgs = NULL, *cfg;
	size_t n = 0, cap = 0, i, nstride = sp->np ? sp->np : 1;
	struct ar_err err;
	json_t *rec, *params;
	int rc;

	while ((rc = rec_read(r, &rec, &err)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			cfgs = ereallocarray(cfgs, cap * nstride,
			    sizeof(*cfgs));
		}
		params = json_object_get(rec, "params");
		if (!json_is_object(params))
			params = rec;
		if (space_from_json(sp, params, cfgs + n * nstride, &err)
		    != 0)
			ar_die(AR_EXIT_USAGE, "%s:%zu: %s", rec_reader_name(r),
			    rec_reader_line(r), err.msg);
		json_decref(rec);
		n++;
	}
	if (rc < 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (n == 0)
		ar_die(AR_EXIT_USAGE, "%s: no configurations to read",
		    ar_fname(path));
	rec_reader_free(r);
	cli_close_input(f);
	search_begin(o->s, n, -1);
	for (i = 0; i < n; i++) {
		char id[SPACE_IDLEN + 1];

		cfg = cfgs + i * nstride;
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

static const char **
csv_columns(const struct spec *s)
{
	static const char *fixed[] = { "study", "id", "round", "strategy" };
	const char **cols = ecalloc(4 + s->nparams + 1, sizeof(*cols));
	size_t i;

	for (i = 0; i < 4; i++)
		cols[i] = fixed[i];
	for (i = 0; i < s->nparams; i++) {
		struct ar_buf b = { 0 };

		buf_printf(&b, "params.%s", s->params[i].name);
		cols[4 + i] = b.buf;
	}
	return cols;
}

/* The model of -m, or NULL when there is no such file. */
static struct model *
load_model(const char *path, const struct spec *spec, struct model *m)
{
	struct ar_err err;

	if (path == NULL)
		return NULL;
	switch (model_load(m, path, &err)) {
	case MODEL_LOADED:
		break;
	case MODEL_ABSENT:
		return NULL;
	default:
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	}
	if (m->study == NULL || strcmp(m->study, spec->name) != 0)
		ar_die(AR_EXIT_USAGE, "%s: the model is of study '%s', not "
		    "'%s'", path, m->study ? m->study : "", spec->name);
	return m;
}

/*
 * The histories of -H into s; a bad record ends the run with exit 2
 * (under --keep-going, once it was warned about and the reader cannot
 * go on).
 */
static void
read_histories(struct search *s, const struct opts *op)
{
	struct ar_err err;
	size_t i;
	FILE *f;
	int rc;

	s->keep_going = op->keep;
	s->warn = cli_warn;
	for (i = 0; i < op->nhists; i++) {
		f = cli_open_input(op->hists[i]);
		rc = search_read_history(s, f, ar_fname(op->hists[i]), &err);
		if (rc != 0 && err.msg[0] != '\0')
			ar_die(AR_EXIT_USAGE, "%s", err.msg);
		if (rc != 0)
			exit(AR_EXIT_USAGE);	/* said already */
		cli_close_input(f);
	}
}

/*
 * --count: the valid configurations, less those the history holds, so
 * that with -H it says how many more there are to propose.
 */
static void
count(struct space *sp, const struct opts *op)
{
	uint64_t n = space_count(sp, 1);
	struct search s;

	if (op->nhists > 0) {
		search_init(&s, sp, strategy_table, NULL, 0, 0);
		read_histories(&s, op);
		n -= search_history_count(&s);
		search_release(&s);
	}
	printf("%llu\n", (unsigned long long)n);
}

/* The work, once the options are checked; returns the exit status. */
static int
propose(const struct opts *op)
{
	struct spec spec;
	struct space space;
	struct model mbuf, *model = NULL;
	struct search s;
	struct out o;
	struct ar_err err;
	const char **cols = NULL;
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
	read_histories(&s, op);
	search_read_prior(&s);
	/* Each round draws its own sequence, so that a loop that keeps the
	 * seed does not walk through the draws of the rounds before it;
	 * the same seed and history still give the same output. */
	s.round = op->round >= 0 ? op->round : s.maxround + 1;

	o.s = &s;
	if (op->from != NULL)
		propose_from(&o, op->from);
	else {
		strategy_propose(&s, op->strategy, (size_t)op->number);
		if (s.failed)
			ar_die(AR_EXIT_FAIL, "%s", s.err.msg);
	}

	cols = csv_columns(&spec);
	o.w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV : REC_JSONL,
	    cols, 0);
	rec_writer_on_warn(o.w, cli_warn);
	for (i = 0; i < s.nbatch; i++)
		emit(&o, s.batch + i * space.np, s.batch_arm[i]);
	if (rec_writer_free(o.w, &err) != 0) {
		/* A reader that left is no failure of ours. */
		if (errno != EPIPE) {
			ar_warn("%s", err.msg);
			status = AR_EXIT_FAIL;
		}
	} else if (op->from == NULL && s.nbatch < (size_t)op->number)
		ar_warn("space exhausted: %zu of %ld configurations proposed "
		    "(%s)", s.nbatch, op->number, op->nhists > 0 ?
		    "every other valid one is in the history" :
		    "there are no more valid ones");
	search_release(&s);
	if (model != NULL)
		model_release(model);
out:
	for (i = 0; cols != NULL && i < spec.nparams; i++)
		free((char *)cols[4 + i]);
	free(cols);
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
			op.strategy = strategy_find(optarg);
			if (op.strategy < 0)
				cli_bad_usage(synopsis, "unknown strategy '%s' "
				    "(grid, random, anneal, ga, bo, rl or auto)",
				    optarg);
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
