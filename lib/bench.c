#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "jsonw.h"
#include "rng.h"
#include "sandbox.h"
#include "varstore.h"

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
/* The least time one run of a reference doing a device's work may take. */
#define REF_DEVICE_TIMEOUT 600.0

/* The backends, one file each. */
extern const struct bench_backend bench_c, bench_command, bench_cuda,
    bench_opencl, bench_replay;

static const struct bench_backend *const backends[] = {
	&bench_c,
	&bench_command,
	&bench_cuda,
	&bench_opencl,
	&bench_replay,
};

/* The fields ar-bench owns: an input's are replaced, at the end. */
static const char *const owned[] = {
	"status", "time_s", "times", "verify", "refused", "ref_time_s",
	"output", "energy_j", "cost_s", "host", "device", "error"
};

const char *const bench_c_columns[] = {
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "verify.max_abs_err", "verify.max_rel_err",
	"refused", "ref_time_s", "cost_s", "host", "device", "error", NULL
};

const char *const bench_energy_columns[] = {
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "verify.max_abs_err", "verify.max_rel_err",
	"ref_time_s", "energy_j", "cost_s", "host", "device", "error", NULL
};

const char *const bench_command_columns[] = {
	"status", "time_s", "times.n", "times.min", "times.median",
	"times.mean", "times.sd", "cost_s", "host", "device", "error", NULL
};

const struct bench_backend *
bench_backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* A number from the study's object obj, or dflt. */
static double
study_num(const struct spec *s, const char *obj, const char *key,
    double dflt)
{
	json_t *v = json_object_get(json_object_get(s->root, obj), key);

	return json_is_number(v) ? json_number_value(v) : dflt;
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

int
bench_load(struct bench *b, const struct bench_opts *op, struct ar_err *err)
{
	memset(b, 0, sizeof(*b));
	b->op = op;
	if (spec_load(&b->spec, op->study, op->defs, op->ndefs, err) != 0)
		return AR_EXIT_USAGE;
	return 0;
}

/*
 * The study's settings for measuring, with the options over them; then
 * what the backend needs of the study.
 */
int
bench_prepare(struct bench *b, const struct bench_backend *be,
    struct ar_err *err)
{
	const struct bench_opts *op = b->op;
	struct spec *s = &b->spec;
	const char *e;
	char msg[256];
	json_t *v;
	size_t trials;
	int rc;

	b->be = be;
	if (be->open != NULL && (rc = be->open(b, err)) != 0)
		return rc;
	if (op->energy && be->energy_columns == NULL) {
		ar_errf(err, "%s: --energy measures a GPU's runs; this "
		    "study's backend is '%s'", op->study, s->backend);
		return AR_EXIT_USAGE;
	}
	if (op->device != NULL && strcmp(s->backend, "opencl") != 0) {
		ar_errf(err, "%s: --device chooses an OpenCL device; this "
		    "study's backend is '%s'", op->study, s->backend);
		return AR_EXIT_USAGE;
	}
	if (space_init(&b->space, s, err) != 0)
		return AR_EXIT_USAGE;
	if (be->load != NULL && (rc = be->load(b, err)) != 0)
		return rc;

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
	trials = (size_t)study_num(s, "bench", "trials",
	    (double)(b->warmup + b->repeat));
	b->cpu_s = study_num(s, "bench", "cpu_s", 0);
	b->as_bytes = (size_t)(study_num(s, "bench", "memory_mb", 0) * MIB);
	b->file_bytes = (size_t)(study_num(s, "bench", "file_mb",
	    DEFAULT_FILE_MB) * MIB);
	b->rtol = study_num(s, "verify", "rtol", DEFAULT_RTOL);
	b->atol = study_num(s, "verify", "atol", DEFAULT_ATOL);
	/* Run k uses input set k % nsets: more sets than runs would go
	 * unused. */
	b->nsets = trials < b->warmup + b->repeat ? trials :
	    b->warmup + b->repeat;
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
		    sizeof(msg))) == NULL) {
			ar_errf(err, "%s: key \"bound\": %s in '%s'", s->path,
			    msg, src);
			return AR_EXIT_USAGE;
		}
	}
	b->cache = variant_cache(op->cache);
	b->store = varstore_dir(op->variants);
	b->slots = ecalloc(spec_nslots(s) + 1, sizeof(*b->slots));
	b->max_bytes = memory_limit();
	b->mc.max_bytes = b->max_bytes / 2;
	if (be->prepare != NULL)
		return be->prepare(b, err);
	return 0;
}

