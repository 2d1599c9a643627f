/*
 * matmul: C = A * B for n x n row-major single-precision matrices,
 * blocked for the caches.  The block sizes arrive from outside as
 * macros (-D TI=32 ...); the defaults compile and are correct.
 */
#ifndef TI
#define TI 32		/* rows of C per block */
#endif
#ifndef TJ
#define TJ 64		/* columns of C per block */
#endif
#ifndef TK
#define TK 64		/* depth of a block of A and B */
#endif
#ifndef UNROLL
#define UNROLL 4	/* unrolling of the innermost loop */
#endif

/* #pragma does not expand macros; _Pragma on a built string does. */
#define STR(x) #x
#define PRAGMA_UNROLL(n) _Pragma(STR(GCC unroll n))

static int
min(int a, int b)
{
	return a < b ? a : b;
}

void
matmul(const float *A, const float *B, float *C, int n)
{
	int i0, j0, k0, i, j, k;

	for (i = 0; i < n * n; i++)
		C[i] = 0.0f;
	for (i0 = 0; i0 < n; i0 += TI)
		for (k0 = 0; k0 < n; k0 += TK)
			for (j0 = 0; j0 < n; j0 += TJ) {
				int ie = min(i0 + TI, n), ke = min(k0 + TK, n);
				int je = min(j0 + TJ, n);

				for (i = i0; i < ie; i++)
					for (k = k0; k < ke; k++) {
						float a = A[i * n + k];
						const float *b = &B[k * n];
						float *c = &C[i * n];

						j = j0;
						PRAGMA_UNROLL(UNROLL)
						for (; j < je; j++)
							c[j] += a * b[j];
					}
			}
}
