/*
 * matmul: C = A * B for n x n row-major single-precision matrices, the
 * naive triple loop with no tuning at all.  The agents of this folder
 * edit this text (propose.sh: loop order, pragmas, restrict; llm.sh:
 * whatever a model writes); every edit is verified against kernels/matmul/matmul_ref.c.
 */
void
matmul(const float *A, const float *B, float *C, int n)
{
	for (int x = 0; x < n * n; x++)
		C[x] = 0.0f;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			for (int k = 0; k < n; k++)
				C[i * n + j] += A[i * n + k] * B[k * n + j];
}
