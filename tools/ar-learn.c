/*
 * ar-learn: the last stage.  Reads scored records and keeps the study's
 * model file up to date with them; prints one summary line per run.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jsonw.h"
#include "metric.h"
#include "history.h"
#include "model.h"
#include "space.h"
#include "spec.h"
#include "util.h"

static const char synopsis[] =
    "usage: ar-learn -s study -m model [--rebuild] [--prior history] "
    "[--keep-going] [file ...]\n";

static const char help[] =
    "Update the study's model file with the scored records read, "
    "and print the\nbest so far.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -m, --model FILE      the model file, created when absent\n"
    "      --rebuild         start from an empty model instead of "
    "the file's (keeping\n"
    "                        its prior)\n"
    "      --prior HISTORY   warm the model with the history of a "
    "related study\n"
    "      --keep-going      warn about a bad record and skip it "
    "instead of stopping\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

struct opts {
	const char *study, *model, *prior;
	int rebuild, keep, version;
};

/* What one run reads into its model. */
struct learn {
	const struct opts *op;
	const char *study;	/* the study's name */
	struct space *sp;
	space_idx *cfg;		/* scratch: a record's params */
	struct model m;
	int improved;		/* this run's records set a new best */
	char last[2048];	/* the last bad record's message */
};

/*
 * A bad record: with --keep-going, a warning; else the run ends and the
 * model file is left as it was.  A reader that cannot go on gives the
 * same message again, which ends the run under --keep-going too.
 */
static void
bad_record(struct learn *l, const char *msg)
{
	if (l->op->keep && strcmp(msg, l->last) != 0) {
		ar_warn("%s; skipped", msg);
		snprintf(l->last, sizeof(l->last), "%s", msg);
		return;
	}
	if (l->op->keep)
		exit(AR_EXIT_USAGE);	/* said already */
	ar_die(AR_EXIT_USAGE, "%s", msg);
}

static void
bad_at(struct learn *l, struct history *h, const char *msg)
{
	char line[sizeof(l->last)];

	snprintf(line, sizeof(line), "%s:%zu: %s", history_name(h),
	    history_line(h), msg);
	bad_record(l, line);
}

/*
 * The fields model_count reads, as model_obs_json reads them from a
 * parsed record and with the same messages, so that a record says the
 * same whether it is a JSON line or a CSV row.  -1 with err set.
 */
static int
record_obs(struct learn *l, struct history *h, struct model_obs *o,
    struct ar_err *err)
{
	const char *study;

	memset(o, 0, sizeof(*o));
	if (history_has(h, HISTORY_STUDY)) {
		if ((study = history_string(h, HISTORY_STUDY, NULL)) == NULL) {
			ar_errf(err, "field \"study\" is not a string");
			return -1;
		}
		if (strcmp(study, l->study) != 0) {
			ar_errf(err, "a record of study '%s', not '%s'",
			    study, l->study);
			return -1;
		}
	}
	if (!history_has(h, HISTORY_SCORE)) {
		ar_errf(err, "no field \"score\": the record is not scored "
		    "(ar-score adds it)");
		return -1;
	}
	o->has_score = history_number(h, HISTORY_SCORE, &o->score);
	if (!o->has_score && !history_is_null(h, HISTORY_SCORE)) {
		ar_errf(err, "field \"score\" is not a number or null");
		return -1;
	}
	o->status = history_string(h, HISTORY_STATUS, NULL);
	if (o->status == NULL && history_has(h, HISTORY_STATUS)) {
		ar_errf(err, "field \"status\" is not a string");
		return -1;
	}
	o->has_round = history_integer(h, HISTORY_ROUND, &o->round);
	if (!o->has_round && history_has(h, HISTORY_ROUND) &&
	    !history_is_null(h, HISTORY_ROUND)) {
		ar_errf(err, "field \"round\" is not an integer");
		return -1;
	}
	return 0;
}

/*
 * One record: its fields, then its params, which must be the study's
 * values, as ar-compile(1) checks them (not its constraints, which it
 * may have gained since the record was measured).  The whole record is
 * parsed only for a new best: a history is mostly records that are not.
 */
