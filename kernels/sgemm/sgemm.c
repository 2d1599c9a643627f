/*
 * sgemm: C = A * B for row-major single-precision matrices, A m x k,
 * B k x n, C m x n, in the manner of BLIS: B is packed into a KC x NC
 * panel of NR-column slivers meant to stay in the last-level cache, A
 * into an MC x KC block of MR-row slivers meant to stay in L2, and a
 * register-blocked micro-kernel multiplies one MR-row sliver of A by one
 * NR-column sliver of B (which stays in L1) into an MR x NR tile of C
 * held in vector registers.
 *
 * Loops, outermost first:
 *   jc  over n by NC     (the panel of B; threads take whole panels
 *                         when PAR is 1)
 *   pc  over k by KC     (pack B[pc.., jc..]; with PAR 0 all threads
 *                         share it)
 *   ic  over m by MC     (pack A[ic.., pc..]; with PAR 0 and 3 each
 *                         thread owns a range of rows of C)
 *   jr  over NC by NR    (a sliver of B, reused from L1 ...; with PAR 2
 *                         each thread owns a range of the slivers)
 *   ir  over MC by MR    (... by every sliver of A in the block)
 *   p   over KC          (the micro-kernel, unrolled KU times)
 *
 * Every tunable arrives from outside as a macro (-D MR=14 ...), and the
 * defaults compile and are correct anywhere:
 *   VW       floats per vector: 16 (512-bit), 8 (256-bit), 4 (128-bit)
 *            as GCC vector extensions, or 1 for plain scalar C
 *   MR, NR   the register tile; NR must be a multiple of VW
 *   KC, MC, NC  the cache blocks; MC a multiple of MR, NC of NR
 *   KU       unrolling of the micro-kernel's k loop
 *   PF       prefetch distance in k steps along the packed A sliver
 *            (0: no prefetch; above 0, the tile of C is prefetched too)
 *   THREADS  OpenMP threads (with -fopenmp; without it, one)
 *   PAR      how the threads share the work.  0: the ic loop, as BLIS
 *            does on one socket: each thread owns an equal range of rows
 *            of C and packs its own blocks of A, and all share one panel
 *            of B, which they pack together between two barriers.  1: the
 *            jc loop, dealt out dynamically panel by panel of NC columns,
 *            each thread with a panel of B of its own: no barrier, and a
 *            thread slowed by another process on its core (a shared
 *            machine) takes fewer panels, at the price of packing all of
 *            A once per panel and of idle threads when n / NC is small.
 *            2: the jr loop, as BLIS does for few cores, but with nothing
 *            shared: each thread owns an equal range of the NR-column
 *            slivers of every panel, packs that share of B and, for it,
 *            the whole block of A, with no barrier anywhere (A is packed
 *            once per thread instead of once, which costs 2 / n of the
 *            work per element).  3: rows as in PAR 0, but each thread
 *            packs the whole panel of B for itself: no barrier either,
 *            at the price of packing B once per thread
 *
 * Edges need no special code in the micro-kernel: packing pads the
 * slivers with zeros, and a tile that sticks out of C is computed into
 * a scratch tile whose valid part is then copied out.
 *
 * The packing buffers are kept between calls, as OpenBLAS and BLIS keep
 * theirs, so that a call does not pay for fresh pages; this makes one
 * call at a time the rule (the harness makes one).
 */
#define _DEFAULT_SOURCE		/* posix_memalign, madvise */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef VW
#define VW 16
#endif
#ifndef MR
#define MR 12
#endif
#ifndef NR
#define NR 32
#endif
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC 144
#endif
#ifndef NC
#define NC 2048
#endif
#ifndef KU
#define KU 4
#endif
#ifndef PF
#define PF 0
#endif
#ifndef THREADS
#define THREADS 1
#endif
#ifndef PAR
#define PAR 0
#endif

#if NR % VW != 0
#error "NR must be a multiple of VW"
#endif
#if MC % MR != 0 || NC % NR != 0
#error "MC must be a multiple of MR, and NC of NR"
#endif

#define NV (NR / VW)		/* vectors across a row of the tile */

