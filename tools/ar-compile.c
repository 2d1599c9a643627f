/*
 * ar-compile: the second stage.  Reads proposal records and builds each
 * variant of a study's kernel into the content-addressed cache, adding
 * the artifact's path and the outcome of the compile to the record: a
 * shared object for backend "c", a cubin for backend "cuda".
 *
 * With -j N, N worker threads build at once.  Records stay in input order:
 * the main thread reads, checks and queues them, and each leaves as soon
 * as it and all before it are built (pool.h), whatever the input is still
 * doing.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "compile.h"
#include "cli.h"
#include "pool.h"
#include "progress.h"
#include "rec.h"
#include "space.h"
#include "spec.h"
#include "util.h"
#include "variant.h"
#include "varstore.h"

/* The most records read ahead of the output, per job. */
#define WINDOW_PER_JOB	4
#define MAX_JOBS	256

static const char synopsis[] =
    "usage: ar-compile -s study [-D name=value] [-j jobs] [--arch sm_XX]\n"
    "                  [--cache dir] [--device name] [--nvcc] "
    "[--timeout seconds]\n"
    "                  [--keep-going] [--progress] [--variants dir] "
    "[--csv] [file ...]\n";

static const char help[] =
    "Build each proposed variant of a study into a content-addressed "
    "cache.\n\n"
    "  -s, --study FILE      the study spec (see ar-study(5))\n"
    "  -D, --define N=V      override the problem constant N\n"
    "  -j, --jobs N          build N variants at once (default: the "
    "number of CPUs)\n"
    "      --arch sm_XX      cuda: the GPU architecture to build for "
    "(default: that of\n"
    "                        GPU 0, else sm_90)\n"
    "      --cache DIR       the cache folder (default: $AR_CACHE, "
    "else\n"
    "                        $XDG_CACHE_HOME/autoresearch, else "
    "~/.cache/autoresearch)\n"
    "      --device NAME     opencl: the device, \"P:D\" or a part of its "
    "name (default:\n"
    "                        the study's \"device\", else a GPU, else "
    "the first)\n"
    "      --nvcc            cuda: build with one nvcc process per "
    "variant instead of\n"
    "                        NVRTC in this one\n"
    "      --timeout S       a compile that takes longer fails "
    "(default: the\n"
    "                        study's compile.timeout_s, else 300)\n"
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
	const char *study, *cache, *arch, *variants, *device;
	char **defs;
	size_t ndefs;
	long jobs;
	double timeout_s;
	int csv, keep_going, nvcc, progress, version;
};

/* One record on its way through. */
struct job {
	struct pool_item item;	/* first: the pool's */
	json_t *rec;		/* owned */
	char **defines;		/* owned, NULL-terminated; NULL: pass through */
	char *source;		/* owned: a variant's file; NULL: the study's */
	char *label;		/* "TI=32 TJ=64" for progress */
	int failed;		/* the machinery failed on it */
	struct ar_err err;
	struct build_result res;
};

/* The stage, as the pool's callbacks see it. */
struct stage {
	struct pool pool;
	int status;			/* exit status when stopping */
	struct ar_err fatal;

	const struct opts *op;
	const struct compile_backend *be; /* NULL: records pass through */
	struct build_req req;		/* all but the defines */
	char *store;			/* the variants store */
	struct rec_writer *w;
	int show;			/* progress lines */
	struct progress pace;		/* its done: the records written */
};

static void
job_free(struct pool_item *it)
{
	struct job *j = (struct job *)it;

	json_decref(j->rec);
	ar_strv_free(j->defines);
	free(j->source);
	free(j->label);
	build_result_release(&j->res);
	free(j);
}

/* The record as it leaves: the stage's two fields replaced, at the end. */
static json_t *
job_output(const struct stage *p, const struct job *j)
{
	json_t *out = json_copy(j->rec), *c;
	struct ar_err err;

	if (j->defines == NULL)
		return out;
	json_object_del(out, "artifact");
	json_object_del(out, "compile");
	if (j->res.ok)
		json_object_set_new(out, "artifact",
		    json_string(j->res.artifact));
	if ((c = build_record(&p->req, &j->res, &err)) == NULL)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	json_object_set_new(out, "compile", c);
	return out;
}

/*
 * The status line, with the pool's lock held: the oldest variant being built, how
 * many others are, the time spent and the mean time a variant took.  How
 * many records are still to come is not known (they arrive on a pipe as
 * ar-propose writes them), so nothing says how long is left.
 */
