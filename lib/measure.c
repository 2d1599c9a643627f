#include "measure.h"

#include <dlfcn.h>
#include <errno.h>
#include <ffi.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "sandbox.h"

/* Buffers start on cache lines of their own. */
#define ALIGN		64
/* The guard after each buffer, past its aligned end, and its byte. */
#define GUARD		64
#define GUARD_BYTE	0xa5
/* What a child may take beyond its runs: loading, touching the memory. */
#define SLACK_S		5.0
/* The most energy windows a child may report. */
#define MAX_ENERGY	16
/* More than there are calls the sandbox refuses. */
#define MAX_REFUSED	128

char *
measure_host(void)
{
	const char *name = getenv("AR_HOST");
	struct utsname u;

	if (name != NULL && *name != '\0')
		return estrdup(name);
	if (uname(&u) == 0 && u.nodename[0] != '\0')
		return estrdup(u.nodename);
	return estrdup("unknown");
}

char *
measure_cpu(void)
{
	struct utsname u;
	char line[512], *p, *e;
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) != 0 ||
			    (p = strchr(line, ':')) == NULL)
				continue;
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
			e = p + strlen(p);
			while (e > p && (e[-1] == '\n' || e[-1] == ' '))
				*--e = '\0';
			if (*p != '\0') {
				fclose(f);
				return estrdup(p);
			}
		}
		fclose(f);
	}
	if (uname(&u) == 0)
		return estrdup(u.machine);
	return estrdup("unknown");
}

