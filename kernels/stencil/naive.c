/*
 * naive: one sweep of the radius-2 star stencil of stencil_ref.c (13
 * points, zero outside the grid) over an n x m grid, cell by cell with
 * every neighbour tested against the edge: the plain double loop,
 * untuned, its loops marked for the transformation search (ar-study(5)
 * "transform").
 */
static inline float
at(int n, int m, const float *in, int i, int j)
{
	return i < 0 || i >= n || j < 0 || j >= m ? 0.0f :
	    in[(long)i * m + j];
}

void
stencil(int n, int m, const float *in, float *out)
{
#pragma ar loop i
	for (int i = 0; i < n; i++)
#pragma ar loop j
		for (int j = 0; j < m; j++)
			out[(long)i * m + j] = 0.5f * at(n, m, in, i, j) +
			    0.1f * (at(n, m, in, i - 1, j) +
			    at(n, m, in, i + 1, j) + at(n, m, in, i, j - 1) +
			    at(n, m, in, i, j + 1)) +
			    0.025f * (at(n, m, in, i - 2, j) +
			    at(n, m, in, i + 2, j) + at(n, m, in, i, j - 2) +
			    at(n, m, in, i, j + 2));
}
