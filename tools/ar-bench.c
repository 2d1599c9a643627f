/*
 * ar-bench: the third stage.  Reads compiled variants and measures each,
 * one at a time, in a child process that a crash or a hang cannot take
 * down with it; checks every run's output against the study's reference;
 * adds the outcome to the record.  A cuda variant runs in a child of its
 * own too, with a CUDA context of its own: ar-bench itself never
 * initialises CUDA (cudarun.h).
 *
 * A replay study runs nothing: each variant's outcome is looked up in a
 * Kernel Tuner cache file (replay.h).
 *
 * How each backend measures is lib's (bench.h, a file bench_NAME.c
 * each); this file reads the records, has each measured, and writes it.
 *
 * Every record is read and checked before any is measured: a bad record
 * stops the run before anything was executed, and the compiler stages
 * upstream have finished before the first timing, so they do not compete
 * with it for the CPU.  Each record is written as soon as it is measured.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "progress.h"
#include "rec.h"
#include "util.h"

static const char synopsis[] =
    "usage: ar-bench -s study [-D name=value] [--cache dir] [--warmup w]\n"
    "                [--repeat r] [--timeout seconds] [--seed k] "
    "[--energy]\n"
    "                [--device name] [--keep-going] [--progress] "
    "[--variants dir]\n"
    "                [--csv] [file ...]\n";

static const char help[] =
    "Measure each compiled variant of a study, checking its results "
    "against the\nreference.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -D, --define N=V      override the problem constant N\n"
    "      --cache DIR       the cache folder ar-compile built into "
    "(default:\n"
    "                        $AR_CACHE, else "
    "$XDG_CACHE_HOME/autoresearch, else\n"
    "                        ~/.cache/autoresearch)\n"
    "      --device NAME     opencl: the device to measure on, \"P:D\" or "
    "a part of its\n"
    "                        name (default: the study's \"device\", else "
    "the first GPU,\n"
    "                        else the first device)\n"
    "      --energy          cuda: joules per run from NVML, as "
    "\"energy_j\"\n"
    "      --warmup W        untimed runs before the timed ones "
    "(default: the\n"
    "                        study's bench.warmup, else 1)\n"
    "      --repeat R        timed runs (default: bench.repeat, else "
    "5)\n"
    "      --timeout S       the most seconds one run may take "
    "(default:\n"
    "                        bench.timeout_s, else 10)\n"
    "      --seed K          seed of the random inputs (default 0)\n"
    "      --keep-going      warn about a bad record and drop it, "
    "instead of stopping\n"
    "      --progress        report each variant on stderr even when "
    "it is not a\n"
    "                        terminal\n"
    "      --variants DIR    the store of code variants (default: "
    "$AR_VARIANTS, else\n"
    "                        variants/ in the default cache folder)\n"
    "      --csv             write CSV instead of JSON lines\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";
struct opts {
	struct bench_opts bo;
	int csv, keep_going, progress, version;
};

/* A warning the library left, said now. */
static void
say_note(struct bench *b)
{
	if (b->note == NULL)
		return;
	ar_warn("%s", b->note);
	free(b->note);
	b->note = NULL;
}

/*
 * Reads and checks one input's records into b->items.  Returns 0, or 2
 * at a bad record without --keep-going (after saying what is wrong).
 */
static int
read_input(struct bench *b, const struct opts *op, const char *path)
{
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	char last[sizeof(((struct ar_err *)0)->msg)] = "";
	struct ar_err err;
	struct ar_buf where;
	json_t *rec;
	int rc, status = 0;

	for (;;) {
		if ((rc = rec_read(r, &rec, &err)) == 0)
			break;
		if (rc < 0) {
			ar_warn("%s%s", err.msg, op->keep_going ?
			    "; record dropped" : "");
			/* A reader that cannot go on says the same again. */
			if (!op->keep_going || strcmp(last, err.msg) == 0) {
				status = op->keep_going ? 0 : AR_EXIT_USAGE;
				break;
			}
			snprintf(last, sizeof(last), "%s", err.msg);
			continue;
		}
		last[0] = '\0';
		memset(&where, 0, sizeof(where));
		buf_printf(&where, "%s:%zu", rec_reader_name(r),
		    rec_reader_line(r));
		if ((rc = bench_add(b, rec, where.buf, &err)) != 0) {
			if (rc != AR_EXIT_USAGE)
				ar_die(rc, "%s", err.msg);
			ar_warn("%s: %s%s", where.buf, err.msg,
			    op->keep_going ? "; record dropped" : "");
			json_decref(rec);
			free(where.buf);
			if (!op->keep_going) {
				status = AR_EXIT_USAGE;
				break;
			}
		}
	}
	rec_reader_free(r);
	cli_close_input(f);
	return status;
}

