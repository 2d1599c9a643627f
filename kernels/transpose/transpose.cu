/*
 * transpose.cu: out = in^T for an m x n row-major float matrix (out is
 * n x m), through a TILE x TILE tile in shared memory, so that both the
 * reads of in and the writes of out go along rows and are coalesced.
 *
 * A block of TILE x (TILE / ROWS) threads moves one tile: each thread
 * reads ROWS elements of a column of the tile, a stride of TILE / ROWS
 * rows apart, then after the barrier writes ROWS elements of a row of
 * the transposed tile, which it reads down a column of the shared
 * array.  Rows of TILE + PAD floats put the elements of that column in
 * different banks (PAD 1 for TILE 32 has no conflict; PAD 0 has 32).
 *
 * Tunables (macros, with defaults that compile and are right anywhere):
 *   TILE  the tile's side
 *   ROWS  elements per thread (TILE / ROWS rows of threads)
 *   PAD   floats of padding per row of the shared tile
 *
 * Any m and n work: elements outside the matrix are neither read nor
 * written.  The grid is ceil(n / TILE) x ceil(m / TILE).
 */
#ifndef TILE
#define TILE 32
#endif
#ifndef ROWS
#define ROWS 4
#endif
#ifndef PAD
#define PAD 1
#endif

static_assert(TILE % ROWS == 0, "ROWS must divide TILE");

#define TR_BY (TILE / ROWS)		/* rows of threads */

extern "C" __global__ void __launch_bounds__(TILE * TR_BY)
transpose(int m, int n, const float *__restrict__ in,
    float *__restrict__ out)
{
	__shared__ float tile[TILE][TILE + PAD];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int r0 = blockIdx.y * TILE, c0 = blockIdx.x * TILE;

	/* tile[i][j] = in[r0 + i][c0 + j] */
#pragma unroll
	for (int i = ty; i < TILE; i += TR_BY) {
		int r = r0 + i, c = c0 + tx;

		if (r < m && c < n)
			tile[i][tx] = in[(long long)r * n + c];
	}
	__syncthreads();
	/* out[c0 + i][r0 + j] = in[r0 + j][c0 + i] = tile[j][i] */
#pragma unroll
	for (int i = ty; i < TILE; i += TR_BY) {
		int r = c0 + i, c = r0 + tx;

		if (r < n && c < m)
			out[(long long)r * m + c] = tile[tx][i];
	}
}
