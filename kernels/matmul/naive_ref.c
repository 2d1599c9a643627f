/*
 * naive_ref: the reference of naive.json, the sums of matmul_ref.c (in
 * double, k ascending, so the same result to the last bit) taken a row
 * of C at a time, so that B is read along its rows: at N = 1024
 * matmul_ref's column walk takes 7 s a run on this machine, past the
 * one-second timeout the transformation search measures with.
 */
#include <stdlib.h>

void
matmul_ref(const float *A, const float *B, float *C, int n)
{
	double *row = calloc((size_t)n, sizeof(*row));
	int i, j, k;

	if (row == NULL)
		abort();
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			row[j] = 0.0;
		for (k = 0; k < n; k++) {
			double a = A[i * n + k];

			for (j = 0; j < n; j++)
				row[j] += a * B[k * n + j];
		}
		for (j = 0; j < n; j++)
			C[i * n + j] = (float)row[j];
	}
	free(row);
}
