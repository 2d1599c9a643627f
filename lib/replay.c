#include "replay.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * A loaded cache file (ktcache) and the study bound to it.  ktcache
 * reads and indexes the file; spec says how the study's parameters map
 * onto the file's keys; what is left here is the look-up of a study's
 * configuration and what a record means to a measurement.
 */

/* By enum ktcache_status. */
static const char *const status_name[] = {
	"ok", "compile_error", "crash", "invalid", "invalid"
};
static const char *const status_why[] = {
	NULL,
	"recorded as CompilationFailedConfig",
	"recorded as RuntimeFailedConfig",
	"recorded as InvalidConfig",
	"recorded with a time of 1e20 or more (or NaN), the mark of a "
	    "configuration that could not run"
};
static const char absent_why[] = "not in the cache file (it breaks a "
    "restriction of the recorded space)";
static const char absent_cut_why[] = "not in the cache file, which is cut "
    "off: not measured, or it breaks a restriction";

struct replay {
	struct ktcache *kc;
	size_t nkeys;

	/* The bound study: study parameter i is key map[i], whose stride
	 * is stride[i]; its value k is the key's value valmap[i][k];
	 * inv[j][v] is the study's value index of key j's value v, or -1. */
	size_t np;
	size_t *map;
	uint64_t *stride;
	uint32_t **valmap;
	long **inv;
};

struct replay *
replay_load(const char *path, struct ar_err *err)
{
	struct ktcache *kc;
	struct replay *r;

	if ((kc = ktcache_load(path, err)) == NULL)
		return NULL;
	r = ecalloc(1, sizeof(*r));
	r->kc = kc;
	r->nkeys = ktcache_nkeys(kc);
	return r;
}

static void
unbind(struct replay *r)
{
	size_t i;

	for (i = 0; r->valmap != NULL && i < r->np; i++)
		free(r->valmap[i]);
	for (i = 0; r->inv != NULL && i < r->nkeys; i++)
		free(r->inv[i]);
	free(r->valmap);
	free(r->inv);
	free(r->map);
	free(r->stride);
	r->valmap = NULL;
	r->inv = NULL;
	r->map = NULL;
	r->stride = NULL;
	r->np = 0;
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	unbind(r);
	ktcache_free(r->kc);
	free(r);
}

const char *
replay_device(const struct replay *r)
{
	return ktcache_device(r->kc);
}

size_t
replay_nrecords(const struct replay *r)
{
	return ktcache_nrecords(r->kc);
}

size_t
replay_truncated(const struct replay *r)
{
	return ktcache_truncated(r->kc);
}

int
replay_bind(struct replay *r, const struct spec *s, struct ar_err *err)
{
	size_t i, j, k;

	unbind(r);
	r->np = s->nparams;
	r->map = ecalloc(r->np ? r->np : 1, sizeof(*r->map));
	r->stride = ecalloc(r->np ? r->np : 1, sizeof(*r->stride));
	r->valmap = ecalloc(r->np ? r->np : 1, sizeof(*r->valmap));
	for (i = 0; i < r->np; i++)
		r->valmap[i] = ecalloc(s->params[i].n, sizeof(**r->valmap));
	if (spec_fit_file(s, ktcache_params_of(r->kc), ktcache_path(r->kc),
	    r->map, r->valmap, err) != 0) {
		unbind(r);
		return -1;
	}
	for (i = 0; i < r->np; i++)
		r->stride[i] = ktcache_key_stride(r->kc, r->map[i]);
	r->inv = ecalloc(r->nkeys, sizeof(*r->inv));
	for (j = 0; j < r->nkeys; j++) {
		r->inv[j] = emalloc(ktcache_key_size(r->kc, j) *
		    sizeof(**r->inv));
		for (k = 0; k < ktcache_key_size(r->kc, j); k++)
			r->inv[j][k] = -1;
	}
	for (i = 0; i < r->np; i++)
		for (k = 0; k < s->params[i].n; k++)
			r->inv[r->map[i]][r->valmap[i][k]] = (long)k;
	return 0;
}

/* The hit of rec (NULL: none); with times set, the statistics too. */
static void
fill(const struct replay *r, const struct ktcache_rec *rec, int times,
    struct replay_hit *hit)
{
	size_t cap = 64, nt, i;
	double *t;
	int finite = 1;

	memset(hit, 0, sizeof(*hit));
	hit->time_s = hit->times.min = hit->times.median = hit->times.mean =
	    hit->times.sd = NAN;
	if (rec == NULL) {
		hit->status = "invalid";
		hit->error = ktcache_truncated(r->kc) ? absent_cut_why :
		    absent_why;
		return;
	}
	hit->status = status_name[rec->status];
	hit->error = status_why[rec->status];
	hit->time_s = rec->time_s;
	hit->cost_s = rec->cost_s;
	if (!times || rec->times_len == 0)
		return;
	t = emalloc(cap * sizeof(*t));
	if ((nt = ktcache_times(r->kc, rec, &t, &cap)) > 0) {
		for (i = 0; i < nt; i++)
			finite &= isfinite(t[i]) != 0;
		/* A time that is not a number makes the statistics none. */
		if (finite)
			stats_summary(t, nt, &hit->times);
	}
	free(t);
}

static int
lookup(const struct replay *r, const space_idx *cfg, int times,
    struct replay_hit *hit)
{
	const struct ktcache_rec *rec;
	uint64_t code = 0;
	size_t i;

	if (r->map == NULL) {
		fill(r, NULL, 0, hit);
		return -1;
	}
	for (i = 0; i < r->np; i++)
		code += r->valmap[i][cfg[i]] * r->stride[i];
	rec = ktcache_find(r->kc, code);
	fill(r, rec, times, hit);
	return rec != NULL;
}

int
replay_lookup(const struct replay *r, const space_idx *cfg,
    struct replay_hit *hit)
{
	return lookup(r, cfg, 1, hit);
}

int
replay_lookup_time(const struct replay *r, const space_idx *cfg,
    struct replay_hit *hit)
{
	return lookup(r, cfg, 0, hit);
}

int
replay_record(const struct replay *r, size_t i, space_idx *cfg,
    struct replay_hit *hit)
{
	const struct ktcache_rec *rec = ktcache_rec(r->kc, i);
	size_t p, n;
	uint64_t stride;
	int in = 1;

	fill(r, rec, 0, hit);
	if (r->inv == NULL)
		return -1;
	for (p = 0; p < r->np; p++) {
		long k;

		stride = r->stride[p];
		n = ktcache_key_size(r->kc, r->map[p]);
		k = r->inv[r->map[p]][(rec->code / stride) % n];
		if (k < 0)
			in = 0;
		cfg[p] = k < 0 ? 0 : (space_idx)k;
	}
	return in;
}