int
bench_load_args(struct bench *b, struct ar_err *err)
{
	/* The answers live in this process: no sandboxed kernel reads
	 * them through /proc. */
	if (b->sandbox)
		sandbox_guard_parent();
	if (args_load(&b->args, &b->spec, err) != 0)
		return AR_EXIT_USAGE;
	return 0;
}

/*
 * What a study that calls a kernel must have: an entry, and a reference
 * when anything is to be checked.
 */
int
bench_load_entry(struct bench *b, struct ar_err *err)
{
	const struct spec *s = &b->spec;
	json_t *ref = json_object_get(s->root, "reference");

	if (s->entry == NULL) {
		ar_errf(err, "%s: key \"entry\": missing (the function "
		    "ar-bench calls)", s->path);
		return AR_EXIT_USAGE;
	}
	if (ref == NULL && b->args.noutputs > 0) {
		ar_errf(err, "%s: key \"reference\": missing (every output is "
		    "checked against it)", s->path);
		return AR_EXIT_USAGE;
	}
	if (ref != NULL) {
		const char *src = json_string_value(json_object_get(ref,
		    "source"));
		struct ar_buf p = { 0 };

		b->ref_entry = json_string_value(json_object_get(ref, "entry"));
		if (src == NULL || b->ref_entry == NULL) {
			ar_errf(err, "%s: key \"reference\": expected a "
			    "\"source\" and an \"entry\"", s->path);
			return AR_EXIT_USAGE;
		}
		if (src[0] == '/' || strcmp(s->dir, ".") == 0)
			buf_adds(&p, src);
		else
			buf_printf(&p, "%s/%s", s->dir, src);
		b->ref_source = p.buf;
	}
	/* A cuda study's compile options are NVRTC's; its reference is C,
	 * built as bench_build_reference says. */
	variant_compile_load(&b->vc, s);
	return 0;
}

/*
 * A variant is checked as ar-compile checked it, and no less: nothing
 * about it is trusted for where it came from.  Its file is read again
 * for the build key (bench_check_artifact), so a file changed after this
 * check gives another key and the artifact is refused.
 */
static int
check_record(struct bench *b, struct bench_item *it, struct ar_err *err)
{
	json_t *rec = it->rec, *comp;

	if (space_from_record(&b->space, rec, it->cfg, err) != 0)
		return AR_EXIT_USAGE;
	if (variant_check_record(&b->space, b->store, rec, it->cfg, 1,
	    &it->source, err) != 0)
		return AR_EXIT_USAGE;
	comp = json_object_get(rec, "compile");
	if (json_is_string(json_object_get(comp, "status")) &&
	    strcmp(json_string_value(json_object_get(comp, "status")),
	    "error") == 0) {
		it->compile_error = 1;
		return 0;
	}
	if (b->be->check != NULL)
		return b->be->check(b, it, err);
	return 0;
}

int
bench_add(struct bench *b, json_t *rec, char *where, struct ar_err *err)
{
	struct bench_item it;
	int rc;

	memset(&it, 0, sizeof(it));
	it.rec = rec;
	it.where = where;
	it.sealed = -1;
	it.cfg = ecalloc(b->space.np ? b->space.np : 1, sizeof(*it.cfg));
	if ((rc = check_record(b, &it, err)) != 0) {
		free(it.cfg);
		free(it.source);
		free(it.artifact);
		free(it.arch);
		return rc;
	}
	if (b->nitems == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->items = ereallocarray(b->items, b->cap, sizeof(*b->items));
	}
	b->items[b->nitems++] = it;
	return 0;
}

const char *
bench_artifact(const struct bench_item *it, struct ar_err *err)
{
	const char *path = json_string_value(json_object_get(it->rec,
	    "artifact"));

	if (path == NULL)
		ar_errf(err, "no \"artifact\" (ar-compile builds the variant "
		    "and names it)");
	return path;
}

/*
 * The artifact built from exactly this source (the record's variant, or
 * the study's), these params and constants, these flags and this
 * compiler (for cuda, this architecture and NVRTC or nvcc, as the
 * record's compile says), inside the cache.
 */
