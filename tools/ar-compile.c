/*
 * ar-compile: the second stage.  Reads proposal records and builds each
 * variant of a study's kernel into the content-addressed cache, adding
 * the artifact's path and the outcome of the compile to the record: a
 * shared object for backend "c", a cubin for backend "cuda".
 *
 * With -j N, N worker threads build at once.  Records stay in input order:
 * the main thread reads and checks them and queues them in order; the
 * thread that finishes the first unwritten one writes it, and every done
 * one after it, so that each record leaves as soon as it and all before
 * it are built, whatever the input is still doing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "cli.h"
#include "gpu.h"
#include "hash.h"
#include "progress.h"
#include "rec.h"
#include "space.h"
#include "spec.h"
#include "util.h"

/* The most records read ahead of the output, per job. */
#define WINDOW_PER_JOB	4
#define MAX_JOBS	256
/* The default time a compile may take. */
#define DEFAULT_TIMEOUT	300.0

static const char synopsis[] =
    "usage: ar-compile -s study [-D name=value] [-j jobs] [--arch sm_XX]\n"
    "                  [--cache dir] [--nvcc] [--timeout seconds] "
    "[--keep-going]\n"
    "                  [--progress] [--csv] [file ...]\n";

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
    "      --csv             write CSV instead of JSON lines\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

struct opts {
	const char *study, *cache, *arch;
	char **defs;
	size_t ndefs;
	long jobs;
	double timeout_s;
	int csv, keep_going, nvcc, progress, version;
};

/* One record on its way through. */
struct job {
	json_t *rec;		/* owned */
	char **defines;		/* owned, NULL-terminated; NULL: pass through */
	char *label;		/* "TI=32 TJ=64" for progress */
	int running, done;
	int failed;		/* the machinery failed on it */
	struct ar_err err;
	struct build_result res;
	struct job *next;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, progress;
	struct job *head, *tail;	/* every record not yet written */
	struct job *todo;		/* the first one not yet started */
	size_t outstanding, window;
	int closing;			/* no more records will come */
	int stop;			/* give up: write nothing more */
	int status;			/* exit status when stopping */
	struct ar_err fatal;

	const struct opts *op;
	const struct spec *spec;
	char *cache, *cc;
	char **flags;
	int build;			/* c, cuda: else records pass through */
	const char *arch;		/* cuda: the architecture; else NULL */
	struct rec_writer *w;
	int show;			/* progress lines */
	struct progress pace;		/* its done: the records written */
};

static void
job_free(struct job *j)
{
	json_decref(j->rec);
	ar_strv_free(j->defines);
	free(j->label);
	build_result_release(&j->res);
	free(j);
}

/*
 * The record as it leaves: the stage's two fields replaced, at the end.
 * A cubin's record names the architecture and the compiler, which with
 * the study make its key, so ar-bench can check the artifact.
 */
