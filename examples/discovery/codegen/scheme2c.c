/*
 * scheme2c: turns a bilinear matrix multiplication scheme (the U, V, W
 * coefficient matrices of examples/discovery) into C source for one
 * level of recursion over a float GEMM kernel:
 *
 *	void scheme_sgemm(int N, const float *A, const float *B, float *C)
 *
 * C = A * B for N x N row-major matrices.  A is cut into n x m blocks,
 * B into m x p and C into n x p; product r of the scheme multiplies
 * T_r = sum U[r][i*m+j] A_ij by S_r = sum V[r][j*p+k] B_jk with the
 * kernel, and C_ik = sum W[r][i*p+k] M_r.  Rows and columns that do not
 * fill a whole block (N not a multiple of n, m or p) are computed
 * directly, in float, after the blocks.
 *
 * A scheme is checked before any code is written: its shape, a field of
 * "Z" (a scheme over GF(2) holds only mod 2, and real arithmetic is not
 * mod 2), and the Brent equations in exact integer arithmetic, so that
 * no invalid scheme turns into code that computes a wrong product.
 * --no-check skips the last check only (the tests use it to show that
 * the code of a wrong scheme does compute a wrong product).
 *
 * Exit status: 0 code written, 1 cannot write it, 2 bad usage or a bad
 * scheme (one message: the file and what is wrong).
 */
#define _POSIX_C_SOURCE 200809L
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXDIM	8	/* n, m, p: at most 8 blocks a side */
#define MAXRANK	1024
#define MAXCOEF	1024	/* |coefficient|: keeps the Brent sums in range */

struct scheme {
	int n, m, p, rank;
	int *u, *v, *w;		/* rank rows of n*m, m*p, n*p */
};

static const char *prog = "scheme2c";
static const char *path;	/* the scheme file, for messages */

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		errx(1, "out of memory");
	return p;
}

static int
dim(json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	json_int_t d;

	if (x == NULL)
		errx(2, "%s: key \"%s\" is missing", path, key);
	if (!json_is_integer(x))
		errx(2, "%s: \"%s\" is not an integer", path, key);
	d = json_integer_value(x);
	if (d < 1 || d > MAXDIM)
		errx(2, "%s: \"%s\" is %lld, not in 1..%d", path, key,
		    (long long)d, MAXDIM);
	return (int)d;
}

/* Reads the rank rows of width len of key into a new array. */
static int *
rows(json_t *o, const char *key, int rank, int len, const char *what)
{
	json_t *a = json_object_get(o, key), *row, *x;
	int *c = xcalloc((size_t)rank * len, sizeof(int));
	size_t r, j;

	if (a == NULL)
		errx(2, "%s: key \"%s\" is missing", path, key);
	if (!json_is_array(a))
		errx(2, "%s: \"%s\" is not an array of rows", path, key);
	if (json_array_size(a) != (size_t)rank)
		errx(2, "%s: \"%s\" has %zu rows, rank is %d", path, key,
		    json_array_size(a), rank);
	json_array_foreach(a, r, row) {
		if (!json_is_array(row))
			errx(2, "%s: %s row %zu is not an array", path, key,
			    r + 1);
		if (json_array_size(row) != (size_t)len)
			errx(2, "%s: %s row %zu has %zu entries, %s is %d",
			    path, key, r + 1, json_array_size(row), what, len);
		json_array_foreach(row, j, x) {
			json_int_t v;

			if (!json_is_integer(x))
				errx(2, "%s: %s row %zu entry %zu is not an "
				    "integer", path, key, r + 1, j + 1);
			v = json_integer_value(x);
			if (v < -MAXCOEF || v > MAXCOEF)
				errx(2, "%s: %s row %zu entry %zu is %lld, "
				    "beyond +-%d", path, key, r + 1, j + 1,
				    (long long)v, MAXCOEF);
			c[r * len + j] = (int)v;
		}
	}
	return c;
}

