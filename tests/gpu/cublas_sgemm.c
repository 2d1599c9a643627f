/*
 * cublas_sgemm: the yardstick of the GPU check (run.sh).  Times
 * cublasSgemm on C = A * B for row-major single-precision matrices, A m x
 * k and B k x n, as ar-bench times a kernel: CUDA events around each call
 * on the default stream, warm-up calls first, the median of the timed
 * ones.  FP32 throughout: the math mode is cuBLAS's default, which never
 * trades precision for tensor cores, and NVIDIA_TF32_OVERRIDE=0 rules TF32
 * out besides.  A sample of the result is checked against sums in double,
 * so that a layout mistake cannot pass for speed.
 *
 *   cublas_sgemm [M N K [REPEAT]]     (default 4096 4096 4096 20)
 *
 * Prints one JSON line on stdout; exits 1 on any CUDA or cuBLAS error.
 * Built on the GPU machine:
 *   cc -O2 -I$CUDA/include cublas_sgemm.c -L$CUDA/lib64 -lcublas -lcudart
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#define WARMUP	3
#define SAMPLES	256

static void
cuda_check(cudaError_t rc, const char *what)
{
	if (rc != cudaSuccess) {
		fprintf(stderr, "cublas_sgemm: %s: %s (%s)\n", what,
		    cudaGetErrorName(rc), cudaGetErrorString(rc));
		exit(1);
	}
}

static void
blas_check(cublasStatus_t rc, const char *what)
{
	if (rc != CUBLAS_STATUS_SUCCESS) {
		fprintf(stderr, "cublas_sgemm: %s: cuBLAS status %d\n", what,
		    (int)rc);
		exit(1);
	}
}

/* Numbers in [-1, 1), as ar-bench's inputs are; any generator will do. */
static float
next(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static int
cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static long
arg(char **argv, int i, int argc, long dflt)
{
	char *end;
	long v;

	if (i >= argc)
		return dflt;
	v = strtol(argv[i], &end, 10);
	if (*end != '\0' || v < 1 || v > 65536) {
		fprintf(stderr, "cublas_sgemm: '%s' is not a size from 1 to "
		    "65536\n", argv[i]);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	long m = arg(argv, 1, argc, 4096), n = arg(argv, 2, argc, 4096);
	long k = arg(argv, 3, argc, 4096), repeat = arg(argv, 4, argc, 20);
	unsigned long long seed = 1;
	float *A, *B, *C, *dA, *dB, *dC, *ms, alpha = 1, beta = 0;
	double err = 0, gflops;
	struct cudaDeviceProp prop;
	cublasHandle_t h;
	cudaEvent_t e0, e1;
	long i, s;
	size_t j;

	setenv("NVIDIA_TF32_OVERRIDE", "0", 1);
	A = malloc((size_t)m * k * sizeof(*A));
	B = malloc((size_t)k * n * sizeof(*B));
	C = malloc((size_t)m * n * sizeof(*C));
	ms = malloc((size_t)repeat * sizeof(*ms));
	if (A == NULL || B == NULL || C == NULL || ms == NULL) {
		fprintf(stderr, "cublas_sgemm: out of memory\n");
		return 1;
	}
	for (j = 0; j < (size_t)m * k; j++)
		A[j] = next(&seed);
	for (j = 0; j < (size_t)k * n; j++)
		B[j] = next(&seed);

	cuda_check(cudaGetDeviceProperties(&prop, 0), "device 0");
	cuda_check(cudaMalloc((void **)&dA, (size_t)m * k * sizeof(*A)),
	    "cudaMalloc");
	cuda_check(cudaMalloc((void **)&dB, (size_t)k * n * sizeof(*B)),
	    "cudaMalloc");
	cuda_check(cudaMalloc((void **)&dC, (size_t)m * n * sizeof(*C)),
	    "cudaMalloc");
	cuda_check(cudaMemcpy(dA, A, (size_t)m * k * sizeof(*A),
	    cudaMemcpyHostToDevice), "copy A");
	cuda_check(cudaMemcpy(dB, B, (size_t)k * n * sizeof(*B),
	    cudaMemcpyHostToDevice), "copy B");
	blas_check(cublasCreate(&h), "cublasCreate");
	blas_check(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH),
	    "cublasSetMathMode");
	cuda_check(cudaEventCreate(&e0), "cudaEventCreate");
	cuda_check(cudaEventCreate(&e1), "cudaEventCreate");

	/*
	 * cuBLAS is column-major: a row-major m x n matrix is its transpose
	 * there.  So C^T = B^T A^T: B^T is n x k with leading dimension n,
	 * A^T is k x m with leading dimension k, and C^T, n x m, has
	 * leading dimension n, which is row-major C.
	 */
	for (i = 0; i < WARMUP + repeat; i++) {
		cuda_check(cudaMemset(dC, 0xff, (size_t)m * n * sizeof(*C)),
		    "cudaMemset");
		cuda_check(cudaEventRecord(e0, 0), "cudaEventRecord");
		blas_check(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, (int)n,
		    (int)m, (int)k, &alpha, dB, (int)n, dA, (int)k, &beta, dC,
		    (int)n), "cublasSgemm");
		cuda_check(cudaEventRecord(e1, 0), "cudaEventRecord");
		cuda_check(cudaEventSynchronize(e1), "cudaEventSynchronize");
		if (i >= WARMUP)
			cuda_check(cudaEventElapsedTime(&ms[i - WARMUP], e0,
			    e1), "cudaEventElapsedTime");
	}
	cuda_check(cudaMemcpy(C, dC, (size_t)m * n * sizeof(*C),
	    cudaMemcpyDeviceToHost), "copy C");
	for (s = 0; s < SAMPLES; s++) {
		long r = (long)((next(&seed) + 1) / 2 * (float)m) % m;
		long c = (long)((next(&seed) + 1) / 2 * (float)n) % n;
		double want = 0, d;
		long p;

		for (p = 0; p < k; p++)
			want += (double)A[r * k + p] * (double)B[p * n + c];
		d = fabs((double)C[r * n + c] - want);
		if (!(d <= err))
			err = isnan(d) ? INFINITY : d;
	}
	qsort(ms, (size_t)repeat, sizeof(*ms), cmp);
	{
		double med = repeat % 2 ? ms[repeat / 2] :
		    (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2.0;
		double t = med / 1e3;

		gflops = 2.0 * (double)m * (double)n * (double)k / t / 1e9;
		for (j = 0; prop.name[j] != '\0'; j++)
			if (prop.name[j] == '"' || prop.name[j] == '\\')
				prop.name[j] = ' ';
		printf("{\"device\":\"%s\",\"m\":%ld,\"n\":%ld,\"k\":%ld,"
		    "\"repeat\":%ld,\"time_s\":%.9g,\"min_s\":%.9g,"
		    "\"gflops\":%.6g,\"sampled_max_abs_err\":%.3g,"
		    "\"math\":\"fp32\"}\n", prop.name, m, n, k, repeat, t,
		    ms[0] / 1e3, gflops, err);
	}
	cublasDestroy(h);
	cudaFree(dA);
	cudaFree(dB);
	cudaFree(dC);
	free(A);
	free(B);
	free(C);
	free(ms);
	/* K products of numbers in [-1, 1) sum to about sqrt(K) / 3; a
	 * float sum of them is off by far less than 0.05. */
	if (!(err < 0.05 * sqrt((double)k / 4096.0) + 1e-3)) {
		fprintf(stderr, "cublas_sgemm: the result is wrong (largest "
		    "error %g over %d sampled elements)\n", err, SAMPLES);
		return 1;
	}
	return 0;
}
