/*
 * ar-score: the fourth stage.  Adds to every record the study's metrics,
 * the raw objective and the score (higher is better) that the learner
 * ranks candidates by, and copies every other field through.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "jsonw.h"
#include "metric.h"
#include "rec.h"
#include "spec.h"
#include "stats.h"
#include "util.h"

/* JSON lines are handed to write(2) in blocks of about this size. */
#define OUTBLOCK 65536

static const char synopsis[] =
    "usage: ar-score -s study [-D name=value] [--objective expr] "
    "[--keep-going]\n"
    "                [--against file] [--csv] [file ...]\n";

static const char help[] =
    "Add the study's metrics, the objective and the score to each "
    "record.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -D, --define N=V      override the problem constant N\n"
    "      --objective EXPR  \"minimize EXPR\" or \"maximize EXPR\" "
    "instead of the\n"
    "                        study's objective\n"
    "      --keep-going      warn about a bad record and drop it "
    "instead of stopping\n"
    "      --against FILE    rank the records of a study with several "
    "objectives\n"
    "                        among FILE's too (the history so far)\n"
    "      --csv             write CSV instead of JSON lines\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

/* The fields the stages before can write, for the CSV header. */
static const char *const contract[] = {
	"artifact", "compile.status", "compile.seconds", "compile.log",
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "verify.max_abs_err", "verify.max_rel_err",
	"ref_time_s", "cost_s", "host", "device", "error"
};

struct opts {
	const char *study, *objective, *against;
	char **defs;
	size_t ndefs;
	int csv, keep, version;
};

/*
 * Where records go: a CSV writer, or JSON lines gathered in a buffer and
 * written in whole lines (the records from JSON lines are scored as text,
 * which rec_writer does not take).
 */
struct sink {
	struct rec_writer *w;
	struct ar_buf b;
	int slow;		/* write every record at once */
	/* A study with several objectives: its records, held until all
	 * are read and ranked, and the costs of those ranked with them. */
	size_t nobj;
	json_t **held;
	size_t nheld, capheld;
	double *costs;
	size_t ncosts, capcosts;
};

static void
sink_failed(const char *msg)
{
	/* A reader that left is no failure of ours. */
	if (errno == EPIPE)
		exit(AR_EXIT_OK);
	ar_die(AR_EXIT_FAIL, "%s", msg);
}

