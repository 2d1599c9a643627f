/*
 * stencil_ref: the radius-2 star stencil of stencil.c, cell by cell
 * with every neighbour tested against the grid's edge, summed in double.
 */
static double
at(int n, int m, const float *in, int i, int j)
{
	return i < 0 || i >= n || j < 0 || j >= m ? 0.0 : in[(long)i * m + j];
}

void
stencil_ref(int n, int m, const float *in, float *out)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < m; j++)
			out[(long)i * m + j] = (float)(0.5 * at(n, m, in, i, j) +
			    0.1 * (at(n, m, in, i - 1, j) + at(n, m, in, i + 1, j) +
			    at(n, m, in, i, j - 1) + at(n, m, in, i, j + 1)) +
			    0.025 * (at(n, m, in, i - 2, j) + at(n, m, in, i + 2, j) +
			    at(n, m, in, i, j - 2) + at(n, m, in, i, j + 2)));
}
