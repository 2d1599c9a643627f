/*
 * stencil.cu: one sweep of the radius-2 star stencil of stencil.c
 * (stencil_ref.c is its reference) over an n x m row-major float grid:
 *
 *   out[i][j] = 0.5 c + 0.1 (the 4 cells at distance 1)
 *                     + 0.025 (the 4 cells at distance 2),
 *
 * cells outside the grid counting as 0.
 *
 * A block of BX x BY threads computes a tile of BX columns and BY * RY
 * rows; each thread RY consecutive cells of one column.  Two ways to
 * feed it:
 *   SMEM 0  no shared memory: a thread keeps a window of RY + 4 cells of
 *           its column in registers, so each cell of it is loaded once,
 *           and loads its left and right neighbours, which the
 *           neighbouring threads load too, from L1
 *   SMEM 1  the block first copies its tile with a 2-cell halo,
 *           (BY*RY + 4) x (BX + 4) floats, into shared memory, with
 *           zeros outside the grid, and computes from there
 *
 * Tunables (macros, with defaults that compile and are right anywhere):
 *   BX, BY  the block's threads along a row and along a column
 *   RY      cells per thread, down a column
 *   SMEM    0 or 1, as above
 *
 * Any n and m work.  The grid is ceil(m / BX) x ceil(n / (BY * RY)).
 */
#ifndef BX
#define BX 32
#endif
#ifndef BY
#define BY 8
#endif
#ifndef RY
#define RY 4
#endif
#ifndef SMEM
#define SMEM 1
#endif

static_assert(SMEM == 0 || SMEM == 1, "SMEM is 0 or 1");

#define ST_TH (BY * RY)			/* rows of a tile */

/* The stencil at one cell from its centre c, its 4 neighbours at
 * distance 1 (sum n1) and the 4 at distance 2 (sum n2). */
static __device__ __forceinline__ float
star(float c, float n1, float n2)
{
	return 0.5f * c + 0.1f * n1 + 0.025f * n2;
}

extern "C" __global__ void __launch_bounds__(BX * BY)
stencil(int n, int m, const float *__restrict__ in,
    float *__restrict__ out)
{
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int i0 = blockIdx.y * ST_TH, j0 = blockIdx.x * BX;
	const int j = j0 + tx;

#if SMEM
	__shared__ float s[ST_TH + 4][BX + 4];

	for (int idx = ty * BX + tx; idx < (ST_TH + 4) * (BX + 4);
	    idx += BX * BY) {
		int r = idx / (BX + 4), c = idx % (BX + 4);
		int gi = i0 - 2 + r, gj = j0 - 2 + c;

		s[r][c] = gi >= 0 && gi < n && gj >= 0 && gj < m ?
		    in[(long long)gi * m + gj] : 0.0f;
	}
	__syncthreads();
	if (j >= m)
		return;
#pragma unroll
	for (int r = 0; r < RY; r++) {
		int li = ty * RY + r + 2, lj = tx + 2, i = i0 + li - 2;

		if (i >= n)
			break;
		out[(long long)i * m + j] = star(s[li][lj],
		    (s[li - 1][lj] + s[li + 1][lj]) +
		    (s[li][lj - 1] + s[li][lj + 1]),
		    (s[li - 2][lj] + s[li + 2][lj]) +
		    (s[li][lj - 2] + s[li][lj + 2]));
	}
#else
	const int ib = i0 + ty * RY;	/* this thread's first row */
	float w[RY + 4];		/* column j, rows ib - 2 .. ib + RY + 1 */

	if (j >= m)
		return;
#pragma unroll
	for (int r = 0; r < RY + 4; r++) {
		int gi = ib - 2 + r;

		w[r] = gi >= 0 && gi < n ? in[(long long)gi * m + j] : 0.0f;
	}
#pragma unroll
	for (int r = 0; r < RY; r++) {
		int i = ib + r;
		const float *row = in + (long long)i * m;
		float h1, h2;

		if (i >= n)
			break;
		h1 = (j >= 1 ? row[j - 1] : 0.0f) +
		    (j + 1 < m ? row[j + 1] : 0.0f);
		h2 = (j >= 2 ? row[j - 2] : 0.0f) +
		    (j + 2 < m ? row[j + 2] : 0.0f);
		out[(long long)i * m + j] = star(w[r + 2],
		    (w[r + 1] + w[r + 3]) + h1, (w[r] + w[r + 4]) + h2);
	}
#endif
}