#define STR(x) #x
#define PRAGMA_UNROLL(n) _Pragma(STR(GCC unroll n))

#if VW == 1
typedef float vec;
#else
/* Packed slivers are aligned to a vector; C is not, and is reached
 * through memcpy, which compiles to an unaligned vector move. */
typedef float vec __attribute__((vector_size(VW * 4)));
#endif

/* Packed B, KC x NC: one panel shared (PAR 0) or one per thread (PAR 1,
 * 2 and 3; with PAR 2 each holds only its share of the panel); packed A,
 * MC x KC, one block per thread. */
static float *bpanel[THREADS], *ablock[THREADS];
static size_t bcap[THREADS], acap[THREADS];

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

#define HUGEPAGE ((size_t)2 << 20)

/* Grows *p to hold n floats, contents lost.  The buffer is whole 2 MiB
 * pages, aligned to one and offered to the kernel as huge pages (where
 * transparent huge pages are "madvise", as here, nothing else asks), so
 * that a panel of B of up to 2 MiB is one TLB entry instead of 512; a
 * refusal only leaves small pages. */
static int
reserve(float **p, size_t *cap, size_t n)
{
	size_t bytes = (n * sizeof(float) + HUGEPAGE - 1) / HUGEPAGE * HUGEPAGE;
	void *q;

	if (*p != NULL && *cap >= n)
		return 0;
	free(*p);
	*p = NULL;
	*cap = 0;
	if (posix_memalign(&q, HUGEPAGE, bytes) != 0)
		return -1;
#ifdef MADV_HUGEPAGE
	(void)madvise(q, bytes, MADV_HUGEPAGE);
#endif
	*p = q;
	*cap = bytes / sizeof(float);
	return 0;
}

/*
 * Packs rows [0, mc) and depth [0, kc) of A (leading dimension lda) as
 * MR-row slivers: sliver s holds, for each p, the MR values
 * A[s*MR + r][p], r = 0..MR-1, rows past mc being zeros.  The walk goes
 * along p with the MR rows innermost, so that the writes are one
 * sequential stream and the reads MR sequential streams; rows outermost
 * would sweep the whole sliver, larger than L1 at a large KC, MR times
 * (measured here: 1.6 to 2 times slower).
 */
static void
pack_a(int mc, int kc, const float *A, int lda, float *dst)
{
	int s, r, p;

	for (s = 0; s < mc; s += MR) {
		int rows = imin(MR, mc - s);
		const float *src = A + (size_t)s * lda;

		if (rows == MR)
			for (p = 0; p < kc; p++)
				PRAGMA_UNROLL(MR)
				for (r = 0; r < MR; r++)
					dst[p * MR + r] = src[(size_t)r * lda + p];
		else
			for (p = 0; p < kc; p++) {
				for (r = 0; r < rows; r++)
					dst[p * MR + r] = src[(size_t)r * lda + p];
				for (; r < MR; r++)
					dst[p * MR + r] = 0.0f;
			}
		dst += (size_t)kc * MR;
	}
}

/*
 * Packs slivers [s0, s1) of NR columns each, of depth kc and width nc in
 * all, of B (leading dimension ldb) into dst: sliver s holds, for each
 * p, the NR values B[p][s*NR + j], columns past nc being zeros.
 */
static void
pack_b(int s0, int s1, int nc, int kc, const float *B, int ldb, float *dst)
{
	int s, p, j;

	for (s = s0; s < s1; s++) {
		int j0 = s * NR, cols = imin(NR, nc - j0);
		float *d = dst + (size_t)s * kc * NR;

		if (cols == NR)
			for (p = 0; p < kc; p++)
				memcpy(d + p * NR, B + (size_t)p * ldb + j0,
				    NR * sizeof(float));
		else
			for (p = 0; p < kc; p++) {
				for (j = 0; j < cols; j++)
					d[p * NR + j] = B[(size_t)p * ldb + j0 + j];
				for (; j < NR; j++)
					d[p * NR + j] = 0.0f;
			}
	}
}

