/*
 * microkernel: the SGEMM micro-kernel of kernels/sgemm/sgemm.c alone, on
 * data in L1 (one packed sliver of A, MR x KC, and one of B, KC x NR,
 * the C tile rewritten over and over), against the core's peak as an
 * FMA loop measures it: 24 independent chains of 16-float FMAs, more
 * than the two FMA pipes' latency times their count needs, so that
 * nothing but their throughput limits it.  Built with the tile's macros,
 * as ar-compile builds a variant:
 *
 *   cc -O3 -march=native -DVW=16 -DMR=14 -DNR=32 -DKC=256 ... microkernel.c
 *
 * Prints one JSON line: the tile, the micro-kernel's GFLOP/s and the
 * peak's (each the best of 7 timings of about 0.1 s), and their ratio.
 */
#include "../../../kernels/sgemm/sgemm.c"

#include <stdio.h>
#include <time.h>

typedef float v16 __attribute__((vector_size(64)));

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
peak(void)
{
	v16 c[24], a = (v16){ 0 } + 0.999f, b = (v16){ 0 } + 1e-3f;
	long it, n = 4000000;
	double best = 0, t;
	int i, r;

	for (i = 0; i < 24; i++)
		c[i] = (v16){ 0 } + (float)i;
	for (r = 0; r < 7; r++) {
		t = now();
		for (it = 0; it < n; it++) {
			PRAGMA_UNROLL(24)
			for (i = 0; i < 24; i++)
				c[i] = c[i] * a + b;
			/* Keeps the loop from being collapsed. */
			__asm__ volatile("" : "+x"(a));
		}
		t = now() - t;
		if (2.0 * 16 * 24 * n / t / 1e9 > best)
			best = 2.0 * 16 * 24 * n / t / 1e9;
	}
	for (i = 1; i < 24; i++)
		c[0] += c[i];
	if (c[0][0] == 42.0f)
		puts("");
	return best;
}

int
main(void)
{
	static float a[MR * KC] __attribute__((aligned(64)));
	static float b[KC * NR] __attribute__((aligned(64)));
	static float c[MR * NR] __attribute__((aligned(64)));
	long calls = (long)(2e10 / (2.0 * MR * NR * KC)), k;
	double best = 0, t, p;
	int i, r;

	for (i = 0; i < MR * KC; i++)
		a[i] = 1e-3f * (float)(i % 7);
	for (i = 0; i < KC * NR; i++)
		b[i] = 1e-3f * (float)(i % 5);
	for (r = 0; r < 7; r++) {
		t = now();
		for (k = 0; k < calls; k++) {
			micro(KC, a, b, c, NR, 0);
			__asm__ volatile("" : : "r"(c) : "memory");
		}
		t = now() - t;
		if (2.0 * MR * NR * KC * calls / t / 1e9 > best)
			best = 2.0 * MR * NR * KC * calls / t / 1e9;
	}
	p = peak();
	printf("{\"VW\":%d,\"MR\":%d,\"NR\":%d,\"KC\":%d,\"KU\":%d,\"PF\":%d,"
	    "\"gflops\":%.1f,\"peak_gflops\":%.1f,\"of_peak\":%.3f}\n",
	    VW, MR, NR, KC, KU, PF, best, p, best / p);
	return fclose(stdout) == 0 ? 0 : 1;
}
