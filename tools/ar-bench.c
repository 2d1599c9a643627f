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
 * Every record is read and checked before any is measured: a bad record
 * stops the run before anything was executed, and the compiler stages
 * upstream have finished before the first timing, so they do not compete
 * with it for the CPU.  Each record is written as soon as it is measured.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "build.h"
#include "cli.h"
#include "cudarun.h"
#include "hash.h"
#include "jsonw.h"
#include "launch.h"
#include "measure.h"
#include "proc.h"
#include "progress.h"
#include "rec.h"
#include "replay.h"
#include "rng.h"
#include "sandbox.h"
#include "space.h"
#include "spec.h"
#include "stats.h"
#include "util.h"

#define DEFAULT_WARMUP	1
#define DEFAULT_REPEAT	5
#define DEFAULT_TIMEOUT	10.0
/* The largest file a candidate may write, unless the study says. */
#define DEFAULT_FILE_MB	1024.0
#define MIB		1048576.0
#define DEFAULT_RTOL	1e-4
#define DEFAULT_ATOL	1e-5
/* How long the reference may take to compile. */
#define REF_COMPILE_TIMEOUT 300.0
/* cuda: the least time one run of the reference, on the processor, may
 * take, whatever the GPU's timeout: it does the GPU's work on a CPU. */
#define REF_RUN_TIMEOUT	600.0
/* cuda: what a worker may take beyond its runs (starting CUDA, loading
 * the cubin), and the rate its copies are counted at, in bytes a second. */
#define CUDA_SLACK_S	60.0
#define CUDA_COPY_RATE	1e9
/* cuda, --energy: windows of at least this many seconds each. */
#define ENERGY_WINDOW_S	0.5
#define ENERGY_WINDOWS	3
/* Lines of a failed command's stderr kept in "error". */
#define TAIL_LINES	3

static const char synopsis[] =
    "usage: ar-bench -s study [-D name=value] [--cache dir] [--warmup w]\n"
    "                [--repeat r] [--timeout seconds] [--seed k] "
    "[--energy]\n"
    "                [--keep-going] [--progress] [--csv] [file ...]\n";

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
    "      --csv             write CSV instead of JSON lines\n"
    "  -h, --help            print this help\n"
    "      --version         print the version\n";

struct opts {
	const char *study, *cache;
	char **defs;
	size_t ndefs;
	long warmup, repeat;	/* -1: the study's */
	double timeout_s;	/* < 0: the study's */
	uint64_t seed;
	int csv, energy, keep_going, progress, version;
};

enum backend { BACKEND_C, BACKEND_COMMAND, BACKEND_CUDA, BACKEND_REPLAY };

/* One record read, checked, and waiting to be measured. */
struct item {
	json_t *rec;		/* owned */
	char *where;		/* "FILE:LINE" */
	space_idx *cfg;
	int compile_error;
	char *artifact;		/* c, cuda: the artifact's real path */
	char sha256[HASH_HEXLEN + 1];	/* c, cuda: its content, as built */
	char *arch;		/* cuda: what it was built for */
	/* c, cuda, while it is measured: the artifact's bytes, sealed in
	 * memory (fd, or -1), and the path the child loads them from. */
	int sealed;
	char load[32];
};

struct bench {
	const struct opts *op;
	struct spec spec;
	struct space space;
	enum backend backend;
	struct args args;
	size_t warmup, repeat, trials, nsets;
	int per_variant;	/* bench.inputs "variant" */
	int sandbox;		/* bench.sandbox */
	double timeout_s, rtol, atol;
	/* The candidates' resource limits (0: none), bench.cpu_s,
	 * bench.memory_mb and bench.file_mb. */
	double cpu_s;
	size_t as_bytes, file_bytes;
	struct expr *bound;
	char *cache, *cc;
	char **flags;		/* the study's compile flags */
	struct launch launch;	/* cuda */
	const struct gpu_dev *gpu;	/* cuda: device 0 */
	int energy_said;	/* cuda: why there is no energy was said */
	char *ref_source, *ref_so;
	const char *ref_entry;
	struct measure_cache mc;
	uint64_t max_bytes;
	char *host;		/* the machine; replay: NULL */
	char *device;		/* the CPU or GPU; NULL if unknown */
	struct replay *replay;	/* replay: the cache file, indexed */
	struct val *slots;
	struct rec_writer *w;
	int show;
	int env;		/* command: params in the environment too */

	struct item *items;
	size_t nitems, cap;
};

/* The fields ar-bench owns: an input's are replaced, at the end. */
static const char *const owned[] = {
	"status", "time_s", "times", "verify", "refused", "ref_time_s",
	"output", "energy_j", "cost_s", "host", "device", "error"
};

static const char *const c_columns[] = {
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "verify.max_abs_err", "verify.max_rel_err",
	"refused", "ref_time_s", "cost_s", "host", "device", "error", NULL
};

/* cuda with --energy: the same and energy_j. */
static const char *const energy_columns[] = {
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "verify.max_abs_err", "verify.max_rel_err",
	"ref_time_s", "energy_j", "cost_s", "host", "device", "error", NULL
};

static const char *const command_columns[] = {
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "cost_s", "host", "device", "error", NULL
};

/* The cache folder as an absolute path, as ar-compile names it. */
static char *
absolute(const char *path)
{
	struct ar_buf b = { 0 };
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return estrdup(path);
	buf_printf(&b, "%s/%s", cwd, path);
	return b.buf;
}