/*
 * The status line while item i is measured: the candidate, and the pace
 * (every record was read before the first was measured, so how many are
 * left is known) and the fastest measured ok so far, by time_s, which is
 * the study's objective or not: the objective may need fields ar-score
 * adds.
 */
static void
show_running(const struct bench *b, size_t i, const struct progress *pg)
{
	struct ar_buf t = { 0 };
	char *label = progress_label(&b->spec, b->items[i].cfg);

	buf_printf(&t, "[%zu/%zu] %s ...", i + 1, b->nitems, label);
	progress_pace(pg, "candidate", &t);
	ar_status("%s", t.buf);
	free(t.buf);
	free(label);
}

/* The line a candidate leaves when it is done, in place of the status
 * line. */
static void
progress(const struct bench *b, size_t i, const char *label,
    const struct bench_outcome *o)
{
	char t[32];

	ar_status_clear();
	fprintf(stderr, "[%zu/%zu] %s %s", i + 1, b->nitems, label, o->status);
	if (!isnan(o->time_s) || o->st.n > 0) {
		ar_fmt_time(!isnan(o->time_s) ? o->time_s :
		    o->st.median, t, sizeof(t));
		fprintf(stderr, " %s", t);
	}
	if (o->error != NULL)
		fprintf(stderr, ": %s", o->error);
	fputc('\n', stderr);
}

/* The reference, built once before the first candidate runs. */
static void
build_reference(struct bench *b, int show)
{
	struct build_result res;
	struct ar_err err;
	int rc;

	if (show)
		ar_status("building the reference %s ...", b->ref_source);
	if ((rc = bench_build_reference(b, &res, &err)) != 0)
		ar_die(rc, "%s", err.msg);
	if (!res.ok)
		ar_die(AR_EXIT_USAGE, "%s: the reference '%s' does not "
		    "compile: %s", b->spec.path, b->ref_source,
		    res.log[0] ? res.log : "(no message)");
	build_result_release(&res);
}

/* Measures every item in turn, writing each record to w as soon as it is
 * done.  Returns the exit status. */
static int
measure_all(struct bench *b, struct rec_writer *w, int show)
{
	struct ar_err err;
	struct progress pg;
	size_t i;
	int runnable = 0, status, rc;

	for (i = 0; i < b->nitems; i++)
		runnable |= !b->items[i].compile_error;
	if (runnable && b->ref_source != NULL)
		build_reference(b, show);

	progress_start(&pg, b->nitems);
	for (i = 0; i < b->nitems; i++) {
		struct bench_item *it = &b->items[i];
		struct bench_outcome o;
		double t0 = ar_now();
		json_t *rec;

		if (show)
			show_running(b, i, &pg);
		if ((rc = bench_measure(b, it, &o, &err)) != 0)
			ar_die(rc, "%s", err.msg);
		say_note(b);
		rec = bench_record(b, it, &o, ar_now() - t0);
		if (rec_write(w, rec, &err) != 0) {
			json_decref(rec);
			bench_outcome_release(&o);
			status = errno == EPIPE ? AR_EXIT_OK : AR_EXIT_FAIL;
			/* A reader that left is no failure of ours. */
			if (status != AR_EXIT_OK)
				ar_warn("%s", err.msg);
			progress_release(&pg);
			return status;
		}
		json_decref(rec);
		if (show) {
			char *label = progress_label(&b->spec, it->cfg);

			progress_done(&pg, label, strcmp(o.status, "ok") == 0,
			    !isnan(o.time_s) ? o.time_s : o.st.n > 0 ?
			    o.st.median : NAN);
			progress(b, i, label, &o);
			free(label);
		}
		bench_outcome_release(&o);
	}
	progress_release(&pg);
	return AR_EXIT_OK;
}

