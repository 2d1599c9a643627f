/*
 * reduce.cu: the sum of n floats, as one partial sum per block.
 *
 * Block b sums the chunk of CHUNK = THREADS * EPT elements that starts
 * at b * CHUNK (the last chunk may be short) and writes it to out[b];
 * the grid has ceil(n / CHUNK) blocks.  A whole sum is a second, tiny
 * pass over out (this kernel again, or the host), as in CUB's two-pass
 * reduction; this kernel is the pass that reads the n floats and sets
 * the speed.  Partial sums rather than one value keep the kernel free of
 * atomics, so that its output is a pure function of its input (ar-bench
 * poisons outputs with NaN, which an atomicAdd could not start from)
 * and the reference can compute exactly the same numbers: the chunk size
 * reaches it as the argument chunk.
 *
 * Tunables (macros, with defaults that compile and are right anywhere):
 *   THREADS  threads per block, a multiple of 32 (a power of two for
 *            FINAL 0)
 *   EPT      elements per thread
 *   VEC      floats per load (1, 2, 4: float, float2, float4); the
 *            threads of a block read VEC * THREADS consecutive floats per
 *            step, EPT / VEC steps, so every load is coalesced
 *   FINAL    how the block combines its THREADS sums: 0 a tree in shared
 *            memory with a barrier per level; 1 warp shuffles, then one
 *            barrier and a shuffle over the warps' sums
 *
 * The argument chunk must equal THREADS * EPT (the study passes it so);
 * vector loads need n % VEC == 0 and in aligned to 4 * VEC bytes, and
 * the kernel falls back to scalar loads with bounds checks otherwise.
 */
#ifndef THREADS
#define THREADS 256
#endif
#ifndef EPT
#define EPT 16
#endif
#ifndef VEC
#define VEC 4
#endif
#ifndef FINAL
#define FINAL 1
#endif

static_assert(THREADS % 32 == 0 && THREADS <= 1024,
    "THREADS is a multiple of 32 up to 1024");
static_assert(VEC == 1 || VEC == 2 || VEC == 4, "VEC is 1, 2 or 4");
static_assert(EPT % VEC == 0, "VEC must divide EPT");
static_assert(FINAL == 0 || FINAL == 1, "FINAL is 0 or 1");
static_assert(FINAL == 1 || (THREADS & (THREADS - 1)) == 0,
    "the shared-memory tree needs a power of two THREADS");

#define RD_WARPS (THREADS / 32)

/* The sum of v over the 32 lanes of a warp, in every lane. */
static __device__ __forceinline__ float
warp_sum(float v)
{
#pragma unroll
	for (int d = 16; d > 0; d >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, d);
	return v;
}

extern "C" __global__ void __launch_bounds__(THREADS)
reduce(int n, int chunk, const float *__restrict__ in,
    float *__restrict__ out)
{
	const int t = threadIdx.x;
	const long long base = (long long)blockIdx.x * chunk;
	const bool vec = n % VEC == 0;
	float s = 0.0f;

#pragma unroll
	for (int e = 0; e < EPT / VEC; e++) {
		long long i = base + ((long long)e * THREADS + t) * VEC;

		if (vec && i + VEC <= n) {
			if constexpr (VEC == 4) {
				float4 v = *reinterpret_cast<const float4 *>(
				    in + i);

				s += (v.x + v.y) + (v.z + v.w);
			} else if constexpr (VEC == 2) {
				float2 v = *reinterpret_cast<const float2 *>(
				    in + i);

				s += v.x + v.y;
			} else
				s += in[i];
		} else
#pragma unroll
			for (int v = 0; v < VEC; v++)
				if (i + v < n)
					s += in[i + v];
	}

	if constexpr (FINAL == 0) {
		__shared__ float sum[THREADS];

		sum[t] = s;
		__syncthreads();
#pragma unroll
		for (int h = THREADS / 2; h > 0; h >>= 1) {
			if (t < h)
				sum[t] += sum[t + h];
			__syncthreads();
		}
		if (t == 0)
			out[blockIdx.x] = sum[0];
	} else {
		__shared__ float wsum[RD_WARPS];

		s = warp_sum(s);
		if (RD_WARPS == 1) {
			if (t == 0)
				out[blockIdx.x] = s;
			return;
		}
		if (t % 32 == 0)
			wsum[t / 32] = s;
		__syncthreads();
		if (t < 32) {
			s = t < RD_WARPS ? wsum[t] : 0.0f;
			s = warp_sum(s);
			if (t == 0)
				out[blockIdx.x] = s;
		}
	}
}
