/*
 * bench: times C = A * B for N x N float matrices (uniform in [-1, 1],
 * from a seed) by a plain GEMM kernel and by one level of a scheme over
 * the same kernel (the code scheme2c generated), and measures the error
 * of each against a double-precision product.
 *
 *	bench KERNEL THREADS N REPEAT [SAMPLES [SEED]]
 *
 * KERNEL is "tuned" (kernels/sgemm as compiled into this program, its
 * THREADS fixed at build time: THREADS must match it) or "openblas"
 * (cblas_sgemm on THREADS threads).  The plain product and the scheme
 * run in turn, REPEAT times each, and the program prints one JSON line
 * with every time, the medians, GFLOP/s as 2 N^3 / t for both (the
 * scheme is credited with the standard algorithm's flops, not its own),
 * and the errors.
 *
 * The errors are measured on SAMPLES random entries (default 256): the
 * reference of entry (i, j) is the dot product of row i of A and column
 * j of B summed in double, which keeps the check cheap at N = 8192.
 * max_rel_err is the largest |C - R| / |R| over the sample; norm_rel_err
 * is max |C - R| / max |R| over the sample, the measure under which
 * Strassen-like algorithms have their error bounds.
 *
 * Each run is timed on the wall clock and in CPU time of the process
 * (all its threads).  On a machine shared with other jobs the wall time
 * of a run pinned to a core counts the time other processes took from
 * that core, and varies by a factor of 1.5 from run to run; the CPU time
 * of one thread does not (though caches shared with others still
 * slow it).  With two threads the CPU time includes what a thread
 * spends waiting at a barrier, and says less.
 *
 * The scheme's workspace is allocated and touched once, outside the
 * timing, as the kernel keeps its packing buffers between calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#ifndef TUNED_THREADS
#define TUNED_THREADS 1
#endif

void sgemm(int m, int n, int k, const float *A, const float *B, float *C);
void blas_sgemm(int m, int n, int k, const float *A, const float *B,
    float *C);
size_t scheme_sgemm_workspace(int N);
void scheme_sgemm_ws(int N, const float *A, const float *B, float *C,
    float *work);
size_t scheme_blas_workspace(int N);
void scheme_blas_ws(int N, const float *A, const float *B, float *C,
    float *work);

/* The generated code calls the kernel as kernels/sgemm's entry is
 * called: contiguous row-major operands. */
void
blas_sgemm(int m, int n, int k, const float *A, const float *B, float *C)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f,
	    A, k, B, n, 0.0f, C, n);
}

static unsigned long long rng;

static unsigned long long
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static float
uniform(void)
{
	return (float)((double)(next() >> 40) / (double)(1ULL << 24) * 2.0 -
	    1.0);
}

