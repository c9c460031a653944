/* nprandom.c - see nprandom.h */
#include "base/nprandom.h"

#include <float.h>
#include <math.h>

#include "base/die.h"

/* ---- SeedSequence ---- */

/* The constants of numpy's SeedSequence (after O'Neill's seed_seq_fe). */
enum {
	POOL_WORDS = 4,
	HASH_SHIFT = 16,
};
static const uint32_t INIT_A = 0x43b0d7e5, MULT_A = 0x931e8875;
static const uint32_t INIT_B = 0x8b51f9dd, MULT_B = 0x58f38ded;
static const uint32_t MIX_MULT_L = 0xca01f9dd, MIX_MULT_R = 0x4973f715;

/* Hashes one word; the multiplier moves on with every call. */
static uint32_t hashmix(uint32_t value, uint32_t *hash_const)
{
	value ^= *hash_const;
	*hash_const *= MULT_A;
	value *= *hash_const;
	return value ^ (value >> HASH_SHIFT);
}

static uint32_t mix(uint32_t x, uint32_t y)
{
	uint32_t r = MIX_MULT_L * x - MIX_MULT_R * y;
	return r ^ (r >> HASH_SHIFT);
}

/* The entropy pool of SeedSequence(seed): the seed is read as 32-bit words,
 * least significant first (0 is one word, 0), which for a seed below 2^64
 * never fill the four-word pool, so the pool's tail hashes zeros. */
static void seed_pool(uint64_t seed, uint32_t pool[POOL_WORDS])
{
	uint32_t words[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	size_t nwords = seed >> 32 ? 2 : 1;
	uint32_t hash_const = INIT_A;
	for (size_t i = 0; i < POOL_WORDS; i++)
		pool[i] = hashmix(i < nwords ? words[i] : 0, &hash_const);
	/* Every word stirs every other, so the late words reach the early ones. */
	for (size_t src = 0; src < POOL_WORDS; src++)
		for (size_t dst = 0; dst < POOL_WORDS; dst++)
			if (src != dst)
				pool[dst] = mix(pool[dst], hashmix(pool[src], &hash_const));
}

void nprandom_seed_words(uint64_t seed, uint32_t *out, size_t nwords)
{
	uint32_t pool[POOL_WORDS];
	seed_pool(seed, pool);
	uint32_t hash_const = INIT_B;
	for (size_t i = 0; i < nwords; i++) {
		uint32_t v = pool[i % POOL_WORDS] ^ hash_const;
		hash_const *= MULT_B;
		v *= hash_const;
		out[i] = v ^ (v >> HASH_SHIFT);
	}
}

/* ---- PCG64: 128-bit arithmetic on 64-bit halves, so no compiler
 * extension is needed ---- */

static const uint64_t PCG_MULT_HI = 2549297995355413924ULL;
static const uint64_t PCG_MULT_LO = 4865540595714422341ULL;

/* The full 128-bit product of two 64-bit numbers. */
static void mul64(uint64_t x, uint64_t y, uint64_t *hi, uint64_t *lo)
{
	uint64_t x0 = x & 0xffffffffu, x1 = x >> 32;
	uint64_t y0 = y & 0xffffffffu, y1 = y >> 32;
	uint64_t p00 = x0 * y0, p01 = x0 * y1, p10 = x1 * y0, p11 = x1 * y1;
	uint64_t mid = (p00 >> 32) + (p10 & 0xffffffffu) + (p01 & 0xffffffffu);
	*lo = (mid << 32) | (p00 & 0xffffffffu);
	*hi = p11 + (p10 >> 32) + (p01 >> 32) + (mid >> 32);
}

/* state = state * multiplier + inc, modulo 2^128. */
static void pcg_step(struct nprandom *g)
{
	uint64_t hi, lo;
	mul64(g->state_lo, PCG_MULT_LO, &hi, &lo);
	hi += g->state_hi * PCG_MULT_LO + g->state_lo * PCG_MULT_HI;
	g->state_lo = lo + g->inc_lo;
	g->state_hi = hi + g->inc_hi + (g->state_lo < lo);
}

void nprandom_seed(struct nprandom *g, uint64_t seed)
{
	/* generate_state(4, np.uint64): little-endian pairs of 32-bit words;
	 * the first two are the initial state (high half first), the last
	 * two the stream. */
	uint32_t w[8];
	nprandom_seed_words(seed, w, 8);
	uint64_t v[4];
	for (int i = 0; i < 4; i++)
		v[i] = (uint64_t)w[2 * i] | (uint64_t)w[2 * i + 1] << 32;
	g->state_hi = 0;
	g->state_lo = 0;
	g->inc_hi = v[2] << 1 | v[3] >> 63; /* the increment must be odd */
	g->inc_lo = v[3] << 1 | 1;
	pcg_step(g);
	uint64_t lo = g->state_lo + v[1];
	g->state_hi += v[0] + (lo < v[1]);
	g->state_lo = lo;
	pcg_step(g);
}

uint64_t nprandom_next64(struct nprandom *g)
{
	pcg_step(g);
	/* XSL-RR: the halves xored, rotated right by the top 6 bits. */
	uint64_t x = g->state_hi ^ g->state_lo;
	unsigned rot = (unsigned)(g->state_hi >> 58);
	return (x >> rot) | (x << ((64 - rot) & 63));
}

double nprandom_random(struct nprandom *g)
{
	return (double)(nprandom_next64(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- choice with p ---- */

int nprandom_check_p(const double *p, size_t n, char *err, size_t errn)
{
	if (n == 0)
		return errorf(err, errn, "no probabilities");
	/* Kahan's compensated sum, as numpy adds p up for this check. */
	double sum = p[0], carry = 0.0;
	for (size_t i = 1; i < n; i++) {
		double y = p[i] - carry;
		double t = sum + y;
		carry = (t - sum) - y;
		sum = t;
	}
	if (isnan(sum))
		return errorf(err, errn, "a probability is not a number");
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0)
			return errorf(err, errn, "probability %zu is negative (%g)", i + 1, p[i]);
	if (!(fabs(sum - 1.0) <= sqrt(DBL_EPSILON)))
		return errorf(err, errn, "the probabilities sum to %.17g, not 1", sum);
	return 0;
}

void nprandom_cdf(const double *p, size_t n, double *cdf)
{
	double run = 0.0;
	for (size_t i = 0; i < n; i++) {
		run += p[i];
		cdf[i] = run;
	}
	double last = cdf[n - 1];
	for (size_t i = 0; i < n; i++)
		cdf[i] /= last;
}

size_t nprandom_choice(struct nprandom *g, const double *cdf, size_t n)
{
	double u = nprandom_random(g);
	/* The first cdf value above u; the last value is exactly 1 > u. */
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
