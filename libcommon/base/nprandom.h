/* nprandom.h - numpy's random Generator, as far as sluice needs it, so a
 * program can draw the very numbers a Python pipeline draws for the same
 * seed: np.random.default_rng(seed) (SeedSequence feeding PCG64), its
 * random() doubles, and choice(n, p=...) with numpy's checks on p.
 *
 * Written from numpy's definitions (bit_generator.pyx, pcg64.h,
 * _generator.pyx): SeedSequence hashes the seed's 32-bit words into a pool
 * of four words and draws PCG64's 128-bit state and increment from it;
 * PCG64 is the 128-bit LCG with the XSL-RR output; random() is the top 53
 * bits of a draw times 2^-53; choice(p) normalises the cumulative sum of p
 * by its last value and takes the first index whose value is greater than
 * a random() draw (searchsorted, side='right'), one draw per sample. */
#ifndef SLUICE_NPRANDOM_H
#define SLUICE_NPRANDOM_H

#include <stddef.h>
#include <stdint.h>

/* PCG64's state: the 128-bit LCG state and increment, as high and low halves. */
struct nprandom {
	uint64_t state_hi, state_lo;
	uint64_t inc_hi, inc_lo;
};

/* SeedSequence(seed).generate_state(nwords, np.uint32) into out. */
void nprandom_seed_words(uint64_t seed, uint32_t *out, size_t nwords);
/* np.random.default_rng(seed). */
void nprandom_seed(struct nprandom *g, uint64_t seed);
/* The next raw 64-bit output (bit_generator.random_raw()). */
uint64_t nprandom_next64(struct nprandom *g);
/* Generator.random(): a double in [0, 1). */
double nprandom_random(struct nprandom *g);

/* The checks choice(n, p=p) makes on p, in numpy's order and words:
 * NaN, a negative value, a sum (Kahan's) further than sqrt(DBL_EPSILON)
 * from 1.  Returns 0, or -1 with the reason in err. */
int nprandom_check_p(const double *p, size_t n, char *err, size_t errn);
/* choice's table for p: cumsum(p) / its last value (n > 0, p checked). */
void nprandom_cdf(const double *p, size_t n, double *cdf);
/* One choice(n, p=p) sample from the table: the first index whose cdf
 * value is greater than a random() draw. */
size_t nprandom_choice(struct nprandom *g, const double *cdf, size_t n);

#endif
