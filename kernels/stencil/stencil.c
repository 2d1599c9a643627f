/*
 * stencil: one sweep of a 2-D star stencil of radius 2 (13 points) over
 * an n x m row-major grid of floats, cells outside the grid counting as
 * zero:
 *
 *   out[i][j] = C0 * in[i][j]
 *             + C1 * (in[i-1][j] + in[i+1][j] + in[i][j-1] + in[i][j+1])
 *             + C2 * (in[i-2][j] + in[i+2][j] + in[i][j-2] + in[i][j+2])
 *
 * Thirteen flops a cell against eight bytes that must cross the memory
 * bus (more with the write-allocate of out): on a grid larger than the
 * caches the sweep is bound by memory bandwidth, and what the tunables
 * decide is how well the five rows of input each output row needs are
 * reused from the caches, and how many streams the hardware prefetchers
 * must follow at once.
 *
 * Tunables, from outside as macros, with defaults that compile:
 *   TI, TJ   the tile: rows and columns of out computed together
 *   ORDER    0: tiles row by row (tj inner), 1: column by column (ti
 *            inner), 2: as 0, but inside a tile columns outermost, a
 *            strided walk kept as the pattern to avoid
 *   UI       rows of a tile computed in one pass over its columns, so
 *            that the input rows they share are loaded once
 *   THREADS  OpenMP threads over tiles (with -fopenmp)
 */
#ifndef TI
#define TI 32
#endif
#ifndef TJ
#define TJ 1024
#endif
#ifndef ORDER
#define ORDER 0
#endif
#ifndef UI
#define UI 1
#endif
#ifndef THREADS
#define THREADS 1
#endif

#define C0 0.5f
#define C1 0.1f
#define C2 0.025f

#define STR(x) #x
#define PRAGMA_UNROLL(n) _Pragma(STR(GCC unroll n))

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

/* One cell, any cell: neighbours outside the grid are zero. */
static float
cell(int n, int m, const float *in, int i, int j)
{
	const float *r = in + (long)i * m;
	float s1 = 0.0f, s2 = 0.0f;

	if (i >= 1)
		s1 += r[j - m];
	if (i + 1 < n)
		s1 += r[j + m];
	if (j >= 1)
		s1 += r[j - 1];
	if (j + 1 < m)
		s1 += r[j + 1];
	if (i >= 2)
		s2 += r[j - 2 * m];
	if (i + 2 < n)
		s2 += r[j + 2 * m];
	if (j >= 2)
		s2 += r[j - 2];
	if (j + 2 < m)
		s2 += r[j + 2];
	return C0 * r[j] + C1 * s1 + C2 * s2;
}

/* Rows [i, i + UI) of out, columns [j0, j1), all of them at least two
 * cells inside the grid: no tests, a loop the compiler vectorizes. */
static void
rows_inner(int m, const float *restrict in, float *restrict out, int i,
    int j0, int j1)
{
	int j, u;

	for (j = j0; j < j1; j++)
		PRAGMA_UNROLL(UI)
		for (u = 0; u < UI; u++) {
			const float *r = in + (long)(i + u) * m + j;

			out[(long)(i + u) * m + j] = C0 * r[0] +
			    C1 * ((r[-m] + r[m]) + (r[-1] + r[1])) +
			    C2 * ((r[-2 * m] + r[2 * m]) + (r[-2] + r[2]));
		}
}

/* The cells of one tile. */
static void
tile(int n, int m, const float *in, float *out, int i0, int i1, int j0,
    int j1)
{
	/* The columns whose whole neighbourhood is inside the grid. */
	int ja = j0 < 2 ? 2 : j0, jb = j1 > m - 2 ? m - 2 : j1;
	int i, j;

	if (ja > jb)
		ja = jb = j1;
#if ORDER == 2
	for (j = j0; j < j1; j++)
		for (i = i0; i < i1; i++)
			out[(long)i * m + j] = cell(n, m, in, i, j);
	(void)ja, (void)jb;
#else
	for (i = i0; i < i1; ) {
		if (i >= 2 && i + UI <= n - 2 && i + UI <= i1) {
			int u;

			for (u = 0; u < UI; u++) {
				for (j = j0; j < ja; j++)
					out[(long)(i + u) * m + j] =
					    cell(n, m, in, i + u, j);
				for (j = jb; j < j1; j++)
					out[(long)(i + u) * m + j] =
					    cell(n, m, in, i + u, j);
			}
			rows_inner(m, in, out, i, ja, jb);
			i += UI;
		} else {
			for (j = j0; j < j1; j++)
				out[(long)i * m + j] = cell(n, m, in, i, j);
			i++;
		}
	}
#endif
}

void
stencil(int n, int m, const float *in, float *out)
{
	int ti = (n + TI - 1) / TI, tj = (m + TJ - 1) / TJ, t;

#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(THREADS)
#endif
	for (t = 0; t < ti * tj; t++) {
#if ORDER == 1
		int bi = t % ti, bj = t / ti;
#else
		int bi = t / tj, bj = t % tj;
#endif
		tile(n, m, in, out, bi * TI, imin(n, bi * TI + TI), bj * TJ,
		    imin(m, bj * TJ + TJ));
	}
}
