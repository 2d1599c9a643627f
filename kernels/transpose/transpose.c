/*
 * transpose: out = in^T for an m x n row-major matrix of floats (out is
 * n x m).  No arithmetic at all: a naive walk reads rows and writes
 * columns, so every store of 4 bytes lands on another cache line and,
 * for a wide matrix, on another page; what limits it is the access
 * pattern, through the caches and the TLB.  Blocking fixes that: a TI x
 * TJ tile is read row by row and written column by column while both its
 * lines of in and of out stay in L1.
 *
 * Tunables, from outside as macros, with defaults that compile:
 *   TI, TJ   the tile of in: rows and columns
 *   MB       the micro-block, MB x MB, copied with loops of constant
 *            length that the compiler unrolls and may turn into
 *            shuffles; 1 for none.  TI and TJ are multiples of it
 *   ORDER    0: inside a tile, the rows of in outermost (contiguous
 *            reads); 1: the rows of out outermost (contiguous writes)
 *   THREADS  OpenMP threads over tiles (with -fopenmp)
 */
#ifndef TI
#define TI 64
#endif
#ifndef TJ
#define TJ 64
#endif
#ifndef MB
#define MB 8
#endif
#ifndef ORDER
#define ORDER 0
#endif
#ifndef THREADS
#define THREADS 1
#endif

#if TI % MB != 0 || TJ % MB != 0
#error "TI and TJ must be multiples of MB"
#endif

#define STR(x) #x
#define PRAGMA_UNROLL(n) _Pragma(STR(GCC unroll n))

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

/* A whole MB x MB block at in[i][j]. */
static inline void
block(int m, int n, const float *restrict in, float *restrict out, int i,
    int j)
{
	int a, b;

#if ORDER == 0
	PRAGMA_UNROLL(MB)
	for (a = 0; a < MB; a++)
		PRAGMA_UNROLL(MB)
		for (b = 0; b < MB; b++)
			out[(long)(j + b) * m + i + a] = in[(long)(i + a) * n + j + b];
#else
	PRAGMA_UNROLL(MB)
	for (b = 0; b < MB; b++)
		PRAGMA_UNROLL(MB)
		for (a = 0; a < MB; a++)
			out[(long)(j + b) * m + i + a] = in[(long)(i + a) * n + j + b];
#endif
}

/* The part of a tile that is not made of whole blocks, cell by cell. */
static void
cells(int m, int n, const float *in, float *out, int i0, int i1, int j0,
    int j1)
{
	int i, j;

	for (i = i0; i < i1; i++)
		for (j = j0; j < j1; j++)
			out[(long)j * m + i] = in[(long)i * n + j];
}

static void
tile(int m, int n, const float *in, float *out, int i0, int i1, int j0,
    int j1)
{
	/* The whole blocks end at ib, jb. */
	int ib = i0 + (i1 - i0) / MB * MB, jb = j0 + (j1 - j0) / MB * MB;
	int i, j;

#if ORDER == 0
	for (i = i0; i < ib; i += MB)
		for (j = j0; j < jb; j += MB)
			block(m, n, in, out, i, j);
#else
	for (j = j0; j < jb; j += MB)
		for (i = i0; i < ib; i += MB)
			block(m, n, in, out, i, j);
#endif
	cells(m, n, in, out, ib, i1, j0, j1);
	cells(m, n, in, out, i0, ib, jb, j1);
}

void
transpose(int m, int n, const float *in, float *out)
{
	int ti = (m + TI - 1) / TI, tj = (n + TJ - 1) / TJ, t;

#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(THREADS)
#endif
	for (t = 0; t < ti * tj; t++) {
		int bi = t / tj, bj = t % tj;

		tile(m, n, in, out, bi * TI, imin(m, bi * TI + TI), bj * TJ,
		    imin(n, bj * TJ + TJ));
	}
}