static void
show_building(void *ctx)
{
	struct stage *p = ctx;
	struct pool_item *it;
	struct job *j, *first = NULL;
	unsigned long n = p->pace.done, pos = 0, more = 0;
	struct ar_buf t = { 0 };

	if (!p->show)
		return;
	for (it = p->pool.head; it != NULL; it = it->next) {
		j = (struct job *)it;
		n++;
		if (!it->running || j->defines == NULL)
			continue;
		if (first == NULL)
			first = j, pos = n;
		else
			more++;
	}
	if (first == NULL) {
		ar_status_clear();
		return;
	}
	buf_printf(&t, "[%lu/?] %s ...", pos, first->label);
	if (more > 0)
		buf_printf(&t, " (and %lu more)", more);
	progress_pace(&p->pace, "variant", &t);
	ar_status("%s", t.buf);
	free(t.buf);
}

/*
 * Writes a record that is done, in order, with the pool's lock held.
 * Returns nonzero to stop.
 */
static int
emit(void *ctx, struct pool_item *it)
{
	struct stage *p = ctx;
	struct job *j = (struct job *)it;
	struct ar_err err;
	json_t *out;

	if (j->failed) {
		p->status = AR_EXIT_FAIL;
		p->fatal = j->err;
		return 1;
	}
	out = job_output(p, j);
	if (rec_write(p->w, out, &err) != 0) {
		/* A reader that left is no failure of ours. */
		p->status = errno == EPIPE ? AR_EXIT_OK : AR_EXIT_FAIL;
		if (errno != EPIPE)
			p->fatal = err;
		else
			p->fatal.msg[0] = '\0';
		json_decref(out);
		return 1;
	}
	json_decref(out);
	progress_done(&p->pace, j->label, 0, NAN);
	if (p->show && j->defines != NULL) {
		ar_status_clear();
		fprintf(stderr, "[%zu/?] %s %s %.2f s%s\n", p->pace.done,
		    j->label, j->res.ok ? "ok" : "error",
		    j->res.seconds, j->res.cached ? " (cached)" : "");
	}
	return 0;
}

static void
run(void *ctx, struct pool_item *it)
{
	struct stage *p = ctx;
	struct job *j = (struct job *)it;
	struct build_req req = p->req;

	req.defines = j->defines;
	if (j->source != NULL)
		req.source = j->source;
	if (build_so(&req, &j->res, &j->err) != 0)
		j->failed = 1;
}

static const struct pool_ops ops = { run, emit, show_building, job_free };

/*
 * Checks a record and makes its job: of a study built here, the defines
 * are every parameter and every problem constant, and the source the
 * record's variant, checked, or the study's; of another, it passes
 * through.  Returns NULL with err set when the record is bad.
 */
static struct job *
make_job(struct stage *p, struct space *sp, json_t *rec, space_idx *cfg,
    struct ar_err *err)
{
	const struct spec *s = sp->spec;
	char *src = NULL;
	struct job *j;

	if (p->be != NULL && space_from_record(sp, rec, cfg, err) != 0)
		return NULL;
	if (variant_check_record(sp, p->store, rec, p->be != NULL ? cfg :
	    NULL, 0, &src, err) != 0)
		return NULL;
	j = ecalloc(1, sizeof(*j));
	j->rec = json_incref(rec);
	if (p->be == NULL) {
		j->item.done = 1;
		return j;
	}
	j->defines = variant_defines(s, cfg);
	j->label = progress_label(s, cfg);
	j->source = src;
	return j;
}

/*
 * Reads one input and queues its records.  Returns 0, or 2 at a bad
 * record without --keep-going (after saying what is wrong).
 */
static int
read_input(struct stage *p, struct space *sp, const char *path)
{
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	space_idx *cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	int rc, status = 0;
	char last[sizeof(((struct ar_err *)0)->msg)] = "";
	struct ar_err err;
	struct job *j;
	json_t *rec;

	while (!pool_stopped(&p->pool)) {
		if ((rc = rec_read(r, &rec, &err)) == 0)
			break;
		if (rc < 0) {
			ar_warn("%s", err.msg);
			/* A reader that cannot go on says the same again. */
			if (!p->op->keep_going || strcmp(last, err.msg) == 0) {
				status = p->op->keep_going ? 0 : AR_EXIT_USAGE;
				break;
			}
			snprintf(last, sizeof(last), "%s", err.msg);
			continue;
		}
		last[0] = '\0';
		if ((j = make_job(p, sp, rec, cfg, &err)) == NULL) {
			ar_warn("%s:%zu: %s%s", rec_reader_name(r),
			    rec_reader_line(r), err.msg,
			    p->op->keep_going ? "; record dropped" : "");
			json_decref(rec);
			if (!p->op->keep_going) {
				status = AR_EXIT_USAGE;
				break;
			}
			continue;
		}
		json_decref(rec);
		pool_add(&p->pool, &j->item);
	}
	free(cfg);
	rec_reader_free(r);
	cli_close_input(f);
	return status;
}

