/*
 * gemm.cl: single-precision C = A^T B, tuned by the fourteen parameters
 * of CLBlast's Xgemm kernel, so that a study of it describes the same
 * space as the GEMM replay datasets (examples/replay/gemm_*.json).  It is
 * written here from the published meanings of those parameters; it is
 * not CLBlast's code.
 *
 * Layout.  Every matrix keeps M or N as its contiguous dimension, so that
 * vectors can work along both:
 *   A  K x M   element (kk, mm) at a[kk * m + mm]   (A^T stored)
 *   B  K x N   element (kk, nn) at b[kk * n + nn]
 *   C  N x M   element (mm, nn) at c[nn * m + mm]   (C column-major)
 * and C(mm, nn) = sum over kk of A(kk, mm) * B(kk, nn), summed in order
 * of kk.  In BLAS's column-major terms this is C = A B^T with A an M x K
 * and B an N x K matrix, no transposition of A and a transposition of B:
 * CLBlastSgemm(ColMajor, No, Yes, m, n, k, 1, a, lda = m, b, ldb = n, 0,
 * c, ldc = m) computes the same thing.  m must be a multiple of MWG and
 * of VWM, n of NWG, k of KWG: edges are not guarded.  The buffers must
 * be aligned to a vector (clCreateBuffer's are).
 *
 * A work-group of MDIMC x NDIMC work-items (local ids 0 and 1) computes
 * an MWG x NWG tile of C, walking k in slices of KWG.  Work-item (tm, tn)
 * keeps an MWI x NWI block of the tile in registers (MWI = MWG / MDIMC,
 * NWI = NWG / NDIMC) and, for each kk of a slice, loads MWI elements of
 * A and NWI of B and does MWI x NWI multiply-adds, in vectors of VWM
 * along M.  The kk loop is unrolled by KWI.
 *
 * Tunables (macros, with defaults that compile):
 *   MWG, NWG      the tile of C a work-group computes
 *   KWG           the depth of a k slice
 *   MDIMC, NDIMC  the work-group, along M and along N
 *   MDIMA, NDIMB  the same work-items seen as MDIMA x KDIMA to load the
 *                 A slice (KDIMA = MDIMC * NDIMC / MDIMA) and NDIMB x
 *                 KDIMB to load the B slice into local memory: neighbours
 *                 in MDIMA or NDIMB read neighbouring vectors
 *   KWI           the unrolling of the kk loop
 *   VWM, VWN      the width of the vectors (1, 2, 4 or 8 floats) in
 *                 which A and C are read and written along M, and B
 *                 along N
 *   STRM, STRN    0: a work-item's MWI elements of a row are contiguous
 *                 (MWI / VWM neighbouring vectors); 1: strided, its
 *                 vectors MDIMC vectors apart, so that the work-items of
 *                 a group read neighbouring vectors at once; the same
 *                 along N
 *   SA, SB        1: the slice of A (of B) is first copied to __local
 *                 memory by the whole work-group and read from there;
 *                 0: each work-item reads its elements from global memory
 *   PRECISION     32 (float); nothing else is written
 */
#ifndef PRECISION
#define PRECISION 32
#endif
#ifndef MWG
#define MWG 64
#endif
#ifndef NWG
#define NWG 64
#endif
#ifndef KWG
#define KWG 32
#endif
#ifndef MDIMC
#define MDIMC 16
#endif
#ifndef NDIMC
#define NDIMC 16
#endif
#ifndef MDIMA
#define MDIMA 16
#endif
#ifndef NDIMB
#define NDIMB 16
#endif
#ifndef KWI
#define KWI 2
#endif
#ifndef VWM
#define VWM 4
#endif
#ifndef VWN
#define VWN 4
#endif
#ifndef STRM
#define STRM 0
#endif
#ifndef STRN
#define STRN 0
#endif
#ifndef SA
#define SA 1
#endif
#ifndef SB
#define SB 1
#endif

#if PRECISION != 32
#error "gemm.cl: only PRECISION 32 (float) is written"
#endif

/*
 * The study's constraints, again: a configuration outside them would
 * leave parts of C unwritten, so it fails to build rather than run.
 */
#if KWG % KWI != 0 || MWG % (MDIMC * VWM) != 0 || NWG % (NDIMC * VWN) != 0 || \
    MWG % (MDIMA * VWM) != 0 || NWG % (NDIMB * VWN) != 0 || \
    (MDIMC * NDIMC) % MDIMA != 0 || (MDIMC * NDIMC) % NDIMB != 0 || \
    KWG % ((MDIMC * NDIMC) / MDIMA) != 0 || KWG % ((MDIMC * NDIMC) / NDIMB) != 0
#error "gemm.cl: the parameters break a constraint of opencl.json"
#endif