static double
now(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *t, int n)
{
	double s[64];

	memcpy(s, t, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), cmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

struct err {
	double rel, norm;
};

static struct err
error(const float *C, const double *ref, const int *si, const int *sj,
    int ns, int N)
{
	double emax = 0, rmax = 0, rel = 0;
	struct err e;
	int s;

	for (s = 0; s < ns; s++) {
		double d = fabs(C[(size_t)si[s] * N + sj[s]] - ref[s]);

		if (isnan(d))
			d = INFINITY;
		if (d > emax)
			emax = d;
		if (fabs(ref[s]) > rmax)
			rmax = fabs(ref[s]);
		if (ref[s] != 0 && d / fabs(ref[s]) > rel)
			rel = d / fabs(ref[s]);
	}
	e.rel = rel;
	e.norm = emax / rmax;
	return e;
}

static void
list(const double *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		printf("%s%.4f", i ? ", " : "", t[i]);
}

int
main(int argc, char **argv)
{
	const char *kernel;
	int threads, N, repeat, ns = 256, tuned, r, s;
	float *A, *B, *C, *work;
	double tp[64], ts[64], cp[64], cs[64], *ref, t, c, flops;
	int *si, *sj;
	size_t n2, i, wn;
	struct err ep, es;

	if (argc < 5 || argc > 7) {
		fputs("usage: bench KERNEL THREADS N REPEAT [SAMPLES [SEED]]\n",
		    stderr);
		return 2;
	}
	kernel = argv[1];
	threads = atoi(argv[2]);
	N = atoi(argv[3]);
	repeat = atoi(argv[4]);
	if (argc > 5)
		ns = atoi(argv[5]);
	rng = (argc > 6 ? strtoull(argv[6], NULL, 10) : 1) *
	    0x9E3779B97F4A7C15ULL + 1;
	tuned = strcmp(kernel, "tuned") == 0;
	if ((!tuned && strcmp(kernel, "openblas") != 0) || threads < 1 ||
	    N < 2 || repeat < 1 || repeat > 64 || ns < 1) {
		fputs("bench: bad arguments\n", stderr);
		return 2;
	}
	if (tuned && threads != TUNED_THREADS) {
		fprintf(stderr, "bench: this build runs the tuned kernel on "
		    "%d threads, not %d\n", TUNED_THREADS, threads);
		return 2;
	}
	openblas_set_num_threads(tuned ? 1 : threads);
	n2 = (size_t)N * N;
	wn = tuned ? scheme_sgemm_workspace(N) : scheme_blas_workspace(N);
	A = malloc(n2 * sizeof(float));
	B = malloc(n2 * sizeof(float));
	C = malloc(n2 * sizeof(float));
	work = malloc(wn * sizeof(float));
	ref = malloc((size_t)ns * sizeof(double));
	si = malloc((size_t)ns * sizeof(int));
	sj = malloc((size_t)ns * sizeof(int));
	if (!A || !B || !C || !work || !ref || !si || !sj) {
		fputs("bench: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < n2; i++)
		A[i] = uniform();
	for (i = 0; i < n2; i++)
		B[i] = uniform();
	memset(C, 0, n2 * sizeof(float));
	memset(work, 0, wn * sizeof(float));
	for (s = 0; s < ns; s++) {
		size_t k;
		double d = 0;

		si[s] = (int)(next() % (unsigned)N);
		sj[s] = (int)(next() % (unsigned)N);
		for (k = 0; k < (size_t)N; k++)
			d += (double)A[(size_t)si[s] * N + k] *
			    B[k * N + sj[s]];
		ref[s] = d;
	}
	for (r = 0; r < repeat; r++) {
		t = now(CLOCK_MONOTONIC);
		c = now(CLOCK_PROCESS_CPUTIME_ID);
		if (tuned)
			sgemm(N, N, N, A, B, C);
		else
			blas_sgemm(N, N, N, A, B, C);
		cp[r] = now(CLOCK_PROCESS_CPUTIME_ID) - c;
		tp[r] = now(CLOCK_MONOTONIC) - t;
		ep = error(C, ref, si, sj, ns, N);
		memset(C, 0, n2 * sizeof(float));
		t = now(CLOCK_MONOTONIC);
		c = now(CLOCK_PROCESS_CPUTIME_ID);
		if (tuned)
			scheme_sgemm_ws(N, A, B, C, work);
		else
			scheme_blas_ws(N, A, B, C, work);
		cs[r] = now(CLOCK_PROCESS_CPUTIME_ID) - c;
		ts[r] = now(CLOCK_MONOTONIC) - t;
		es = error(C, ref, si, sj, ns, N);
		memset(C, 0, n2 * sizeof(float));
	}
	flops = 2.0 * N * N * (double)N;
	printf("{\"N\": %d, \"kernel\": \"%s\", \"threads\": %d, "
	    "\"plain_s\": [", N, kernel, threads);
	list(tp, repeat);
	printf("], \"scheme_s\": [");
	list(ts, repeat);
	printf("], \"plain_cpu_s\": [");
	list(cp, repeat);
	printf("], \"scheme_cpu_s\": [");
	list(cs, repeat);
	printf("], \"plain_cpu_median_s\": %.4f, \"scheme_cpu_median_s\": %.4f, "
	    "\"cpu_speedup\": %.4f", median(cp, repeat), median(cs, repeat),
	    median(cp, repeat) / median(cs, repeat));
	printf(", \"plain_median_s\": %.4f, \"scheme_median_s\": %.4f, "
	    "\"plain_gflops\": %.2f, \"scheme_gflops\": %.2f, "
	    "\"speedup\": %.4f, \"plain_max_rel_err\": %.3g, "
	    "\"scheme_max_rel_err\": %.3g, \"plain_norm_rel_err\": %.3g, "
	    "\"scheme_norm_rel_err\": %.3g, \"samples\": %d, "
	    "\"workspace_bytes\": %zu}\n",
	    median(tp, repeat), median(ts, repeat),
	    flops / median(tp, repeat) / 1e9, flops / median(ts, repeat) / 1e9,
	    median(tp, repeat) / median(ts, repeat), ep.rel, es.rel, ep.norm,
	    es.norm, ns, wn * sizeof(float));
	free(A);
	free(B);
	free(C);
	free(work);
	free(ref);
	free(si);
	free(sj);
	return fclose(stdout) != 0;
}