/* The work, once the options are checked; returns the exit status. */
static int
compile(struct opts *op, char *const *files, int nfiles)
{
	struct spec spec;
	struct space space;
	struct stage p;
	struct variant_compile vc;
	struct ar_err err;
	const char *arch = NULL;
	char *cache, target[1024];
	long i;
	int status = 0;

	if (spec_load(&spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	memset(&p, 0, sizeof(p));
	p.be = build_backend(spec.backend);
	if ((status = compile_target(p.be, &spec, op->arch, op->nvcc,
	    op->device, target, sizeof(target), &arch, &err)) != 0)
		ar_die(status, "%s", err.msg);
	if (space_init(&space, &spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (p.be != NULL && spec.source == NULL)
		ar_die(AR_EXIT_USAGE, "%s: the study names no source to build",
		    op->study);

	p.op = op;
	cache = variant_cache(op->cache);
	p.store = varstore_dir(op->variants);
	variant_compile_load(&vc, &spec);
	variant_request(&vc, &spec, NULL, cache, arch, op->nvcc, &p.req);
	/* --timeout, else the study's compile.timeout_s, else 300 s. */
	p.req.timeout_s = op->timeout_s >= 0 ? op->timeout_s : vc.timeout_s;
	p.req.backend = p.be;
	p.show = op->progress || isatty(STDERR_FILENO);
	progress_start(&p.pace, 0);
	p.w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV : REC_JSONL,
	    p.be != NULL ? p.be->columns : NULL, 1);
	rec_writer_on_warn(p.w, cli_warn);

	if (pool_start(&p.pool, op->jobs, (size_t)op->jobs * WINDOW_PER_JOB,
	    &ops, &p, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	for (i = 0; i < nfiles && status == 0 && !pool_stopped(&p.pool); i++)
		status = read_input(&p, &space, files[i]);
	/* The records read so far are good: they are built and written. */
	pool_finish(&p.pool);
	if (p.show)
		ar_status_clear();

	if (p.pool.stop) {
		if (p.fatal.msg[0] != '\0')
			ar_warn("%s", p.fatal.msg);
		if (p.status != AR_EXIT_OK)
			status = p.status;
		rec_writer_free(p.w, &err);
	} else if (rec_writer_free(p.w, &err) != 0 && errno != EPIPE) {
		ar_warn("%s", err.msg);
		status = AR_EXIT_FAIL;
	}
	progress_release(&p.pace);
	free(cache);
	free(p.store);
	variant_compile_release(&vc);
	space_release(&space);
	spec_release(&spec);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "cache", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "nvcc", no_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, 'p' },
		{ "study", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "variants", required_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { .jobs = 0, .timeout_s = -1 };
	char *const *files;
	int ch, status;

	/* A build of an opencl variant, run by ar-compile (compile.h). */
	if (getenv(COMPILE_OPENCL_CHILD) != NULL)
		compile_opencl_child(argc, argv);
	cli_setprogname(argv);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	while ((ch = getopt_long(argc, argv, "D:hj:s:", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'a':
			op.arch = optarg;
			break;
		case 'c':
			op.cache = optarg;
			break;
		case 'C':
			op.csv = 1;
			break;
		case 'D':
			op.defs[op.ndefs++] = optarg;
			break;
		case 'd':
			op.device = optarg;
			break;
		case 'h':
			cli_help(synopsis, help);
			break;
		case 'j':
			op.jobs = cli_long(synopsis, "-j", optarg, 1, MAX_JOBS);
			break;
		case 'k':
			op.keep_going = 1;
			break;
		case 'n':
			op.nvcc = 1;
			break;
		case 'p':
			op.progress = 1;
			break;
		case 's':
			op.study = optarg;
			break;
		case 't':
			/* 0: no time limit, as the man page says. */
			op.timeout_s = cli_seconds(synopsis, "--timeout",
			    optarg, 1);
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
		return cli_version("ar-compile");
	}
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	if (op.cache != NULL && *op.cache == '\0')
		cli_bad_usage(synopsis, "--cache: the folder name is empty");
	if (op.variants != NULL && *op.variants == '\0')
		cli_bad_usage(synopsis, "--variants: the folder name is empty");
	if (op.arch != NULL && !variant_real_arch(op.arch))
		cli_bad_usage(synopsis, "--arch: '%s' is not a GPU "
		    "architecture of the form sm_XX (sm_80, sm_90a)", op.arch);
	files = cli_inputs(synopsis, &argc, argv);
	if (op.jobs == 0)
		op.jobs = cli_ncpus(MAX_JOBS);

	status = compile(&op, files, argc);
	free(op.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
