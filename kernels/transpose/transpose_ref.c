/*
 * transpose_ref: out = in^T for an m x n row-major matrix, the plain
 * double loop.
 */
void
transpose_ref(int m, int n, const float *in, float *out)
{
	int i, j;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++)
			out[(long)j * m + i] = in[(long)i * n + j];
}
