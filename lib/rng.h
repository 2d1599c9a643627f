/*
 * rng: the one source of randomness.  Every random choice a program makes
 * comes from an rng seeded from --seed, so the same seed gives the same
 * output.  xoshiro256** seeded through splitmix64.
 */
#ifndef AR_RNG_H
#define AR_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [0, 1). */
double rng_unif(struct rng *r);

#endif
