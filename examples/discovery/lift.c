/*
 * lift -- tries to turn a scheme over GF(2) into one over the integers by
 * choosing the sign of each coefficient.
 *
 *   lift [--tries K] [--seed X] [FILE]
 *
 * A GF(2) scheme has coefficients 0 and 1.  lift looks for signs, each 1
 * read as +1 or -1, for which the Brent equations hold over Z exactly
 * (the support is kept: no coefficient becomes 2, no 0 becomes non-zero).
 * Writing a coefficient as 1 + 2x modulo 4, with x in {0, 1} the choice
 * of sign, the equations modulo 4 are linear in the x over GF(2) (the
 * first step of Hensel lifting): lift solves them by Gaussian
 * elimination.  If they have no solution, no choice of signs works.
 * Otherwise the solutions are a particular one plus the null space, and
 * lift walks the null space, greedily and from K random points, to make
 * the integer residual of the equations zero.  That search may miss
 * signs that exist; a scheme that needs coefficients other than 0 and
 * +-1 over Z is out of its reach.
 *
 * It prints the lifted scheme, "field": "Z", as one JSON line, and checks
 * it over Z itself before it does; verify is the judge.  Exit status: 0
 * lifted (or already over Z), 1 no lift found, 2 bad usage or input.
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

static const char *prog = "lift";

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		errx(2, "out of memory");
	return p;
}

static uint64_t
next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* One equation: the unknowns of its products and its target. */
typedef struct {
	int nprod;	/* products with all three coefficients non-zero */
	int *var;	/* 3 * nprod unknowns: the u, v and w of each */
	int target;
} eqn;

typedef struct {
	int n, m, p, rank, len[3];
	int *coef[3];	/* rank * len[k], 0 or 1 (over Z: any) */
	int *var[3];	/* the unknown of a non-zero coefficient, or -1 */
	int nvar;
} scheme;

static void
read_factor(scheme *s, json_t *o, const char *name, const char *key, int k)
{
	json_t *f = json_object_get(o, key);

	if (!json_is_array(f) || json_array_size(f) != (size_t)s->rank)
		errx(2, "%s: \"%s\" is not an array of %d rows", name, key,
		    s->rank);
	s->coef[k] = xcalloc((size_t)s->rank * s->len[k], sizeof(int));
	s->var[k] = xcalloc((size_t)s->rank * s->len[k], sizeof(int));
	for (int r = 0; r < s->rank; r++) {
		json_t *row = json_array_get(f, r);

		if (!json_is_array(row) ||
		    json_array_size(row) != (size_t)s->len[k])
			errx(2, "%s: %s[%d] is not an array of %d integers",
			    name, key, r, s->len[k]);
		for (int e = 0; e < s->len[k]; e++) {
			json_t *c = json_array_get(row, e);
			int i = r * s->len[k] + e;

			if (!json_is_integer(c))
				errx(2, "%s: %s[%d][%d] is not an integer", name,
				    key, r, e);
			s->coef[k][i] = (int)(json_integer_value(c) & 1);
			s->var[k][i] = s->coef[k][i] ? s->nvar++ : -1;
		}
	}
}

/* The integer residual sum |lhs - target| under the signs x. */
static long
residual(const eqn *eq, int neq, const uint8_t *x)
{
	long res = 0;

	for (int i = 0; i < neq; i++) {
		long sum = 0;

		for (int q = 0; q < eq[i].nprod; q++) {
			int sg = x[eq[i].var[3 * q]] ^ x[eq[i].var[3 * q + 1]] ^
			    x[eq[i].var[3 * q + 2]];

			sum += sg ? -1 : 1;
		}
		res += labs(sum - eq[i].target);
	}
	return res;
}

/*
 * The solution of the reduced system for the free unknowns fv: each
 * pivot unknown follows from its row.
 */