char *
measure_tail(const char *text, int nlines)
{
	const char *end = text + strlen(text), *p, *s;
	const char *start[16];
	size_t len[16];
	int n = 0, i;
	struct ar_buf b = { 0 };

	if (nlines > 16)
		nlines = 16;
	/* Walk back over the lines, skipping those that are blank. */
	for (p = end; p > text && n < nlines;) {
		const char *le = p;

		while (p > text && p[-1] != '\n')
			p--;
		for (s = p; s < le && (*s == ' ' || *s == '\t' || *s == '\r');
		    s++)
			;
		while (le > s && (le[-1] == '\n' || le[-1] == '\r' ||
		    le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (le > s) {
			start[n] = s;
			len[n] = (size_t)(le - s);
			n++;
		}
		if (p > text)
			p--;
	}
	buf_adds(&b, "");
	for (i = n - 1; i >= 0; i--) {
		buf_add(&b, start[i], len[i]);
		if (i > 0)
			buf_adds(&b, "; ");
	}
	buf_add(&b, "", 1);
	return b.buf;
}

static size_t
align_up(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static size_t
nbytes(const struct args *a, const struct args_shape *sh, size_t i)
{
	return (size_t)sh->count[i] * args_elemsize(a->arg[i].type);
}

static int
is_input(const struct args *a, size_t i)
{
	return a->arg[i].array && !a->arg[i].output;
}

/*
 * Lays out nsets input sets and then nouts sets of outputs: off[t * n + i]
 * for input i of set t, out[k * n + i] for output i of slot k (entries of
 * other arguments are left 0).  Each buffer is followed by a guard, from
 * its last byte to GUARD bytes past its aligned end, which the kernel must
 * leave as guard_fill wrote it.  Returns the total length.
 */
static size_t
layout(const struct args *a, const struct args_shape *sh, size_t nsets,
    size_t nouts, size_t *in, size_t *out)
{
	size_t t, i, off = 0, n = a->n;

	for (t = 0; t < nsets; t++)
		for (i = 0; i < n; i++)
			if (is_input(a, i)) {
				if (in != NULL)
					in[t * n + i] = off;
				off += align_up(nbytes(a, sh, i)) + GUARD;
			}
	for (t = 0; t < nouts; t++)
		for (i = 0; i < n; i++)
			if (a->arg[i].output) {
				if (out != NULL)
					out[t * n + i] = off;
				off += align_up(nbytes(a, sh, i)) + GUARD;
			}
	return off;
}

/* The guard of the buffer of argument i at off: where, and how long. */
static size_t
guard_at(const struct args *a, const struct args_shape *sh, size_t i,
    size_t off, size_t *len)
{
	size_t nb = nbytes(a, sh, i);

	*len = align_up(nb) + GUARD - nb;
	return off + nb;
}

/* Fills the guard of every buffer of the nsets sets at offs. */
static void
guard_fill(const struct args *a, const struct args_shape *sh,
    unsigned char *arena, const size_t *offs, size_t nsets, int outputs)
{
	size_t t, i, at, len;

	for (t = 0; t < nsets; t++)
		for (i = 0; i < a->n; i++)
			if (outputs ? a->arg[i].output : is_input(a, i)) {
				at = guard_at(a, sh, i, offs[t * a->n + i],
				    &len);
				memset(arena + at, GUARD_BYTE, len);
			}
}

/*
 * The first buffer of the nsets sets at offs whose guard was written to:
 * returns 1 with *arg and *set, else 0.
 */
static int
guard_broken(const struct args *a, const struct args_shape *sh,
    const unsigned char *arena, const size_t *offs, size_t nsets,
    int outputs, size_t *arg, size_t *set)
{
	size_t t, i, at, len, k;

	for (t = 0; t < nsets; t++)
		for (i = 0; i < a->n; i++) {
			if (!(outputs ? a->arg[i].output : is_input(a, i)))
				continue;
			at = guard_at(a, sh, i, offs[t * a->n + i], &len);
			for (k = 0; k < len; k++)
				if (arena[at + k] != GUARD_BYTE) {
					*arg = i;
					*set = t;
					return 1;
				}
		}
	return 0;
}

uint64_t
measure_need(const struct args *a, const struct args_shape *sh, size_t nsets,
    size_t nruns)
{
	return (uint64_t)layout(a, sh, nsets, nsets, NULL, NULL) +
	    layout(a, sh, nsets, nruns, NULL, NULL);
}

static void *
map(size_t len, int shared, struct ar_err *err)
{
	void *p;

	if (len == 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS |
	    (shared ? MAP_SHARED : MAP_PRIVATE), -1, 0);
	if (p == MAP_FAILED) {
		ar_errf(err, "cannot map %zu bytes of memory: %s", len,
		    strerror(errno));
		return MAP_FAILED;
	}
	return p;
}

static void
data_free(struct measure_data *d)
{
	if (d->mem != NULL)
		munmap(d->mem, d->len);
	args_shape_release(&d->shape);
	free(d->in);
	free(d->ref);
	free(d->ref_error);
	free(d);
}

struct measure_data *
measure_cache_get(struct measure_cache *c, const struct args *a,
    const struct args_shape *sh, size_t nsets, uint64_t seed,
    struct ar_err *err)
{
	struct measure_data *d;
	size_t i, t, n = a->n, len, old;

	for (i = 0; i < c->n; i++)
		if (c->d[i]->nsets == nsets && c->d[i]->seed == seed &&
		    args_shape_equal(&c->d[i]->shape, sh)) {
			c->d[i]->used = ++c->clock;
			return c->d[i];
		}
	for (i = 0; i < c->n;)
		if (c->d[i]->seed != seed) {
			c->bytes -= c->d[i]->len;
			data_free(c->d[i]);
			c->d[i] = c->d[--c->n];
		} else
			i++;
	len = layout(a, sh, nsets, nsets, NULL, NULL);
	/* Make room, dropping what was used least recently. */
	while (c->n > 0 && c->max_bytes > 0 && c->bytes + len > c->max_bytes) {
		for (old = 0, i = 1; i < c->n; i++)
			if (c->d[i]->used < c->d[old]->used)
				old = i;
		c->bytes -= c->d[old]->len;
		data_free(c->d[old]);
		c->d[old] = c->d[--c->n];
	}
	d = ecalloc(1, sizeof(*d));
	args_shape_copy(&d->shape, sh);
	d->nsets = nsets;
	d->seed = seed;
	d->in = ecalloc(nsets * n + 1, sizeof(*d->in));
	d->ref = ecalloc(nsets * n + 1, sizeof(*d->ref));
	d->len = layout(a, sh, nsets, nsets, d->in, d->ref);
	if ((d->mem = map(d->len, 0, err)) == MAP_FAILED) {
		d->mem = NULL;
		data_free(d);
		return NULL;
	}
	for (t = 0; t < nsets; t++)
		for (i = 0; i < n; i++)
			if (is_input(a, i))
				args_fill(&a->arg[i], d->mem + d->in[t * n + i],
				    sh->count[i], args_seed(seed, t, i));
	d->used = ++c->clock;
	c->d = ereallocarray(c->d, c->n + 1, sizeof(*c->d));
	c->d[c->n++] = d;
	c->bytes += d->len;
	return d;
}

void
measure_cache_release(struct measure_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		data_free(c->d[i]);
	free(c->d);
	c->d = NULL;
	c->n = 0;
	c->bytes = 0;
}

/*
 * A checksum of a run's outputs, fast enough to take after every run:
 * four independent multiply-xor lanes over 64-bit words.  Not for
 * anything adversarial to collide with; it detects a change.
 */
static uint64_t
checksum(const unsigned char *p, size_t len, uint64_t h)
{
	uint64_t l[4] = { h, h ^ 0x9e3779b97f4a7c15ULL,
	    h ^ 0xbf58476d1ce4e5b9ULL, h ^ 0x94d049bb133111ebULL }, w;
	size_t i = 0, j;

	for (; i + 32 <= len; i += 32)
		for (j = 0; j < 4; j++) {
			memcpy(&w, p + i + 8 * j, 8);
			l[j] = (l[j] ^ w) * 0x100000001b3ULL;
			l[j] ^= l[j] >> 29;
		}
	for (; i < len; i++)
		l[0] = (l[0] ^ p[i]) * 0x100000001b3ULL;
	return l[0] ^ (l[1] * 3) ^ (l[2] * 5) ^ (l[3] * 7) ^ len;
}

static uint64_t
run_checksum(const struct args *a, const struct args_shape *sh,
    const unsigned char *arena, const size_t *out, size_t k)
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->arg[i].output)
			h = checksum(arena + out[k * a->n + i],
			    nbytes(a, sh, i), h + i);
	return h;
}

uint64_t
measure_checksum(const struct measure_child *ch, size_t k)
{
	return run_checksum(ch->a, ch->sh, ch->arena, ch->out, k);
}

/* What the forked process runs: the backend's child, and what it needs
 * to clear the way for it.  Everything was set up before the fork. */
struct child_call {
	struct measure_cache *c;
	struct measure_child ch;
	measure_child_fn *fn;
	void *ctx;
};

/* The c backend's variant. */
struct c_target {
	const char *so, *entry;
	int sandbox;
};

/* Reads a buffer once, a word per cache line, so that a run starts with
 * its data mapped and as warm as the cache allows. */
static void
touch(const unsigned char *p, size_t len)
{
	volatile unsigned char sink = 0;
	size_t i;

	for (i = 0; i < len; i += ALIGN)
		sink ^= p[i];
	(void)sink;
}

static ffi_type *
ffi_of(const struct args_arg *g)
{
	if (g->array)
		return &ffi_type_pointer;
	switch (g->type) {
	case ARGS_F32: return &ffi_type_float;
	case ARGS_F64: return &ffi_type_double;
	case ARGS_I32: return &ffi_type_sint32;
	default: return &ffi_type_sint64;
	}
}

static void
arm(double s)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	if (s > 0) {
		it.it_value.tv_sec = (time_t)s;
		it.it_value.tv_usec = (suseconds_t)((s - floor(s)) * 1e6);
		if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
			it.it_value.tv_usec = 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * In the forked process, before the backend's child: a fault of the
 * kernel kills the process by its signal, whatever handler the harness
 * has (a sanitizer's, say), so that the parent sees what happened; and
 * the answers and the pristine inputs leave before the kernel comes in.
 */
static int
child_entry(void *ctx, int fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	    SIGABRT, SIGTRAP, SIGSYS };
	struct child_call *call = ctx;
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	for (i = 0; i < call->c->n; i++)
		if (call->c->d[i]->mem != NULL)
			munmap(call->c->d[i]->mem, call->c->d[i]->len);
	return call->fn(&call->ch, call->ctx, fd);
}

/*
 * A kernel that calls exit(3) ends its process here, its own handlers
 * run: the handlers the harness's runtime registered before it do not
 * (LeakSanitizer's check, in a sanitized build, would start a process,
 * which the sandbox refuses).
 */
static void
exit_now(int status, void *arg)
{
	(void)arg;
	fflush(NULL);
	_exit(status);
}

/*
 * The c backend's child.  The kernel is called through libffi rather
 * than through a wrapper generated and compiled per study: nothing but
 * the variant itself is compiled, any signature of scalars and pointers
 * the study can describe is callable, and the call adds a few
 * nanoseconds, far below the clock's use around it.
 */
static int
c_child(const struct measure_child *ch, void *ctx, int fd)
{
	const struct c_target *tg = ctx;
	const struct args *a = ch->a;
	size_t i, k, n = a->n;
	ffi_type **types = NULL;
	void **values = NULL, **ptrs = NULL;
	union args_scalar *sc = ch->sh->value;
	int rc = 3;
	struct timespec t0, t1;
	struct ar_err err;
	ffi_cif cif;
	ffi_arg rv;
	void *h, *fn;

	on_exit(exit_now, NULL);
	/* Before the load, which runs the kernel's constructors. */
	if (tg->sandbox && sandbox_enter(fd, &err) != 0) {
		dprintf(fd, "error %s (bench.sandbox false runs without "
		    "it)\n", err.msg);
		return 3;
	}
	/*
	 * RTLD_NODELETE: the child exits right after, and unloading a
	 * variant that started threads (OpenMP) can unmap libgomp under its
	 * own idle workers, which then die of SIGSEGV.
	 */
	if ((h = dlopen(tg->so, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
	    NULL) {
		dprintf(fd, "error cannot load '%s': %s\n", tg->so, dlerror());
		return 3;
	}
	dlerror();
	if ((fn = dlsym(h, tg->entry)) == NULL) {
		dprintf(fd, "error no function '%s' in '%s'\n", tg->entry,
		    tg->so);
		goto out;
	}
	/* Freed before the return, so that a leak checker following the
	 * child finds it clean. */
	types = ecalloc(n + 1, sizeof(*types));
	values = ecalloc(n + 1, sizeof(*values));
	ptrs = ecalloc(n + 1, sizeof(*ptrs));
	for (i = 0; i < n; i++) {
		types[i] = ffi_of(&a->arg[i]);
		values[i] = a->arg[i].array ? (void *)&ptrs[i] :
		    (void *)&sc[i];
	}
	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)n, &ffi_type_void,
	    types) != FFI_OK) {
		dprintf(fd, "error libffi cannot describe the call\n");
		goto out;
	}
	for (k = 0; k < ch->nruns; k++) {
		size_t t = k % ch->nsets;

		for (i = 0; i < n; i++) {
			if (!a->arg[i].array)
				continue;
			ptrs[i] = ch->arena + (a->arg[i].output ?
			    ch->out[k * n + i] : ch->in[t * n + i]);
			touch(ptrs[i], nbytes(a, ch->sh, i));
		}
		arm(ch->timeout_s);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ffi_call(&cif, FFI_FN(fn), &rv, values);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		arm(0);
		dprintf(fd, "run %zu %a %016llx\n", k,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		    (unsigned long long)run_checksum(a, ch->sh, ch->arena,
		    ch->out, k));
	}
	dprintf(fd, "done\n");
	rc = 0;
out:
	free(types);
	free(values);
	free(ptrs);
	dlclose(h);
	return rc;
}

/* What the child said, read strictly: anything else is not believed. */
struct report {
	size_t nruns;		/* runs reported, in order from 0 */
	double *t;
	uint64_t *sum;
	int done;
	char *load_error;
	char *bad;		/* the first line that made no sense */
	/* A verdict the child gave instead of going on: invalid, crash or
	 * timeout, with its message. */
	enum measure_end verdict;
	char *verdict_msg;
	char **refused;		/* MAX_REFUSED names at most */
	size_t nrefused;
	double *energy;		/* MAX_ENERGY entries at most */
	size_t nenergy;
	char *energy_error;
};

static const struct {
	const char *word;
	enum measure_end end;
} verdicts[] = {
	{ "invalid ", MEASURE_INVALID },
	{ "crash ", MEASURE_CRASH },
	{ "timeout ", MEASURE_TIMEOUT },
};

/* A system call's name, new to r's list: kept.  Returns 0 when it is not
 * a name, or is one already listed (the handler says each once). */
static int
refusal(const char *name, struct report *r)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_") != n || r->nrefused == MAX_REFUSED)
		return 0;
	for (i = 0; i < r->nrefused; i++)
		if (strcmp(r->refused[i], name) == 0)
			return 0;
	r->refused[r->nrefused++] = estrdup(name);
	return 1;
}

