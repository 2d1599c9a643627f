/*
 * check: multiplies two random N x N matrices (uniform in [-1, 1], from
 * a seed) by scheme_sgemm(), the code scheme2c generated, and compares
 * every entry with the product summed in double.  It prints one JSON
 * line:
 *
 *	{"N": 130, "max_abs_err": ..., "max_rel_err": ..., "norm_rel_err": ...}
 *
 * max_rel_err is the largest |C - R| / |R| over the entries where R is
 * not 0 (an entry near 0 makes it large whatever the algorithm);
 * norm_rel_err is max |C - R| / max |R|, the measure under which
 * Strassen-like schemes have their error bounds.  A float product of
 * the standard algorithm has norm_rel_err of about 1e-7 to 1e-6 at
 * these sizes, and a wrong scheme about 1.
 *
 * usage: check N [SEED]; exit 0 after printing, 2 on bad usage.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void scheme_sgemm(int N, const float *A, const float *B, float *C);

/* xorshift64*: the same matrices on every machine. */
static unsigned long long rng;

static float
uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (float)((double)((rng * 2685821657736338717ULL) >> 40) /
	    (double)(1ULL << 24) * 2.0 - 1.0);
}

int
main(int argc, char **argv)
{
	float *A, *B, *C;
	double *R, abs_max = 0, rel_max = 0, ref_max = 0;
	size_t i, n2;
	int N, r, c, k;
	char *end;

	if (argc < 2 || argc > 3) {
		fputs("usage: check N [SEED]\n", stderr);
		return 2;
	}
	N = (int)strtol(argv[1], &end, 10);
	if (*end != '\0' || N < 1 || N > 4096) {
		fprintf(stderr, "check: N '%s' is not in 1..4096\n", argv[1]);
		return 2;
	}
	rng = argc == 3 ? strtoull(argv[2], NULL, 10) : 1;
	rng = rng * 0x9E3779B97F4A7C15ULL + 1;
	n2 = (size_t)N * N;
	A = malloc(n2 * sizeof(float));
	B = malloc(n2 * sizeof(float));
	C = malloc(n2 * sizeof(float));
	R = calloc(n2, sizeof(double));
	if (A == NULL || B == NULL || C == NULL || R == NULL) {
		fputs("check: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < n2; i++)
		A[i] = uniform();
	for (i = 0; i < n2; i++)
		B[i] = uniform();
	/* Poisoned, so that an entry the code never writes shows. */
	for (i = 0; i < n2; i++)
		C[i] = NAN;
	scheme_sgemm(N, A, B, C);
	for (r = 0; r < N; r++)
		for (k = 0; k < N; k++)
			for (c = 0; c < N; c++)
				R[(size_t)r * N + c] += (double)A[(size_t)r * N + k] *
				    B[(size_t)k * N + c];
	for (i = 0; i < n2; i++) {
		double e = fabs(C[i] - R[i]);

		if (isnan(e))
			e = INFINITY;
		if (e > abs_max)
			abs_max = e;
		if (R[i] != 0 && e / fabs(R[i]) > rel_max)
			rel_max = e / fabs(R[i]);
		if (fabs(R[i]) > ref_max)
			ref_max = fabs(R[i]);
	}
	printf("{\"N\": %d, \"max_abs_err\": %.3g, \"max_rel_err\": %.3g, "
	    "\"norm_rel_err\": %.3g}\n", N, abs_max, rel_max,
	    abs_max / ref_max);
	return fclose(stdout) != 0;
}