int
bench_check_artifact(struct bench *b, struct bench_item *it,
    const char *path, const char *arch, int nvcc, struct ar_err *err)
{
	json_t *comp = json_object_get(it->rec, "compile");
	struct build_req req;
	struct ar_err e2;
	char key[HASH_HEXLEN + 1], **defs;
	int rc;

	defs = variant_defines(&b->spec, it->cfg);
	variant_request(&b->vc, &b->spec, defs, b->cache, arch, nvcc, &req);
	req.backend = build_backend(b->spec.backend);
	if (it->source != NULL)
		req.source = it->source;
	rc = build_key(&req, key, NULL, err);
	ar_strv_free(defs);
	if (rc != 0)
		return AR_EXIT_FAIL;
	if (build_check_artifact(b->cache, path, key, &e2) != 0) {
		ar_errf(err, "artifact '%s' is not the one built for this "
		    "record (%s)", path, e2.msg);
		return AR_EXIT_USAGE;
	}
	/* What is loaded is the file just checked, by its real path: a
	 * bare name would send dlopen searching the library path. */
	if ((it->artifact = realpath(path, NULL)) == NULL) {
		ar_errf(err, "cannot find the artifact '%s': %s", path,
		    strerror(errno));
		return AR_EXIT_USAGE;
	}
	/* Its content, checked again just before it runs. */
	path = json_string_value(json_object_get(comp, "sha256"));
	if (path == NULL || !hash_is_hex(path, HASH_HEXLEN)) {
		ar_errf(err, "%s (the SHA-256 of the artifact that ar-compile "
		    "records)", path == NULL ? "no \"compile.sha256\"" :
		    "\"compile.sha256\" is not 64 hex digits");
		return AR_EXIT_USAGE;
	}
	memcpy(it->sha256, path, sizeof(it->sha256));
	return 0;
}

int
bench_start(struct bench *b, struct ar_err *err)
{
	if (b->be->start != NULL)
		return b->be->start(b, err);
	b->host = measure_host();
	b->device = measure_cpu();
	return 0;
}

const char *const *
bench_columns(const struct bench *b)
{
	return b->op->energy ? b->be->energy_columns : b->be->columns;
}

/*
 * The reference, built once as the variants are: the constants are its
 * only defines, since it has no parameters.  A backend may say which
 * flags it is built with (cuda's is C that does the GPU's work on the
 * processor), tried in turn until one compiles.
 */
int
bench_build_reference(struct bench *b, struct build_result *res,
    struct ar_err *err)
{
	char *const *const *fl = b->be->ref_flags;
	struct build_req req;
	char **defs = variant_defines(&b->spec, NULL);
	int rc = 0;

	memset(&req, 0, sizeof(req));
	req.cc = b->vc.cc;
	req.source = b->ref_source;
	req.flags = fl != NULL ? *fl : b->vc.flags;
	req.defines = defs;
	req.cache = b->cache;
	req.timeout_s = REF_COMPILE_TIMEOUT;
	for (;;) {
		if (build_so(&req, res, err) != 0) {
			rc = AR_EXIT_FAIL;
			break;
		}
		if (res->ok || fl == NULL || *++fl == NULL)
			break;
		build_result_release(res);
		req.flags = *fl;
	}
	ar_strv_free(defs);
	if (rc == 0 && res->ok)
		b->ref_so = estrdup(res->artifact);
	return rc;
}

void
bench_fail(struct bench_outcome *o, const char *status, const char *fmt,
    ...)
{
	va_list ap, aq;
	char *s;
	int n;

	va_start(ap, fmt);
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = emalloc(n > 0 ? (size_t)n + 1 : 1);
	vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, aq);
	va_end(aq);
	free(o->error);
	o->error = s;
	o->status = status;
}

/* The fastest run is compared, since any one run below the bound is
 * impossible. */
void
bench_check_bound(struct bench *b, struct bench_outcome *o)
{
	char msg[256], t1[32], t2[32];
	struct val v;

	if (b->bound == NULL || o->st.n == 0)
		return;
	if (expr_eval(b->bound, b->slots, &v, msg, sizeof(msg)) != 0) {
		bench_fail(o, "invalid", "bound: %s in '%s'", msg,
		    expr_source(b->bound));
		return;
	}
	if (o->st.min < val_num(&v)) {
		ar_fmt_time(o->st.min, t1, sizeof(t1));
		ar_fmt_time(val_num(&v), t2, sizeof(t2));
		bench_fail(o, "suspicious", "a run took %s, less than the "
		    "bound of %s the machine needs at least", t1, t2);
	}
}

