/*
 * transpose.cl: out = in^T for an m x n row-major float matrix (out is
 * n x m), in OpenCL C 1.2, through a TILE x TILE tile in __local memory,
 * so that both the reads of in and the writes of out go along rows; the
 * same computation as transpose.cu, checked against transpose_ref.c.
 *
 * A work-group of (TILE / VEC) x (TILE / ROWS) work-items moves one
 * tile.  A work-item reads VEC consecutive floats of a row of the tile
 * (one floatVEC load), ROWS rows a stride of TILE / ROWS apart, and
 * after the barrier writes VEC consecutive floats of ROWS rows of the
 * transposed tile, which it gathers down VEC columns of the __local
 * array.  Rows of TILE + PAD floats put the elements of a column in
 * different banks of a GPU's local memory (PAD 1 for TILE 32 has no
 * conflict); on a CPU, where __local is ordinary cached memory, padding
 * instead moves the tile's columns off the same cache sets.
 *
 * Tunables (macros, with defaults that build and are right anywhere):
 *   TILE  the tile's side
 *   ROWS  rows a work-item moves (TILE / ROWS rows of work-items)
 *   VEC   floats a work-item moves per row (1, 2, 4, 8, 16;
 *         TILE / VEC columns of work-items)
 *   PAD   floats of padding per row of the __local tile
 *
 * Any m and n work: elements outside the matrix are neither read nor
 * written, and where a vector would cross the matrix's edge the
 * work-item moves scalars.  vloadn and vstoren need only float
 * alignment, which rows of any length keep.  There are
 * ceil(n / TILE) x ceil(m / TILE) work-groups.
 */
#ifndef TILE
#define TILE 32
#endif
#ifndef ROWS
#define ROWS 4
#endif
#ifndef VEC
#define VEC 1
#endif
#ifndef PAD
#define PAD 1
#endif

#if TILE % ROWS != 0 || TILE % VEC != 0
#error "ROWS and VEC must divide TILE"
#endif
#if VEC != 1 && VEC != 2 && VEC != 4 && VEC != 8 && VEC != 16
#error "VEC is 1, 2, 4, 8 or 16"
#endif

#define TR_BX (TILE / VEC)		/* columns of work-items */
#define TR_BY (TILE / ROWS)		/* rows of work-items */

#define TR_CAT(a, b) a##b
#define TR_XCAT(a, b) TR_CAT(a, b)
#if VEC > 1
#define tr_load(p) TR_XCAT(vload, VEC)(0, p)
#define tr_store(v, p) TR_XCAT(vstore, VEC)(v, 0, p)
/* A vector filled lane by lane: OpenCL C has no indexed access to a
 * vector's lanes, and the lanes come from VEC different rows. */
typedef union { TR_XCAT(float, VEC) v; float f[VEC]; } lanes_t;
#endif

__kernel __attribute__((reqd_work_group_size(TR_BX, TR_BY, 1))) void
transpose(int m, int n, __global const float *restrict in,
    __global float *restrict out)
{
	__local float tile[TILE][TILE + PAD];
	const int tx = get_local_id(0), ty = get_local_id(1);
	const int r0 = get_group_id(1) * TILE, c0 = get_group_id(0) * TILE;
	const int x = tx * VEC;		/* this work-item's first column */

	/* tile[i][x + k] = in[r0 + i][c0 + x + k] */
	for (int i = ty; i < TILE; i += TR_BY) {
		const int r = r0 + i, c = c0 + x;
		__global const float *p = in + (long)r * n + c;

		if (r >= m)
			break;
		if (c + VEC <= n) {
#if VEC == 1
			tile[i][x] = *p;
#else
			tr_store(tr_load(p), &tile[i][x]);
#endif
		} else
			for (int k = 0; k < VEC && c + k < n; k++)
				tile[i][x + k] = p[k];
	}
	barrier(CLK_LOCAL_MEM_FENCE);
	/* out[c0 + i][r0 + x + k] = in[r0 + x + k][c0 + i] = tile[x + k][i] */
	for (int i = ty; i < TILE; i += TR_BY) {
		const int r = c0 + i, c = r0 + x;
		__global float *p = out + (long)r * m + c;

		if (r >= n)
			break;
		if (c + VEC <= m) {
#if VEC == 1
			*p = tile[x][i];
#else
			lanes_t u;

			for (int k = 0; k < VEC; k++)
				u.f[k] = tile[x + k][i];
			tr_store(u.v, p);
#endif
		} else
			for (int k = 0; k < VEC && c + k < m; k++)
				p[k] = tile[x + k][i];
	}
}