static void
load(struct scheme *s)
{
	json_error_t e;
	json_t *o, *x;
	const char *field;
	int gf2;

	o = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL) {
		FILE *f = fopen(path, "r");

		if (f == NULL)
			errx(2, "cannot open '%s': %s", path, strerror(errno));
		fclose(f);
		errx(2, "%s:%d: malformed JSON: %s", path, e.line, e.text);
	}
	if (!json_is_object(o))
		errx(2, "%s: not a JSON object", path);
	s->n = dim(o, "n");
	s->m = dim(o, "m");
	s->p = dim(o, "p");
	x = json_object_get(o, "field");
	if (x == NULL)
		errx(2, "%s: key \"field\" is missing", path);
	field = json_string_value(x);
	if (field == NULL ||
	    (strcmp(field, "Z") != 0 && strcmp(field, "GF2") != 0))
		errx(2, "%s: \"field\" must be \"Z\" or \"GF2\"", path);
	gf2 = strcmp(field, "GF2") == 0;
	x = json_object_get(o, "rank");
	if (x == NULL)
		errx(2, "%s: key \"rank\" is missing", path);
	if (!json_is_integer(x) || json_integer_value(x) < 1 ||
	    json_integer_value(x) > MAXRANK)
		errx(2, "%s: \"rank\" is not an integer in 1..%d", path,
		    MAXRANK);
	s->rank = (int)json_integer_value(x);
	s->u = rows(o, "U", s->rank, s->n * s->m, "n*m");
	s->v = rows(o, "V", s->rank, s->m * s->p, "m*p");
	s->w = rows(o, "W", s->rank, s->n * s->p, "n*p");
	json_decref(o);
	if (gf2)
		errx(2, "%s: field \"GF2\": a scheme over GF(2) holds only "
		    "mod 2 and cannot multiply real matrices; lift it to "
		    "the integers and verify it there (field \"Z\")", path);
}

/*
 * The Brent equations: for every A_ij, B_jk' and C_i'k'', the sum over
 * r of U V W must be 1 where j = j', i = i' and k' = k'', and 0
 * elsewhere.  The first one that fails is named.
 */
static void
check(const struct scheme *s)
{
	int n = s->n, m = s->m, p = s->p;
	int a, b, c, r;

	for (a = 0; a < n * m; a++)
		for (b = 0; b < m * p; b++)
			for (c = 0; c < n * p; c++) {
				long long sum = 0, want;

				for (r = 0; r < s->rank; r++)
					sum += (long long)s->u[r * n * m + a] *
					    s->v[r * m * p + b] *
					    s->w[r * n * p + c];
				want = a % m == b / p && a / m == c / p &&
				    b % p == c % p;
				if (sum != want)
					errx(2, "%s: not a valid scheme over Z: "
					    "the Brent equation of A%d%d B%d%d "
					    "C%d%d sums to %lld, not %lld",
					    path, a / m + 1, a % m + 1,
					    b / p + 1, b % p + 1, c / p + 1,
					    c % p + 1, sum, want);
			}
}

/* "A12 - 2 A21" for the comment of a product. */
static void
combo(FILE *f, const char *x, const int *c, int cols, int len)
{
	int j, any = 0;

	for (j = 0; j < len; j++) {
		int k = c[j] < 0 ? -c[j] : c[j];

		if (c[j] == 0)
			continue;
		fputs(any ? (c[j] < 0 ? " - " : " + ") : (c[j] < 0 ? "-" : ""),
		    f);
		if (k != 1)
			fprintf(f, "%d ", k);
		fprintf(f, "%s%d%d", x, j / cols + 1, j % cols + 1);
		any = 1;
	}
	if (!any)
		fputs("0", f);
}

/* The file's name in a comment of the code, which must not close it. */
static void
put_path(FILE *f)
{
	const char *c;

	for (c = path; *c != '\0'; c++)
		if (*c == '*' && c[1] == '/')
			fputs("* ", f);
		else if (*c != '\n')
			fputc(*c, f);
}