static void
sink_flush(struct sink *s)
{
	struct ar_err err;
	const char *p = s->b.buf;
	size_t n = s->b.len;
	ssize_t w;

	if (s->w != NULL) {
		if (rec_writer_flush(s->w, &err) != 0)
			sink_failed(err.msg);
		return;
	}
	while (n > 0) {
		if ((w = write(STDOUT_FILENO, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			ar_errf(&err, "error writing stdout: %s",
			    strerror(errno));
			sink_failed(err.msg);
		}
		p += w;
		n -= (size_t)w;
	}
	s->b.len = 0;
}

/* One record is in the buffer: write it out when it is time to. */
static void
sink_done(struct sink *s)
{
	if (s->slow || s->b.len >= OUTBLOCK)
		sink_flush(s);
}

static void
sink_json(struct sink *s, json_t *rec)
{
	struct ar_err err;

	if (s->w != NULL) {
		if (rec_write(s->w, rec, &err) != 0)
			sink_failed(err.msg);
		return;
	}
	(void)jsonw_dump(&s->b, rec, 0);
	buf_add(&s->b, "\n", 1);
	sink_done(s);
}

/*
 * A bad record: with --keep-going, a warning; else the records before it
 * are written and the run ends.  A reader that cannot go on gives the
 * same message again, which ends the run under --keep-going too.
 */
static void
bad_record(const struct opts *op, struct sink *s, const char *where,
    const char *msg, char *last, size_t lastsz)
{
	char line[sizeof(((struct ar_err *)0)->msg) + 64];

	if (where != NULL)
		snprintf(line, sizeof(line), "%s: %s", where, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);
	if (op->keep && strcmp(line, last) != 0) {
		ar_warn("%s; skipped", line);
		snprintf(last, lastsz, "%s", line);
		return;
	}
	sink_flush(s);
	if (op->keep)
		exit(AR_EXIT_USAGE);	/* said already */
	ar_die(AR_EXIT_USAGE, "%s", line);
}

/* Records that come from a pipe or a terminal come slowly: pass each on. */
static int
is_slow(FILE *f)
{
	struct stat st;

	return fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode);
}

static void hold(struct sink *s, json_t *rec);

static void
score_file(const struct opts *op, struct metric_set *ms, struct sink *s,
    const char *path)
{
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	struct ar_err err;
	char where[4200], last[sizeof(where) + sizeof(err.msg)] = "";
	const char *line;
	size_t len;
	json_t *rec;
	int rc;

	if (s->w == NULL)
		s->slow = is_slow(f);
	if (s->w == NULL && s->nobj == 0 &&
	    rec_reader_format(r) == REC_JSONL) {
		while ((rc = rec_read_line(r, &line, &len, &err)) != 0) {
			if (rc < 0) {
				bad_record(op, s, NULL, err.msg, last,
				    sizeof(last));
				continue;
			}
			if (metric_score_line(ms, line, len, &s->b, &err)
			    != 0) {
				snprintf(where, sizeof(where), "%s:%zu",
				    rec_reader_name(r), rec_reader_line(r));
				bad_record(op, s, where, err.msg, last,
				    sizeof(last));
				continue;
			}
			sink_done(s);
		}
	} else {
		while ((rc = rec_read(r, &rec, &err)) != 0) {
			if (rc < 0) {
				bad_record(op, s, NULL, err.msg, last,
				    sizeof(last));
				continue;
			}
			if (metric_score_json(ms, rec, &err) != 0) {
				json_decref(rec);
				snprintf(where, sizeof(where), "%s:%zu",
				    rec_reader_name(r), rec_reader_line(r));
				bad_record(op, s, where, err.msg, last,
				    sizeof(last));
				continue;
			}
			if (s->nobj > 0) {
				hold(s, rec);
				continue;
			}
			sink_json(s, rec);
			json_decref(rec);
		}
	}
	rec_reader_free(r);
	cli_close_input(f);
}

/* A record ranked among the others: its costs, when it has them. */
static int
add_costs(struct sink *s, const struct metric_set *ms, json_t *rec)
{
	if (s->ncosts == s->capcosts) {
		s->capcosts = s->capcosts ? 2 * s->capcosts : 256;
		s->costs = ereallocarray(s->costs, s->capcosts * s->nobj,
		    sizeof(*s->costs));
	}
	if (!metric_costs(ms, rec, s->costs + s->ncosts * s->nobj))
		return 0;
	s->ncosts++;
	return 1;
}

static void
hold(struct sink *s, json_t *rec)
{
	if (s->nheld == s->capheld) {
		s->capheld = s->capheld ? 2 * s->capheld : 256;
		s->held = ereallocarray(s->held, s->capheld,
		    sizeof(*s->held));
	}
	s->held[s->nheld++] = rec;
}

/*
 * The records of --against: ranked with the ones scored, not written.
 * Those of other studies, and those without every objective measured
 * ok, rank nothing.
 */
static void
read_against(const struct opts *op, const struct metric_set *ms,
    const struct spec *sp, struct sink *s)
{
	FILE *f = cli_open_input(op->against);
	struct rec_reader *r = rec_reader_new(f, ar_fname(op->against));
	struct ar_err err;
	const char *study;
	json_t *rec;
	int rc;

	while ((rc = rec_read(r, &rec, &err)) != 0) {
		if (rc < 0)
			ar_die(AR_EXIT_USAGE, "%s", err.msg);
		study = json_string_value(json_object_get(rec, "study"));
		if (study == NULL || strcmp(study, sp->name) == 0)
			(void)add_costs(s, ms, rec);
		json_decref(rec);
	}
	rec_reader_free(r);
	cli_close_input(f);
}

/*
 * Ranks the records held (with those of --against, whose costs come
 * first) and writes them: "pareto" the rank, 1 on the front, and the
 * score minus it; null both for a record without every objective.
 */
static void
rank_held(struct sink *s, const struct metric_set *ms)
{
	size_t first = s->ncosts, i, k;
	int *rank, *mine = ecalloc(s->nheld ? s->nheld : 1, sizeof(*mine));

	for (i = 0; i < s->nheld; i++)
		mine[i] = add_costs(s, ms, s->held[i]);
	rank = ecalloc(s->ncosts ? s->ncosts : 1, sizeof(*rank));
	stats_pareto_rank(s->costs, s->ncosts, s->nobj, rank);
	for (i = 0, k = first; i < s->nheld; i++) {
		if (mine[i]) {
			json_object_set_new(s->held[i], "score",
			    json_integer(-rank[k]));
			json_object_set_new(s->held[i], "pareto",
			    json_integer(rank[k]));
			k++;
		}
		sink_json(s, s->held[i]);
		json_decref(s->held[i]);
	}
	free(rank);
	free(mine);
}

static const char **
csv_columns(const struct spec *sp, const struct metric_set *ms)
{
	static const char *fixed[] = { "study", "id", "round", "strategy" };
	size_t ncontract = sizeof(contract) / sizeof(contract[0]);
	size_t n = 4 + sp->nparams + ncontract + metric_count(ms) + 4, i, k = 0;
	const char **cols = ecalloc(n + 1, sizeof(*cols));
	struct ar_buf b;

	for (i = 0; i < 4; i++)
		cols[k++] = estrdup(fixed[i]);
	for (i = 0; i < sp->nparams; i++) {
		memset(&b, 0, sizeof(b));
		buf_printf(&b, "params.%s", sp->params[i].name);
		cols[k++] = b.buf;
	}
	for (i = 0; i < ncontract; i++)
		cols[k++] = estrdup(contract[i]);
	for (i = 0; i < metric_count(ms); i++) {
		memset(&b, 0, sizeof(b));
		buf_printf(&b, "metrics.%s", metric_name(ms, i));
		cols[k++] = b.buf;
	}
	cols[k++] = estrdup("objective");
	cols[k++] = estrdup("score");
	if (metric_nobjectives(ms) > 0) {
		cols[k++] = estrdup("objectives");
		cols[k++] = estrdup("pareto");
	}
	return cols;
}

/*
 * An expression null for every record measured ok is most likely a
 * misspelt field, which would leave every score null without a word:
 * say so, once, and go on (the records are as the study asks).
 */
static void
warn_nulls(const struct metric_set *ms)
{
	struct ar_buf b = { 0 };
	char *p, *nl;

	if (metric_nulls(ms, &b) == 0)
		return;
	for (p = b.buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		ar_warn("%s", p);
	}
	free(b.buf);
}

/* The work, once the options are checked; returns the exit status. */
static int
score(const struct opts *op, char *const *files, int nfiles)
{
	struct spec spec;
	struct metric_set *ms;
	struct sink s;
	struct ar_err err;
	const char **cols = NULL;
	size_t i;
	int status = AR_EXIT_OK;

	if (spec_load(&spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if ((ms = metric_new(&spec, op->objective, &err)) == NULL)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	memset(&s, 0, sizeof(s));
	if ((s.nobj = metric_nobjectives(ms)) > 0 && op->against != NULL)
		read_against(op, ms, &spec, &s);
	if (op->csv) {
		/* The writer's line_flush is fixed for the run: slow when
		 * any input is. */
		for (i = 0; i < (size_t)nfiles && !s.slow; i++) {
			struct stat st;

			s.slow = strcmp(files[i], "-") == 0 ?
			    is_slow(stdin) : stat(files[i], &st) == 0 &&
			    !S_ISREG(st.st_mode);
		}
		cols = csv_columns(&spec, ms);
		s.w = rec_writer_new(STDOUT_FILENO, REC_CSV, cols, s.slow);
		rec_writer_on_warn(s.w, cli_warn);
	}
	for (i = 0; i < (size_t)nfiles; i++)
		score_file(op, ms, &s, files[i]);
	if (s.nobj > 0)
		rank_held(&s, ms);
	warn_nulls(ms);
	if (s.w != NULL) {
		if (rec_writer_free(s.w, &err) != 0) {
			if (errno != EPIPE) {
				ar_warn("%s", err.msg);
				status = AR_EXIT_FAIL;
			}
		}
	} else
		sink_flush(&s);
	for (i = 0; cols != NULL && cols[i] != NULL; i++)
		free((char *)cols[i]);
	free(cols);
	free(s.b.buf);
	free(s.held);
	free(s.costs);
	metric_free(ms);
	spec_release(&spec);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "against", required_argument, NULL, 'A' },
		{ "csv", no_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "objective", required_argument, NULL, 'o' },
		{ "study", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { 0 };
	char *const *files;
	int ch, status;

	cli_setprogname(argv);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	while ((ch = getopt_long(argc, argv, "D:hs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			op.against = optarg;
			break;
		case 'C':
			op.csv = 1;
			break;
		case 'D':
			op.defs[op.ndefs++] = optarg;
			break;
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'k':
			op.keep = 1;
			break;
		case 'o':
			op.objective = optarg;
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
	if (op.version) {
		free(op.defs);
		return cli_version("ar-score");
	}
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	files = cli_inputs(synopsis, &argc, argv);

	status = score(&op, files, argc);
	free(op.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