static void
parse_report(const char *text, size_t nmax, struct report *r)
{
	const char *p = text, *e;

	while (*p != '\0') {
		char line[1024], *end;
		unsigned long long k, sum;
		double t;
		size_t len, v;

		e = strchr(p, '\n');
		len = e ? (size_t)(e - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(len < 1023 ? len :
		    1023), p);
		p += len + (e != NULL);
		/* From the sandbox's handler, at any time. */
		if (strncmp(line, "refused ", 8) == 0 && e != NULL &&
		    refusal(line + 8, r))
			continue;
		if (r->bad != NULL || r->load_error != NULL ||
		    r->verdict_msg != NULL)
			continue;
		if (strncmp(line, "error ", 6) == 0) {
			r->load_error = estrdup(line + 6);
			continue;
		}
		for (v = 0; v < sizeof(verdicts) / sizeof(verdicts[0]); v++)
			if (strncmp(line, verdicts[v].word,
			    strlen(verdicts[v].word)) == 0)
				break;
		if (v < sizeof(verdicts) / sizeof(verdicts[0]) && !r->done) {
			r->verdict = verdicts[v].end;
			r->verdict_msg = estrdup(line +
			    strlen(verdicts[v].word));
			continue;
		}
		if (strcmp(line, "done") == 0 && !r->done && e != NULL) {
			r->done = 1;
			continue;
		}
		if (!r->done && e != NULL && r->nenergy < MAX_ENERGY &&
		    sscanf(line, "energy %la", &t) == 1 && isfinite(t) &&
		    t >= 0) {
			r->energy[r->nenergy++] = t;
			continue;
		}
		if (!r->done && strncmp(line, "noenergy ", 9) == 0) {
			free(r->energy_error);
			r->energy_error = estrdup(line + 9);
			continue;
		}
		if (!r->done && e != NULL && r->nruns < nmax &&
		    sscanf(line, "run %llu %la %llx", &k, &t, &sum) == 3 &&
		    k == r->nruns && isfinite(t) && t >= 0 &&
		    (end = strrchr(line, ' ')) != NULL &&
		    strlen(end + 1) == 16) {
			r->t[r->nruns] = t;
			r->sum[r->nruns++] = sum;
			continue;
		}
		r->bad = estrdup(line);
	}
}