/*
 * Seals the artifact for measuring: its bytes are copied into a sealed
 * memory file, which nothing can change from then on, and hashed there;
 * the child loads that file (it->load), so what runs is exactly what was
 * hashed.  A candidate measured before this one could have written over
 * the artifact in the cache: then its hash is not the record's.
 */
int
bench_seal(struct bench_item *it, struct bench_outcome *o,
    struct ar_err *err)
{
	char hex[HASH_HEXLEN + 1], buf[65536];
	ssize_t got;
	int in, fd;

	it->sealed = -1;
	if ((in = open(it->artifact, O_RDONLY | O_CLOEXEC)) < 0) {
		bench_fail(o, "invalid", "cannot open '%s': %s", it->artifact,
		    strerror(errno));
		return 0;
	}
	if ((fd = memfd_create("ar-artifact", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) < 0) {
		ar_errf(err, "memfd_create: %s", strerror(errno));
		close(in);
		return AR_EXIT_FAIL;
	}
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			bench_fail(o, "invalid", "cannot read '%s': %s",
			    it->artifact, strerror(errno));
			close(in);
			close(fd);
			return 0;
		}
		if (ar_write_all(fd, buf, (size_t)got) != 0) {
			ar_errf(err, "writing the sealed artifact: %s",
			    strerror(errno));
			close(in);
			close(fd);
			return AR_EXIT_FAIL;
		}
	}
	close(in);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
		ar_errf(err, "sealing the artifact: %s", strerror(errno));
		close(fd);
		return AR_EXIT_FAIL;
	}
	snprintf(it->load, sizeof(it->load), "/proc/self/fd/%d", fd);
	if (hash_file_sha256_hex(it->load, hex, err) != 0) {
		close(fd);
		return AR_EXIT_FAIL;
	}
	if (strcmp(hex, it->sha256) != 0) {
		bench_fail(o, "invalid", "the artifact changed after it was "
		    "built (its SHA-256 is %.16s..., the record's %.16s...): "
		    "not run", hex, it->sha256);
		close(fd);
		return 0;
	}
	it->sealed = fd;
	return 0;
}

void
bench_proto(const struct bench *b, struct measure_proto *p)
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
void
bench_take_result(struct bench *b, struct bench_outcome *o,
    const struct measure_result *res)
{
	o->st = res->stats;
	o->cmp = res->cmp;
	o->verified = b->args.noutputs > 0 && res->ntimes > 0;
	switch (res->end) {
	case MEASURE_OK:
		o->status = "ok";
		bench_check_bound(b, o);
		break;
	case MEASURE_WRONG:
		bench_fail(o, "wrong", "%s", res->error);
		break;
	case MEASURE_TIMEOUT:
		bench_fail(o, "timeout", "%s", res->error);
		break;
	case MEASURE_TAMPERED:
		bench_fail(o, "suspicious", "%s", res->error);
		break;
	case MEASURE_INVALID:
		bench_fail(o, "invalid", "%s", res->error);
		break;
	default:
		bench_fail(o, "crash", "%s", res->error);
		break;
	}
}

/*
 * The seed a variant's inputs are drawn from: --seed, or with
 * bench.inputs "variant" --seed and the configuration together, so that
 * no variant meets the inputs another one saw.
 */
static uint64_t
inputs_seed(const struct bench *b, const struct bench_item *it)
{
	struct rng r;

	if (!b->per_variant)
		return b->op->seed;
	rng_seed(&r, b->op->seed ^ hash_fnv1a(it->cfg, b->space.np *
	    sizeof(*it->cfg)));
	return rng_next(&r);
}

int
bench_fits(const struct bench *b, const struct args_shape *sh,
    struct bench_outcome *o)
{
	uint64_t need = measure_need(&b->args, sh, b->nsets,
	    b->warmup + b->repeat);

	if (need <= b->max_bytes)
		return 1;
	bench_fail(o, "invalid", "the buffers need %llu bytes, more than the "
	    "limit of %llu", (unsigned long long)need,
	    (unsigned long long)b->max_bytes);
	return 0;
}

int
bench_data(struct bench *b, const struct bench_item *it,
    const struct args_shape *sh, struct measure_data **d,
    struct ar_err *err)
{
	if ((*d = measure_cache_get(&b->mc, &b->args, sh, b->nsets,
	    inputs_seed(b, it), err)) == NULL)
		return AR_EXIT_FAIL;
	return 0;
}