#define MWI (MWG / MDIMC)	/* C rows of a work-item */
#define NWI (NWG / NDIMC)	/* C columns of a work-item */
#define MVI (MWI / VWM)		/* the same in vectors */
#define NVI (NWI / VWN)
#define MVG (MWG / VWM)		/* a tile's rows in vectors */
#define NVG (NWG / VWN)
#define KDIMA ((MDIMC * NDIMC) / MDIMA)
#define KDIMB ((MDIMC * NDIMC) / NDIMB)
#define MVA (MVG / MDIMA)	/* vectors of a slice row one loader copies */
#define NVB (NVG / NDIMB)
#define KWA (KWG / KDIMA)	/* slice rows one loader copies */
#define KWB (KWG / KDIMB)

#define CAT_(x, y) x##y
#define CAT(x, y) CAT_(x, y)
#if VWM == 1
#define floatM float
#else
#define floatM CAT(float, VWM)
#endif
#if VWN == 1
#define floatN float
#else
#define floatN CAT(float, VWN)
#endif

/* A vector of B whose floats are broadcast one at a time. */
typedef union {
	floatN v;
	float s[VWN];
} bvec;

/*
 * The vector, within a tile's row, of a work-item's i-th vector along M
 * (j-th along N).
 */
#if STRM
#define AV(i) ((i) * MDIMC + tm)
#else
#define AV(i) (tm * MVI + (i))
#endif
#if STRN
#define BV(j) ((j) * NDIMC + tn)
#else
#define BV(j) (tn * NVI + (j))
#endif

__kernel __attribute__((reqd_work_group_size(MDIMC, NDIMC, 1))) void
gemm(const int m, const int n, const int k, const __global float *restrict a,
    const __global float *restrict b, __global float *restrict c)
{
#if SA
	__local floatM al[KWG * MVG];
#endif
#if SB
	__local floatN bl[KWG * NVG];
#endif
	const int tm = get_local_id(0), tn = get_local_id(1);
	const int mv = m / VWM, nv = n / VWN;	/* row lengths in vectors */
	/* The work-group's first column of A^T, of B, in vectors. */
	const __global floatM *ag =
	    (const __global floatM *)a + get_group_id(0) * MVG;
	const __global floatN *bg =
	    (const __global floatN *)b + get_group_id(1) * NVG;
	floatM acc[NWI][MVI];
	int kt, kk, u, i, j, s;

#pragma unroll
	for (j = 0; j < NWI; j++)
#pragma unroll
		for (i = 0; i < MVI; i++)
			acc[j][i] = (floatM)(0.0f);

	for (kt = 0; kt < k; kt += KWG) {
#if SA || SB
		const int tid = tn * MDIMC + tm;
#endif
#if SA
		{
			const int lm = tid % MDIMA, lk = tid / MDIMA;

#pragma unroll
			for (u = 0; u < KWA; u++)
#pragma unroll
				for (i = 0; i < MVA; i++) {
					const int r = u * KDIMA + lk;
					const int v = i * MDIMA + lm;

					al[r * MVG + v] = ag[(kt + r) * mv + v];
				}
		}
#endif
#if SB
		{
			const int ln = tid % NDIMB, lk = tid / NDIMB;

#pragma unroll
			for (u = 0; u < KWB; u++)
#pragma unroll
				for (j = 0; j < NVB; j++) {
					const int r = u * KDIMB + lk;
					const int v = j * NDIMB + ln;

					bl[r * NVG + v] = bg[(kt + r) * nv + v];
				}
		}
#endif
#if SA || SB
		barrier(CLK_LOCAL_MEM_FENCE);
#endif
		for (kk = 0; kk < KWG; kk += KWI) {
#pragma unroll
			for (u = 0; u < KWI; u++) {
				floatM av[MVI];
				bvec bv[NVI];

#pragma unroll
				for (i = 0; i < MVI; i++)
#if SA
					av[i] = al[(kk + u) * MVG + AV(i)];
#else
					av[i] = ag[(kt + kk + u) * mv + AV(i)];
#endif
#pragma unroll
				for (j = 0; j < NVI; j++)
#if SB
					bv[j].v = bl[(kk + u) * NVG + BV(j)];
#else
					bv[j].v = bg[(kt + kk + u) * nv + BV(j)];
#endif
#pragma unroll
				for (j = 0; j < NVI; j++)
#pragma unroll
					for (s = 0; s < VWN; s++)
#pragma unroll
						for (i = 0; i < MVI; i++)
							acc[j * VWN + s][i] = fma(av[i],
							    (floatM)(bv[j].s[s]),
							    acc[j * VWN + s][i]);
			}
		}
#if SA || SB
		/* No work-item may refill the slices while others read them. */
		barrier(CLK_LOCAL_MEM_FENCE);
#endif
	}

	{
		__global floatM *cg = (__global floatM *)c +
		    (size_t)get_group_id(1) * NWG * mv + get_group_id(0) * MVG;

#pragma unroll
		for (j = 0; j < NVI; j++)
#pragma unroll
			for (s = 0; s < VWN; s++)
#pragma unroll
				for (i = 0; i < MVI; i++)
					cg[(BV(j) * VWN + s) * mv + AV(i)] =
					    acc[j * VWN + s][i];
	}
}