/* The work, once the options are checked; returns the exit status. */
static int
bench(const struct opts *op, char *const *files, int nfiles)
{
	const struct bench_backend *be;
	struct rec_writer *w;
	struct bench b;
	struct ar_err err;
	size_t i;
	int status = AR_EXIT_OK, rc, show;

	if ((rc = bench_load(&b, &op->bo, &err)) != 0)
		ar_die(rc, "%s", err.msg);
	if ((be = bench_backend_find(b.spec.backend)) == NULL)
		ar_die(AR_EXIT_USAGE, "%s: backend '%s' is not supported by "
		    "ar-bench yet", op->bo.study, b.spec.backend);
	rc = bench_prepare(&b, be, &err);
	say_note(&b);
	if (rc != 0)
		ar_die(rc, "%s", err.msg);

	for (i = 0; i < (size_t)nfiles && status == AR_EXIT_OK; i++)
		status = read_input(&b, op, files[i]);

	if (status == AR_EXIT_OK) {
		if ((rc = bench_start(&b, &err)) != 0)
			ar_die(rc, "%s", err.msg);
		show = op->progress || isatty(STDERR_FILENO);
		w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV :
		    REC_JSONL, bench_columns(&b), 1);
		rec_writer_on_warn(w, cli_warn);
		status = measure_all(&b, w, show);
		if (show)
			ar_status_clear();
		rc = rec_writer_free(w, &err);
		if (status == AR_EXIT_OK && rc != 0 && errno != EPIPE) {
			ar_warn("%s", err.msg);
			status = AR_EXIT_FAIL;
		}
	}
	bench_release(&b);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "device", required_argument, NULL, 'd' },
		{ "energy", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "progress", no_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "study", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "variants", required_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "warmup", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = {
		.bo = { .warmup = -1, .repeat = -1, .timeout_s = -1 }
	};
	char *const *files;
	int ch, status;

	cli_setprogname(argv);
	op.bo.defs = ecalloc((size_t)argc, sizeof(*op.bo.defs));
	while ((ch = getopt_long(argc, argv, "D:hs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			op.bo.cache = optarg;
			break;
		case 'C':
			op.csv = 1;
			break;
		case 'D':
			op.bo.defs[op.bo.ndefs++] = optarg;
			break;
		case 'd':
			op.bo.device = optarg;
			break;
		case 'E':
			op.bo.energy = 1;
			break;
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'k':
			op.keep_going = 1;
			break;
		case 'p':
			op.progress = 1;
			break;
		case 'r':
			op.bo.repeat = cli_long(synopsis, "--repeat", optarg, 1,
			    LONG_MAX);
			break;
		case 'S':
			op.bo.seed = cli_seed(synopsis, "--seed", optarg);
			break;
		case 's':
			op.bo.study = optarg;
			break;
		case 't':
			op.bo.timeout_s = cli_seconds(synopsis, "--timeout",
			    optarg, 0);
			break;
		case 'v':
			op.bo.variants = optarg;
			break;
		case 'V':
			op.version = 1;
			break;
		case 'w':
			op.bo.warmup = cli_long(synopsis, "--warmup", optarg, 0,
			    LONG_MAX);
			break;
		default:
			cli_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (op.version) {
		free(op.bo.defs);
		return cli_version("ar-bench");
	}
	if (op.bo.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	if (op.bo.cache != NULL && *op.bo.cache == '\0')
		cli_bad_usage(synopsis, "--cache: the folder name is empty");
	if (op.bo.variants != NULL && *op.bo.variants == '\0')
		cli_bad_usage(synopsis, "--variants: the folder name is empty");
	files = cli_inputs(synopsis, &argc, argv);

	status = bench(&op, files, argc);
	free(op.bo.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
