/*
 * softmax.cu: the softmax of each row of a rows x cols row-major float
 * matrix, out[r][c] = exp(in[r][c] - max_r) / sum_c exp(in[r][c] - max_r),
 * the maximum taken out first so that no exponential overflows.
 *
 * A group of G consecutive threads handles one row, and a block holds
 * RPB groups (RPB rows): G = 32 is a warp per row, G = 1024 with RPB 1 a
 * block per row, and G below 32 puts several rows in a warp.  The
 * group's threads step along the row VEC floats at a time, G * VEC
 * consecutive floats per step, so every load is coalesced.  The maximum
 * and the sum are combined across the group with warp shuffles, and
 * across the warps of a group larger than 32 through shared memory.
 *
 * Tunables (macros, with defaults that compile and are right anywhere):
 *   G        threads per row, a power of two from 1 to 1024
 *   RPB      rows per block (G * RPB threads)
 *   VEC      floats per load and store (1, 2, 4)
 *   CACHE    1: the row is read once into registers (COLS / G floats a
 *            thread, the problem constant COLS sizing the array), and
 *            the output written from there; 0, or a row longer than
 *            COLS: three passes over global memory (maximum, sum,
 *            output), the later two mostly from L1/L2
 *   FASTEXP  1: __expf (the special-function unit, a few ulp); 0: expf
 *
 * Vector loads need cols % VEC == 0 and pointers aligned to 4 * VEC
 * bytes; other rows fall back to scalar accesses with bounds checks.
 */
#ifndef G
#define G 128
#endif
#ifndef RPB
#define RPB 1
#endif
#ifndef VEC
#define VEC 4
#endif
#ifndef CACHE
#define CACHE 1
#endif
#ifndef FASTEXP
#define FASTEXP 0
#endif
#ifndef COLS
#define COLS 4096
#endif

static_assert(G >= 1 && G <= 1024 && (G & (G - 1)) == 0,
    "G is a power of two up to 1024");
static_assert(G * RPB <= 1024, "at most 1024 threads a block");
static_assert(VEC == 1 || VEC == 2 || VEC == 4, "VEC is 1, 2 or 4");

#define SM_STEP (G * VEC)			/* floats a group reads a step */
#define SM_NS ((COLS + SM_STEP - 1) / SM_STEP)	/* steps over COLS */
#define SM_NW (G > 32 ? G / 32 : 1)		/* warps of a group */

static __device__ __forceinline__ float
ex(float x)
{
#if FASTEXP
	return __expf(x);
#else
	return expf(x);
#endif
}

/*
 * Combines v over the G threads of the group: max if ismax, else sum.
 * Every thread of the block must call it, and gets the result; red is
 * this group's row of NW floats of shared memory.
 */
template <bool ismax>
static __device__ __forceinline__ float
group_reduce(float v, float *red, int lane)
{
#pragma unroll
	for (int d = (G < 32 ? G : 32) / 2; d > 0; d >>= 1) {
		float o = __shfl_xor_sync(0xffffffffu, v, d);

		v = ismax ? fmaxf(v, o) : v + o;
	}
	if constexpr (G > 32) {
		if (lane % 32 == 0)
			red[lane / 32] = v;
		__syncthreads();
		v = red[0];
#pragma unroll
		for (int w = 1; w < SM_NW; w++)
			v = ismax ? fmaxf(v, red[w]) : v + red[w];
	}
	return v;
}

/* Loads the VEC floats at x[e...], -inf where they pass the row's end. */
static __device__ __forceinline__ void
load(float *r, const float *x, int e, int cols, bool vec)
{
	if (vec && e + VEC <= cols) {
		if constexpr (VEC == 4) {
			float4 t = *reinterpret_cast<const float4 *>(x + e);

			r[0] = t.x; r[1] = t.y; r[2] = t.z; r[3] = t.w;
		} else if constexpr (VEC == 2) {
			float2 t = *reinterpret_cast<const float2 *>(x + e);

			r[0] = t.x; r[1] = t.y;
		} else
			r[0] = x[e];
	} else
#pragma unroll
		for (int v = 0; v < VEC; v++)
			r[v] = e + v < cols ? x[e + v] : -__int_as_float(0x7f800000);
}

/* Stores r[0..VEC-1] to y[e...], only what lies inside the row. */
static __device__ __forceinline__ void
store(float *y, const float *r, int e, int cols, bool vec)
{
	if (vec && e + VEC <= cols) {
		if constexpr (VEC == 4)
			*reinterpret_cast<float4 *>(y + e) =
			    make_float4(r[0], r[1], r[2], r[3]);
		else if constexpr (VEC == 2)
			*reinterpret_cast<float2 *>(y + e) =
			    make_float2(r[0], r[1]);
		else
			y[e] = r[0];
	} else
#pragma unroll
		for (int v = 0; v < VEC; v++)
			if (e + v < cols)
				y[e + v] = r[v];
}

extern "C" __global__ void __launch_bounds__(G * RPB)
softmax(int rows, int cols, const float *__restrict__ in,
    float *__restrict__ out)
{
	__shared__ float redmax[RPB][SM_NW], redsum[RPB][SM_NW];
	const int lane = threadIdx.x % G, grp = threadIdx.x / G;
	const int row = blockIdx.x * RPB + grp;
	/* A group past the last row computes on nothing and writes nothing,
	 * but takes part in the shuffles and barriers. */
	const int len = row < rows ? cols : 0;
	const float *x = in + (long long)(row < rows ? row : 0) * cols;
	float *y = out + (long long)(row < rows ? row : 0) * cols;
	const bool vec = cols % VEC == 0;
	float mx = -__int_as_float(0x7f800000), sum = 0.0f, inv;

	if (CACHE && cols <= SM_NS * SM_STEP) {
		float c[SM_NS][VEC];

#pragma unroll
		for (int s = 0; s < SM_NS; s++) {
			load(c[s], x, s * SM_STEP + lane * VEC, len, vec);
#pragma unroll
			for (int v = 0; v < VEC; v++)
				mx = fmaxf(mx, c[s][v]);
		}
		mx = group_reduce<true>(mx, redmax[grp], lane);
#pragma unroll
		for (int s = 0; s < SM_NS; s++)
#pragma unroll
			for (int v = 0; v < VEC; v++) {
				c[s][v] = ex(c[s][v] - mx);
				sum += c[s][v];
			}
		sum = group_reduce<false>(sum, redsum[grp], lane);
		inv = 1.0f / sum;
#pragma unroll
		for (int s = 0; s < SM_NS; s++) {
#pragma unroll
			for (int v = 0; v < VEC; v++)
				c[s][v] *= inv;
			store(y, c[s], s * SM_STEP + lane * VEC, len, vec);
		}
		return;
	}

	float r[VEC];

	for (int e = lane * VEC; e < len; e += SM_STEP) {
		load(r, x, e, len, vec);
#pragma unroll
		for (int v = 0; v < VEC; v++)
			mx = fmaxf(mx, r[v]);
	}
	mx = group_reduce<true>(mx, redmax[grp], lane);
	for (int e = lane * VEC; e < len; e += SM_STEP) {
		load(r, x, e, len, vec);
#pragma unroll
		for (int v = 0; v < VEC; v++)
			sum += ex(r[v] - mx);
	}
	sum = group_reduce<false>(sum, redsum[grp], lane);
	inv = 1.0f / sum;
	for (int e = lane * VEC; e < len; e += SM_STEP) {
		load(r, x, e, len, vec);
#pragma unroll
		for (int v = 0; v < VEC; v++)
			r[v] = ex(r[v] - mx) * inv;
		store(y, r, e, len, vec);
	}
}