static void
solve(uint8_t *x, int nvar, const int *pivot_of, uint64_t *const *rows,
    const int *free_vars, int nfree, const uint8_t *fv)
{
	memset(x, 0, nvar);
	for (int i = 0; i < nfree; i++)
		x[free_vars[i]] = fv[i];
	for (int v = 0; v < nvar; v++) {
		const uint64_t *row;
		int bit;

		if (pivot_of[v] < 0)
			continue;
		row = rows[pivot_of[v]];
		bit = (int)(row[nvar / 64] >> (nvar % 64) & 1);
		for (int i = 0; i < nfree; i++)
			if (fv[i] && (row[free_vars[i] / 64] >>
			    (free_vars[i] % 64) & 1))
				bit ^= 1;
		x[v] = (uint8_t)bit;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"seed", required_argument, NULL, 's'},
		{"tries", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	const char *path = "-", *name, *field;
	unsigned long long seed = 1;
	long tries = 100, best_res = -1;
	json_t *o, *out = NULL;
	json_error_t je;
	scheme s;
	eqn *eq;
	int neq = 0, ch, words, status = 0;
	uint64_t **rows, rng;
	int *pivot_of, npiv = 0, *free_vars = NULL, nfree = 0;
	uint8_t *x = NULL, *best = NULL;
	char *text = NULL;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			printf("usage: %s [--tries K] [--seed X] [FILE]\n", prog);
			return 0;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 't':
			tries = strtol(optarg, NULL, 10);
			if (tries < 1)
				errx(2, "--tries: '%s' is not a positive "
				    "integer", optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [--tries K] [--seed X] "
			    "[FILE]\n", prog);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: %s [--tries K] [--seed X] [FILE]\n",
		    prog);
		return 2;
	}
	if (optind < argc)
		path = argv[optind];
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	o = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &je) :
	    json_load_file(path, 0, &je);
	if (o == NULL) {
		FILE *f;

		if (strcmp(path, "-") != 0 && (f = fopen(path, "r")) == NULL)
			errx(2, "cannot open '%s': %s", path, strerror(errno));
		errx(2, "%s:%d:%d: not JSON: %s", name, je.line, je.column,
		    je.text);
	}
	if (!json_is_object(o))
		errx(2, "%s: the scheme is not a JSON object", name);
	field = json_string_value(json_object_get(o, "field"));
	if (field == NULL || (strcmp(field, "GF2") != 0 &&
	    strcmp(field, "Z") != 0))
		errx(2, "%s: \"field\" is not \"Z\" or \"GF2\"", name);
	memset(&s, 0, sizeof s);
	s.n = (int)json_integer_value(json_object_get(o, "n"));
	s.m = (int)json_integer_value(json_object_get(o, "m"));
	s.p = (int)json_integer_value(json_object_get(o, "p"));
	if (s.n < 1 || s.m < 1 || s.p < 1 || s.n > 16 || s.m > 16 || s.p > 16)
		errx(2, "%s: \"n\", \"m\" and \"p\" must be integers in 1..16",
		    name);
	if (strcmp(field, "Z") == 0) {
		/* Nothing to lift: pass it through. */
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(text);
		fprintf(stderr, "%s: %s: already over Z\n", prog, name);
		free(text);
		json_decref(o);
		return 0;
	}
	if (!json_is_array(json_object_get(o, "U")))
		errx(2, "%s: \"U\" is not an array", name);
	s.rank = (int)json_array_size(json_object_get(o, "U"));
	s.len[0] = s.n * s.m;
	s.len[1] = s.m * s.p;
	s.len[2] = s.n * s.p;
	read_factor(&s, o, name, "U", 0);
	read_factor(&s, o, name, "V", 1);
	read_factor(&s, o, name, "W", 2);

	/* The equations, each with the products that touch it. */
	eq = xcalloc((size_t)s.len[0] * s.len[1] * s.len[2], sizeof *eq);
	for (int a = 0; a < s.n; a++)
	for (int b = 0; b < s.m; b++)
	for (int c = 0; c < s.m; c++)
	for (int d = 0; d < s.p; d++)
	for (int e = 0; e < s.n; e++)
	for (int f = 0; f < s.p; f++) {
		int ia = a * s.m + b, ib = c * s.p + d, ic = e * s.p + f;
		eqn *q = &eq[neq++];

		q->target = b == c && a == e && d == f;
		q->var = xcalloc(3 * (size_t)s.rank, sizeof(int));
		for (int r = 0; r < s.rank; r++) {
			int u = s.var[0][r * s.len[0] + ia];
			int v = s.var[1][r * s.len[1] + ib];
			int w = s.var[2][r * s.len[2] + ic];

			if (u < 0 || v < 0 || w < 0)
				continue;
			q->var[3 * q->nprod] = u;
			q->var[3 * q->nprod + 1] = v;
			q->var[3 * q->nprod + 2] = w;
			q->nprod++;
		}
		if ((q->nprod - q->target) % 2 != 0)
			errx(1, "%s: not a correct scheme over GF2: Brent "
			    "equation (a,b,c,d,e,f)=(%d,%d,%d,%d,%d,%d) "
			    "fails; nothing to lift", name, a, b, c, d, e, f);
	}

	/*
	 * Modulo 4: sum over the products of (1 + 2 (xu + xv + xw)) = target,
	 * that is sum (xu + xv + xw) = (target - nprod) / 2 modulo 2.  Rows
	 * of nvar + 1 bits, the last the right-hand side; reduced to row
	 * echelon form in place.
	 */
	words = (s.nvar + 1 + 63) / 64;
	rows = xcalloc(neq, sizeof *rows);
	for (int i = 0; i < neq; i++) {
		rows[i] = xcalloc(words, sizeof **rows);
		for (int q = 0; q < 3 * eq[i].nprod; q++)
			rows[i][eq[i].var[q] / 64] ^= (uint64_t)1 <<
			    (eq[i].var[q] % 64);
		if ((((eq[i].target - eq[i].nprod) / 2) & 1) != 0)
			rows[i][s.nvar / 64] ^= (uint64_t)1 << (s.nvar % 64);
	}
	pivot_of = xcalloc(s.nvar, sizeof *pivot_of);
	for (int v = 0; v < s.nvar; v++) {
		int r = -1;

		pivot_of[v] = -1;
		for (int i = npiv; i < neq; i++)
			if (rows[i][v / 64] >> (v % 64) & 1) {
				r = i;
				break;
			}
		if (r < 0)
			continue;
		{
			uint64_t *t = rows[r];

			rows[r] = rows[npiv];
			rows[npiv] = t;
		}
		for (int i = 0; i < neq; i++)
			if (i != npiv && (rows[i][v / 64] >> (v % 64) & 1))
				for (int w = 0; w < words; w++)
					rows[i][w] ^= rows[npiv][w];
		pivot_of[v] = npiv++;
	}
	for (int i = npiv; i < neq; i++)
		if (rows[i][s.nvar / 64] >> (s.nvar % 64) & 1) {
			fprintf(stderr, "%s: %s: no signs can work: the "
			    "equations modulo 4 have no solution\n", prog,
			    name);
			status = 1;
			goto done;
		}
	free_vars = xcalloc(s.nvar, sizeof *free_vars);
	for (int v = 0; v < s.nvar; v++)
		if (pivot_of[v] < 0)
			free_vars[nfree++] = v;

	/*
	 * A solution for every choice of the free unknowns.  The search
	 * flips one free unknown at a time while the integer residual falls.
	 */
	x = xcalloc(s.nvar, 1);
	best = xcalloc(s.nvar, 1);
	rng = seed;
	for (long t = 0; t < tries && best_res != 0; t++) {
		uint8_t *fv = xcalloc(nfree, 1);
		long res;
		int improved = 1;

		for (int i = 0; i < nfree; i++)
			fv[i] = t == 0 ? 0 : (uint8_t)(next(&rng) & 1);
		solve(x, s.nvar, pivot_of, rows, free_vars, nfree, fv);
		res = residual(eq, neq, x);
		while (improved && res != 0) {
			improved = 0;
			for (int i = 0; i < nfree && res != 0; i++) {
				long r2;

				fv[i] ^= 1;
				solve(x, s.nvar, pivot_of, rows, free_vars, nfree, fv);
				r2 = residual(eq, neq, x);
				if (r2 < res) {
					res = r2;
					improved = 1;
				} else {
					fv[i] ^= 1;
				}
			}
		}
		solve(x, s.nvar, pivot_of, rows, free_vars, nfree, fv);
		if (best_res < 0 || res < best_res) {
			best_res = res;
			memcpy(best, x, s.nvar);
		}
		free(fv);
	}
	if (best_res != 0) {
		fprintf(stderr, "%s: %s: no signs found in %ld tries: the best "
		    "leaves a residual of %ld over Z; the scheme stays GF2\n",
		    prog, name, tries, best_res);
		status = 1;
		goto done;
	}
	if (residual(eq, neq, best) != 0)
		errx(1, "internal error: the signs found do not check");

	out = json_object();
	json_object_set_new(out, "n", json_integer(s.n));
	json_object_set_new(out, "m", json_integer(s.m));
	json_object_set_new(out, "p", json_integer(s.p));
	json_object_set_new(out, "field", json_string("Z"));
	json_object_set_new(out, "rank", json_integer(s.rank));
	for (int k = 0; k < 3; k++) {
		json_t *f = json_array();

		for (int r = 0; r < s.rank; r++) {
			json_t *row = json_array();

			for (int e = 0; e < s.len[k]; e++) {
				int i = r * s.len[k] + e, c = 0;

				if (s.var[k][i] >= 0)
					c = best[s.var[k][i]] ? -1 : 1;
				json_array_append_new(row, json_integer(c));
			}
			json_array_append_new(f, row);
		}
		json_object_set_new(out, k == 0 ? "U" : k == 1 ? "V" : "W", f);
	}
	json_object_set_new(out, "lifted_from", json_string("GF2"));
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL)
		errx(2, "out of memory");
	puts(text);
	if (fflush(stdout) != 0 || ferror(stdout))
		errx(2, "cannot write to stdout: %s", strerror(errno));
done:
	free(text);
	json_decref(out);
	json_decref(o);
	for (int i = 0; i < neq; i++) {
		free(eq[i].var);
		free(rows[i]);
	}
	free(eq);
	free(rows);
	for (int k = 0; k < 3; k++) {
		free(s.coef[k]);
		free(s.var[k]);
	}
	free(pivot_of);
	free(free_vars);
	free(x);
	free(best);
	return status;
}
