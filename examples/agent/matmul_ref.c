/*
 * matmul_ref: the naive triple loop that every variant of matmul.c is
 * checked against.  Accumulates in double so that the reference is the
 * more accurate side of the comparison.
 */
void
matmul_ref(const float *A, const float *B, float *C, int n)
{
	int i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			double s = 0.0;

			for (k = 0; k < n; k++)
				s += (double)A[i * n + k] * B[k * n + j];
			C[i * n + j] = (float)s;
		}
}
