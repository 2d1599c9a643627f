/*
 * sgemm.cu: C = A * B for row-major single-precision matrices, A m x k,
 * B k x n, C m x n, on an NVIDIA GPU without tensor cores.  Compiled by
 * NVRTC with one -D per parameter and per problem constant, so it uses
 * no header and names nothing M, N or K (the problem constants).
 *
 * Each block computes a BM x BN tile of C with NT = (BM/TM) * (BN/TN)
 * threads, each of which owns a TM x TN register tile.  The k loop walks
 * BK-deep slices: a BM x BK slice of A is stored transposed in shared
 * memory (As[kk][row]) and a BK x BN slice of B as it is (Bs[kk][col]),
 * so that for each kk a thread reads a column of A and a row of B as
 * short vectors and does TM x TN fused multiply-adds (an outer product).
 *
 * A thread's TM rows are not contiguous: they are TM/FA groups of FA
 * (4, 2 or 1) rows, group g of thread ty at row g * NTY * FA + ty * FA.
 * The threads of a warp then read one contiguous stretch of shared
 * memory per vector load (no bank conflict) rather than strided vectors;
 * the same holds for the TN columns with FB.
 *
 * Tunables (macros, with defaults that compile and are right anywhere):
 *   BM, BN, BK  the block tile: rows and columns of C, depth of k
 *   TM, TN      the register tile of a thread
 *   VEC         floats per global load (1, 2 or 4: float, float2,
 *               float4); used where the row length allows aligned
 *               vectors and the vector lies inside the matrix, scalar
 *               loads with bounds checks elsewhere
 *   PAD         floats of padding per shared-memory row, against bank
 *               conflicts when the transposed slice of A is stored
 *   DBUF        1: two shared buffers, and the next slice is loaded
 *               from global memory into registers while the current one
 *               is multiplied (one barrier per slice); 0: one buffer
 *   MINB        blocks per multiprocessor the register allocation must
 *               allow (__launch_bounds__): 2 caps a thread at
 *               65536 / (2 * NT) registers, trading spills for occupancy
 *
 * Any m, n, k work: loads outside A or B read zeros, and stores outside
 * C are skipped.  Pointers must be aligned to 4 * VEC bytes (cuMemAlloc
 * gives 256).
 */
#ifndef BM
#define BM 128
#endif
#ifndef BN
#define BN 128
#endif
#ifndef BK
#define BK 8
#endif
#ifndef TM
#define TM 8
#endif
#ifndef TN
#define TN 8
#endif
#ifndef VEC
#define VEC 4
#endif
#ifndef PAD
#define PAD 4
#endif
#ifndef DBUF
#define DBUF 1
#endif
#ifndef MINB
#define MINB 1
#endif

static_assert(BM % TM == 0 && BN % TN == 0, "TM must divide BM, TN BN");
static_assert(VEC == 1 || VEC == 2 || VEC == 4, "VEC is 1, 2 or 4");
static_assert(BK % VEC == 0 && BN % VEC == 0, "VEC must divide BK and BN");
static_assert(DBUF == 0 || DBUF == 1, "DBUF is 0 or 1");

#define SG_NTX (BN / TN)		/* threads along a row of C */
#define SG_NTY (BM / TM)		/* threads along a column of C */
#define SG_NT (SG_NTX * SG_NTY)
#define SG_NBUF (DBUF + 1)
#define SG_LDA (BM + PAD)		/* row length of As */
#define SG_LDB (BN + PAD)		/* row length of Bs */

/* The widest vector (4, 2, 1 floats) that divides both x and ld. */
#define SG_FRAG(x, ld) ((x) % 4 == 0 && (ld) % 4 == 0 ? 4 : \
	(x) % 2 == 0 && (ld) % 2 == 0 ? 2 : 1)
#define SG_FA SG_FRAG(TM, SG_LDA)
#define SG_FB SG_FRAG(TN, SG_LDB)

/* Global loads: vectors of a slice, and how many each thread makes. */
#define SG_CA (BM * BK / VEC)
#define SG_CB (BK * BN / VEC)
#define SG_LA ((SG_CA + SG_NT - 1) / SG_NT)
#define SG_LB ((SG_CB + SG_NT - 1) / SG_NT)

