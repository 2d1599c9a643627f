/*
 * walk -- one evaluation of the discovery study: a bounded random walk on
 * the flip graph of n x m by m x p matrix multiplication schemes
 * (Kauers and Moosbauer, "Flip graphs for matrix multiplication", 2022),
 * with plus-transitions to leave plateaus (Arai, Ichikawa and Hukushima,
 * "Adaptive flip graph algorithm for matrix multiplication", 2024).
 *
 *   walk -n N -m M -p P [--field GF2|Z] [--steps L] [--restarts R]
 *        [--plus S] [--plus-max K] [--coef B] [--target T]
 *        [--start standard|population] [--from FILE] [--pop K] [--seed X]
 *
 * A scheme is a sum of rank-one terms a (x) b (x) c, a over A's entries,
 * b over B's, c over C's (README.md, "The scheme format").  A flip takes
 * two terms that share a factor, a (x) b (x) c + a (x) b' (x) c', to
 * a (x) (b + l b') (x) c + a (x) b' (x) (c' - l c) for l = +-1: the same
 * tensor, the same rank, another scheme.  A reduction merges two terms
 * that share two factors, a (x) b (x) c + a (x) b (x) c' =
 * a (x) b (x) (c + c'), and lowers the rank by one; it is made whenever
 * one applies.  A plus-transition does the opposite, on purpose, when the
 * walk has not reduced for S flips: a (x) b (x) c + a' (x) b' (x) c' =
 * (a - a') (x) b (x) c + a' (x) (b - b') (x) c + a' (x) b' (x) (c + c'),
 * one term more, from where other reductions may be reachable.
 *
 * Over GF2 the factors are bit masks; over Z they are small integer
 * vectors, and a flip or plus-transition that would make a coefficient
 * larger than B in magnitude is not made.  Everything is decided by a
 * generator seeded with X, so a walk is repeated exactly by its seed.
 *
 * The walk starts from the standard algorithm (rank n*m*p), from a scheme
 * file, or from one of the best schemes in the history at $AR_HISTORY
 * (the records of earlier rounds).  It prints the best scheme it met as
 * one JSON line, in the format that verify reads, with "from", "steps"
 * and "time_s" added.  Exit status: 0 done, 1 a failure of the walk
 * itself, 2 bad usage or bad input.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXE 64		/* entries of a factor: n*m, m*p and n*p */
#define HARD_COEF 100	/* |coefficient| a reduction may make, over Z */

static const char *prog = "walk";

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		errx(1, "out of memory");
	return p;
}