/* A number from the study's object obj, or dflt. */
static double
study_num(const struct spec *s, const char *obj, const char *key,
    double dflt)
{
	json_t *v = json_object_get(json_object_get(s->root, obj), key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/*
 * The study's settings for measuring, with the options over them, and
 * what a "c" study must have: an entry, and a reference when anything is
 * to be checked.
 */
static void
settings(struct bench *b)
{
	const struct opts *op = b->op;
	struct spec *s = &b->spec;
	json_t *c = json_object_get(s->root, "compile"), *ref, *v;
	struct ar_err err;
	const char *e;
	char msg[256];
	size_t i;

	b->warmup = op->warmup >= 0 ? (size_t)op->warmup :
	    (size_t)study_num(s, "bench", "warmup", DEFAULT_WARMUP);
	b->repeat = op->repeat >= 0 ? (size_t)op->repeat :
	    (size_t)study_num(s, "bench", "repeat", DEFAULT_REPEAT);
	b->timeout_s = op->timeout_s > 0 ? op->timeout_s :
	    study_num(s, "bench", "timeout_s", DEFAULT_TIMEOUT);
	/*
	 * By default every run has inputs of its own, so that no timed run
	 * sees inputs an earlier run of the same process saw: a kernel
	 * that kept its answers by input would otherwise give them back,
	 * right, over 40 times faster (pipelines/bench/memo.sh).
	 */
	b->trials = (size_t)study_num(s, "bench", "trials",
	    (double)(b->warmup + b->repeat));
	b->cpu_s = study_num(s, "bench", "cpu_s", 0);
	b->as_bytes = (size_t)(study_num(s, "bench", "memory_mb", 0) * MIB);
	b->file_bytes = (size_t)(study_num(s, "bench", "file_mb",
	    DEFAULT_FILE_MB) * MIB);
	b->rtol = study_num(s, "verify", "rtol", DEFAULT_RTOL);
	b->atol = study_num(s, "verify", "atol", DEFAULT_ATOL);
	/* Run k uses input set k % nsets: more sets than runs would go
	 * unused. */
	b->nsets = b->trials < b->warmup + b->repeat ? b->trials :
	    b->warmup + b->repeat;
	b->env = json_is_true(json_object_get(s->root, "env"));
	v = json_object_get(json_object_get(s->root, "bench"), "inputs");
	b->per_variant = json_is_string(v) &&
	    strcmp(json_string_value(v), "variant") == 0;
	/* AR_SANDBOX=off: for tools that cannot follow a process into
	 * seccomp (valgrind). */
	b->sandbox = !json_is_false(json_object_get(json_object_get(s->root,
	    "bench"), "sandbox")) && !((e = getenv("AR_SANDBOX")) != NULL &&
	    strcmp(e, "off") == 0);

	if ((v = json_object_get(s->root, "bound")) != NULL) {
		char num[64];
		const char *src = num;

		if (json_is_string(v))
			src = json_string_value(v);
		else
			jsonw_fmt_g(json_number_value(v), num, sizeof(num));
		if ((b->bound = expr_parse(src, spec_lookup, s, msg,
		    sizeof(msg))) == NULL)
			ar_die(AR_EXIT_USAGE, "%s: key \"bound\": %s in '%s'",
			    s->path, msg, src);
	}
	if (b->backend == BACKEND_COMMAND || b->backend == BACKEND_REPLAY)
		return;
	/* The answers live in this process: no sandboxed kernel reads
	 * them through /proc. */
	if (b->sandbox)
		sandbox_guard_parent();

	if (args_load(&b->args, s, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (b->backend == BACKEND_CUDA &&
	    launch_load(&b->launch, s, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (s->entry == NULL)
		ar_die(AR_EXIT_USAGE, "%s: key \"entry\": missing (the "
		    "function ar-bench calls)", s->path);
	ref = json_object_get(s->root, "reference");
	if (ref == NULL && b->args.noutputs > 0)
		ar_die(AR_EXIT_USAGE, "%s: key \"reference\": missing (every "
		    "output is checked against it)", s->path);
	if (ref != NULL) {
		const char *src = json_string_value(json_object_get(ref,
		    "source"));
		struct ar_buf p = { 0 };

		b->ref_entry = json_string_value(json_object_get(ref, "entry"));
		if (src == NULL || b->ref_entry == NULL)
			ar_die(AR_EXIT_USAGE, "%s: key \"reference\": expected "
			    "a \"source\" and an \"entry\"", s->path);
		if (src[0] == '/' || strcmp(s->dir, ".") == 0)
			buf_adds(&p, src);
		else
			buf_printf(&p, "%s/%s", s->dir, src);
		b->ref_source = p.buf;
	}
	/* A cuda study's compile options are NVRTC's; its reference is C,
	 * built as build_reference says. */
	if (json_is_string(json_object_get(c, "cc")) &&
	    b->backend == BACKEND_C)
		b->cc = estrdup(json_string_value(json_object_get(c, "cc")));
	v = json_object_get(c, "flags");
	b->flags = ecalloc(json_array_size(v) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(v); i++)
		b->flags[i] = estrdup(json_string_value(json_array_get(v, i)));
}

/* "NAME=VALUE" for every parameter of cfg (when given) and constant. */
static char **
defines(const struct spec *s, const space_idx *cfg)
{
	char **d = ecalloc(s->nparams + s->nconsts + 1, sizeof(*d));
	size_t i, n = 0;

	for (i = 0; cfg != NULL && i < s->nparams; i++) {
		struct ar_buf b = { 0 };

		buf_printf(&b, "%s=%s", s->params[i].name,
		    s->params[i].text[cfg[i]]);
		d[n++] = b.buf;
	}
	for (i = 0; i < s->nconsts; i++) {
		struct ar_buf b = { 0 };

		buf_printf(&b, "%s=%s", s->consts[i].name, s->consts[i].text);
		d[n++] = b.buf;
	}
	return d;
}

static int
is_hexid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == SPACE_IDLEN;
}

/* "sm_90", "sm_90a": an architecture a cubin is built for. */
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

/*
 * Checks a record and fills its item: of this study, params in its
 * space, the id of those params (when it has one of ar-propose's), and
 * for "c" and "cuda" the artifact built from exactly this source, these
 * params and constants, these flags and this compiler (for cuda, this
 * architecture and NVRTC or nvcc, as the record's compile says), inside
 * the cache.  Returns 0, or -1 with err set.
 */
static int
check_record(struct bench *b, struct item *it, struct ar_err *err)
{
	const struct spec *s = &b->spec;
	json_t *rec = it->rec, *study = json_object_get(rec, "study");
	json_t *params = json_object_get(rec, "params"), *id, *comp;
	struct build_req req;
	struct ar_err e2;
	const char *path;
	char key[HASH_HEXLEN + 1], want[SPACE_IDLEN + 1], **defs;
	int rc;

	if (study != NULL && (!json_is_string(study) ||
	    strcmp(json_string_value(study), s->name) != 0)) {
		ar_errf(err, "a record of another study (%s%s%s), not of '%s'",
		    json_is_string(study) ? "'" : "",
		    json_is_string(study) ? json_string_value(study) :
		    "not a string", json_is_string(study) ? "'" : "", s->name);
		return -1;
	}
	if (!json_is_object(params)) {
		ar_errf(err, "%s", params == NULL ? "no \"params\" object" :
		    "\"params\" is not an object");
		return -1;
	}
	if (space_from_json(&b->space, params, it->cfg, err) != 0)
		return -1;
	id = json_object_get(rec, "id");
	if (json_is_string(id) && is_hexid(json_string_value(id))) {
		space_id(&b->space, it->cfg, want);
		if (strcmp(want, json_string_value(id)) != 0) {
			ar_errf(err, "id '%s' is not the id of these params in "
			    "this study ('%s'): proposed for another source or "
			    "problem?", json_string_value(id), want);
			return -1;
		}
	}
	comp = json_object_get(rec, "compile");
	if (json_is_string(json_object_get(comp, "status")) &&
	    strcmp(json_string_value(json_object_get(comp, "status")),
	    "error") == 0) {
		it->compile_error = 1;
		return 0;
	}
	if (b->backend == BACKEND_COMMAND || b->backend == BACKEND_REPLAY)
		return 0;
	if ((path = json_string_value(json_object_get(rec, "artifact")))
	    == NULL) {
		ar_errf(err, "no \"artifact\" (ar-compile builds the variant "
		    "and names it)");
		return -1;
	}
	memset(&req, 0, sizeof(req));
	if (b->backend == BACKEND_CUDA) {
		const char *arch = json_string_value(json_object_get(comp,
		    "arch"));
		const char *by = json_string_value(json_object_get(comp,
		    "compiler"));

		if (arch == NULL || !real_arch(arch)) {
			ar_errf(err, "%s (ar-compile records the GPU "
			    "architecture it built for, such as \"sm_90\")",
			    arch == NULL ? "no \"compile.arch\"" :
			    "\"compile.arch\" is not a real architecture");
			return -1;
		}
		if (by != NULL && strcmp(by, "nvcc") != 0 &&
		    strcmp(by, "nvrtc") != 0) {
			ar_errf(err, "\"compile.compiler\" is '%s', not "
			    "\"nvrtc\" or \"nvcc\"", by);
			return -1;
		}
		req.arch = arch;
		req.nvcc = by != NULL && strcmp(by, "nvcc") == 0;
		it->arch = estrdup(arch);
	} else
		req.cc = b->cc;
	req.source = s->source;
	req.flags = b->flags;
	req.defines = defs = defines(s, it->cfg);
	req.cache = b->cache;
	rc = build_key(&req, key, NULL, &e2);
	ar_strv_free(defs);
	if (rc != 0)
		ar_die(AR_EXIT_FAIL, "%s", e2.msg);
	if (build_check_artifact(b->cache, path, key, &e2) != 0) {
		ar_errf(err, "artifact '%s' is not the one built for this "
		    "record (%s)", path, e2.msg);
		return -1;
	}
	/* What is loaded is the file just checked, by its real path: a
	 * bare name would send dlopen searching the library path. */
	if ((it->artifact = realpath(path, NULL)) == NULL) {
		ar_errf(err, "cannot find the artifact '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	/* Its content, checked again just before it runs. */
	path = json_string_value(json_object_get(comp, "sha256"));
	if (path == NULL || strlen(path) != HASH_HEXLEN ||
	    strspn(path, "0123456789abcdef") != HASH_HEXLEN) {
		ar_errf(err, "%s (the SHA-256 of the artifact that ar-compile "
		    "records)", path == NULL ? "no \"compile.sha256\"" :
		    "\"compile.sha256\" is not 64 hex digits");
		return -1;
	}
	memcpy(it->sha256, path, sizeof(it->sha256));
	return 0;
}

/*
 * Reads and checks one input's records into b->items.  Returns 0, or 2
 * at a bad record without --keep-going (after saying what is wrong).
 */
static int
read_input(struct bench *b, const char *path)
{
	FILE *f = cli_open_input(path);
	struct rec_reader *r = rec_reader_new(f, ar_fname(path));
	char last[sizeof(((struct ar_err *)0)->msg)] = "";
	struct ar_err err;
	struct item it;
	struct ar_buf where;
	json_t *rec;
	int rc, status = 0;

	for (;;) {
		if ((rc = rec_read(r, &rec, &err)) == 0)
			break;
		if (rc < 0) {
			ar_warn("%s%s", err.msg, b->op->keep_going ?
			    "; record dropped" : "");
			/* A reader that cannot go on says the same again. */
			if (!b->op->keep_going || strcmp(last, err.msg) == 0) {
				status = b->op->keep_going ? 0 : AR_EXIT_USAGE;
				break;
			}
			snprintf(last, sizeof(last), "%s", err.msg);
			continue;
		}
		last[0] = '\0';
		memset(&it, 0, sizeof(it));
		memset(&where, 0, sizeof(where));
		buf_printf(&where, "%s:%zu", rec_reader_name(r),
		    rec_reader_line(r));
		it.rec = rec;
		it.where = where.buf;
		it.cfg = ecalloc(b->space.np ? b->space.np : 1,
		    sizeof(*it.cfg));
		if (check_record(b, &it, &err) != 0) {
			ar_warn("%s: %s%s", it.where, err.msg,
			    b->op->keep_going ? "; record dropped" : "");
			json_decref(rec);
			free(it.where);
			free(it.cfg);
			free(it.artifact);
			free(it.arch);
			if (!b->op->keep_going) {
				status = AR_EXIT_USAGE;
				break;
			}
			continue;
		}
		if (b->nitems == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			b->items = ereallocarray(b->items, b->cap,
			    sizeof(*b->items));
		}
		it.sealed = -1;
		b->items[b->nitems++] = it;
	}
	rec_reader_free(r);
	cli_close_input(f);
	return status;
}

/*
 * The reference, built once as the variants are: the constants are its
 * only defines, since it has no parameters.  A cuda study's reference is
 * C that does the GPU's work on the processor: it is built with cc -O3
 * and OpenMP, for the loops it parallelises, and without OpenMP where the
 * compiler has none.
 */
static void
build_reference(struct bench *b)
{
	static char *const cuda_flags[] = { "-O3", "-fopenmp", NULL };
	static char *const cuda_flags_serial[] = { "-O3", NULL };
	struct build_req req;
	struct build_result res;
	struct ar_err err;
	char **defs = defines(&b->spec, NULL);

	memset(&req, 0, sizeof(req));
	req.cc = b->cc;
	req.source = b->ref_source;
	req.flags = b->backend == BACKEND_CUDA ? cuda_flags : b->flags;
	req.defines = defs;
	req.cache = b->cache;
	req.timeout_s = REF_COMPILE_TIMEOUT;
	if (build_so(&req, &res, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	if (!res.ok && b->backend == BACKEND_CUDA) {
		build_result_release(&res);
		req.flags = cuda_flags_serial;
		if (build_so(&req, &res, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
	}
	ar_strv_free(defs);
	if (!res.ok)
		ar_die(AR_EXIT_USAGE, "%s: the reference '%s' does not "
		    "compile: %s", b->spec.path, b->ref_source,
		    res.log[0] ? res.log : "(no message)");
	b->ref_so = estrdup(res.artifact);
	build_result_release(&res);
}

static void
set_slots(struct bench *b, const space_idx *cfg)
{
	const struct spec *s = &b->spec;
	size_t i;

	for (i = 0; i < s->nparams; i++)
		b->slots[i] = s->params[i].vals[cfg[i]];
	for (i = 0; i < s->nconsts; i++)
		b->slots[s->nparams + i] = s->consts[i].val;
}

/* What one measurement found, before it becomes fields. */
struct outcome {
	const char *status;
	struct stats st;	/* st.n 0: no times */
	double time_s;			/* replay: the recorded time; NAN:
					 * st.median is the time */
	double cost_s;			/* replay: the recorded cost */
	int verified;
	struct args_cmp cmp;
	double ref_time_s;		/* < 0: none */
	double energy_j;		/* cuda: < 0: none */
	json_t *output;			/* command: owned */
	json_t *refused;		/* c: the sandbox's refusals, owned */
	char *error;			/* owned */
};

static void
fail(struct outcome *o, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct outcome *o, const char *status, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		ar_die(AR_EXIT_FAIL, "out of memory");
	va_end(ap);
	free(o->error);
	o->error = s;
	o->status = status;
}

/*
 * The bound, for a measurement that passed: a time below what the
 * machine could physically need is not believed.  The fastest run is
 * compared, since any one run below the bound is impossible.
 */
static void
check_bound(struct bench *b, struct outcome *o)
{
	char msg[256], t1[32], t2[32];
	struct val v;

	if (b->bound == NULL || o->st.n == 0)
		return;
	if (expr_eval(b->bound, b->slots, &v, msg, sizeof(msg)) != 0) {
		fail(o, "invalid", "bound: %s in '%s'", msg,
		    expr_source(b->bound));
		return;
	}
	if (o->st.min < val_num(&v)) {
		progress_fmt_time(o->st.min, t1, sizeof(t1));
		progress_fmt_time(val_num(&v), t2, sizeof(t2));
		fail(o, "suspicious", "a run took %s, less than the bound of "
		    "%s the machine needs at least", t1, t2);
	}
}

/*
 * Seals the artifact for measuring: its bytes are copied into a sealed
 * memory file, which nothing can change from then on, and hashed there;
 * the child loads that file (it->load), so what runs is exactly what was
 * hashed.  A candidate measured before this one could have written over
 * the artifact in the cache: then its hash is not the record's.  Returns
 * 0 with it->sealed open, or -1 after failing o.
 */
static int
artifact_seal(struct item *it, struct outcome *o)
{
	char hex[HASH_HEXLEN + 1], buf[65536];
	struct ar_err err;
	ssize_t got, put, off;
	int in, fd;

	it->sealed = -1;
	if ((in = open(it->artifact, O_RDONLY | O_CLOEXEC)) < 0) {
		fail(o, "invalid", "cannot open '%s': %s", it->artifact,
		    strerror(errno));
		return -1;
	}
	if ((fd = memfd_create("ar-artifact", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) < 0)
		ar_die(AR_EXIT_FAIL, "memfd_create: %s", strerror(errno));
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fail(o, "invalid", "cannot read '%s': %s",
			    it->artifact, strerror(errno));
			close(in);
			close(fd);
			return -1;
		}
		for (off = 0; off < got; off += put)
			if ((put = write(fd, buf + off,
			    (size_t)(got - off))) < 0) {
				if (errno != EINTR)
					ar_die(AR_EXIT_FAIL, "writing the "
					    "sealed artifact: %s",
					    strerror(errno));
				put = 0;
			}
	}
	close(in);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		ar_die(AR_EXIT_FAIL, "sealing the artifact: %s",
		    strerror(errno));
	snprintf(it->load, sizeof(it->load), "/proc/self/fd/%d", fd);
	if (hash_file_sha256_hex(it->load, hex, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	if (strcmp(hex, it->sha256) != 0) {
		fail(o, "invalid", "the artifact changed after it was built "
		    "(its SHA-256 is %.16s..., the record's %.16s...): not "
		    "run", hex, it->sha256);
		close(fd);
		return -1;
	}
	it->sealed = fd;
	return 0;
}

/* How the study measures a candidate: runs, timeout, tolerances, limits. */
static void
proto(const struct bench *b, struct measure_proto *p)
{
	memset(p, 0, sizeof(*p));
	p->warmup = b->warmup;
	p->repeat = b->repeat;
	p->timeout_s = b->timeout_s;
	p->rtol = b->rtol;
	p->atol = b->atol;
	p->cpu_s = b->cpu_s;
	p->as_bytes = b->as_bytes;
	p->file_bytes = b->file_bytes;
	p->sandbox = b->sandbox;
}

/*
 * What a measurement in a child (C through libffi, CUDA through its
 * worker) says of the candidate: its statistics and its status.
 */
static void
take_result(struct bench *b, struct outcome *o,
    const struct measure_result *res)
{
	o->st = res->stats;
	o->cmp = res->cmp;
	o->verified = b->args.noutputs > 0 && res->ntimes > 0;
	switch (res->end) {
	case MEASURE_OK:
		o->status = "ok";
		check_bound(b, o);
		break;
	case MEASURE_WRONG:
		fail(o, "wrong", "%s", res->error);
		break;
	case MEASURE_TIMEOUT:
		fail(o, "timeout", "%s", res->error);
		break;
	case MEASURE_TAMPERED:
		fail(o, "suspicious", "%s", res->error);
		break;
	case MEASURE_INVALID:
		fail(o, "invalid", "%s", res->error);
		break;
	default:
		fail(o, "crash", "%s", res->error);
		break;
	}
}

/*
 * The seed a variant's inputs are drawn from: --seed, or with
 * bench.inputs "variant" --seed and the configuration together, so that
 * no variant meets the inputs another one saw.
 */
static uint64_t
inputs_seed(const struct bench *b, const struct item *it)
{
	struct rng r;

	if (!b->per_variant)
		return b->op->seed;
	rng_seed(&r, b->op->seed ^ hash_fnv1a(it->cfg, b->space.np *
	    sizeof(*it->cfg)));
	return rng_next(&r);
}

static void
measure_c(struct bench *b, struct item *it, struct outcome *o)
{
	struct measure_proto p;
	struct measure_result res;
	struct measure_data *d;
	struct args_shape sh;
	struct ar_err err;
	uint64_t need;

	if (args_shape(&b->args, b->slots, &sh, &err) != 0) {
		fail(o, "invalid", "%s", err.msg);
		return;
	}
	need = measure_need(&b->args, &sh, b->nsets, b->warmup + b->repeat);
	if (need > b->max_bytes) {
		fail(o, "invalid", "the buffers need %llu bytes, more than "
		    "the limit of %llu", (unsigned long long)need,
		    (unsigned long long)b->max_bytes);
		args_shape_release(&sh);
		return;
	}
	if ((d = measure_cache_get(&b->mc, &b->args, &sh, b->nsets,
	    inputs_seed(b, it), &err)) == NULL)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	args_shape_release(&sh);

	proto(b, &p);
	if (b->ref_so != NULL && !d->have_ref && d->ref_error == NULL) {
		if (measure_run(&b->mc, d, &b->args, b->ref_so, b->ref_entry,
		    &p, 1, &res, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		if (res.end == MEASURE_LOAD)
			ar_die(AR_EXIT_USAGE, "%s: reference: %s",
			    b->spec.path, res.error);
		measure_result_release(&res);
	}
	if (d->ref_error != NULL) {
		fail(o, "invalid", "the reference failed on these inputs: %s",
		    d->ref_error);
		return;
	}
	if (d->have_ref)
		o->ref_time_s = d->ref_time_s;

	p.keep_fd = it->sealed;
	if (measure_run(&b->mc, d, &b->args, it->load, b->spec.entry, &p,
	    0, &res, &err) != 0)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	take_result(b, o, &res);
	if (res.nrefused > 0) {
		size_t i;

		o->refused = json_array();
		for (i = 0; i < res.nrefused; i++)
			json_array_append_new(o->refused,
			    json_string(res.refused[i]));
	}
	measure_result_release(&res);
}

/*
 * The reference of the shape d for a cuda variant: once per shape, as
 * for c, but run once per input set, since its time says nothing of the
 * GPU's, and with a timeout made for a processor doing a GPU's work.
 * Returns 0, or -1 after failing o.
 */
static int
cuda_reference(struct bench *b, struct measure_data *d, struct outcome *o)
{
	struct measure_proto p;
	struct measure_result res;
	struct ar_err err;

	if (b->ref_so != NULL && !d->have_ref && d->ref_error == NULL) {
		proto(b, &p);
		p.warmup = 0;
		p.repeat = d->nsets;
		p.timeout_s = b->timeout_s > REF_RUN_TIMEOUT ? b->timeout_s :
		    REF_RUN_TIMEOUT;
		if (measure_run(&b->mc, d, &b->args, b->ref_so, b->ref_entry,
		    &p, 1, &res, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		if (res.end == MEASURE_LOAD)
			ar_die(AR_EXIT_USAGE, "%s: reference: %s",
			    b->spec.path, res.error);
		measure_result_release(&res);
	}
	if (d->ref_error != NULL) {
		fail(o, "invalid", "the reference failed on these inputs: %s",
		    d->ref_error);
		return -1;
	}
	if (d->have_ref)
		o->ref_time_s = d->ref_time_s;
	return 0;
}

/*
 * A cuda variant.  What the device cannot run is found here before any
 * process starts, where the device's limits tell (the launch, the
 * memory), and in the worker against the kernel's own; the worker is a
 * fresh process each time, so that a fault or a hang is forgotten with
 * its context.  A worker that cannot start CUDA at all is tried once
 * more, then ar-bench gives up: a GPU that fails is no candidate's
 * fault.
 */
static void
measure_cuda(struct bench *b, struct item *it, struct outcome *o)
{
	struct measure_proto p;
	struct measure_result res;
	struct measure_data *d;
	struct args_shape sh;
	struct cudarun_job job;
	struct ar_err err;
	uint64_t need, dev_need, copies;
	double slack;
	int attempt;

	if (args_shape(&b->args, b->slots, &sh, &err) != 0) {
		fail(o, "invalid", "%s", err.msg);
		return;
	}
	memset(&job, 0, sizeof(job));
	if (launch_eval(&b->launch, b->slots, &job.dims, &err) != 0 ||
	    launch_check(&job.dims, &b->gpu->lim, NULL, &err) != 0) {
		fail(o, "invalid", "%s", err.msg);
		args_shape_release(&sh);
		return;
	}
	need = measure_need(&b->args, &sh, b->nsets, b->warmup + b->repeat);
	dev_need = sh.in_bytes * b->nsets + sh.out_bytes;
	copies = sh.in_bytes * b->nsets * 2 + sh.out_bytes *
	    (b->warmup + b->repeat);
	if (need > b->max_bytes) {
		fail(o, "invalid", "the buffers need %llu bytes, more than "
		    "the limit of %llu", (unsigned long long)need,
		    (unsigned long long)b->max_bytes);
		args_shape_release(&sh);
		return;
	}
	if (b->gpu->mem > 0 && dev_need > b->gpu->mem) {
		fail(o, "invalid", "the buffers need %llu bytes of device "
		    "memory, more than the %llu the device has",
		    (unsigned long long)dev_need,
		    (unsigned long long)b->gpu->mem);
		args_shape_release(&sh);
		return;
	}
	if ((d = measure_cache_get(&b->mc, &b->args, &sh, b->nsets,
	    inputs_seed(b, it), &err)) == NULL)
		ar_die(AR_EXIT_FAIL, "%s", err.msg);
	args_shape_release(&sh);
	if (cuda_reference(b, d, o) != 0)
		return;

	job.cubin = it->load;
	job.entry = b->spec.entry;
	job.arch = it->arch;
	job.lim = b->gpu->lim;
	job.shared_default = b->gpu->shared_default;
	job.energy = b->op->energy;
	job.energy_window_s = ENERGY_WINDOW_S;
	job.energy_windows = ENERGY_WINDOWS;
	proto(b, &p);
	p.keep_fd = it->sealed;
	slack = CUDA_SLACK_S + (double)copies / CUDA_COPY_RATE;
	if (job.energy)
		slack += ENERGY_WINDOWS * (b->timeout_s + 5 * ENERGY_WINDOW_S);
	for (attempt = 0;; attempt++) {
		if (measure_run_child(&b->mc, d, &b->args, &p, cudarun_child,
		    &job, slack, &res, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		if (res.end != MEASURE_LOAD || attempt > 0)
			break;
		measure_result_release(&res);
		sleep(2);
	}
	if (res.end == MEASURE_LOAD)
		ar_die(AR_EXIT_FAIL, "%s: the GPU failed twice: %s",
		    it->where, res.error);
	take_result(b, o, &res);
	if (res.nenergy > 0)
		o->energy_j = stats_median(res.energy, res.nenergy);
	else if (b->op->energy && res.energy_error != NULL &&
	    !b->energy_said) {
		ar_warn("--energy: no energy measured: %s", res.energy_error);
		b->energy_said = 1;
	}
	measure_result_release(&res);
}

/*
 * The last line of text that is a JSON object, parsed, in *obj (NULL if
 * none).  Returns -1 with je filled when the last line that is not blank
 * begins with '{' but is not JSON: a result the program meant to give
 * and got wrong, which taken as no result would go unnoticed.
 */
static int
last_object(const char *text, json_t **obj, json_error_t *je)
{
	const char *end = text + strlen(text), *p, *q;
	int last = 1;
	json_t *o;

	*obj = NULL;
	while (end > text) {
		for (p = end; p > text && p[-1] != '\n'; p--)
			;
		for (q = p; q < end && isspace((unsigned char)*q); q++)
			;
		if (q < end) {
			o = json_loadb(p, (size_t)(end - p),
			    JSON_REJECT_DUPLICATES, je);
			if (json_is_object(o)) {
				*obj = o;
				return 0;
			}
			json_decref(o);
			if (last && *q == '{')
				return -1;
			last = 0;
		}
		end = p > text ? p - 1 : text;
	}
	return 0;
}

static void
measure_command(struct bench *b, struct item *it, struct outcome *o)
{
	const struct spec *s = &b->spec;
	json_t *cmd = json_object_get(s->root, "command"), *obj = NULL, *ts;
	size_t n = json_array_size(cmd), i, k, nruns = b->warmup + b->repeat;
	char **argv = ecalloc(n + 1, sizeof(*argv)), **env = NULL;
	double *t = ecalloc(nruns + 1, sizeof(*t));
	struct proc_opts po = PROC_OPTS_INIT;
	struct proc_result pr;
	struct ar_err err;
	const char **text = ecalloc(spec_nslots(s) + 1, sizeof(*text));
	json_error_t je;
	char desc[256], *tail;

	/* Each "{NAME}" becomes the value's text. */
	for (i = 0; i < s->nparams; i++)
		text[i] = s->params[i].text[it->cfg[i]];
	for (i = 0; i < s->nconsts; i++)
		text[s->nparams + i] = s->consts[i].text;
	for (i = 0; i < n; i++)
		if ((argv[i] = spec_command_arg(s, i, text, &err)) == NULL)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
	free(text);
	if (b->env)
		env = defines(s, it->cfg);
	po.timeout_s = b->timeout_s;
	po.rlimit_cpu_s = b->cpu_s;
	po.rlimit_as = b->as_bytes;
	po.rlimit_fsize = b->file_bytes;
	po.cwd = s->dir;
	po.env = env;
	/* The result is the last JSON line, however much came before it. */
	po.capture_tail = 1;

	for (k = 0; k < nruns; k++) {
		if (proc_run(argv, &po, &pr, &err) != 0)
			ar_die(AR_EXIT_FAIL, "%s", err.msg);
		proc_describe(&pr, desc, sizeof(desc));
		tail = measure_tail(pr.err, TAIL_LINES);
		if (pr.end == PROC_TIMEOUT)
			fail(o, "timeout", "run %zu of %zu did not finish "
			    "within %g s", k + 1, nruns, b->timeout_s);
		else if (pr.end == PROC_SIGNALED &&
		    pr.limit == PROC_LIMIT_CPU)
			fail(o, "timeout", "run %zu of %zu went past the "
			    "CPU-time limit of %g s (bench.cpu_s)", k + 1, nruns,
			    b->cpu_s);
		else if (pr.end == PROC_SIGNALED &&
		    pr.limit == PROC_LIMIT_FSIZE)
			fail(o, "crash", "run %zu of %zu wrote a file past the "
			    "size limit of %zu bytes (bench.file_mb)", k + 1,
			    nruns, b->file_bytes);
		else if (pr.end == PROC_NOEXEC)
			fail(o, "crash", "%s", tail);
		else if (pr.end != PROC_EXITED || pr.code != 0)
			fail(o, "crash", "%s%s%s", desc, *tail ? ": " : "",
			    tail);
		free(tail);
		if (o->error != NULL) {
			proc_result_release(&pr);
			break;
		}
		json_decref(obj);
		if (last_object(pr.out, &obj, &je) != 0) {
			fail(o, "invalid", "output of run %zu of %zu: last "
			    "line is not valid JSON: %s at column %d", k + 1,
			    nruns, je.text, je.column);
			proc_result_release(&pr);
			break;
		}
		t[k] = pr.wall_s;
		if ((ts = json_object_get(obj, "time_s")) != NULL) {
			if (!json_is_number(ts) || !isfinite(
			    json_number_value(ts)) || json_number_value(ts) < 0)
				fail(o, "crash", "the program's \"time_s\" is "
				    "not a number of seconds");
			else
				t[k] = json_number_value(ts);
		}
		proc_result_release(&pr);
		if (o->error != NULL)
			break;
	}
	if (o->error == NULL) {
		o->status = "ok";
		stats_summary(t + b->warmup, b->repeat, &o->st);
		o->output = obj;
		obj = NULL;
		check_bound(b, o);
	}
	json_decref(obj);
	ar_strv_free(argv);
	ar_strv_free(env);
	free(t);
}

/*
 * A replay study: the outcome is what the cache file recorded for the
 * configuration (replay.h says what each record becomes), and what the
 * evaluation cost is what the file says it cost.  Nothing runs.  The
 * time is the file's "time", the mean of its runs as Kernel Tuner
 * reports it, so that a replay finds the optimum the file's users know;
 * "times" are the statistics of the recorded runs.
 */
static void
measure_replay(struct bench *b, struct item *it, struct outcome *o)
{
	struct replay_hit h;

	replay_lookup(b->replay, it->cfg, &h);
	o->cost_s = h.cost_s;
	if (strcmp(h.status, "ok") != 0) {
		fail(o, h.status, "%s", h.error);
		return;
	}
	o->status = "ok";
	o->time_s = h.time_s;
	o->st = h.times;
	check_bound(b, o);
}

/* A JSON number, or null for what JSON cannot hold. */
static json_t *
num(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

static json_t *
output_record(struct bench *b, struct item *it, struct outcome *o,
    double cost)
{
	json_t *rec = json_copy(it->rec), *t, *comp;
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcmp(owned[i], "output") != 0 ||
		    b->backend == BACKEND_COMMAND)
			json_object_del(rec, owned[i]);
	json_object_set_new(rec, "status", json_string(o->status));
	if (!isnan(o->time_s))
		json_object_set_new(rec, "time_s", num(o->time_s));
	else if (o->st.n > 0)
		json_object_set_new(rec, "time_s", num(o->st.median));
	if (o->st.n > 0) {
		t = json_object();
		json_object_set_new(t, "n", json_integer((json_int_t)o->st.n));
		json_object_set_new(t, "min", num(o->st.min));
		json_object_set_new(t, "median", num(o->st.median));
		json_object_set_new(t, "mean", num(o->st.mean));
		json_object_set_new(t, "sd", num(o->st.sd));
		json_object_set_new(rec, "times", t);
	}
	if (o->verified) {
		t = json_object();
		json_object_set_new(t, "max_abs_err", o->cmp.nonfinite ?
		    json_null() : num(o->cmp.max_abs));
		json_object_set_new(t, "max_rel_err", o->cmp.nonfinite ?
		    json_null() : num(o->cmp.max_rel));
		json_object_set_new(rec, "verify", t);
	}
	if (o->refused != NULL)
		json_object_set(rec, "refused", o->refused);
	if (o->ref_time_s >= 0)
		json_object_set_new(rec, "ref_time_s", num(o->ref_time_s));
	if (o->energy_j >= 0)
		json_object_set_new(rec, "energy_j", num(o->energy_j));
	if (o->output != NULL)
		json_object_set(rec, "output", o->output);
	comp = json_object_get(it->rec, "compile");
	if (b->backend != BACKEND_REPLAY &&
	    json_is_number(json_object_get(comp, "seconds")))
		cost += json_number_value(json_object_get(comp, "seconds"));
	json_object_set_new(rec, "cost_s", num(cost));
	if (b->host != NULL)
		json_object_set_new(rec, "host", json_string(b->host));
	if (b->device != NULL)
		json_object_set_new(rec, "device", json_string(b->device));
	if (o->error != NULL)
		json_object_set_new(rec, "error", json_string(o->error));
	return rec;
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
progress(struct bench *b, size_t i, const char *label, struct outcome *o)
{
	char t[32];

	ar_status_clear();
	fprintf(stderr, "[%zu/%zu] %s %s", i + 1, b->nitems, label, o->status);
	if (!isnan(o->time_s) || o->st.n > 0) {
		progress_fmt_time(!isnan(o->time_s) ? o->time_s :
		    o->st.median, t, sizeof(t));
		fprintf(stderr, " %s", t);
	}
	if (o->error != NULL)
		fprintf(stderr, ": %s", o->error);
	fputc('\n', stderr);
}

/* Measures every item in turn, writing each record as soon as it is
 * done.  Returns the exit status. */
static int
measure_all(struct bench *b)
{
	struct ar_err err;
	struct progress pg;
	size_t i;
	int runnable = 0, status;

	for (i = 0; i < b->nitems; i++)
		runnable |= !b->items[i].compile_error;
	if (b->backend != BACKEND_COMMAND && runnable &&
	    b->ref_source != NULL) {
		if (b->show)
			ar_status("building the reference %s ...",
			    b->ref_source);
		build_reference(b);
	}

	progress_start(&pg, b->nitems);
	for (i = 0; i < b->nitems; i++) {
		struct item *it = &b->items[i];
		struct outcome o;
		double t0 = ar_now();
		json_t *rec;

		if (b->show)
			show_running(b, i, &pg);
		memset(&o, 0, sizeof(o));
		o.ref_time_s = -1;
		o.energy_j = -1;
		o.time_s = NAN;
		set_slots(b, it->cfg);
		if (it->compile_error)
			fail(&o, "compile_error", "the variant did not "
			    "compile (see compile.log)");
		else if ((b->backend == BACKEND_C ||
		    b->backend == BACKEND_CUDA) && artifact_seal(it, &o) != 0)
			;
		else if (b->backend == BACKEND_C)
			measure_c(b, it, &o);
		else if (b->backend == BACKEND_CUDA)
			measure_cuda(b, it, &o);
		else if (b->backend == BACKEND_REPLAY)
			measure_replay(b, it, &o);
		else
			measure_command(b, it, &o);
		if (it->sealed >= 0) {
			close(it->sealed);
			it->sealed = -1;
		}
		rec = output_record(b, it, &o, b->backend == BACKEND_REPLAY ?
		    o.cost_s : ar_now() - t0);
		if (rec_write(b->w, rec, &err) != 0) {
			json_decref(rec);
			json_decref(o.output);
			json_decref(o.refused);
			free(o.error);
			status = errno == EPIPE ? AR_EXIT_OK : AR_EXIT_FAIL;
			/* A reader that left is no failure of ours. */
			if (status != AR_EXIT_OK)
				ar_warn("%s", err.msg);
			progress_release(&pg);
			return status;
		}
		json_decref(rec);
		if (b->show) {
			char *label = progress_label(&b->spec, it->cfg);

			progress_done(&pg, label, strcmp(o.status, "ok") == 0,
			    !isnan(o.time_s) ? o.time_s : o.st.n > 0 ?
			    o.st.median : NAN);
			progress(b, i, label, &o);
			free(label);
		}
		json_decref(o.output);
		json_decref(o.refused);
		free(o.error);
	}
	progress_release(&pg);
	return AR_EXIT_OK;
}

/* Half the memory of the machine: what the buffers of one measurement
 * and the kept reference data may take. */
static uint64_t
memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return (uint64_t)1 << 32;
	return (uint64_t)pages * (uint64_t)size / 2;
}

/*
 * A replay study's cache file, loaded and tied to the study; bad data is
 * bad input.  A file cut off (Kernel Tuner writes its closing braces only
 * when it finishes) is read up to its last complete record, and said
 * once: the configurations after it are not in the file, so they come
 * out "invalid", which is not what they would have measured.
 */
static void
load_replay(struct bench *b)
{
	struct ar_err err;
	size_t n;

	if ((b->replay = replay_load(b->spec.source, &err)) == NULL ||
	    replay_bind(b->replay, &b->spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if ((n = replay_truncated(b->replay)) > 0)
		ar_warn("%s: the file is cut off (is Kernel Tuner still "
		    "writing it?): read its %zu complete records; a "
		    "configuration not among them is \"invalid\"", b->spec.source,
		    n);
}

/* The device of a replay: the file's device_name, where it has one
 * (the AMD files have an empty one).  No machine here measured it, and
 * the file does not say which did, so a replay has no host. */
static char *
replay_device_name(const struct bench *b)
{
	const char *d = replay_device(b->replay);

	return *d != '\0' ? estrdup(d) : NULL;
}

/* The work, once the options are checked; returns the exit status. */
static int
bench(const struct opts *op, char *const *files, int nfiles)
{
	struct bench b;
	struct ar_err err;
	char *cache;
	size_t i;
	int status = AR_EXIT_OK, rc;

	memset(&b, 0, sizeof(b));
	b.op = op;
	if (spec_load(&b.spec, op->study, op->defs, op->ndefs, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (strcmp(b.spec.backend, "c") == 0)
		b.backend = BACKEND_C;
	else if (strcmp(b.spec.backend, "command") == 0)
		b.backend = BACKEND_COMMAND;
	else if (strcmp(b.spec.backend, "cuda") == 0)
		b.backend = BACKEND_CUDA;
	else if (strcmp(b.spec.backend, "replay") == 0)
		b.backend = BACKEND_REPLAY;
	else
		ar_die(AR_EXIT_USAGE, "%s: backend '%s' is not supported by "
		    "ar-bench yet", op->study, b.spec.backend);
	/* A program that cannot be started would make every record a
	 * crash: the study is wrong, and nothing is measured. */
	if (b.backend == BACKEND_COMMAND &&
	    spec_check_program(&b.spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (op->energy && b.backend != BACKEND_CUDA)
		ar_die(AR_EXIT_USAGE, "%s: --energy measures a GPU's runs; "
		    "this study's backend is '%s'", op->study,
		    b.spec.backend);
	if (space_init(&b.space, &b.spec, &err) != 0)
		ar_die(AR_EXIT_USAGE, "%s", err.msg);
	if (b.backend == BACKEND_REPLAY)
		load_replay(&b);
	settings(&b);
	cache = op->cache ? estrdup(op->cache) : build_default_cache();
	b.cache = absolute(cache);
	free(cache);
	b.slots = ecalloc(spec_nslots(&b.spec) + 1, sizeof(*b.slots));
	b.max_bytes = memory_limit();
	b.mc.max_bytes = b.max_bytes / 2;

	for (i = 0; i < (size_t)nfiles && status == AR_EXIT_OK; i++)
		status = read_input(&b, files[i]);

	/* The input was good: now, and only now, a cuda study needs its
	 * GPU, so that bad input is still bad input without one. */
	if (status == AR_EXIT_OK && b.backend == BACKEND_CUDA) {
		const char *why;

		if ((b.gpu = gpu_probe(&why)) == NULL)
			ar_die(AR_EXIT_FAIL, "%s: cannot measure a cuda study "
			    "here: %s", op->study, why);
	}
	if (status == AR_EXIT_OK) {
		if (b.backend != BACKEND_REPLAY)
			b.host = measure_host();
		b.device = b.backend == BACKEND_REPLAY ?
		    replay_device_name(&b) : b.gpu != NULL ?
		    estrdup(b.gpu->name) : measure_cpu();
		b.show = op->progress || isatty(STDERR_FILENO);
		b.w = rec_writer_new(STDOUT_FILENO, op->csv ? REC_CSV :
		    REC_JSONL, b.backend == BACKEND_COMMAND ||
		    b.backend == BACKEND_REPLAY ? command_columns :
		    op->energy ? energy_columns : c_columns, 1);
		rec_writer_on_warn(b.w, cli_warn);
		status = measure_all(&b);
		if (b.show)
			ar_status_clear();
		rc = rec_writer_free(b.w, &err);
		if (status == AR_EXIT_OK && rc != 0 && errno != EPIPE) {
			ar_warn("%s", err.msg);
			status = AR_EXIT_FAIL;
		}
	}

	for (i = 0; i < b.nitems; i++) {
		json_decref(b.items[i].rec);
		free(b.items[i].where);
		free(b.items[i].cfg);
		free(b.items[i].artifact);
		free(b.items[i].arch);
	}
	free(b.items);
	measure_cache_release(&b.mc);
	args_release(&b.args);
	launch_release(&b.launch);
	expr_free(b.bound);
	free(b.cache);
	free(b.cc);
	ar_strv_free(b.flags);
	free(b.ref_source);
	free(b.ref_so);
	free(b.host);
	free(b.device);
	free(b.slots);
	replay_free(b.replay);
	space_release(&b.space);
	spec_release(&b.spec);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "define", required_argument, NULL, 'D' },
		{ "energy", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "progress", no_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "study", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "warmup", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts op = { .warmup = -1, .repeat = -1, .timeout_s = -1 };
	char *const *files;
	int ch, status;

	cli_setprogname(argv);
	op.defs = ecalloc((size_t)argc, sizeof(*op.defs));
	while ((ch = getopt_long(argc, argv, "D:hs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			op.cache = optarg;
			break;
		case 'C':
			op.csv = 1;
			break;
		case 'D':
			op.defs[op.ndefs++] = optarg;
			break;
		case 'E':
			op.energy = 1;
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
			op.repeat = cli_long(synopsis, "--repeat", optarg, 1,
			    LONG_MAX);
			break;
		case 'S':
			op.seed = cli_seed(synopsis, "--seed", optarg);
			break;
		case 's':
			op.study = optarg;
			break;
		case 't':
			op.timeout_s = cli_seconds(synopsis, "--timeout",
			    optarg, 0);
			break;
		case 'V':
			op.version = 1;
			break;
		case 'w':
			op.warmup = cli_long(synopsis, "--warmup", optarg, 0,
			    LONG_MAX);
			break;
		default:
			cli_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (op.version) {
		free(op.defs);
		return cli_version("ar-bench");
	}
	if (op.study == NULL)
		cli_bad_usage(synopsis, "no study given (-s)");
	if (op.cache != NULL && *op.cache == '\0')
		cli_bad_usage(synopsis, "--cache: the folder name is empty");
	files = cli_inputs(synopsis, &argc, argv);

	status = bench(&op, files, argc);
	free(op.defs);
	return ar_fshut(stdout, "stdout") ? AR_EXIT_FAIL : status;
}
