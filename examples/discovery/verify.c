/*
 * verify -- checks a bilinear matrix multiplication scheme exactly.
 *
 *   verify [-q] [--as Z|GF2] [FILE]
 *
 * Reads one scheme (README.md, "The scheme format") from FILE, or from
 * the standard input without one or with "-", and checks the Brent
 * equations
 *
 *   sum_r U[r][a*m+b] V[r][c*p+d] W[r][e*p+f] = [b==c][a==e][d==f]
 *
 * for every a,b,c,d,e,f: over the integers exactly when "field" is "Z",
 * modulo 2 when it is "GF2" (--as checks the coefficients over the field
 * it names instead).  The input may be a JSON file of any layout or the
 * standard output of the walker, whose last line is the scheme.
 *
 * This program is written apart from the walker on purpose and shares no
 * code with it: it is the reference every scheme the search claims is
 * judged by.  Exit status: 0 the scheme is correct, 1 it is wrong (the
 * first equations that fail on stderr), 2 the input is malformed or
 * cannot be read.
 */
#include <err.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 16
#define MAX_RANK 100000
/* |coefficient| < 2^31: a product of three is below 2^93, and a sum of
 * MAX_RANK of them stays far below 2^127. */
#define MAX_COEF 2147483647LL

static const char *prog = "verify";

static void
usage(FILE *f, int status)
{
	fprintf(f, "usage: %s [-q] [--as Z|GF2] [FILE]\n", prog);
	exit(status);
}

/* The whole of FILE (or stdin), NUL-terminated. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = stdin;
	size_t cap = 1 << 16, len = 0, n;
	char *buf;

	if (strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL)
		errx(2, "cannot open '%s': %s", path, strerror(errno));
	if ((buf = malloc(cap)) == NULL)
		errx(2, "out of memory");
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			if (cap > (size_t)1 << 30)
				errx(2, "'%s': larger than 1 GiB", path);
			cap *= 2;
			if ((buf = realloc(buf, cap)) == NULL)
				errx(2, "out of memory");
		}
	}
	if (ferror(f))
		errx(2, "cannot read '%s': %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/*
 * The scheme: the whole input as one JSON value, else its last line that
 * is not blank (a program's output, with other lines before it).
 */
static json_t *
parse(const char *name, char *buf, size_t len)
{
	json_error_t e, e2;
	json_t *j;
	char *last, *end = buf + len;

	if ((j = json_loadb(buf, len, 0, &e)) != NULL)
		return j;
	while (end > buf && (end[-1] == '\n' || end[-1] == ' ' ||
	    end[-1] == '\t' || end[-1] == '\r'))
		end--;
	last = end;
	while (last > buf && last[-1] != '\n')
		last--;
	if (last > buf && (j = json_loadb(last, end - last, 0, &e2)) != NULL)
		return j;
	if (len == 0 || end == buf)
		errx(2, "%s: empty input, no scheme", name);
	errx(2, "%s:%d:%d: not JSON: %s", name, e.line, e.column, e.text);
	return NULL;
}

static int
get_dim(const char *name, json_t *s, const char *key)
{
	json_t *v = json_object_get(s, key);
	json_int_t x;

	if (v == NULL)
		errx(2, "%s: no field \"%s\"", name, key);
	if (!json_is_integer(v))
		errx(2, "%s: field \"%s\" is not an integer", name, key);
	x = json_integer_value(v);
	if (x < 1 || x > MAX_DIM)
		errx(2, "%s: field \"%s\" is %lld, not in 1..%d", name, key,
		    (long long)x, MAX_DIM);
	return (int)x;
}

/* Reads factor KEY: rank rows of len integers, into a new array. */
static long long *
get_factor(const char *name, json_t *s, const char *key, size_t rank,
    int len, int gf2)
{
	json_t *f = json_object_get(s, key), *row, *c;
	long long *out;
	size_t r;
	int i;

	if (f == NULL)
		errx(2, "%s: no field \"%s\"", name, key);
	if (!json_is_array(f))
		errx(2, "%s: field \"%s\" is not an array", name, key);
	if (json_array_size(f) != rank)
		errx(2, "%s: field \"%s\" has %zu rows, \"U\" has %zu", name,
		    key, json_array_size(f), rank);
	if ((out = calloc(rank ? rank * len : 1, sizeof *out)) == NULL)
		errx(2, "out of memory");
	for (r = 0; r < rank; r++) {
		row = json_array_get(f, r);
		if (!json_is_array(row))
			errx(2, "%s: %s[%zu] is not an array", name, key, r);
		if (json_array_size(row) != (size_t)len)
			errx(2, "%s: %s[%zu] has %zu coefficients, should have "
			    "%d", name, key, r, json_array_size(row), len);
		for (i = 0; i < len; i++) {
			long long x;

			c = json_array_get(row, i);
			if (!json_is_integer(c))
				errx(2, "%s: %s[%zu][%d] is not an integer",
				    name, key, r, i);
			x = json_integer_value(c);
			if (x > MAX_COEF || x < -MAX_COEF)
				errx(2, "%s: %s[%zu][%d] is %lld, larger than "
				    "2^31 in magnitude", name, key, r, i, x);
			out[r * len + i] = gf2 ? ((x % 2) + 2) % 2 : x;
		}
	}
	return out;
}