static json_t *
job_output(const struct pool *p, const struct job *j)
{
	json_t *out = json_copy(j->rec), *c;

	if (j->defines == NULL)
		return out;
	json_object_del(out, "artifact");
	json_object_del(out, "compile");
	if (j->res.ok)
		json_object_set_new(out, "artifact",
		    json_string(j->res.artifact));
	c = json_object();
	json_object_set_new(c, "status",
	    json_string(j->res.ok ? "ok" : "error"));
	json_object_set_new(c, "seconds", json_real(j->res.seconds));
	json_object_set_new(c, "log", json_string(j->res.log));
	/* What ar-bench checks before it runs the artifact. */
	if (j->res.ok) {
		char hex[HASH_HEXLEN + 1];
		struct ar_err err;

		if (hash_file_sha256_hex(j->res.artifact, hex, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		json_object_set_new(c, "sha256", json_string(hex));
	}
	if (p->arch != NULL) {
		json_object_set_new(c, "arch", json_string(p->arch));
		json_object_set_new(c, "compiler",
		    json_string(p->op->nvcc ? "nvcc" : "nvrtc"));
	}
	json_object_set_new(out, "compile", c);
	return out;
}

/*
 * The status line, with p->mu held: the oldest variant being built, how
 * many others are, the time spent and the mean time a variant took.  How
 * many records are still to come is not known (they arrive on a pipe as
 * ar-propose writes them), so nothing says how long is left.
 */
static void
show_building(struct pool *p)
{
	struct job *j, *first = NULL;
	unsigned long n = p->pace.done, pos = 0, more = 0;
	struct ar_buf t = { 0 };

	for (j = p->head; j != NULL; j = j->next) {
		n++;
		if (!j->running || j->defines == NULL)
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
 * Writes the done records at the head of the queue, in order.  Called
 * with the lock held, by whichever thread finished last.
 */
static void
flush_head(struct pool *p)
{
	struct ar_err err;
	struct job *j;
	json_t *out;

	while (!p->stop && (j = p->head) != NULL && j->done) {
		if (j->failed) {
			p->stop = 1;
			p->status = AR_EXIT_FAIL;
			p->fatal = j->err;
			break;
		}
		out = job_output(p, j);
		if (rec_write(p->w, out, &err) != 0) {
			p->stop = 1;
			/* A reader that left is no failure of ours. */
			p->status = errno == EPIPE ? AR_EXIT_OK : AR_EXIT_FAIL;
			if (errno != EPIPE)
				p->fatal = err;
			else
				p->fatal.msg[0] = '\0';
			json_decref(out);
			break;
		}
		json_decref(out);
		progress_done(&p->pace, j->label, 0, NAN);
		if (p->show && j->defines != NULL) {
			ar_status_clear();
			fprintf(stderr, "[%zu/?] %s %s %.2f s%s\n", p->pace.done,
			    j->label, j->res.ok ? "ok" : "error",
			    j->res.seconds, j->res.cached ? " (cached)" : "");
		}
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		job_free(j);
		p->outstanding--;
	}
	if (p->show)
		show_building(p);
	pthread_cond_broadcast(&p->progress);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct build_req req;
	struct job *j;

	memset(&req, 0, sizeof(req));
	req.cc = p->cc;
	req.source = p->spec->source;
	req.flags = p->flags;
	req.cache = p->cache;
	req.timeout_s = p->op->timeout_s;
	req.arch = p->arch;
	req.nvcc = p->op->nvcc;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->todo == NULL && !p->closing)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop || p->todo == NULL)
			break;
		j = p->todo;
		for (p->todo = j->next; p->todo != NULL && p->todo->done;
		    p->todo = p->todo->next)
			;
		j->running = 1;
		if (p->show && j->defines != NULL)
			show_building(p);
		pthread_mutex_unlock(&p->mu);

		req.defines = j->defines;
		if (build_so(&req, &j->res, &j->err) != 0)
			j->failed = 1;

		pthread_mutex_lock(&p->mu);
		j->running = 0;
		j->done = 1;
		flush_head(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Queues a job; waits while too many are ahead of the output. */
static void
enqueue(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->outstanding >= p->window)
		pthread_cond_wait(&p->progress, &p->mu);
	if (p->stop) {
		pthread_mutex_unlock(&p->mu);
		job_free(j);
		return;
	}
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->outstanding++;
	if (j->done)
		flush_head(p);
	else {
		if (p->todo == NULL)
			p->todo = j;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
}

static int
stopped(struct pool *p)
{
	int s;

	pthread_mutex_lock(&p->mu);
	s = p->stop;
	pthread_mutex_unlock(&p->mu);
	return s;
}

/*
 * Checks a record of a study built here and makes its job: the defines
 * are every parameter and every problem constant.  Returns NULL with err
 * set when the record is bad.
 */
static struct job *
make_job(struct space *sp, json_t *rec, space_idx *cfg, struct ar_err *err)
{
	const struct spec *s = sp->spec;
	json_t *study = json_object_get(rec, "study");
	json_t *params = json_object_get(rec, "params");
	struct job *j;
	size_t i, n = 0;

	if (study != NULL && (!json_is_string(study) ||
	    strcmp(json_string_value(study), s->name) != 0)) {
		ar_errf(err, "a record of another study (%s%s%s), not of '%s'",
		    json_is_string(study) ? "'" : "",
		    json_is_string(study) ? json_string_value(study) :
		    "not a string", json_is_string(study) ? "'" : "", s->name);
		return NULL;
	}
	if (!json_is_object(params)) {
		ar_errf(err, "%s", params == NULL ? "no \"params\" object" :
		    "\"params\" is not an object");
		return NULL;
	}
	if (space_from_json(sp, params, cfg, err) != 0)
		return NULL;
	j = ecalloc(1, sizeof(*j));
	j->defines = ecalloc(s->nparams + s->nconsts + 1, sizeof(char *));
	for (i = 0; i < s->nparams; i++) {
		struct ar_buf d = { 0 };
		const char *t = s->params[i].text[cfg[i]];

		buf_printf(&d, "%s=%s", s->params[i].name, t);
		j->defines[n++] = d.buf;
	}
	for (i = 0; i < s->nconsts; i++) {
		struct ar_buf d = { 0 };

		buf_printf(&d, "%s=%s", s->consts[i].name, s->consts[i].text);
		j->defines[n++] = d.buf;
	}
	j->label = progress_label(s, cfg);
	j->rec = json_incref(rec);
	return j;
}

/*
 * Reads one input and queues its records.  Returns 0, or 2 at a bad
 * record without --keep-going (after saying what is wrong).
 */
static int
read_input(struct pool *p, struct space *sp, const char *path)
{
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	space_idx *cfg = ecalloc(sp->np ? sp->np : 1, sizeof(*cfg));
	int rc, status = 0;
	char last[sizeof(((struct ar_err *)0)->msg)] = "";
	struct ar_err err;
	struct job *j;
	json_t *rec;

	while (!stopped(p)) {
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
		if (!p->build) {
			j = ecalloc(1, sizeof(*j));
			j->rec = rec;
			j->done = 1;
			enqueue(p, j);
			continue;
		}
		if ((j = make_job(sp, rec, cfg, &err)) == NULL) {
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
		enqueue(p, j);
	}
	free(cfg);
	rec_reader_free(r);
	cli_close_input(f);
	return status;
}

static const char *const compile_columns[] = {
	"artifact", "compile.status", "compile.seconds", "compile.log",
	"compile.sha256", NULL
};
static const char *const cuda_columns[] = {
	"artifact", "compile.status", "compile.seconds", "compile.log",
	"compile.sha256", "compile.arch", "compile.compiler", NULL
};

/* The cache folder as an absolute path, so records name it wherever
 * they are read. */
static char *
absolute(const char *path)
{
	struct ar_buf b = { 0 };
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return estrdup(path);
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	buf_printf(&b, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path);
	return b.buf;
}

/*
 * The study's compile settings: the compiler (not for cuda, where it is
 * NVRTC or nvcc) and the flags.
 */
static void
compile_settings(struct pool *p)
{
	json_t *c = json_object_get(p->spec->root, "compile");
	json_t *fl = json_object_get(c, "flags"), *v;
	size_t i;

	if (p->arch == NULL && json_is_string(json_object_get(c, "cc")))
		p->cc = estrdup(json_string_value(json_object_get(c, "cc")));
	p->flags = ecalloc(json_array_size(fl) + 1, sizeof(char *));
	json_array_foreach(fl, i, v)
		p->flags[i] = estrdup(json_string_value(v));
}

/* The work, once the options are checked; returns the exit status. */
static int
compile(struct opts *op, char *const *files, int nfiles)
{
	struct spec spec;
	struct space space;
	struct pool p;
	struct ar_err err;
	pthread_t *th;
	long i;
	int status = 0, build, cuda, rc;
	char *cache, arch[16];

	if (spec_load(&spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	/* --timeout, else the study's compile.timeout_s, else 300 s. */
	if (op->timeout_s < 0) {
		json_t *t = json_object_get(json_object_get(spec.root,
		    "compile"), "timeout_s");

		op->timeout_s = json_is_number(t) ? json_number_value(t) :
		    DEFAULT_TIMEOUT;
	}
	if (strcmp(spec.backend, "opencl") == 0)
		ar_die(AR_EXIT_USAGE, "%s: backend '%s' is not supported by "
		    "ar-compile yet", op->study, spec.backend);
	cuda = strcmp(spec.backend, "cuda") == 0;
	build = cuda || strcmp(spec.backend, "c") == 0;
	if (!cuda && (op->arch != NULL || op->nvcc))
		ar_die(AR_EXIT_USAGE, "%s: %s is for a study of backend cuda, "
		    "not '%s'", op->study, op->arch != NULL ? "--arch" :
		    "--nvcc", spec.backend);
	if (space_init(&space, &spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (build && spec.source == NULL)
		ar_die(AR_EXIT_USAGE, "%s: the study names no source to build",
		    op->study);

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.progress, NULL);
	p.op = op;
	p.spec = &spec;
	if (cuda)
		p.arch = op->arch != NULL ? op->arch :
		    gpu_default_arch(arch, sizeof(arch));
	cache = op->cache ? estrdup(op->cache) : build_default_cache();
	p.cache = absolute(cache);
	free(cache);
	p.build = build;
	compile_settings(&p);
	p.window = (size_t)op->jobs * WINDOW_PER_JOB;
	p.show = op->progress || isatty(STDERR_FILENO);
	progress_start(&p.pace, 0);
	p.w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV : REC_JSONL,
	    cuda ? cuda_columns : build ? compile_columns : NULL, 1);
	rec_writer_on_warn(p.w, cli_warn);

	th = ecalloc((size_t)op->jobs, sizeof(*th));
	for (i = 0; i < op->jobs; i++)
		if ((rc = pthread_create(&th[i], NULL, worker, &p)) != 0)
			ar_die(AR_EXIT_FAIL, "cannot start a thread: %s",
			    strerror(rc));

	for (i = 0; i < nfiles && status == 0 && !stopped(&p); i++)
		status = read_input(&p, &space, files[i]);

	/* The records read so far are good: they are built and written. */
	pthread_mutex_lock(&p.mu);
	p.closing = 1;
	pthread_cond_broadcast(&p.work);
	while (!p.stop && p.head != NULL)
		pthread_cond_wait(&p.progress, &p.mu);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < op->jobs; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (p.show)
		ar_status_clear();
	while (p.head != NULL) {
		struct job *j = p.head;

		p.head = j->next;
		job_free(j);
	}

	if (p.stop) {
		if (p.fatal.msg[0] != '\0')
			ar_warn("%s", p.fatal.msg);
		if (p.status != AR_EXIT_OK)
			status = p.status;
		rec_writer_free(p.w, &err);
	} else if (rec_writer_free(p.w, &err) != 0 && errno != EPIPE) {
		ar_warn("%s", err.msg);
		status = AR_EXIT_FAIL;
	}
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.progress);
	pthread_mutex_destroy(&p.mu);
	progress_release(&p.pace);
	free(p.cache);
	free(p.cc);
	ar_strv_free(p.flags);
	space_release(&space);
	spec_release(&spec);
	return status;
}

/*
 * A real architecture, sm_ and digits with at most one letter after
 * them (sm_90a): one that NVRTC and nvcc make a cubin for, where a
 * virtual one (compute_90) would give PTX.
 */
static int
real_arch(const char *a)
{
	size_t n;

	if (strncmp(a, "sm_", 3) != 0)
		return 0;
	a += 3;
	if ((n = strspn(a, "0123456789")) == 0 || n > 4)
		return 0;
	a += n;
	return *a == '\0' || (a[0] >= 'a' && a[0] <= 'z' && a[1] == '\0');
}

static long
default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "cache", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "nvcc", no_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, 'p' },
		{ "study", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { .jobs = 0, .timeout_s = -1 };
	char *const *files;
	int ch, status;

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
	if (op.arch != NULL && !real_arch(op.arch))
		cli_bad_usage(synopsis, "--arch: '%s' is not a GPU "
		    "architecture of the form sm_XX (sm_80, sm_90a)", op.arch);
	files = cli_inputs(synopsis, &argc, argv);
	if (op.jobs == 0)
		op.jobs = default_jobs();

	status = compile(&op, files, argc);
	free(op.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
