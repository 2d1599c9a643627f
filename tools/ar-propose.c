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
#include "rec.h"
#include "rng.h"
#include "space.h"
#include "spec.h"
#include "util.h"

/* Spaces up to this many combinations are listed in memory for sampling. */
#define LIST_PRODUCT	(1u << 22)
/* A sparse space is listed anyway when sampling finds little; this caps it. */
#define LIST_MAX	(1u << 24)
#define SAMPLE_TRIES	1000000
#define DUP_TRIES	1000

static const char synopsis[] =
    "usage: ar-propose -s study [-D name=value] [-H history] [-n number]\n"
    "                  [--strategy grid|random] [--seed k] [--round r] [--csv]\n"
    "       ar-propose -s study [-D name=value] [-H history] --from file [--csv]\n"
    "       ar-propose -s study [-D name=value] --count\n";

static const char help[] =
    "Propose configurations of a study to measure next, as records.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -D, --define N=V      override the problem constant N\n"
    "  -H, --history FILE    skip configurations already in FILE\n"
    "  -n, --number N        propose at most N configurations "
    "(default 10)\n"
    "      --strategy S      grid or random (default random)\n"
    "      --seed K          seed of every random choice (default 0)\n"
    "      --round R         the round number to record (default: one "
    "past the\n"
    "                        history's last)\n"
    "      --from FILE       validate the configurations in FILE "
    "('-' for stdin)\n"
    "                        and write them as fresh records\n"
    "      --count           print the number of valid configurations\n"
    "      --csv             write CSV instead of JSON lines\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

struct opts {
	const char *study, *from, *strategy;
	char **defs, **hists;
	size_t ndefs, nhists;
	long number, round;
	uint64_t seed;
	int csv, count, version;
};

struct history {
	struct idset ids;
	long maxround;
};

struct out {
	struct space *sp;
	struct rec_writer *w;
	const char *strategy;
	long round;
	struct history *hist;
	struct idset emitted;
	long want, done;
};

static void
emit(struct out *o, const space_idx *cfg, const char *id)
{
	struct ar_err err;
	json_t *rec = json_object();

	json_object_set_new(rec, "study", json_string(o->sp->spec->name));
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "round", json_integer(o->round));
	json_object_set_new(rec, "strategy", json_string(o->strategy));
	json_object_set_new(rec, "params", space_params_json(o->sp, cfg));
	if (rec_write(o->w, rec, &err) != 0) {
		if (errno == EPIPE)
			exit(AR_EXIT_OK);
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	}
	json_decref(rec);
	o->done++;
}

/* Emits cfg unless it was measured or proposed already; 1 when emitted. */
static int
offer(struct out *o, const space_idx *cfg)
{
	char id[SPACE_IDLEN + 1];
	uint64_t key;

	space_id(o->sp, cfg, id);
	key = hash_id_key(id, SPACE_IDLEN);
	if (idset_has(&o->hist->ids, key) || !idset_add(&o->emitted, key))
		return 0;
	emit(o, cfg, id);
	return 1;
}

static int
grid_visit(void *ctx, const space_idx *cfg)
{
	struct out *o = ctx;

	offer(o, cfg);
	return o->done >= o->want;
}

static void
propose_grid(struct out *o)
{
	space_enumerate(o->sp, 1, grid_visit, o);
}

