/* rng.h - a small, seedable, portable random number generator
 * (xoshiro256** seeded through splitmix64), so that "the same seed gives
 * the same output" holds on every machine and libc, which rand() does not
 * promise. */
#ifndef SLUICE_RNG_H
#define SLUICE_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Fisher-Yates over an array of n elements of `size` bytes. */
void rng_shuffle(struct rng *r, void *base, size_t n, size_t size);

#endif