int
main(int argc, char **argv)
{
	const char *path = "-", *name, *as = NULL, *field;
	long long *U, *V, *W;
	json_t *s, *f;
	char *buf;
	size_t len, rank;
	long fails = 0, total = 0;
	int i, n, m, p, gf2, quiet = 0, status = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage(stdout, 0);
		else if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc)
			as = argv[++i];
		else if (strncmp(argv[i], "--as=", 5) == 0)
			as = argv[i] + 5;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			usage(stderr, 2);
		else if (i == argc - 1)
			path = argv[i];
		else
			usage(stderr, 2);
	}
	if (as != NULL && strcmp(as, "Z") != 0 && strcmp(as, "GF2") != 0)
		errx(2, "--as: '%s' is not Z or GF2", as);
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	buf = slurp(path, &len);
	s = parse(name, buf, len);
	if (!json_is_object(s))
		errx(2, "%s: the scheme is not a JSON object", name);
	n = get_dim(name, s, "n");
	m = get_dim(name, s, "m");
	p = get_dim(name, s, "p");
	if ((f = json_object_get(s, "field")) == NULL)
		errx(2, "%s: no field \"field\"", name);
	if (!json_is_string(f) || (strcmp(json_string_value(f), "Z") != 0 &&
	    strcmp(json_string_value(f), "GF2") != 0))
		errx(2, "%s: field \"field\" is not \"Z\" or \"GF2\"", name);
	field = as != NULL ? as : json_string_value(f);
	gf2 = strcmp(field, "GF2") == 0;
	if (!json_is_array(json_object_get(s, "U")))
		errx(2, "%s: field \"U\" is %s", name,
		    json_object_get(s, "U") ? "not an array" : "missing");
	rank = json_array_size(json_object_get(s, "U"));
	if (rank > MAX_RANK)
		errx(2, "%s: %zu products, more than %d", name, rank, MAX_RANK);
	U = get_factor(name, s, "U", rank, n * m, gf2);
	V = get_factor(name, s, "V", rank, m * p, gf2);
	W = get_factor(name, s, "W", rank, n * p, gf2);

	/* The claim: "rank", if given, must be the number of products. */
	f = json_object_get(s, "rank");
	if (f != NULL && (!json_is_integer(f) ||
	    json_integer_value(f) != (json_int_t)rank)) {
		fprintf(stderr, "%s: %s: claims rank ", prog, name);
		if (json_is_integer(f))
			fprintf(stderr, "%lld", (long long)json_integer_value(f));
		else
			fprintf(stderr, "(not an integer)");
		fprintf(stderr, " but has %zu products\n", rank);
		status = 1;
		goto out;
	}

	/* Every equation, in the order of (a,b,c,d,e,f). */
	for (int a = 0; a < n; a++)
	for (int b = 0; b < m; b++)
	for (int c = 0; c < m; c++)
	for (int d = 0; d < p; d++)
	for (int e = 0; e < n; e++)
	for (int g = 0; g < p; g++) {
		__int128 sum = 0;
		long long want = b == c && a == e && d == g;

		for (size_t r = 0; r < rank; r++) {
			long long u = U[r * n * m + a * m + b];
			long long v = V[r * m * p + c * p + d];
			long long w = W[r * n * p + e * p + g];

			if (u != 0 && v != 0 && w != 0)
				sum += (__int128)u * v * w;
		}
		if (gf2)
			sum = ((sum % 2) + 2) % 2;
		total++;
		if (sum != want) {
			if (fails < 5) {
				/* The sum fits a long double well enough
				 * to print; it is exact below 2^64. */
				fprintf(stderr, "%s: %s: Brent equation "
				    "(a,b,c,d,e,f)=(%d,%d,%d,%d,%d,%d): sum "
				    "is %.0Lf, should be %lld%s\n", prog,
				    name, a, b, c, d, e, g, (long double)sum,
				    want, gf2 ? " (mod 2)" : "");
			}
			fails++;
		}
	}
	if (fails > 0) {
		fprintf(stderr, "%s: %s: wrong: %ld of %ld Brent equations "
		    "fail over %s\n", prog, name, fails, total, field);
		status = 1;
	} else if (!quiet) {
		printf("%s: correct %dx%dx%d scheme of rank %zu over %s\n",
		    name, n, m, p, rank, field);
	}
out:
	if (fflush(stdout) != 0 || ferror(stdout))
		errx(2, "cannot write to stdout: %s", strerror(errno));
	json_decref(s);
	free(U);
	free(V);
	free(W);
	free(buf);
	return status;
}