/*
 * The micro-kernel: the MR x NR tile c (leading dimension ldc) becomes
 * (first ? 0 : c) + a * b over kc steps, a an MR-row sliver of packed A
 * and b an NR-column sliver of packed B.  The accumulators are MR * NV
 * vectors, which the unrolled loops let the compiler keep in registers;
 * each element of a is broadcast (a memory operand of the FMA, where the
 * instruction set has one).
 */
static inline __attribute__((always_inline)) void
micro(int kc, const float *restrict a, const float *restrict b,
    float *restrict c, int ldc, int first)
{
	vec acc[MR][NV];
	int i, j, p;

	PRAGMA_UNROLL(MR)
	for (i = 0; i < MR; i++)
		PRAGMA_UNROLL(NV)
		for (j = 0; j < NV; j++)
			acc[i][j] = (vec){ 0 };
#if PF > 0
	/* Every cache line of the tile of C, to be read and written at
	 * the end. */
	PRAGMA_UNROLL(MR)
	for (i = 0; i < MR; i++)
		for (j = 0; j < NR; j += 16)
			__builtin_prefetch(c + (size_t)i * ldc + j, 1, 3);
#endif
	PRAGMA_UNROLL(KU)
	for (p = 0; p < kc; p++) {
		vec bv[NV];

#if PF > 0
		__builtin_prefetch(a + (p + PF) * MR, 0, 3);
#endif
		PRAGMA_UNROLL(NV)
		for (j = 0; j < NV; j++)
			bv[j] = *(const vec *)(b + p * NR + j * VW);
		PRAGMA_UNROLL(MR)
		for (i = 0; i < MR; i++) {
			float s = a[p * MR + i];

			PRAGMA_UNROLL(NV)
			for (j = 0; j < NV; j++)
				acc[i][j] += s * bv[j];
		}
	}
	PRAGMA_UNROLL(MR)
	for (i = 0; i < MR; i++)
		PRAGMA_UNROLL(NV)
		for (j = 0; j < NV; j++) {
			float *q = c + (size_t)i * ldc + j * VW;
			vec v;

			if (!first) {
				memcpy(&v, q, sizeof(v));
				v += acc[i][j];
			} else
				v = acc[i][j];
			memcpy(q, &v, sizeof(v));
		}
}

/* A tile that sticks out of C: computed whole into scratch, and only
 * its mr x nr part is written. */
static void
micro_edge(int kc, const float *a, const float *b, float *c, int ldc,
    int first, int mr, int nr)
{
	float t[MR * NR] __attribute__((aligned(64)));
	int i, j;

	micro(kc, a, b, t, NR, 1);
	for (i = 0; i < mr; i++)
		for (j = 0; j < nr; j++)
			c[(size_t)i * ldc + j] = first ? t[i * NR + j] :
			    c[(size_t)i * ldc + j] + t[i * NR + j];
}

/* One packed block of A (mc x kc) times the packed panel of B (kc x nc)
 * into C (the block's top-left corner, leading dimension ldc). */
static void
macro(int mc, int nc, int kc, const float *ap, const float *bp, float *C,
    int ldc, int first)
{
	int ir, jr;

	for (jr = 0; jr < nc; jr += NR) {
		const float *b = bp + (size_t)jr * kc;
		int nr = imin(NR, nc - jr);

		for (ir = 0; ir < mc; ir += MR) {
			const float *a = ap + (size_t)ir * kc;
			float *c = C + (size_t)ir * ldc + jr;
			int mr = imin(MR, mc - ir);

			if (mr == MR && nr == NR)
				micro(kc, a, b, c, ldc, first);
			else
				micro_edge(kc, a, b, c, ldc, first, mr, nr);
		}
	}
}

#ifdef _OPENMP
#define BARRIER() _Pragma("omp barrier")
#define ME() omp_get_thread_num()
#define NT() omp_get_num_threads()
#else
#define BARRIER() ((void)0)
#define ME() 0
#define NT() 1
#endif

