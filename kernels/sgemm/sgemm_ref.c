/*
 * sgemm_ref: C = A * B, row-major, A m x k, B k x n, the plain i-k-j
 * order that every variant of sgemm.c is checked against.  It sums in
 * double, so that the reference is the more accurate side of the
 * comparison.  A block of four rows of C at a time, over columns in
 * strips of 512, keeps the double accumulators in L1 and reads each row
 * of B once for four rows of A: a few seconds at N=2048 instead of a
 * minute, with every element still summed over k in order.
 */
#include <stdlib.h>

#define RB 4
#define CB 512

void
sgemm_ref(int m, int n, int k, const float *A, const float *B, float *C)
{
	int i0;

#pragma omp parallel for schedule(static)
	for (i0 = 0; i0 < m; i0 += RB) {
		double acc[RB][CB];
		int j0, i, j, p, rb = m - i0 < RB ? m - i0 : RB;

		for (j0 = 0; j0 < n; j0 += CB) {
			int cb = n - j0 < CB ? n - j0 : CB;

			for (i = 0; i < rb; i++)
				for (j = 0; j < cb; j++)
					acc[i][j] = 0.0;
			for (p = 0; p < k; p++) {
				const float *b = B + (size_t)p * n + j0;

				for (i = 0; i < rb; i++) {
					double a = A[(size_t)(i0 + i) * k + p];

					for (j = 0; j < cb; j++)
						acc[i][j] += a * b[j];
				}
			}
			for (i = 0; i < rb; i++)
				for (j = 0; j < cb; j++)
					C[(size_t)(i0 + i) * n + j0 + j] =
					    (float)acc[i][j];
		}
	}
}