/* Reads w floats at p into r[0..w-1] as one vector load. */
template <int w>
static __device__ __forceinline__ void
ld_vec(float *r, const float *p)
{
	if constexpr (w == 4) {
		float4 t = *reinterpret_cast<const float4 *>(p);

		r[0] = t.x; r[1] = t.y; r[2] = t.z; r[3] = t.w;
	} else if constexpr (w == 2) {
		float2 t = *reinterpret_cast<const float2 *>(p);

		r[0] = t.x; r[1] = t.y;
	} else
		r[0] = *p;
}

/* Writes r[0..w-1] to p as one vector store. */
template <int w>
static __device__ __forceinline__ void
st_vec(float *p, const float *r)
{
	if constexpr (w == 4)
		*reinterpret_cast<float4 *>(p) =
		    make_float4(r[0], r[1], r[2], r[3]);
	else if constexpr (w == 2)
		*reinterpret_cast<float2 *>(p) = make_float2(r[0], r[1]);
	else
		*p = r[0];
}

/*
 * Loads the slice at depth k0 into registers: ra holds this thread's
 * vectors of A (a row of A, VEC consecutive k), rb its vectors of B
 * (a row of B, VEC consecutive columns).  Vector idx of A is row
 * idx / (BK/VEC), so neighbouring threads read along a row.
 */
static __device__ __forceinline__ void
load_slice(const float *__restrict__ A, const float *__restrict__ B,
    int m, int n, int k, int bm0, int bn0, int k0, int tid,
    float (&ra)[SG_LA][VEC], float (&rb)[SG_LB][VEC])
{
	const bool avec = k % VEC == 0, bvec = n % VEC == 0;

#pragma unroll
	for (int c = 0; c < SG_LA; c++) {
		int idx = tid + c * SG_NT;
		int row = idx / (BK / VEC), kq = idx % (BK / VEC);
		int gr = bm0 + row, gc = k0 + kq * VEC;
		const float *p = A + (long long)gr * k + gc;

		if (SG_CA % SG_NT != 0 && idx >= SG_CA)
			break;
		if (avec && gr < m && gc + VEC <= k)
			ld_vec<VEC>(ra[c], p);
		else
#pragma unroll
			for (int v = 0; v < VEC; v++)
				ra[c][v] = gr < m && gc + v < k ? p[v] : 0.0f;
	}
#pragma unroll
	for (int c = 0; c < SG_LB; c++) {
		int idx = tid + c * SG_NT;
		int kr = idx / (BN / VEC), nq = idx % (BN / VEC);
		int gr = k0 + kr, gc = bn0 + nq * VEC;
		const float *p = B + (long long)gr * n + gc;

		if (SG_CB % SG_NT != 0 && idx >= SG_CB)
			break;
		if (bvec && gr < k && gc + VEC <= n)
			ld_vec<VEC>(rb[c], p);
		else
#pragma unroll
			for (int v = 0; v < VEC; v++)
				rb[c][v] = gr < k && gc + v < n ? p[v] : 0.0f;
	}
}

/* Stores the registers of load_slice into shared buffer as, bs. */
static __device__ __forceinline__ void
store_slice(float (*as)[SG_LDA], float (*bs)[SG_LDB], int tid,
    const float (&ra)[SG_LA][VEC], const float (&rb)[SG_LB][VEC])
{
#pragma unroll
	for (int c = 0; c < SG_LA; c++) {
		int idx = tid + c * SG_NT;
		int row = idx / (BK / VEC), kq = idx % (BK / VEC);

		if (SG_CA % SG_NT != 0 && idx >= SG_CA)
			break;
#pragma unroll
		for (int v = 0; v < VEC; v++)
			as[kq * VEC + v][row] = ra[c][v];
	}
#pragma unroll
	for (int c = 0; c < SG_LB; c++) {
		int idx = tid + c * SG_NT;
		int kr = idx / (BN / VEC), nq = idx % (BN / VEC);

		if (SG_CB % SG_NT != 0 && idx >= SG_CB)
			break;
		if constexpr (SG_LDB % VEC == 0)
			st_vec<VEC>(&bs[kr][nq * VEC], rb[c]);
		else
#pragma unroll
			for (int v = 0; v < VEC; v++)
				bs[kr][nq * VEC + v] = rb[c][v];
	}
}