static void
learn_record(struct learn *l, struct history *h)
{
	struct model_obs o;
	struct ar_err err;
	json_t *rec;

	if (record_obs(l, h, &o, &err) != 0 ||
	    history_params(h, l->sp, l->cfg, &err) != 0) {
		bad_at(l, h, err.msg);
		return;
	}
	if (model_beats(&l->m, &o)) {
		if ((rec = history_json(h, &err)) == NULL) {
			bad_at(l, h, err.msg);
			return;
		}
		model_count(&l->m, &o);
		model_set_best(&l->m, rec, o.score);
		l->improved = 1;
	} else
		model_count(&l->m, &o);
	model_learn_cfg(&l->m, &o, l->cfg);
}

static void
learn_file(struct learn *l, const char *path)
{
	FILE *f = cli_open_input(path);
	struct history h;
	struct ar_err err;
	int rc;

	history_open(&h, f, ar_fname(path));
	while ((rc = history_next(&h, &err)) != 0) {
		if (rc < 0)
			bad_record(l, err.msg);
		else
			learn_record(l, &h);
	}
	history_close(&h);
	cli_close_input(f);
}

/* Warms the empty model l->m with the prior of --prior. */
static void
read_prior(struct learn *l)
{
	struct ar_err err;

	if (model_read_prior(&l->m, l->op->prior, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
}

/*
 * A rebuild: an empty model, warmed with the prior of --prior, or else
 * with the prior of the model it replaces, so that a rebuild gives the
 * model the incremental runs gave, prior and all.  old is the model read
 * (NULL when none could be); one of another study or objective keeps
 * nothing.
 */
static void
rebuild_model(struct learn *l, struct model *old, const char *objective)
{
	struct ar_err err;

	model_init(&l->m, l->study, objective);
	if (model_bind(&l->m, l->sp, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	if (l->op->prior != NULL)
		read_prior(l);
	else if (old != NULL && strcmp(old->study, l->study) == 0 &&
	    strcmp(old->objective, objective) == 0 &&
	    model_keep_prior(&l->m, old, &err) < 0)
		ar_die(AR_EXIT_USAGE, "%s: %s: its prior cannot be kept (give "
		    "--prior again, or remove the model to rebuild it "
		    "without one)", l->op->model, err.msg);
}

/*
 * --prior on a model that exists: it must have the same prior already
 * (then there is nothing to do, so that every round of a loop may say
 * --prior), or have learned nothing yet.  A prior comes before every
 * record, so a model that learned without one must be rebuilt to take it.
 */
static void
check_prior(struct learn *l, const char *objective)
{
	const char *path = l->op->model;
	json_t *had = json_object_get(l->m.extra, "prior");
	struct ar_err err;
	struct model t;

	if (had == NULL && l->m.evals == 0) {
		read_prior(l);
		return;
	}
	if (had == NULL)
		ar_die(AR_EXIT_USAGE, "%s: the model has learned %lld records "
		    "without a prior, which must come first (--rebuild "
		    "--prior with the whole history replaces it)", path,
		    (long long)l->m.evals);
	model_init(&t, l->study, objective);
	if (model_bind(&t, l->sp, &err) != 0 ||
	    model_read_prior(&t, l->op->prior, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (!model_same_prior(&l->m, &t))
		ar_die(AR_EXIT_USAGE, "%s: the model was warmed with another "
		    "prior, '%s' (--rebuild --prior replaces it)", path,
		    json_string_value(json_object_get(had, "history")));
	model_release(&t);
}

/*
 * The model to start from: the file's, or an empty one.  A file that is
 * not the study's model is refused, since updating it would mix two
 * studies' records, or scores by two objectives; so is one of an older
 * version, whose policy would not match a rebuild.  --rebuild replaces
 * any model file, but never a file that is not one, which may be a
 * history given to -m by mistake.
 */
static void
start_model(struct learn *l, const char *objective)
{
	const char *path = l->op->model;
	struct ar_err err;
	int rc = model_load(&l->m, path, &err);

	if (rc == MODEL_NOTMODEL)
		ar_die(AR_EXIT_USAGE, "%s (%s)", err.msg, l->op->rebuild ?
		    "--rebuild replaces only a model file; remove it first "
		    "if it is a damaged one" :
		    "if it is a damaged model, remove it and rebuild it from "
		    "the history with --rebuild");
	if (l->op->rebuild) {
		struct model old;

		if (rc != MODEL_LOADED) {
			rebuild_model(l, NULL, objective);
			return;
		}
		old = l->m;
		rebuild_model(l, &old, objective);
		model_release(&old);
		return;
	}
	if (rc == MODEL_UNUSABLE)
		ar_die(AR_EXIT_USAGE, "%s (--rebuild replaces it)", err.msg);
	if (rc == MODEL_ABSENT) {
		rebuild_model(l, NULL, objective);
		return;
	}
	if (strcmp(l->m.study, l->study) != 0)
		ar_die(AR_EXIT_USAGE, "%s: a model of study '%s', not '%s' "
		    "(--rebuild replaces it)", path, l->m.study, l->study);
	if (strcmp(l->m.objective, objective) != 0)
		ar_die(AR_EXIT_USAGE, "%s: a model for the objective '%s', "
		    "but the study's is '%s' (--rebuild replaces it)", path,
		    l->m.objective, objective);
	if (l->m.version < MODEL_VERSION)
		ar_die(AR_EXIT_USAGE, "%s: model format version %d is older "
		    "than this program's (%d) (--rebuild upgrades it)", path,
		    l->m.version, MODEL_VERSION);
	if (model_bind(&l->m, l->sp, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s: %s (--rebuild replaces it)", path,
		    err.msg);
	if (l->op->prior != NULL)
		check_prior(l, objective);
}

static void
print_summary(const struct learn *l)
{
	json_t *sum = json_object(), *best = json_null(), *b = l->m.best;
	char *text;

	if (b != NULL) {
		best = json_object();
		json_object_set(best, "id", json_object_get(b, "id"));
		json_object_set(best, "objective", json_object_get(b,
		    "objective"));
		json_object_set(best, "params", json_object_get(b, "params"));
	}
	json_object_set_new(sum, "evals", json_integer(l->m.evals));
	json_object_set_new(sum, "best", best);
	json_object_set_new(sum, "improved", json_boolean(l->improved));
	if ((text = jsonw_dumps(sum, 0)) == NULL)
		ar_die(AR_EXIT_FAIL, "out of memory");
	printf("%s\n", text);
	free(text);
	json_decref(sum);
}

/* The work, once the options are checked; returns the exit status. */
static int
learn(const struct opts *op, char *const *files, int nfiles)
{
	struct spec spec;
	struct space space;
	struct learn l;
	struct ar_err err;
	const char *objective;
	int i;

	if (spec_load(&spec, op->study, NULL, 0, &err) != 0 ||
	    space_init(&space, &spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	objective = json_string_value(json_object_get(spec.root,
	    "objective"));
	if (objective == NULL)
		objective = METRIC_DEFAULT_OBJECTIVE;
	memset(&l, 0, sizeof(l));
	l.op = op;
	l.study = spec.name;
	l.sp = &space;
	l.cfg = ecalloc(space.np + 1, sizeof(*l.cfg));
	start_model(&l, objective);
	for (i = 0; i < nfiles; i++)
		learn_file(&l, files[i]);
	if (model_save(&l.m, op->model, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	print_summary(&l);
	model_release(&l.m);
	free(l.cfg);
	space_release(&space);
	spec_release(&spec);
	return AR_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "model", required_argument, NULL, 'm' },
		{ "prior", required_argument, NULL, 'p' },
		{ "rebuild", no_argument, NULL, 'r' },
		{ "study", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { 0 };
	char *const *files;
	int ch, status;

	cli_setprogname(argv);
	while ((ch = getopt_long(argc, argv, "hm:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'k':
			op.keep = 1;
			break;
		case 'm':
			op.model = optarg;
			break;
		case 'p':
			op.prior = optarg;
			break;
		case 'r':
			op.rebuild = 1;
			break;
		case 's':
			op.study = optarg;
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
	if (op.version)
		return cli_version("ar-learn");
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	if (op.model == NULL)
		cli_bad_usage(synopsis, "no model file given (-m)");
	if (op.model[0] == '\0' || strcmp(op.model, "-") == 0)
		cli_bad_usage(synopsis, "the model must be a file, not '%s'",
		    op.model);
	if (op.prior != NULL && op.prior[0] == '\0')
		cli_bad_usage(synopsis, "the prior must be a file, not ''");
	files = cli_inputs(synopsis, &argc, argv);
	for (ch = 0; op.prior != NULL && ch < argc; ch++)
		if (strcmp(op.prior, "-") == 0 && strcmp(files[ch], "-") == 0)
			cli_bad_usage(synopsis, "the standard input can be "
			    "read only once");

	status = learn(&op, files, argc);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