static void
seterr(struct measure_result *res, enum measure_end end, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(struct measure_result *res, enum measure_end end, const char *fmt, ...)
{
	struct ar_buf b = { 0 };
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		ar_die(AR_EXIT_FAIL, "out of memory");
	buf_adds(&b, s);
	free(s);
	buf_add(&b, "", 1);
	free(res->error);
	res->error = b.buf;
	res->end = end;
}

static void
fmt_elem(enum args_type t, double v, char *buf, size_t cap)
{
	if (t == ARGS_I32 || t == ARGS_I64)
		snprintf(buf, cap, "%.0f", v);
	else
		snprintf(buf, cap, "%.9g", v);
}

/* Compares every run's outputs with the reference; 1 if all passed. */
static int
check_outputs(const struct args *a, const struct measure_data *d,
    const unsigned char *arena, const size_t *out, size_t nruns,
    const struct measure_proto *p, struct measure_result *res)
{
	size_t k, i, n = a->n, badruns = 0, firstrun = 0, firstarg = 0;
	struct args_cmp first = ARGS_CMP_INIT;

	for (k = 0; k < nruns; k++) {
		size_t t = k % d->nsets;
		int runbad = 0;

		for (i = 0; i < n; i++) {
			struct args_cmp one = ARGS_CMP_INIT;

			if (!a->arg[i].output)
				continue;
			args_compare(a->arg[i].type, arena + out[k * n + i],
			    d->mem + d->ref[t * n + i], d->shape.count[i],
			    p->rtol, p->atol, &one);
			args_compare(a->arg[i].type, arena + out[k * n + i],
			    d->mem + d->ref[t * n + i], d->shape.count[i],
			    p->rtol, p->atol, &res->cmp);
			if (one.nbad > 0 && !runbad && badruns == 0) {
				first = one;
				firstrun = k;
				firstarg = i;
			}
			runbad |= one.nbad > 0;
		}
		badruns += runbad;
	}
	if (badruns > 0 && res->error == NULL) {
		char got[64], want[64];
		enum args_type ty = a->arg[firstarg].type;

		fmt_elem(ty, first.got, got, sizeof(got));
		fmt_elem(ty, first.want, want, sizeof(want));
		seterr(res, MEASURE_WRONG, "output '%s' differs from the "
		    "reference in %zu of %zu runs; in run %zu (input set "
		    "%zu): %llu of %llu elements, the first at [%llu]: %s, "
		    "expected %s", a->arg[firstarg].name, badruns, nruns,
		    firstrun + 1, firstrun % d->nsets + 1,
		    (unsigned long long)first.nbad,
		    (unsigned long long)first.n,
		    (unsigned long long)first.first, got, want);
	}
	if (badruns > 0)
		res->end = MEASURE_WRONG;
	return badruns == 0;
}

/* The reference's outputs become the data's, checked for poison left. */
static void
take_reference(const struct args *a, struct measure_data *d,
    const unsigned char *arena, const size_t *out,
    struct measure_result *res)
{
	size_t t, i, n = a->n;
	uint64_t e;

	for (t = 0; t < d->nsets; t++)
		for (i = 0; i < n; i++) {
			const unsigned char *src;
			size_t len;

			if (!a->arg[i].output)
				continue;
			/* Run t is the first on set t. */
			src = arena + out[t * n + i];
			len = nbytes(a, &d->shape, i);
			memcpy(d->mem + d->ref[t * n + i], src, len);
			if (a->arg[i].type != ARGS_F32 &&
			    a->arg[i].type != ARGS_F64)
				continue;
			for (e = 0; e < d->shape.count[i]; e++)
				if (isnan(a->arg[i].type == ARGS_F32 ?
				    (double)((const float *)src)[e] :
				    ((const double *)src)[e])) {
					seterr(res, MEASURE_WRONG, "the "
					    "reference left NaN in output "
					    "'%s' at [%llu] (input set %zu)",
					    a->arg[i].name,
					    (unsigned long long)e, t + 1);
					return;
				}
		}
}

/* measure_run and measure_run_child: the child is fn. */
static int
run(struct measure_cache *c, struct measure_data *d, const struct args *a,
    const struct measure_proto *p, int reference, measure_child_fn *fn,
    void *ctx, double slack_s, struct measure_result *res,
    struct ar_err *err)
{
	size_t n = a->n, nruns = p->warmup + p->repeat, k, i, t;
	size_t *in = ecalloc(d->nsets * n + 1, sizeof(*in));
	size_t *out = ecalloc(nruns * n + 1, sizeof(*out));
	struct proc_opts o = PROC_OPTS_INIT;
	struct proc_result pr;
	struct report r;
	struct child_call call;
	unsigned char *arena;
	size_t len;
	double sum = 0;
	char desc[256], *tail;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	if (d->nsets == 0 || d->nsets > nruns) {
		ar_errf(err, "%zu input sets for %zu runs", d->nsets, nruns);
		goto out;
	}
	len = layout(a, &d->shape, d->nsets, nruns, in, out);
	if ((arena = map(len, 1, err)) == MAP_FAILED)
		goto out;
	for (t = 0; t < d->nsets; t++)
		for (i = 0; i < n; i++)
			if (is_input(a, i))
				memcpy(arena + in[t * n + i],
				    d->mem + d->in[t * n + i],
				    nbytes(a, &d->shape, i));
	for (k = 0; k < nruns; k++)
		for (i = 0; i < n; i++)
			if (a->arg[i].output)
				args_poison(a->arg[i].type,
				    arena + out[k * n + i], d->shape.count[i]);
	guard_fill(a, &d->shape, arena, in, d->nsets, 0);
	guard_fill(a, &d->shape, arena, out, nruns, 1);

	call.c = c;
	call.ch = (struct measure_child){ .a = a, .sh = &d->shape,
	    .arena = arena, .len = len, .in = in, .out = out,
	    .nsets = d->nsets, .nruns = nruns, .warmup = p->warmup,
	    .timeout_s = p->timeout_s };
	call.fn = fn;
	call.ctx = ctx;
	/* Each run has its own alarm in the child; this is the backstop
	 * for a kernel that blocks it. */
	o.timeout_s = p->timeout_s > 0 ?
	    p->timeout_s * (double)(nruns + 1) + slack_s : 0;
	o.rlimit_cpu_s = p->cpu_s;
	o.rlimit_as = p->as_bytes;
	o.rlimit_fsize = p->file_bytes;
	o.keep_fd = p->keep_fd;
	if (proc_call(child_entry, &call, &o, &pr, err) != 0) {
		if (arena != NULL)
			munmap(arena, len);
		goto out;
	}
	res->wall_s = pr.wall_s;
	r.t = ecalloc(nruns + 1, sizeof(*r.t));
	r.sum = ecalloc(nruns + 1, sizeof(*r.sum));
	r.energy = ecalloc(MAX_ENERGY, sizeof(*r.energy));
	r.refused = ecalloc(MAX_REFUSED, sizeof(*r.refused));
	parse_report(pr.result, nruns, &r);
	tail = measure_tail(pr.err, 3);
	proc_describe(&pr, desc, sizeof(desc));

	if (r.load_error != NULL)
		seterr(res, MEASURE_LOAD, "%s", r.load_error);
	else if (r.bad != NULL)
		seterr(res, MEASURE_TAMPERED, "the child's report is not "
		    "what the harness writes: '%.100s'", r.bad);
	else if (r.verdict_msg != NULL)
		seterr(res, r.verdict, "%s", r.verdict_msg);
	else if (pr.end == PROC_TIMEOUT)
		seterr(res, MEASURE_TIMEOUT, "%s (run %zu of %zu had not "
		    "returned)", desc, r.nruns + 1, nruns);
	else if (pr.end == PROC_SIGNALED && pr.sig == SIGALRM)
		seterr(res, MEASURE_TIMEOUT, "run %zu of %zu did not return "
		    "within %g s", r.nruns + 1, nruns, p->timeout_s);
	else if (pr.end == PROC_SIGNALED && pr.limit == PROC_LIMIT_CPU)
		seterr(res, MEASURE_TIMEOUT, "run %zu of %zu went past the "
		    "CPU-time limit of %g s (bench.cpu_s)", r.nruns + 1, nruns,
		    p->cpu_s);
	else if (pr.end == PROC_SIGNALED && pr.limit == PROC_LIMIT_FSIZE)
		seterr(res, MEASURE_CRASH, "run %zu of %zu wrote a file past "
		    "the size limit of %zu bytes (bench.file_mb)", r.nruns + 1,
		    nruns, p->file_bytes);
	else if (pr.end != PROC_EXITED || pr.code != 0)
		seterr(res, MEASURE_CRASH, "%s%s%s", desc, *tail ? ": " : "",
		    tail);
	else if (!r.done || r.nruns != nruns)
		seterr(res, MEASURE_CRASH, "the kernel ended its process "
		    "(%s) during run %zu of %zu%s%s", desc, r.nruns + 1, nruns,
		    *tail ? ": " : "", tail);
	free(tail);
	for (k = 0; k < r.nruns; k++)
		sum += r.t[k];
	/* Times are the child's word; their sum cannot pass its life. */
	if (res->error == NULL && sum > pr.wall_s)
		seterr(res, MEASURE_TAMPERED, "the reported times add up to "
		    "%.6g s, more than the child's whole life of %.6g s",
		    sum, pr.wall_s);
	if (res->error == NULL) {
		res->ntimes = p->repeat;
		res->times = ecalloc(p->repeat + 1, sizeof(*res->times));
		memcpy(res->times, r.t + p->warmup,
		    p->repeat * sizeof(*res->times));
		stats_summary(res->times, res->ntimes, &res->stats);
		res->end = MEASURE_OK;
		if (r.nenergy > 0) {
			res->energy = r.energy;
			res->nenergy = r.nenergy;
			r.energy = NULL;
		}
		res->energy_error = r.energy_error;
		r.energy_error = NULL;
		/* The causes first: a write past a buffer, an input
		 * changed, an output changed after the return; then what
		 * they lead to. */
		if (guard_broken(a, &d->shape, arena, out, nruns, 1, &i, &k))
			seterr(res, MEASURE_CRASH, "the kernel wrote past the "
			    "end of its output '%s' (run %zu)",
			    a->arg[i].name, k + 1);
		else if (guard_broken(a, &d->shape, arena, in, d->nsets, 0,
		    &i, &t))
			seterr(res, MEASURE_CRASH, "the kernel wrote past the "
			    "end of its input '%s' (input set %zu)",
			    a->arg[i].name, t + 1);
		for (t = 0; t < d->nsets && res->error == NULL; t++)
			for (i = 0; i < n && res->error == NULL; i++)
				if (is_input(a, i) && memcmp(arena +
				    in[t * n + i], d->mem + d->in[t * n + i],
				    nbytes(a, &d->shape, i)) != 0)
					seterr(res, MEASURE_WRONG, "the kernel "
					    "changed its input '%s' (input "
					    "set %zu)", a->arg[i].name, t + 1);
		for (k = 0; k < nruns && res->error == NULL; k++)
			if (run_checksum(a, &d->shape, arena, out, k) !=
			    r.sum[k])
				seterr(res, MEASURE_WRONG, "the output of run "
				    "%zu changed after the kernel returned "
				    "(work left running?)", k + 1);
		if (reference && res->error == NULL)
			take_reference(a, d, arena, out, res);
		else if (!reference && a->noutputs > 0)
			check_outputs(a, d, arena, out, nruns, p, res);
	}
	/* What the kernel was refused may be why it failed. */
	if (res->error != NULL && r.nrefused > 0) {
		struct ar_buf b = { 0 };

		buf_adds(&b, res->error);
		buf_adds(&b, "; the sandbox refused its calls to ");
		for (i = 0; i < r.nrefused; i++)
			buf_printf(&b, "%s%s", i > 0 ? ", " : "",
			    r.refused[i]);
		buf_adds(&b, " (bench.sandbox)");
		free(res->error);
		res->error = b.buf;
	}
	res->refused = r.refused;
	res->nrefused = r.nrefused;
	r.refused = NULL;
	r.nrefused = 0;
	if (reference) {
		if (res->error != NULL)
			d->ref_error = estrdup(res->error);
		else {
			d->have_ref = 1;
			d->ref_time_s = res->stats.median;
		}
	}
	proc_result_release(&pr);
	if (arena != NULL)
		munmap(arena, len);
	rc = 0;
out:
	free(r.t);
	free(r.sum);
	free(r.load_error);
	free(r.bad);
	free(r.verdict_msg);
	free(r.energy);
	free(r.energy_error);
	for (i = 0; i < r.nrefused; i++)
		free(r.refused[i]);
	free(r.refused);
	free(in);
	free(out);
	return rc;
}

int
measure_run(struct measure_cache *c, struct measure_data *d,
    const struct args *a, const char *so, const char *entry,
    const struct measure_proto *p, int reference,
    struct measure_result *res, struct ar_err *err)
{
	struct c_target tg = { so, entry, p->sandbox };

	return run(c, d, a, p, reference, c_child, &tg, SLACK_S, res, err);
}

int
measure_run_child(struct measure_cache *c, struct measure_data *d,
    const struct args *a, const struct measure_proto *p,
    measure_child_fn *fn, void *ctx, double slack_s,
    struct measure_result *res, struct ar_err *err)
{
	return run(c, d, a, p, 0, fn, ctx, slack_s, res, err);
}

void
measure_result_release(struct measure_result *res)
{
	size_t i;

	free(res->times);
	free(res->error);
	free(res->energy);
	free(res->energy_error);
	for (i = 0; i < res->nrefused; i++)
		free(res->refused[i]);
	free(res->refused);
	memset(res, 0, sizeof(*res));
}

void
measure_say(int fd, const char *word, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	dprintf(fd, "%s %s\n", word, msg);
}
