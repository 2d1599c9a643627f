/*
 * openblas_sgemm: times OpenBLAS's cblas_sgemm on C = A * B, row-major
 * single precision, M x K times K x N, the way ar-bench(1) times a
 * variant: inputs uniform in [-1, 1], a few untimed runs, then each call
 * alone timed with CLOCK_MONOTONIC after its buffers have been read once;
 * the figure is the median.  Prints one JSON line.
 *
 * usage: openblas_sgemm M N K [warmup [repeat]]
 * The thread count is OpenBLAS's own: OPENBLAS_NUM_THREADS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

/* Declared by OpenBLAS, though not always in the cblas.h installed. */
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
touch(const float *p, size_t n)
{
	volatile float sink = 0;
	size_t i;

	for (i = 0; i < n; i += 16)
		sink += p[i];
	(void)sink;
}

int
main(int argc, char *argv[])
{
	int m, n, k, warmup = 2, repeat = 10, r;
	float *A, *B, *C;
	double *t, med, gflops;
	struct timespec t0, t1;
	unsigned long s = 1;
	size_t i;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: openblas_sgemm M N K [warmup [repeat]]\n");
		return 2;
	}
	m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
	if (argc > 4)
		warmup = atoi(argv[4]);
	if (argc > 5)
		repeat = atoi(argv[5]);
	if (m < 1 || n < 1 || k < 1 || warmup < 0 || repeat < 1) {
		fprintf(stderr, "openblas_sgemm: bad size or count\n");
		return 2;
	}
	A = aligned_alloc(64, ((size_t)m * k * 4 + 63) / 64 * 64);
	B = aligned_alloc(64, ((size_t)k * n * 4 + 63) / 64 * 64);
	C = aligned_alloc(64, ((size_t)m * n * 4 + 63) / 64 * 64);
	t = malloc(sizeof(*t) * repeat);
	if (A == NULL || B == NULL || C == NULL || t == NULL) {
		fprintf(stderr, "openblas_sgemm: out of memory\n");
		return 1;
	}
	/* A small LCG is enough for inputs; the values do not matter to
	 * the speed as long as they are ordinary numbers. */
	for (i = 0; i < (size_t)m * k; i++)
		A[i] = (float)((s = s * 6364136223846793005UL + 1) >> 40) /
		    (1 << 23) - 1;
	for (i = 0; i < (size_t)k * n; i++)
		B[i] = (float)((s = s * 6364136223846793005UL + 1) >> 40) /
		    (1 << 23) - 1;
	for (r = -warmup; r < repeat; r++) {
		memset(C, 0xff, (size_t)m * n * 4);	/* NaN, as ar-bench */
		touch(A, (size_t)m * k);
		touch(B, (size_t)k * n);
		touch(C, (size_t)m * n);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k,
		    1.0f, A, k, B, n, 0.0f, C, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r >= 0)
			t[r] = (double)(t1.tv_sec - t0.tv_sec) +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	qsort(t, repeat, sizeof(*t), cmp);
	med = repeat % 2 ? t[repeat / 2] :
	    (t[repeat / 2 - 1] + t[repeat / 2]) / 2;
	gflops = 2.0 * m * n * k / med / 1e9;
	printf("{\"method\":\"openblas\",\"M\":%d,\"N\":%d,\"K\":%d,"
	    "\"threads\":%d,\"core\":\"%s\",\"config\":\"%s\","
	    "\"repeat\":%d,\"time_s\":%.9g,\"min_s\":%.9g,\"gflops\":%.4g}\n",
	    m, n, k, openblas_get_num_threads(), openblas_get_corename(),
	    openblas_get_config(), repeat, med, t[0], gflops);
	free(A), free(B), free(C), free(t);
	return fclose(stdout) == 0 ? 0 : 1;
}