void
sgemm(int m, int n, int k, const float *A, const float *B, float *C)
{
	size_t bsize = (size_t)KC * ((imin(NC, n) + NR - 1) / NR * NR);
	int t;

	if (m <= 0 || n <= 0)
		return;
	if (k <= 0) {
		for (t = 0; t < m; t++)
			memset(C + (size_t)t * n, 0, (size_t)n * sizeof(float));
		return;
	}
	for (t = 0; t < THREADS; t++)
		if ((t == 0 || PAR != 0) &&
		    reserve(&bpanel[t], &bcap[t], bsize) != 0)
			abort();
	for (t = 0; t < THREADS; t++)
		if (reserve(&ablock[t], &acap[t], (size_t)MC * KC) != 0)
			abort();

#if PAR == 1
	{
		int panels = (n + NC - 1) / NC, jb;

#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(THREADS)
#endif
		for (jb = 0; jb < panels; jb++) {
			int me = ME(), jc = jb * NC, nc = imin(NC, n - jc);
			int bs = (nc + NR - 1) / NR, pc, ic;

			for (pc = 0; pc < k; pc += KC) {
				int kc = imin(KC, k - pc);

				pack_b(0, bs, nc, kc, B + (size_t)pc * n + jc,
				    n, bpanel[me]);
				for (ic = 0; ic < m; ic += MC) {
					int mc = imin(MC, m - ic);

					pack_a(mc, kc, A + (size_t)ic * k + pc,
					    k, ablock[me]);
					macro(mc, nc, kc, ablock[me], bpanel[me],
					    C + (size_t)ic * n + jc, n, pc == 0);
				}
			}
		}
	}
#elif PAR == 2
#ifdef _OPENMP
#pragma omp parallel num_threads(THREADS)
#endif
	{
		int me = ME(), nt = NT();
		int jc, pc, ic;

		for (jc = 0; jc < n; jc += NC) {
			/* This thread's slivers of the panel, as evenly as
			 * they go: columns [j0, j0 + w) of it. */
			int nc = imin(NC, n - jc), bs = (nc + NR - 1) / NR;
			int s0 = bs * me / nt, s1 = bs * (me + 1) / nt;
			int j0 = s0 * NR, w = imin(nc, s1 * NR) - j0;

			if (w <= 0)
				continue;
			for (pc = 0; pc < k; pc += KC) {
				int kc = imin(KC, k - pc);

				pack_b(0, s1 - s0, w, kc,
				    B + (size_t)pc * n + jc + j0, n, bpanel[me]);
				for (ic = 0; ic < m; ic += MC) {
					int mc = imin(MC, m - ic);

					pack_a(mc, kc, A + (size_t)ic * k + pc,
					    k, ablock[me]);
					macro(mc, w, kc, ablock[me], bpanel[me],
					    C + (size_t)ic * n + jc + j0, n,
					    pc == 0);
				}
			}
		}
	}
#else
#ifdef _OPENMP
#pragma omp parallel num_threads(THREADS)
#endif
	{
		int me = ME(), nt = NT();
		/* Rows are shared out in whole slivers of MR, as evenly as
		 * they go, so that every thread gets the same work. */
		int slivers = (m + MR - 1) / MR;
		int r0 = imin(m, slivers * me / nt * MR);
		int r1 = imin(m, slivers * (me + 1) / nt * MR);
		int jc, pc, ic;

		for (jc = 0; jc < n; jc += NC) {
			int nc = imin(NC, n - jc), bs = (nc + NR - 1) / NR;

			for (pc = 0; pc < k; pc += KC) {
				int kc = imin(KC, k - pc);
#if PAR == 3
				float *bp = bpanel[me];

				if (r0 >= r1)
					break;
				pack_b(0, bs, nc, kc, B + (size_t)pc * n + jc,
				    n, bp);
#else
				float *bp = bpanel[0];

				/* No thread may still be reading the panel
				 * that is about to be overwritten. */
				BARRIER();
				pack_b(bs * me / nt, bs * (me + 1) / nt, nc,
				    kc, B + (size_t)pc * n + jc, n, bp);
				BARRIER();
#endif
				for (ic = r0; ic < r1; ic += MC) {
					int mc = imin(MC, r1 - ic);

					pack_a(mc, kc, A + (size_t)ic * k + pc,
					    k, ablock[me]);
					macro(mc, nc, kc, ablock[me], bp,
					    C + (size_t)ic * n + jc, n, pc == 0);
				}
			}
		}
	}
#endif
}
