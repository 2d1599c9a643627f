/*
 * stencil.cl: one sweep of the radius-2 star stencil of stencil.c
 * (stencil_ref.c is its reference) over an n x m row-major float grid,
 * in OpenCL C 1.2, the same computation as stencil.cu:
 *
 *   out[i][j] = 0.5 c + 0.1 (the 4 cells at distance 1)
 *                     + 0.025 (the 4 cells at distance 2),
 *
 * cells outside the grid counting as 0.
 *
 * A work-group of BX x BY work-items computes a tile of BX columns and
 * BY * RY rows; each work-item RY consecutive cells of one column.  Two
 * ways to feed it:
 *   SMEM 0  no __local memory: a work-item keeps a window of RY + 4
 *           cells of its column in registers, so each cell of it is
 *           loaded once, and loads its left and right neighbours, which
 *           the neighbouring work-items load too, through the cache
 *   SMEM 1  the group first copies its tile with a 2-cell halo,
 *           (BY*RY + 4) x (BX + 4) floats, into __local memory, with
 *           zeros outside the grid, and computes from there
 * On a CPU, PoCL runs a group's work-items as a loop vectorised along
 * x, so BX is also the SIMD loop's length, and SMEM 1 is a copy through
 * cached memory that a GPU's scratchpad would not need to pay for.
 *
 * Tunables (macros, with defaults that build and are right anywhere):
 *   BX, BY  the group's work-items along a row and along a column
 *   RY      cells per work-item, down a column
 *   SMEM    0 or 1, as above
 *
 * Any n and m work.  There are ceil(m / BX) x ceil(n / (BY * RY))
 * work-groups.
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

#if SMEM != 0 && SMEM != 1
#error "SMEM is 0 or 1"
#endif

#define ST_TH (BY * RY)			/* rows of a tile */

/* The stencil at one cell from its centre c, its 4 neighbours at
 * distance 1 (sum n1) and the 4 at distance 2 (sum n2). */
static inline float
star(float c, float n1, float n2)
{
	return 0.5f * c + 0.1f * n1 + 0.025f * n2;
}

__kernel __attribute__((reqd_work_group_size(BX, BY, 1))) void
stencil(int n, int m, __global const float *restrict in,
    __global float *restrict out)
{
	const int tx = get_local_id(0), ty = get_local_id(1);
	const int i0 = get_group_id(1) * ST_TH, j0 = get_group_id(0) * BX;
	const int j = j0 + tx;

#if SMEM
	__local float s[ST_TH + 4][BX + 4];

	for (int idx = ty * BX + tx; idx < (ST_TH + 4) * (BX + 4);
	    idx += BX * BY) {
		int r = idx / (BX + 4), c = idx % (BX + 4);
		int gi = i0 - 2 + r, gj = j0 - 2 + c;

		s[r][c] = gi >= 0 && gi < n && gj >= 0 && gj < m ?
		    in[(long)gi * m + gj] : 0.0f;
	}
	barrier(CLK_LOCAL_MEM_FENCE);
	if (j < m)
		for (int r = 0; r < RY; r++) {
			int li = ty * RY + r + 2, lj = tx + 2, i = i0 + li - 2;

			if (i >= n)
				break;
			out[(long)i * m + j] = star(s[li][lj],
			    (s[li - 1][lj] + s[li + 1][lj]) +
			    (s[li][lj - 1] + s[li][lj + 1]),
			    (s[li - 2][lj] + s[li + 2][lj]) +
			    (s[li][lj - 2] + s[li][lj + 2]));
		}
#else
	const int ib = i0 + ty * RY;	/* this work-item's first row */
	float w[RY + 4];		/* column j, rows ib - 2 .. ib + RY + 1 */

	if (j >= m)
		return;
	for (int r = 0; r < RY + 4; r++) {
		int gi = ib - 2 + r;

		w[r] = gi >= 0 && gi < n ? in[(long)gi * m + j] : 0.0f;
	}
	for (int r = 0; r < RY; r++) {
		int i = ib + r;
		__global const float *row = in + (long)i * m;
		float h1, h2;

		if (i >= n)
			break;
		h1 = (j >= 1 ? row[j - 1] : 0.0f) +
		    (j + 1 < m ? row[j + 1] : 0.0f);
		h2 = (j >= 2 ? row[j - 2] : 0.0f) +
		    (j + 2 < m ? row[j + 2] : 0.0f);
		out[(long)i * m + j] = star(w[r + 2],
		    (w[r + 1] + w[r + 3]) + h1, (w[r] + w[r + 4]) + h2);
	}
#endif
}