/* A random order of the listed space, drawn lazily (Fisher-Yates). */
static void
random_from_list(struct out *o, struct rng *r)
{
	struct space *sp = o->sp;
	uint32_t *perm = ecalloc(sp->nlist ? sp->nlist : 1, sizeof(*perm));
	size_t i, j, n = sp->nlist;

	for (i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (i = 0; i < n && o->done < o->want; i++) {
		uint32_t t;

		j = i + (size_t)rng_below(r, n - i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		offer(o, sp->list + (size_t)perm[i] * sp->np);
	}
	free(perm);
}

static void
propose_random(struct out *o, struct rng *r)
{
	struct space *sp = o->sp;
	space_idx *cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	uint64_t dups = 0, give_up;
	int listed = 0;

	if (sp->product <= LIST_PRODUCT)
		space_materialize(sp, LIST_PRODUCT);
	/*
	 * A large space is sampled without listing it.  When samples keep
	 * failing or keep finding what was measured already, the valid set
	 * may be small after all: list it once and draw from the list, which
	 * also tells exactly when the space is exhausted.  A space too large
	 * to list is sampled on, up to a bound on duplicates far beyond what
	 * a history of that size makes likely.
	 */
	give_up = 100 * ((uint64_t)o->hist->ids.n + (uint64_t)o->want) +
	    DUP_TRIES;
	while (sp->list == NULL && o->done < o->want) {
		if (space_sample(sp, r, cfg, SAMPLE_TRIES) != 0) {
			if (!space_materialize(sp, LIST_MAX))
				ar_die(AR_EXIT_FAIL, "%s: the space is too "
				    "sparse to sample: no valid configuration "
				    "in %d random draws, and more than %u "
				    "valid ones to list", sp->spec->path,
				    SAMPLE_TRIES, LIST_MAX);
			break;
		}
		if (offer(o, cfg))
			continue;
		if (++dups == DUP_TRIES && !listed) {
			listed = 1;
			if (space_materialize(sp, LIST_MAX))
				break;
		}
		if (dups >= give_up) {
			ar_warn("%llu random draws in a row were measured "
			    "already; giving up", (unsigned long long)dups);
			break;
		}
	}
	if (sp->list != NULL && o->done < o->want)
		random_from_list(o, r);
	free(cfg);
}

/*
 * Notes one history record: its id, or the id of its params when it has
 * none; and its round.  Records of other studies are not ours to skip.
 */
static void
note_record(struct space *sp, struct history *h, json_t *rec)
{
	const char *study = json_string_value(json_object_get(rec, "study"));
	json_t *id = json_object_get(rec, "id"), *round, *params;
	space_idx *cfg;
	struct ar_err err;
	char buf[SPACE_IDLEN + 1];

	if (study != NULL && strcmp(study, sp->spec->name) != 0)
		return;
	if (json_is_string(id)) {
		idset_add(&h->ids, hash_id_key(json_string_value(id),
		    json_string_length(id)));
	} else if ((params = json_object_get(rec, "params")) != NULL) {
		cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
		/* Params outside today's space (an older version of the
		 * study, say) cannot collide with a proposal. */
		if (space_from_json(sp, params, cfg, &err) == 0) {
			space_id(sp, cfg, buf);
			idset_add(&h->ids, hash_id_key(buf, SPACE_IDLEN));
		}
		free(cfg);
	}
	round = json_object_get(rec, "round");
	if (json_is_integer(round) && json_integer_value(round) > h->maxround)
		h->maxround = (long)json_integer_value(round);
}

/*
 * Reading a long history is the bulk of ar-propose's time, so JSON lines
 * are first only scanned for the three fields needed; a line is parsed in
 * full only when it lacks an id.
 */
static void
read_history(struct space *sp, const char *path, struct history *h)
{
	static const char *const keys[] = { "study", "id", "round" };
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	struct rec_span sp3[3];
	struct ar_err err;
	const char *line;
	size_t len;
	json_t *rec;
	char buf[256];
	int rc;

	if (rec_reader_format(r) == REC_CSV) {
		while ((rc = rec_read(r, &rec, &err)) == 1) {
			note_record(sp, h, rec);
			json_decref(rec);
		}
		if (rc < 0)
			ar_die(AR_EXIT_USAGE, "%s", err.msg);
		goto done;
	}
	while ((rc = rec_read_line(r, &line, &len, &err)) == 1) {
		long slen;

		if (rec_peek(line, len, keys, 3, sp3, &err) != 0)
			ar_die(AR_EXIT_USAGE, "%s:%zu: invalid JSON: %s",
			    rec_reader_name(r), rec_reader_line(r), err.msg);
		if (sp3[0].start != NULL) {
			slen = rec_span_string(&sp3[0], buf, sizeof(buf));
			if (slen < 0 || strcmp(buf, sp->spec->name) != 0)
				continue;
		}
		if (sp3[1].start != NULL &&
		    (slen = rec_span_string(&sp3[1], buf, sizeof(buf))) >= 0)
			idset_add(&h->ids, hash_id_key(buf, (size_t)slen));
		else {
			json_error_t je;

			rec = json_loadb(line, len, 0, &je);
			if (rec == NULL)
				ar_die(AR_EXIT_USAGE, "%s:%zu: invalid JSON: %s",
				    rec_reader_name(r), rec_reader_line(r),
				    je.text);
			note_record(sp, h, rec);
			json_decref(rec);
			continue;
		}
		if (sp3[2].start != NULL) {
			char *end;
			long v;

			errno = 0;
			v = strtol(sp3[2].start, &end, 10);
			if (errno == 0 && end == sp3[2].start + sp3[2].len &&
			    v > h->maxround)
				h->maxround = v;
		}
	}
	if (rc < 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
done:
	rec_reader_free(r);
	cli_close_input(f);
}

/*
 * --from: every configuration is checked before any is written, so a bad
 * one in the middle never leaves half a batch in the pipe.
 */
static void
propose_from(struct out *o, const char *path)
{
	struct space *sp = o->sp;
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
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
	o->want = (long)n;
	for (i = 0; i < n; i++) {
		cfg = cfgs + i * nstride;
		if (!offer(o, cfg)) {
			char id[SPACE_IDLEN + 1];

			space_id(sp, cfg, id);
			ar_warn("%s: configuration %zu (id %s) is %s; skipped",
			    ar_fname(path), i + 1, id,
			    idset_has(&o->hist->ids, hash_id_key(id,
			    SPACE_IDLEN)) ? "in the history already" :
			    "given twice");
		}
	}
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

/* The work, once the options are checked; returns the exit status. */
static int
propose(const struct opts *op)
{
	struct spec spec;
	struct space space;
	struct history hist = { .maxround = 0 };
	struct out o;
	struct rng rng;
	struct ar_err err;
	const char **cols = NULL;
	size_t i;
	int status = AR_EXIT_OK;

	if (spec_load(&spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (space_init(&space, &spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	memset(&o, 0, sizeof(o));
	if (op->count) {
		printf("%llu\n", (unsigned long long)space_count(&space, 1));
		goto out;
	}
	for (i = 0; i < op->nhists; i++)
		read_history(&space, op->hists[i], &hist);

	cols = csv_columns(&spec);
	o.sp = &space;
	o.hist = &hist;
	o.strategy = op->from ? "from" : op->strategy;
	o.round = op->round >= 0 ? op->round : hist.maxround + 1;
	o.want = op->number;
	o.w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV : REC_JSONL,
	    cols, 0);
	/* Each round draws its own sequence, so that a loop that keeps the
	 * seed does not walk through the draws of the rounds before it;
	 * the same seed and history still give the same output. */
	rng_seed(&rng, op->seed ^ (uint64_t)o.round * 0x9e3779b97f4a7c15ULL);

	if (op->from != NULL)
		propose_from(&o, op->from);
	else if (strcmp(op->strategy, "grid") == 0)
		propose_grid(&o);
	else
		propose_random(&o, &rng);

	if (rec_writer_free(o.w, &err) != 0) {
		/* A reader that left is no failure of ours. */
		if (errno != EPIPE) {
			ar_warn("%s", err.msg);
			status = AR_EXIT_FAIL;
		}
		goto out;
	}
	if (op->from == NULL && o.done < o.want)
		ar_warn("space exhausted: %ld of %ld configurations proposed "
		    "(%s)", o.done, o.want, op->nhists > 0 ?
		    "every other valid one is in the history" :
		    "there are no more valid ones");
out:
	for (i = 0; cols != NULL && i < spec.nparams; i++)
		free((char *)cols[4 + i]);
	free(cols);
	idset_release(&o.emitted);
	idset_release(&hist.ids);
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
		{ "number", required_argument, NULL, 'n' },
		{ "round", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "strategy", required_argument, NULL, 't' },
		{ "study", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { .number = 10, .round = -1, .strategy = "random" };
	size_t i, nstdin;
	int ch, status;

	ar_setprogname(argv[0]);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	op.hists = ecalloc((size_t)argc, sizeof(*op.hists));
	while ((ch = getopt_long(argc, argv, "D:H:hn:s:", longopts, NULL))
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
			op.strategy = optarg;
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
	if (strcmp(op.strategy, "grid") != 0 &&
	    strcmp(op.strategy, "random") != 0)
		cli_bad_usage(synopsis, "unknown strategy '%s' (grid or "
		    "random)", op.strategy);
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
