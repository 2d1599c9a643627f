/*
 * reduce.cl: the sum of n floats, as one partial sum per work-group, in
 * OpenCL C 1.2; the same computation as reduce.cu, checked against the
 * same reduce_ref.c.
 *
 * Work-group b sums the chunk of CHUNK = THREADS * EPT elements that
 * starts at b * CHUNK (the last chunk may be short) and writes it to
 * out[b]; there are ceil(n / CHUNK) work-groups.  A whole sum is a
 * second, tiny pass over out.  Partial sums keep the kernel free of
 * atomics, so that its output is a pure function of its input (ar-bench
 * poisons outputs with NaN) and the reference computes exactly the same
 * numbers: the chunk size reaches it as the argument chunk.
 *
 * Tunables (macros, with defaults that build and are right anywhere):
 *   THREADS  work-items per work-group
 *   EPT      elements per work-item
 *   VEC      floats per load (1, 2, 4, 8, 16: float .. float16); the
 *            work-items of a group read VEC * THREADS consecutive floats
 *            per step, EPT / VEC steps, so that a GPU's loads coalesce,
 *            and each work-item adds them into a vector of VEC partial
 *            sums, which on a CPU is one SIMD register; the VEC lanes
 *            are added up once, at the end
 *   FAN      how the group combines its THREADS sums in __local memory:
 *            each level of the tree, the first ceil(w / FAN) of the w
 *            sums left add FAN each, then one barrier.  FAN 2 is the
 *            classic binary tree, log2(THREADS) barriers; FAN = THREADS
 *            is one work-item adding them all after a single barrier.
 *            Barriers are what a CPU pays for (PoCL runs the group as
 *            one loop over its work-items per barrier-free region), a
 *            long serial sum is what a GPU pays for.
 *
 * OpenCL 1.2 has no sub-group shuffles (CUDA's FINAL 1), so every level
 * goes through __local memory.  The argument chunk must equal
 * THREADS * EPT (the study passes it so).  Vector loads need in aligned
 * to 4 * VEC bytes, which a buffer is (an OpenCL buffer is aligned to at
 * least the largest vector type, 128 bytes) and so is every chunk and
 * step, being multiples of VEC floats; where a vector would cross n the
 * work-item reads scalars with bounds checks.
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
#ifndef FAN
#define FAN 2
#endif

#if VEC != 1 && VEC != 2 && VEC != 4 && VEC != 8 && VEC != 16
#error "VEC is 1, 2, 4, 8 or 16"
#endif
#if EPT % VEC != 0
#error "VEC must divide EPT"
#endif
#if FAN < 2
#error "FAN is at least 2"
#endif

#define RD_CAT(a, b) a##b
#define RD_VT(n) RD_CAT(float, n)

#if VEC == 1
typedef float vec_t;
#define vsum(v) (v)
#else
typedef RD_VT(VEC) vec_t;
#endif
/* The lanes of a vector of partial sums, added as a tree. */
#if VEC == 2
#define vsum(v) ((v).s0 + (v).s1)
#elif VEC == 4
#define vsum(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#elif VEC == 8
#define vsum4(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#define vsum(v) vsum4((v).lo + (v).hi)
#elif VEC == 16
#define vsum4(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#define vsum(v) vsum4(((v).lo.lo + (v).lo.hi) + ((v).hi.lo + (v).hi.hi))
#endif

__kernel __attribute__((reqd_work_group_size(THREADS, 1, 1))) void
reduce(int n, int chunk, __global const float *restrict in,
    __global float *restrict out)
{
	__local float sum[THREADS];
	const int t = get_local_id(0);
	const long base = (long)get_group_id(0) * chunk;
	__global const vec_t *vin = (__global const vec_t *)in;
	vec_t acc = (vec_t)(0.0f);
	float s = 0.0f;

	for (int e = 0; e < EPT / VEC; e++) {
		long i = base + ((long)e * THREADS + t) * VEC;

		if (i + VEC <= n)
			acc += vin[i / VEC];
		else
			for (int v = 0; v < VEC; v++)
				if (i + v < n)
					s += in[i + v];
	}
	sum[t] = s + vsum(acc);
	barrier(CLK_LOCAL_MEM_FENCE);

	/*
	 * w sums are left in sum[0 .. w - 1]; the first nw = ceil(w / FAN)
	 * work-items each add sum[t + k * nw] for k < FAN into sum[t].  A
	 * work-item writes only below nw and reads only itself and above,
	 * so one barrier a level is enough.  The bounds are constants, so
	 * the compiler can unroll the levels.
	 */
	for (int w = THREADS; w > 1; w = (w + FAN - 1) / FAN) {
		const int nw = (w + FAN - 1) / FAN;

		if (t < nw) {
			float a = sum[t];

			for (int k = 1; k < FAN; k++)
				if (t + k * nw < w)
					a += sum[t + k * nw];
			sum[t] = a;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (t == 0)
		out[get_group_id(0)] = sum[0];
}