/* xoshiro256**, seeded by splitmix64: a walk is a function of its seed. */
typedef struct {
	uint64_t s[4];
} rng;

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(rng *g, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		g->s[i] = splitmix(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(rng *g)
{
	uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* A number in 0..n-1 (n > 0), without the bias of %. */
static uint32_t
rng_below(rng *g, uint32_t n)
{
	return (uint32_t)(((rng_next(g) >> 32) * (uint64_t)n) >> 32);
}

/*
 * A factor.  Over GF2, key is the bit mask and c is unused.  Over Z, c
 * holds the coefficients and key a hash of them with the sign of the
 * first non-zero one made positive, so that two factors equal up to sign
 * have the same key.
 */
typedef struct {
	uint64_t key;
	int8_t c[MAXE];
} vec;

typedef struct {
	vec x[3];
} term;

typedef struct {
	int n, m, p;
	int len[3];	/* n*m, m*p, n*p */
	int gf2;
	int bound;	/* largest |coefficient| a flip may make, over Z */
	int rank, cap;
	term *t;
} scheme;

static void
vec_rehash(const scheme *s, vec *v, int k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int sign = 0;

	if (s->gf2)
		return;
	for (int e = 0; e < s->len[k]; e++) {
		int x = v->c[e];

		if (sign == 0 && x != 0)
			sign = x > 0 ? 1 : -1;
		h = (h ^ (uint64_t)(uint8_t)(int8_t)(sign * x)) *
		    0x100000001b3ULL;
	}
	v->key = sign == 0 ? 0 : h | 1;
}

static int
vec_zero(const scheme *s, const vec *v, int k)
{
	if (s->gf2)
		return v->key == 0;
	for (int e = 0; e < s->len[k]; e++)
		if (v->c[e] != 0)
			return 0;
	return 1;
}

/* 1 if b = a, -1 if b = -a (over Z), 0 otherwise. */
static int
vec_same(const scheme *s, const vec *a, const vec *b, int k)
{
	int sign = 0;

	if (a->key != b->key)
		return 0;
	if (s->gf2)
		return 1;
	for (int e = 0; e < s->len[k]; e++) {
		if (a->c[e] == 0 && b->c[e] == 0)
			continue;
		if (sign == 0)
			sign = a->c[e] == b->c[e] ? 1 : -1;
		if (b->c[e] != sign * a->c[e])
			return 0;
	}
	return sign;
}

/* out = a + l b; 0, or -1 (out untouched) if a coefficient passes lim. */
static int
vec_addmul(const scheme *s, vec *out, const vec *a, const vec *b, int l,
    int k, int lim)
{
	vec r;

	if (s->gf2) {
		out->key = a->key ^ b->key;
		return 0;
	}
	for (int e = 0; e < s->len[k]; e++) {
		int x = a->c[e] + l * b->c[e];

		if (x > lim || x < -lim)
			return -1;
		r.c[e] = (int8_t)x;
	}
	memcpy(out->c, r.c, s->len[k]);
	vec_rehash(s, out, k);
	return 0;
}

static void
scheme_init(scheme *s, int n, int m, int p, int gf2, int bound, int cap)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	s->m = m;
	s->p = p;
	s->len[0] = n * m;
	s->len[1] = m * p;
	s->len[2] = n * p;
	s->gf2 = gf2;
	s->bound = bound;
	s->cap = cap;
	s->t = xmalloc(cap * sizeof *s->t);
}

static void
scheme_copy(scheme *dst, const scheme *src)
{
	term *t = dst->t;
	int cap = dst->cap;

	if (cap < src->rank)
		errx(1, "internal error: copying rank %d into %d", src->rank,
		    cap);
	*dst = *src;
	dst->t = t;
	dst->cap = cap;
	memcpy(dst->t, src->t, src->rank * sizeof *src->t);
}

/* Sets factor k of term r, entry e, to x. */
static void
term_set(scheme *s, term *t, int k, int e, int x)
{
	if (s->gf2) {
		if (x & 1)
			t->x[k].key |= (uint64_t)1 << e;
		else
			t->x[k].key &= ~((uint64_t)1 << e);
	} else {
		t->x[k].c[e] = (int8_t)x;
	}
}

static int
term_get(const scheme *s, const term *t, int k, int e)
{
	if (s->gf2)
		return (int)(t->x[k].key >> e & 1);
	return t->x[k].c[e];
}

/* The standard algorithm: a product A[i][j] B[j][l] for each i, j, l. */
static void
scheme_standard(scheme *s)
{
	s->rank = 0;
	for (int i = 0; i < s->n; i++)
	for (int j = 0; j < s->m; j++)
	for (int l = 0; l < s->p; l++) {
		term *t = &s->t[s->rank++];

		memset(t, 0, sizeof *t);
		term_set(s, t, 0, i * s->m + j, 1);
		term_set(s, t, 1, j * s->p + l, 1);
		term_set(s, t, 2, i * s->p + l, 1);
		for (int k = 0; k < 3; k++)
			vec_rehash(s, &t->x[k], k);
	}
}

/*
 * The walk's own check that s is a scheme for the product (verify is the
 * reference; this one guards the walk against its own bugs and against
 * a population that is not what it claims).
 */
static int
scheme_correct(const scheme *s)
{
	int la = s->len[0], lb = s->len[1], lc = s->len[2];
	long *sum = calloc((size_t)la * lb * lc, sizeof *sum);
	int ok = 1;

	if (sum == NULL)
		errx(1, "out of memory");
	for (int r = 0; r < s->rank; r++)
	for (int a = 0; a < la; a++) {
		int u = term_get(s, &s->t[r], 0, a);

		if (u == 0)
			continue;
		for (int b = 0; b < lb; b++) {
			int v = term_get(s, &s->t[r], 1, b);

			if (v == 0)
				continue;
			for (int c = 0; c < lc; c++)
				sum[((size_t)a * lb + b) * lc + c] += (long)u *
				    v * term_get(s, &s->t[r], 2, c);
		}
	}
	for (int i = 0; i < s->n && ok; i++)
	for (int j = 0; j < s->m && ok; j++)
	for (int j2 = 0; j2 < s->m && ok; j2++)
	for (int l = 0; l < s->p && ok; l++)
	for (int i2 = 0; i2 < s->n && ok; i2++)
	for (int l2 = 0; l2 < s->p && ok; l2++) {
		long x = sum[((size_t)(i * s->m + j) * lb + j2 * s->p + l) *
		    lc + i2 * s->p + l2];
		long want = j == j2 && i == i2 && l == l2;

		if (s->gf2)
			x &= 1;
		if (x != want)
			ok = 0;
	}
	free(sum);
	return ok;
}

static void
scheme_remove(scheme *s, int i)
{
	s->t[i] = s->t[--s->rank];
}

/*
 * Makes every reduction that applies, and removes terms with a zero
 * factor, until none is left.  Returns the number of terms removed.
 */
static int
scheme_reduce(scheme *s)
{
	int removed = 0, again = 1;

	while (again) {
		again = 0;
		for (int i = 0; i < s->rank; i++)
			for (int k = 0; k < 3; k++)
				if (vec_zero(s, &s->t[i].x[k], k)) {
					scheme_remove(s, i--);
					removed++;
					break;
				}
		for (int i = 0; i < s->rank && !again; i++)
		for (int j = i + 1; j < s->rank && !again; j++) {
			term *a = &s->t[i], *b = &s->t[j];
			int sg[3];

			for (int k = 0; k < 3; k++)
				sg[k] = vec_same(s, &a->x[k], &b->x[k], k);
			for (int k = 0; k < 3 && !again; k++) {
				int k1 = (k + 1) % 3, k2 = (k + 2) % 3;

				/* b = s1 s2 a_k1 (x) a_k2 (x) b_k: merge. */
				if (sg[k1] == 0 || sg[k2] == 0)
					continue;
				if (vec_addmul(s, &a->x[k], &a->x[k], &b->x[k],
				    sg[k1] * sg[k2], k, HARD_COEF) != 0)
					continue;
				scheme_remove(s, j);
				removed++;
				again = 1;
			}
		}
	}
	return removed;
}

/* Whether term i can be reduced with another, or has a zero factor. */
static int
term_reducible(const scheme *s, int i)
{
	const term *a = &s->t[i];

	for (int k = 0; k < 3; k++)
		if (vec_zero(s, &a->x[k], k))
			return 1;
	for (int j = 0; j < s->rank; j++) {
		int same = 0;

		if (j == i)
			continue;
		for (int k = 0; k < 3; k++)
			same += vec_same(s, &a->x[k], &s->t[j].x[k], k) != 0;
		if (same >= 2)
			return 1;
	}
	return 0;
}

/*
 * The flip of terms i and j, which share factor k up to the sign sg:
 * factor y of i gains l sg times j's, factor z of j loses l times i's.
 * 0 if made, -1 if a coefficient would pass the bound.
 */
static int
flip_apply(scheme *s, rng *g, int i, int j, int k, int sg)
{
	int y = (k + 1) % 3, z = (k + 2) % 3, l = 1;
	term *a = &s->t[i], *b = &s->t[j];
	vec ny, nz;

	if (rng_next(g) >> 63) {
		int tmp = y;

		y = z;
		z = tmp;
	}
	if (!s->gf2 && (rng_next(g) >> 63))
		l = -1;
	if (vec_addmul(s, &ny, &a->x[y], &b->x[y], l * sg, y, s->bound) != 0 ||
	    vec_addmul(s, &nz, &b->x[z], &a->x[z], -l, z, s->bound) != 0)
		return -1;
	a->x[y] = ny;
	b->x[z] = nz;
	return 0;
}

/*
 * One random flip: a random term and factor, and a random other term
 * sharing that factor.  When many tries find none, all pairs are listed
 * and one is drawn from them, so that a scheme with few flips is not
 * mistaken for one without.  Returns 0 if a flip was made, -1 if the
 * scheme has none that the bound allows.  *pi, *pj: the terms changed.
 */
static int
flip_random(scheme *s, rng *g, int *pi, int *pj)
{
	int tries = 6 * s->rank;

	for (int t = 0; t < tries; t++) {
		int i = (int)rng_below(g, s->rank), k = (int)rng_below(g, 3);
		int j = -1, sg = 0, cnt = 0;
		uint64_t key = s->t[i].x[k].key;

		for (int o = 0; o < s->rank; o++) {
			int x;

			if (o == i || s->t[o].x[k].key != key)
				continue;
			if ((x = vec_same(s, &s->t[i].x[k], &s->t[o].x[k],
			    k)) == 0)
				continue;
			if (rng_below(g, ++cnt) == 0) {
				j = o;
				sg = x;
			}
		}
		if (j >= 0 && flip_apply(s, g, i, j, k, sg) == 0) {
			*pi = i;
			*pj = j;
			return 0;
		}
	}
	/* Every pair, in random order of trial. */
	{
		int n = 0, cap = 3 * s->rank * s->rank;
		int *list = xmalloc(cap * sizeof *list);

		for (int i = 0; i < s->rank; i++)
		for (int j = 0; j < s->rank; j++)
		for (int k = 0; k < 3; k++)
			if (i != j && vec_same(s, &s->t[i].x[k],
			    &s->t[j].x[k], k) != 0)
				list[n++] = (i * s->rank + j) * 3 + k;
		while (n > 0) {
			int x = (int)rng_below(g, n), v = list[x];
			int k = v % 3, j = v / 3 % s->rank, i = v / 3 / s->rank;
			int sg = vec_same(s, &s->t[i].x[k], &s->t[j].x[k], k);

			list[x] = list[--n];
			if (flip_apply(s, g, i, j, k, sg) == 0) {
				free(list);
				*pi = i;
				*pj = j;
				return 0;
			}
		}
		free(list);
	}
	return -1;
}

/*
 * A plus-transition on two random terms that share no factor: one term
 * more.  0 if made, -1 if no pair allowed it.
 */
static int
plus_random(scheme *s, rng *g)
{
	if (s->rank + 1 > s->cap || s->rank < 2)
		return -1;
	for (int t = 0; t < 8 * s->rank; t++) {
		int i = (int)rng_below(g, s->rank);
		int j = (int)rng_below(g, s->rank - 1);
		int k = (int)rng_below(g, 3), k1 = (k + 1) % 3;
		int k2 = (k + 2) % 3, shared = 0;
		term *a, *b, nt;
		vec na, nb, nc;

		if (j >= i)
			j++;
		a = &s->t[i];
		b = &s->t[j];
		for (int q = 0; q < 3; q++)
			shared |= vec_same(s, &a->x[q], &b->x[q], q) != 0;
		if (shared)
			continue;
		/* (a - a') b c + a' (b - b') c + a' b' (c + c') */
		if (vec_addmul(s, &na, &a->x[k], &b->x[k], -1, k,
		    s->bound) != 0 ||
		    vec_addmul(s, &nb, &a->x[k1], &b->x[k1], -1, k1,
		    s->bound) != 0 ||
		    vec_addmul(s, &nc, &a->x[k2], &b->x[k2], 1, k2,
		    s->bound) != 0)
			continue;
		nt.x[k] = b->x[k];
		nt.x[k1] = b->x[k1];
		nt.x[k2] = nc;
		b->x[k1] = nb;
		b->x[k2] = a->x[k2];
		a->x[k] = na;
		s->t[s->rank++] = nt;
		return 0;
	}
	return -1;
}

/* Reads factor key of a scheme object into the scheme s; -1 with *why. */
static int
load_factor(scheme *s, json_t *o, const char *key, int k, const char **why)
{
	json_t *f = json_object_get(o, key);

	if (!json_is_array(f) || json_array_size(f) != (size_t)s->rank) {
		*why = "U, V and W are not arrays of the same length";
		return -1;
	}
	for (int r = 0; r < s->rank; r++) {
		json_t *row = json_array_get(f, r);

		if (!json_is_array(row) ||
		    json_array_size(row) != (size_t)s->len[k]) {
			*why = "a row of U, V or W has the wrong length";
			return -1;
		}
		memset(&s->t[r].x[k], 0, sizeof s->t[r].x[k]);
		for (int e = 0; e < s->len[k]; e++) {
			json_t *c = json_array_get(row, e);
			json_int_t x;

			if (!json_is_integer(c)) {
				*why = "a coefficient is not an integer";
				return -1;
			}
			x = json_integer_value(c);
			if (!s->gf2 && (x > HARD_COEF || x < -HARD_COEF)) {
				*why = "a coefficient is too large to walk from";
				return -1;
			}
			term_set(s, &s->t[r], k, e, s->gf2 ? (int)(x & 1) :
			    (int)x);
		}
		vec_rehash(s, &s->t[r].x[k], k);
	}
	return 0;
}

/*
 * Loads the scheme object o into s (initialised for the walk's size and
 * field).  -1 with *why if it does not fit: another size, a GF2 scheme
 * for a walk over Z, not a scheme, or not correct.
 */
static int
load_scheme(scheme *s, json_t *o, const char **why)
{
	json_t *f = json_object_get(o, "field"), *u = json_object_get(o, "U");
	const char *field = json_is_string(f) ? json_string_value(f) : "";

	if (!json_is_object(o) || !json_is_array(u)) {
		*why = "not a scheme (no \"U\")";
		return -1;
	}
	if (json_integer_value(json_object_get(o, "n")) != s->n ||
	    json_integer_value(json_object_get(o, "m")) != s->m ||
	    json_integer_value(json_object_get(o, "p")) != s->p) {
		*why = "a scheme of another size";
		return -1;
	}
	if (strcmp(field, "Z") != 0 && strcmp(field, "GF2") != 0) {
		*why = "\"field\" is not \"Z\" or \"GF2\"";
		return -1;
	}
	if (!s->gf2 && strcmp(field, "Z") != 0) {
		*why = "a GF2 scheme cannot start a walk over Z (lift it)";
		return -1;
	}
	if (json_array_size(u) > (size_t)s->cap) {
		*why = "more products than the standard algorithm";
		return -1;
	}
	s->rank = (int)json_array_size(u);
	if (load_factor(s, o, "U", 0, why) != 0 ||
	    load_factor(s, o, "V", 1, why) != 0 ||
	    load_factor(s, o, "W", 2, why) != 0)
		return -1;
	if (!scheme_correct(s)) {
		*why = "it is not a correct scheme";
		return -1;
	}
	scheme_reduce(s);
	return 0;
}

typedef struct {
	int rank;
	long line;
	json_t *out;
} cand;

static int
cand_cmp(const void *x, const void *y)
{
	const cand *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

/*
 * The population: the best pop schemes of the right size and field among
 * the history's records measured "ok".  One is drawn with g and loaded
 * into s.  Returns its rank, or -1 (s untouched in effect) if the history
 * has none; the reason goes to stderr.
 */
static int
load_population(scheme *s, rng *g, int pop, long *from_line)
{
	const char *path = getenv("AR_HISTORY");
	cand *c = NULL;
	size_t nc = 0, capc = 0;
	char *line = NULL;
	size_t linecap = 0;
	long lineno = 0, bad = 0;
	FILE *f;
	int rank = -1;

	if (path == NULL || *path == '\0') {
		warnx("AR_HISTORY is not set: no population, starting from "
		    "the standard algorithm");
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			errx(2, "cannot open '%s': %s", path, strerror(errno));
		warnx("no history yet ('%s'): starting from the standard "
		    "algorithm", path);
		return -1;
	}
	while (getline(&line, &linecap, f) > 0) {
		json_t *rec, *out;
		const char *why;

		lineno++;
		if ((rec = json_loads(line, 0, NULL)) == NULL) {
			bad++;
			continue;
		}
		out = json_object_get(rec, "output");
		if (!json_is_string(json_object_get(rec, "status")) ||
		    strcmp(json_string_value(json_object_get(rec, "status")),
		    "ok") != 0 || !json_is_object(out) ||
		    json_object_get(out, "U") == NULL) {
			json_decref(rec);
			continue;
		}
		if (load_scheme(s, out, &why) != 0) {
			if (strcmp(why, "a scheme of another size") != 0 &&
			    strncmp(why, "a GF2 scheme", 12) != 0)
				warnx("%s:%ld: skipped: %s", path, lineno, why);
			json_decref(rec);
			continue;
		}
		if (nc == capc) {
			capc = capc ? 2 * capc : 64;
			if ((c = realloc(c, capc * sizeof *c)) == NULL)
				errx(1, "out of memory");
		}
		c[nc].rank = s->rank;
		c[nc].line = lineno;
		c[nc].out = json_incref(out);
		nc++;
		json_decref(rec);
	}
	if (ferror(f))
		errx(2, "cannot read '%s': %s", path, strerror(errno));
	fclose(f);
	free(line);
	if (bad > 0)
		warnx("%s: %ld lines are not JSON, skipped", path, bad);
	if (nc == 0) {
		warnx("%s: no scheme of this size and field yet: starting "
		    "from the standard algorithm", path);
	} else {
		const char *why;
		size_t pick;

		qsort(c, nc, sizeof *c, cand_cmp);
		pick = rng_below(g, (uint32_t)(nc < (size_t)pop ? nc :
		    (size_t)pop));
		if (load_scheme(s, c[pick].out, &why) != 0)
			errx(1, "internal error: %s", why);
		rank = c[pick].rank;
		*from_line = c[pick].line;
	}
	for (size_t i = 0; i < nc; i++)
		json_decref(c[i].out);
	free(c);
	return rank;
}

static json_t *
factor_json(const scheme *s, int k)
{
	json_t *a = json_array();

	for (int r = 0; r < s->rank; r++) {
		json_t *row = json_array();

		for (int e = 0; e < s->len[k]; e++)
			json_array_append_new(row,
			    json_integer(term_get(s, &s->t[r], k, e)));
		json_array_append_new(a, row);
	}
	return a;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long
num_arg(const char *opt, const char *arg, long lo, long hi)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || x < lo || x > hi)
		errx(2, "%s: '%s' is not an integer in %ld..%ld", opt, arg, lo,
		    hi);
	return x;
}

static void
usage(FILE *f, int status)
{
	fprintf(f, "usage: %s -n N -m M -p P [--field GF2|Z] [--steps L] "
	    "[--restarts R]\n"
	    "            [--plus S] [--plus-max K] [--coef B] [--target T]\n"
	    "            [--start standard|population] [--from FILE] "
	    "[--pop K] [--seed X]\n", prog);
	exit(status);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"coef", required_argument, NULL, 'c'},
		{"field", required_argument, NULL, 'f'},
		{"from", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{"plus", required_argument, NULL, 'P'},
		{"plus-max", required_argument, NULL, 'K'},
		{"pop", required_argument, NULL, 'o'},
		{"restarts", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 's'},
		{"start", required_argument, NULL, 'S'},
		{"steps", required_argument, NULL, 'L'},
		{"target", required_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	const char *field = "GF2", *start = "standard", *from_file = NULL;
	long n = 0, m = 0, p = 0, steps = 100000, restarts = 1, plus = 0;
	long plus_max = 1, coef = 1, target = 0, pop = 4, verbose = 0;
	long from_rank = -1, from_line = 0, flips = 0, nplus = 0;
	unsigned long long seed = 1;
	scheme init, cur, best;
	double t0 = now();
	json_t *out;
	char *text, *end;
	int ch, gf2;
	rng g;

	while ((ch = getopt_long(argc, argv, "hm:n:p:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			coef = num_arg("--coef", optarg, 1, HARD_COEF);
			break;
		case 'f':
			field = optarg;
			if (strcmp(field, "GF2") != 0 && strcmp(field, "Z") != 0)
				errx(2, "--field: '%s' is not GF2 or Z", field);
			break;
		case 'F':
			from_file = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'K':
			plus_max = num_arg("--plus-max", optarg, 1, 1000);
			break;
		case 'L':
			steps = num_arg("--steps", optarg, 0, 1L << 40);
			break;
		case 'm':
			m = num_arg("-m", optarg, 1, 8);
			break;
		case 'n':
			n = num_arg("-n", optarg, 1, 8);
			break;
		case 'o':
			pop = num_arg("--pop", optarg, 1, 1000000);
			break;
		case 'p':
			p = num_arg("-p", optarg, 1, 8);
			break;
		case 'P':
			plus = num_arg("--plus", optarg, 0, 1L << 40);
			break;
		case 'r':
			restarts = num_arg("--restarts", optarg, 1, 1000000);
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    optarg[0] == '-')
				errx(2, "--seed: '%s' is not an integer in "
				    "0..2^64-1", optarg);
			break;
		case 'S':
			start = optarg;
			if (strcmp(start, "standard") != 0 &&
			    strcmp(start, "population") != 0)
				errx(2, "--start: '%s' is not standard or "
				    "population", start);
			break;
		case 'T':
			target = num_arg("--target", optarg, 0, 1000000);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || n == 0 || m == 0 || p == 0)
		usage(stderr, 2);
	if (n * m > MAXE || m * p > MAXE || n * p > MAXE)
		errx(2, "%ldx%ldx%ld: a factor has more than %d entries", n, m,
		    p, MAXE);
	gf2 = strcmp(field, "GF2") == 0;
	rng_seed(&g, seed);

	scheme_init(&init, (int)n, (int)m, (int)p, gf2, (int)coef,
	    (int)(n * m * p + plus_max + 1));
	scheme_init(&cur, (int)n, (int)m, (int)p, gf2, (int)coef, init.cap);
	scheme_init(&best, (int)n, (int)m, (int)p, gf2, (int)coef, init.cap);
	if (from_file != NULL) {
		json_error_t e;
		json_t *o = json_load_file(from_file, 0, &e);
		const char *why;

		if (o == NULL) {
			FILE *f = fopen(from_file, "r");

			if (f == NULL)
				errx(2, "--from: cannot open '%s': %s",
				    from_file, strerror(errno));
			fclose(f);
			errx(2, "--from: %s:%d:%d: not JSON: %s", from_file,
			    e.line, e.column, e.text);
		}
		if (load_scheme(&init, o, &why) != 0)
			errx(2, "--from: %s: %s", from_file, why);
		from_rank = init.rank;
		json_decref(o);
	} else if (strcmp(start, "population") == 0) {
		from_rank = load_population(&init, &g, (int)pop, &from_line);
	}
	if (from_rank < 0)
		scheme_standard(&init);
	if (!scheme_correct(&init))
		errx(1, "internal error: the start scheme is not correct");
	scheme_copy(&best, &init);

	for (long r = 0; r < restarts; r++) {
		int last = init.rank, floor = init.rank;
		long since = 0;

		scheme_copy(&cur, &init);
		for (long st = 0; st < steps; st++) {
			int i, j;

			if (best.rank <= target)
				break;
			/* A plus-transition may open a reduction with
			 * another term: it is made at once, like any. */
			if (plus > 0 && since >= plus &&
			    cur.rank < floor + plus_max) {
				if (plus_random(&cur, &g) == 0) {
					nplus++;
					scheme_reduce(&cur);
				}
				since = 0;
			}
			if (flip_random(&cur, &g, &i, &j) == 0) {
				flips++;
				since++;
				if (term_reducible(&cur, i) ||
				    term_reducible(&cur, j))
					scheme_reduce(&cur);
			} else {
				/* No flip at all: only a plus-transition
				 * leaves such a scheme. */
				if (plus == 0 || plus_random(&cur, &g) != 0)
					break;
				nplus++;
				scheme_reduce(&cur);
			}
			if (cur.rank < last)
				since = 0;
			last = cur.rank;
			if (cur.rank < floor)
				floor = cur.rank;
			if (cur.rank < best.rank) {
				scheme_copy(&best, &cur);
				if (verbose)
					fprintf(stderr, "%s: restart %ld step "
					    "%ld: rank %d (%.1f s)\n", prog, r,
					    st, best.rank, now() - t0);
			}
		}
	}
	if (!scheme_correct(&best))
		errx(1, "internal error: the best scheme is not correct");

	out = json_object();
	json_object_set_new(out, "rank", json_integer(best.rank));
	json_object_set_new(out, "field", json_string(field));
	json_object_set_new(out, "n", json_integer(n));
	json_object_set_new(out, "m", json_integer(m));
	json_object_set_new(out, "p", json_integer(p));
	json_object_set_new(out, "U", factor_json(&best, 0));
	json_object_set_new(out, "V", factor_json(&best, 1));
	json_object_set_new(out, "W", factor_json(&best, 2));
	json_object_set_new(out, "from", from_rank < 0 ?
	    json_string("standard") : json_integer(from_rank));
	if (from_line > 0)
		json_object_set_new(out, "from_line", json_integer(from_line));
	json_object_set_new(out, "steps", json_integer(flips));
	json_object_set_new(out, "plus", json_integer(nplus));
	json_object_set_new(out, "time_s", json_real(now() - t0));
	if ((text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL)
		errx(1, "out of memory");
	puts(text);
	free(text);
	json_decref(out);
	if (fflush(stdout) != 0 || ferror(stdout))
		errx(1, "cannot write to stdout: %s", strerror(errno));
	free(init.t);
	free(cur.t);
	free(best.t);
	return 0;
}