/* A name the code gives to a function must be a C identifier. */
static int
ident(const char *s)
{
	const char *c;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (c = s; *c != '\0'; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') ||
		    (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			return 0;
	return 1;
}

static int
nonzeros(const int *c, int len)
{
	int j, k = 0;

	for (j = 0; j < len; j++)
		k += c[j] != 0;
	return k;
}

/*
 * The loop that writes dst = sum c[j] X_j over the blocks of one
 * operand: X (A or B) cut into blocks of hr x hc (names of the sizes in
 * the generated code) at leading dimension N, cols blocks a row.
 */
static void
emit_form(FILE *f, const char *dst, const char *X, const char *hr,
    const char *hc, const int *c, int cols, int len)
{
	int j, t = 0, first = 1;

	fprintf(f, "\tPARFOR\n\tfor (int i = 0; i < %s; i++) {\n", hr);
	for (j = 0; j < len; j++)
		if (c[j] != 0)
			fprintf(f, "\t\tconst float *restrict x%d = %s + "
			    "(size_t)(%d * %s + i) * N + %d * %s;\n", t++, X,
			    j / cols, hr, j % cols, hc);
	fprintf(f, "\t\tfloat *restrict d = %s + (size_t)i * %s;\n\n", dst,
	    hc);
	fprintf(f, "\t\tfor (int j = 0; j < %s; j++)\n\t\t\td[j] = ", hc);
	for (j = 0, t = 0; j < len; j++) {
		int k = c[j] < 0 ? -c[j] : c[j];

		if (c[j] == 0)
			continue;
		if (first)
			fputs(c[j] < 0 ? "-" : "", f);
		else
			fputs(c[j] < 0 ? " - " : " + ", f);
		if (k != 1)
			fprintf(f, "%d.0f * ", k);
		fprintf(f, "x%d[j]", t++);
		first = 0;
	}
	fputs(";\n\t}\n", f);
}

static void
emit(FILE *f, const struct scheme *s, const char *kernel, const char *name)
{
	int n = s->n, m = s->m, p = s->p, nm = n * m, mp = m * p, np = n * p;
	int *seen = xcalloc((size_t)np, sizeof(int));
	int r, j, t, used = 0;

	for (r = 0; r < s->rank; r++)
		used += nonzeros(s->u + r * nm, nm) &&
		    nonzeros(s->v + r * mp, mp) && nonzeros(s->w + r * np, np);
	fprintf(f,
"/*\n"
" * Generated by scheme2c from ");
	put_path(f);
	fprintf(f, "; do not edit, regenerate.\n"
" *\n"
" * %s(N, A, B, C):\n"
" * C = A * B for N x N row-major float matrices, by one level of a\n"
" * %dx%dx%d scheme of rank %d over Z: %d block products, each by %s(),\n"
" * in place of the %d of the standard algorithm.  Rows and columns past\n"
" * the last whole block are computed directly.\n"
" *\n"
" * Extra memory: %s_workspace(N) floats, for the two operands and the\n"
" * product of one block product:\n"
" * (N/%d)(N/%d) + (N/%d)(N/%d) + (N/%d)(N/%d), on top of what %s() keeps.\n"
" * %s() allocates it on each call and aborts if it cannot;\n"
" * %s_ws() takes it from the caller.\n"
" *\n",
	    name, n, m, p, s->rank, used, kernel, n * m * p,
	    name, n, m, m, p, n, p, kernel, name, name);
	for (r = 0; r < s->rank; r++) {
		fprintf(f, " * M%d = (", r + 1);
		combo(f, "A", s->u + r * nm, m, nm);
		fputs(") (", f);
		combo(f, "B", s->v + r * mp, p, mp);
		fputs(")\n", f);
	}
	for (j = 0; j < np; j++) {
		int any = 0;

		fprintf(f, " * C%d%d = ", j / p + 1, j % p + 1);
		for (r = 0; r < s->rank; r++) {
			int c = s->w[r * np + j], k = c < 0 ? -c : c;

			if (c == 0)
				continue;
			fputs(any ? (c < 0 ? " - " : " + ") :
			    (c < 0 ? "-" : ""), f);
			if (k != 1)
				fprintf(f, "%d ", k);
			fprintf(f, "M%d", r + 1);
			any = 1;
		}
		fputs(any ? "\n" : "0\n", f);
	}
	fprintf(f,
" */\n"
"#include <stddef.h>\n"
"#include <stdlib.h>\n"
"#include <string.h>\n"
"\n"
"/* Compiled with OpenMP, the sums of blocks share their rows among the\n"
" * threads, as a threaded kernel shares the block products. */\n"
"#ifdef _OPENMP\n"
"#define PARFOR _Pragma(\"omp parallel for schedule(static)\")\n"
"#else\n"
"#define PARFOR\n"
"#endif\n"
"\n"
"void %s(int m, int n, int k, const float *A, const float *B, float *C);\n"
"size_t %s_workspace(int N);\n"
"void %s_ws(int N, const float *A, const float *B, float *C, float *work);\n"
"void %s(int N, const float *A, const float *B, float *C);\n"
"\n"
"size_t\n"
"%s_workspace(int N)\n"
"{\n"
"\tsize_t hi = N / %d, hj = N / %d, hk = N / %d;\n"
"\n"
"\treturn N <= 0 ? 0 : hi * hj + hj * hk + hi * hk;\n"
"}\n"
"\n"
"/* C[r0, r1)[c0, c1) = (add ? C : 0) + A[r0, r1)[k0, k1) B[k0, k1)[c0, c1),\n"
" * in float as the kernel sums, for the rows and columns outside the\n"
" * blocks. */\n"
"static void\n"
"edge(int N, int r0, int r1, int c0, int c1, int k0, int k1,\n"
"    const float *A, const float *B, float *C, int add)\n"
"{\n"
"\tint i, j, k;\n"
"\n"
"\tfor (i = r0; i < r1; i++) {\n"
"\t\tfloat *restrict c = C + (size_t)i * N;\n"
"\n"
"\t\tif (!add)\n"
"\t\t\tfor (j = c0; j < c1; j++)\n"
"\t\t\t\tc[j] = 0.0f;\n"
"\t\tfor (k = k0; k < k1; k++) {\n"
"\t\t\tconst float *restrict b = B + (size_t)k * N;\n"
"\t\t\tfloat a = A[(size_t)i * N + k];\n"
"\n"
"\t\t\tfor (j = c0; j < c1; j++)\n"
"\t\t\t\tc[j] += a * b[j];\n"
"\t\t}\n"
"\t}\n"
"}\n"
"\n"
"void\n"
"%s_ws(int N, const float *A, const float *B, float *C, float *work)\n"
"{\n"
"\tconst int hi = N / %d, hj = N / %d, hk = N / %d;\n"
"\tconst int Ni = %d * hi, Nj = %d * hj, Nk = %d * hk;\n"
"\tfloat *T = work, *S = T + (size_t)hi * hj, *P = S + (size_t)hj * hk;\n"
"\n"
"\tif (N <= 0)\n"
"\t\treturn;\n"
"\tif (hi == 0 || hj == 0 || hk == 0) {\n"
"\t\tedge(N, 0, N, 0, N, 0, N, A, B, C, 0);\n"
"\t\treturn;\n"
"\t}\n",
	    kernel, name, name, name, name, n, m, p, name, n, m, p, n, m, p);
	for (r = 0; r < s->rank; r++) {
		const int *u = s->u + r * nm, *v = s->v + r * mp,
		    *w = s->w + r * np;

		fprintf(f, "\n\t/* M%d = (", r + 1);
		combo(f, "A", u, m, nm);
		fputs(") (", f);
		combo(f, "B", v, p, mp);
		fputs(") */\n", f);
		if (!nonzeros(u, nm) || !nonzeros(v, mp) || !nonzeros(w, np)) {
			fputs("\t/* contributes nothing */\n", f);
			continue;
		}
		emit_form(f, "T", "A", "hi", "hj", u, m, nm);
		emit_form(f, "S", "B", "hj", "hk", v, p, mp);
		fprintf(f, "\t%s(hi, hk, hj, T, S, P);\n", kernel);
		fputs("\tPARFOR\n\tfor (int i = 0; i < hi; i++) {\n"
		    "\t\tconst float *restrict q = P + (size_t)i * hk;\n", f);
		for (j = 0, t = 0; j < np; j++)
			if (w[j] != 0)
				fprintf(f, "\t\tfloat *restrict c%d = C + "
				    "(size_t)(%d * hi + i) * N + %d * hk;\n",
				    t++, j / p, j % p);
		fputs("\n\t\tfor (int j = 0; j < hk; j++) {\n", f);
		for (j = 0, t = 0; j < np; j++) {
			int c = w[j], k = c < 0 ? -c : c;

			if (c == 0)
				continue;
			fprintf(f, "\t\t\tc%d[j] %s", t++, seen[j] ?
			    (c < 0 ? "-= " : "+= ") : (c < 0 ? "= -" : "= "));
			if (k != 1)
				fprintf(f, "%d.0f * ", k);
			fputs("q[j];\n", f);
			seen[j] = 1;
		}
		fputs("\t\t}\n\t}\n", f);
	}
	if (used == 0)
		fputs("\t(void)T;\n\t(void)S;\n\t(void)P;\n", f);
	for (j = 0; j < np; j++)
		if (!seen[j])
			fprintf(f, "\n\t/* C%d%d has no product */\n"
			    "\tfor (int i = 0; i < hi; i++)\n"
			    "\t\tmemset(C + (size_t)(%d * hi + i) * N + %d * hk, "
			    "0, (size_t)hk * sizeof(float));\n",
			    j / p + 1, j % p + 1, j / p, j % p);
	fputs("\n\t/* What the blocks leave out: the depth past Nj, then the "
	    "rows past Ni\n\t * and the columns past Nk. */\n"
	    "\tif (Nj < N)\n"
	    "\t\tedge(N, 0, Ni, 0, Nk, Nj, N, A, B, C, 1);\n"
	    "\tif (Ni < N)\n"
	    "\t\tedge(N, Ni, N, 0, N, 0, N, A, B, C, 0);\n"
	    "\tif (Nk < N)\n"
	    "\t\tedge(N, 0, Ni, Nk, N, 0, N, A, B, C, 0);\n"
	    "}\n", f);
	fprintf(f,
"\n"
"void\n"
"%s(int N, const float *A, const float *B, float *C)\n"
"{\n"
"\tsize_t n = %s_workspace(N);\n"
"\tfloat *work = malloc((n ? n : 1) * sizeof(float));\n"
"\n"
"\tif (work == NULL)\n"
"\t\tabort();\n"
"\t%s_ws(N, A, B, C, work);\n"
"\tfree(work);\n"
"}\n", name, name, name);
	free(seen);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s [--kernel NAME] [--name NAME] [--no-check] "
	    "[-o FILE] SCHEME\n", prog);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"kernel", required_argument, NULL, 'k'},
		{"name", required_argument, NULL, 'n'},
		{"no-check", no_argument, NULL, 'N'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}
	};
	const char *kernel = "sgemm", *name = "scheme_sgemm", *out = NULL;
	struct scheme s;
	int c, nocheck = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	while ((c = getopt_long(argc, argv, "hk:n:o:", opts, NULL)) != -1)
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			kernel = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'N':
			nocheck = 1;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if (!ident(kernel) || !ident(name))
		errx(2, "'%s' is not a C identifier",
		    ident(kernel) ? name : kernel);
	path = argv[0];
	load(&s);
	if (!nocheck)
		check(&s);

	/* Written whole in memory first, so that a failure leaves no
	 * half-written source behind. */
	f = open_memstream(&buf, &len);
	if (f == NULL)
		errx(1, "out of memory");
	emit(f, &s, kernel, name);
	if (fclose(f) != 0)
		errx(1, "out of memory");
	f = out ? fopen(out, "w") : stdout;
	if (f == NULL)
		errx(1, "cannot open '%s': %s", out, strerror(errno));
	if (fwrite(buf, 1, len, f) != len || (f == stdout ?
	    fflush(f) : fclose(f)) != 0)
		errx(1, "cannot write '%s': %s", out ? out : "<stdout>",
		    strerror(errno));
	if (f == stdout && fclose(stdout) != 0)
		errx(1, "cannot write '<stdout>': %s", strerror(errno));
	free(buf);
	free(s.u);
	free(s.v);
	free(s.w);
	return 0;
}
