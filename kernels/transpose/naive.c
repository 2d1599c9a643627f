/*
 * naive: out = in^T for an m x n row-major matrix, the plain double
 * loop, untuned, its loops marked for the transformation search
 * (ar-study(5) "transform").
 */
void
transpose(int m, int n, const float *in, float *out)
{
#pragma ar loop i
	for (int i = 0; i < m; i++)
#pragma ar loop j
		for (int j = 0; j < n; j++)
			out[(long)j * m + i] = in[(long)i * n + j];
}
