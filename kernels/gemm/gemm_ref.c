/*
 * gemm_ref: C = A^T B in gemm.cl's layout, A K x M at A[kk * m + mm],
 * B K x N at B[kk * n + nn], C at C[nn * m + mm], each element summed
 * over kk in order, in double: the products of two floats are exact in
 * double, so the reference is the more accurate side of the comparison.
 *
 * It runs warmup + repeat times for every size ar-bench measures, so it
 * must be quick at 2048 too.  A block of NB columns of C over a strip of
 * MB rows keeps its NB x MB double accumulators (16 KiB) in L1 and reads
 * each row of the strip of A once for NB columns; the strip of A a thread
 * walks (MB x k floats, 512 KiB at 2048) stays in L2 from one block of
 * columns to the next.  Threads share out the strips.
 */
#include <stddef.h>

#define MB 64
#define NB 32

/*
 * The loop over a strip's rows is the whole of the work, and -O3 alone
 * vectorises it for SSE2, two doubles at a time; where the compiler can,
 * it also builds AVX2 and AVX-512 versions and picks one when the program
 * loads (some three times faster at 2048 on an AVX-512 Xeon).  The sums
 * are the same in every version: each product of two floats is exact in
 * double, so whether it is fused with the addition changes nothing.
 */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

void gemm_ref(int m, int n, int k, const float *A, const float *B, float *C);

CLONES void
gemm_ref(int m, int n, int k, const float *A, const float *B, float *C)
{
	int m0;

#pragma omp parallel for schedule(static)
	for (m0 = 0; m0 < m; m0 += MB) {
		double acc[NB][MB];
		int n0, i, j, p, mb = m - m0 < MB ? m - m0 : MB;

		for (n0 = 0; n0 < n; n0 += NB) {
			int nb = n - n0 < NB ? n - n0 : NB;

			for (j = 0; j < NB; j++)
				for (i = 0; i < MB; i++)
					acc[j][i] = 0.0;
			for (p = 0; p < k; p++) {
				const float *a = A + (size_t)p * m + m0;
				const float *b = B + (size_t)p * n + n0;

				if (mb == MB && nb == NB) {
					/* The common case, with constant bounds. */
					for (j = 0; j < NB; j++) {
						double bj = b[j];

						for (i = 0; i < MB; i++)
							acc[j][i] += (double)a[i] * bj;
					}
				} else {
					for (j = 0; j < nb; j++) {
						double bj = b[j];

						for (i = 0; i < mb; i++)
							acc[j][i] += (double)a[i] * bj;
					}
				}
			}
			for (j = 0; j < nb; j++)
				for (i = 0; i < mb; i++)
					C[(size_t)(n0 + j) * m + m0 + i] =
					    (float)acc[j][i];
		}
	}
}