int
bench_reference(struct bench *b, struct measure_data *d,
    const struct measure_proto *p, struct bench_outcome *o,
    struct ar_err *err)
{
	struct measure_result res;

	if (b->ref_so != NULL && !d->have_ref && d->ref_error == NULL) {
		if (measure_run(&b->mc, d, &b->args, b->ref_so, b->ref_entry,
		    p, 1, &res, err) != 0)
			return AR_EXIT_FAIL;
		if (res.end == MEASURE_LOAD) {
			ar_errf(err, "%s: reference: %s", b->spec.path,
			    res.error);
			measure_result_release(&res);
			return AR_EXIT_USAGE;
		}
		measure_result_release(&res);
	}
	if (d->ref_error != NULL)
		bench_fail(o, "invalid", "the reference failed on these "
		    "inputs: %s", d->ref_error);
	else if (d->have_ref)
		o->ref_time_s = d->ref_time_s;
	return 0;
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

int
bench_measure(struct bench *b, struct bench_item *it,
    struct bench_outcome *o, struct ar_err *err)
{
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->ref_time_s = -1;
	o->energy_j = -1;
	o->time_s = NAN;
	set_slots(b, it->cfg);
	if (it->compile_error)
		bench_fail(o, "compile_error", "the variant did not compile "
		    "(see compile.log)");
	else
		rc = b->be->measure(b, it, o, err);
	if (it->sealed >= 0) {
		close(it->sealed);
		it->sealed = -1;
	}
	return rc;
}

void
bench_outcome_release(struct bench_outcome *o)
{
	json_decref(o->output);
	json_decref(o->refused);
	free(o->error);
	o->output = o->refused = NULL;
	o->error = NULL;
}

/* A JSON number, or null for what JSON cannot hold. */
static json_t *
num(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

json_t *
bench_record(const struct bench *b, const struct bench_item *it,
    const struct bench_outcome *o, double wall_s)
{
	json_t *rec = json_copy(it->rec), *t, *comp;
	double cost = b->be->lookup ? o->cost_s : wall_s;
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcmp(owned[i], "output") != 0 || b->be->output)
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
	if (!b->be->lookup &&
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

void
bench_release(struct bench *b)
{
	size_t i;

	for (i = 0; i < b->nitems; i++) {
		json_decref(b->items[i].rec);
		free(b->items[i].where);
		free(b->items[i].cfg);
		free(b->items[i].source);
		free(b->items[i].artifact);
		free(b->items[i].arch);
	}
	free(b->items);
	if (b->be != NULL && b->be->release != NULL)
		b->be->release(b);
	measure_cache_release(&b->mc);
	args_release(&b->args);
	variant_compile_release(&b->vc);
	expr_free(b->bound);
	free(b->cache);
	free(b->store);
	free(b->ref_source);
	free(b->ref_so);
	free(b->host);
	free(b->device);
	free(b->note);
	free(b->slots);
	space_release(&b->space);
	spec_release(&b->spec);
	memset(b, 0, sizeof(*b));
}

static char *const ref_openmp[] = { "-O3", "-fopenmp", NULL };
static char *const ref_serial[] = { "-O3", NULL };
char *const *const bench_ref_device_flags[] = { ref_openmp, ref_serial,
    NULL };

int
bench_reference_device(struct bench *b, struct measure_data *d,
    struct bench_outcome *o, struct ar_err *err)
{
	struct measure_proto p;

	bench_proto(b, &p);
	p.warmup = 0;
	p.repeat = d->nsets;
	p.timeout_s = b->timeout_s > REF_DEVICE_TIMEOUT ? b->timeout_s :
	    REF_DEVICE_TIMEOUT;
	return bench_reference(b, d, &p, o, err);
}

int
bench_run_device(struct bench *b, const struct bench_item *it,
    struct measure_data *d, const struct measure_proto *p,
    measure_child_fn *fn, void *job, double slack_s, const char *what,
    struct measure_result *res, struct ar_err *err)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		if (measure_run_child(&b->mc, d, &b->args, p, fn, job, slack_s,
		    res, err) != 0)
			return AR_EXIT_FAIL;
		if (res->end != MEASURE_LOAD)
			return 0;
		if (attempt > 0)
			break;
		measure_result_release(res);
		sleep(2);
	}
	ar_errf(err, "%s: the %s failed twice: %s", it->where, what,
	    res->error);
	measure_result_release(res);
	return AR_EXIT_FAIL;
}
