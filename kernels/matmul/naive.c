/*
 * naive: C = A * B for n x n row-major single-precision matrices, the
 * plain triple loop, untuned.  Its loops are marked for the
 * transformation search (ar-study(5) "transform"): strategy xform and rl
 * add tiles, unrolling, vector widths, a parallel loop and another loop
 * order, and ar-bench checks every variant against matmul_ref.c.  The
 * loops declare their variables, as a parallel loop around a tiled one
 * needs under clang 14.
 */
void
matmul(const float *A, const float *B, float *C, int n)
{
	for (int i = 0; i < n * n; i++)
		C[i] = 0.0f;
#pragma ar loop i
	for (int i = 0; i < n; i++)
#pragma ar loop j
		for (int j = 0; j < n; j++)
#pragma ar loop k
			for (int k = 0; k < n; k++)
				C[i * n + j] += A[i * n + k] * B[k * n + j];
}