/* acc += the product of the slice in as, bs, one outer product per kk. */
static __device__ __forceinline__ void
multiply_slice(const float (*as)[SG_LDA], const float (*bs)[SG_LDB],
    int tx, int ty, float (&acc)[TM][TN])
{
#pragma unroll
	for (int kk = 0; kk < BK; kk++) {
		float a[TM], b[TN];

#pragma unroll
		for (int g = 0; g < TM / SG_FA; g++)
			ld_vec<SG_FA>(&a[g * SG_FA],
			    &as[kk][(g * SG_NTY + ty) * SG_FA]);
#pragma unroll
		for (int g = 0; g < TN / SG_FB; g++)
			ld_vec<SG_FB>(&b[g * SG_FB],
			    &bs[kk][(g * SG_NTX + tx) * SG_FB]);
#pragma unroll
		for (int i = 0; i < TM; i++)
#pragma unroll
			for (int j = 0; j < TN; j++)
				acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
	}
}

extern "C" __global__ void __launch_bounds__(SG_NT, MINB)
sgemm(int m, int n, int k, const float *__restrict__ A,
    const float *__restrict__ B, float *__restrict__ C)
{
	__shared__ __align__(16) float As[SG_NBUF][BK][SG_LDA];
	__shared__ __align__(16) float Bs[SG_NBUF][BK][SG_LDB];
	float ra[SG_LA][VEC], rb[SG_LB][VEC];
	float acc[TM][TN];
	const int tid = threadIdx.x;
	const int tx = tid % SG_NTX, ty = tid / SG_NTX;
	const int bm0 = blockIdx.y * BM, bn0 = blockIdx.x * BN;
	const int nslices = (k + BK - 1) / BK;

#pragma unroll
	for (int i = 0; i < TM; i++)
#pragma unroll
		for (int j = 0; j < TN; j++)
			acc[i][j] = 0.0f;

	load_slice(A, B, m, n, k, bm0, bn0, 0, tid, ra, rb);
	store_slice(As[0], Bs[0], tid, ra, rb);
	__syncthreads();
	for (int s = 0; s < nslices; s++) {
		const int cur = DBUF ? s & 1 : 0;
		const bool more = s + 1 < nslices;

		/*
		 * With two buffers the next slice's global loads are issued
		 * before the arithmetic, so their latency hides behind it,
		 * and the other buffer, which every thread finished reading
		 * before the last barrier, takes them afterwards.
		 */
		if (DBUF && more)
			load_slice(A, B, m, n, k, bm0, bn0, (s + 1) * BK, tid,
			    ra, rb);
		multiply_slice(As[cur], Bs[cur], tx, ty, acc);
		if (more) {
			if (!DBUF) {
				__syncthreads();
				load_slice(A, B, m, n, k, bm0, bn0,
				    (s + 1) * BK, tid, ra, rb);
			}
			store_slice(As[cur ^ DBUF], Bs[cur ^ DBUF], tid, ra,
			    rb);
			__syncthreads();
		}
	}

	/* Row i of the thread's tile is row (i/FA*NTY + ty)*FA + i%FA of
	 * the block's; columns likewise, FB at a time, as vectors where n
	 * keeps them aligned and they lie inside C. */
	const bool cvec = n % SG_FB == 0;

#pragma unroll
	for (int i = 0; i < TM; i++) {
		int row = bm0 + (i / SG_FA * SG_NTY + ty) * SG_FA + i % SG_FA;

		if (row >= m)
			continue;
#pragma unroll
		for (int g = 0; g < TN / SG_FB; g++) {
			int col = bn0 + (g * SG_NTX + tx) * SG_FB;
			float *p = C + (long long)row * n + col;

			if (cvec && col + SG_FB <= n)
				st_vec<SG_FB>(p, &acc[i][g * SG_FB]);
			else
#pragma unroll
				for (int v = 0; v < SG_FB; v++)
					if (col + v < n)
						p[v] = acc[i][g * SG_FB + v];
		}
	}
}
