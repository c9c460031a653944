/* sample.c - the next token from logits (see sample.h).
 *
 * Each pick works on the candidates {z = logit / temperature, id} in one
 * scratch array allocated by sampler_new, so a pick allocates nothing.
 * Order, the "most likely first" order used by top-k and top-p: z
 * descending, then id ascending, a strict total order, so which tokens
 * survive a truncation never depends on sort stability or the platform.
 *   top-k: a quickselect (expected O(n)) moves the k first to the front.
 *   top-p: the candidates left are fully sorted (O(m log m), m = n without
 *          top-k; a few ms for a 50k vocabulary, small beside a model's
 *          forward pass), then the smallest prefix whose probability
 *          (renormalised over the candidates) reaches top_p is kept.
 *   draw:  u uniform in [0, 1) from the top 53 bits of rng_next, times the
 *          kept weights' sum, walked through the kept candidates in array
 *          order.
 * Weights are exp(z - max z) in double, so the largest is exactly 1 and
 * nothing overflows. */
#include "model/sample.h"

#include <math.h>
#include <stdlib.h>

#include "base/die.h"

struct cand {
	double z;
	uint32_t id;
};

struct sampler {
	struct sample_opts o;
	size_t n;
	struct rng rng;
	struct cand *c; /* [n] */
	double *w;      /* [n] the candidates' weights */
};

struct sampler *sampler_new(const struct sample_opts *opts, size_t n, uint64_t seed)
{
	if (n < 1 || n > UINT32_MAX)
		die(STATUS_FAIL, "sample: bad vocabulary size %zu", n);
	struct sampler *s = xcalloc(1, sizeof *s);
	s->o = *opts;
	s->n = n;
	rng_seed(&s->rng, seed);
	s->c = xmalloc(n * sizeof *s->c);
	s->w = xmalloc(n * sizeof *s->w);
	return s;
}

void sampler_free(struct sampler *s)
{
	if (!s)
		return;
	free(s->c);
	free(s->w);
	free(s);
}

/* Strictly before in the most-likely-first order. */
static int before(const struct cand *a, const struct cand *b)
{
	return a->z > b->z || (a->z == b->z && a->id < b->id);
}

static int cmp_cand(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

static void swap(struct cand *a, struct cand *b)
{
	struct cand t = *a;
	*a = *b;
	*b = t;
}

/* Rearranges c[0..n) so that c[0..k) are its k first (in no particular
 * order); 0 < k < n.  Quickselect with a median-of-three pivot: the order
 * is strict, so every partition step makes progress. */
static void select_first(struct cand *c, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, target = k - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		/* The median of c[lo], c[mid], c[hi] goes to c[hi] as the pivot. */
		if (before(&c[mid], &c[lo]))
			swap(&c[mid], &c[lo]);
		if (before(&c[hi], &c[lo]))
			swap(&c[hi], &c[lo]);
		if (before(&c[mid], &c[hi]))
			swap(&c[mid], &c[hi]);
		size_t store = lo;
		for (size_t i = lo; i < hi; i++)
			if (before(&c[i], &c[hi]))
				swap(&c[i], &c[store++]);
		swap(&c[store], &c[hi]);
		if (store == target)
			return;
		if (store < target)
			lo = store + 1;
		else
			hi = store - 1;
	}
}

/* Applies temperature, top-k and top-p to logits: the kept candidates end
 * up in s->c[0..m), their weights in s->w[0..m) and their sum in *total;
 * returns m >= 1.  Not for temperature 0. */
static size_t truncate(struct sampler *s, const float *logits, double *total)
{
	size_t n = s->n;
	double t = s->o.temperature, mx = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		double z = (double)logits[i] / t;
		/* A NaN would break the strict order; it counts as impossible. */
		if (isnan(z))
			z = -INFINITY;
		s->c[i].z = z;
		s->c[i].id = (uint32_t)i;
		if (z > mx)
			mx = z;
	}
	if (!isfinite(mx))
		die(STATUS_FAIL, "sample: the logits have no finite maximum");
	size_t m = n;
	if (s->o.top_k > 0 && (size_t)s->o.top_k < n) {
		m = (size_t)s->o.top_k;
		select_first(s->c, n, m);
	}
	double sum = 0.0;
	for (size_t i = 0; i < m; i++)
		sum += s->w[i] = exp(s->c[i].z - mx);
	if (s->o.top_p < 1.0) {
		qsort(s->c, m, sizeof *s->c, cmp_cand);
		/* The sort moved the candidates: their weights follow them. */
		double cum = 0.0, kept = 0.0;
		size_t keep = 0;
		while (keep < m && (keep == 0 || cum < s->o.top_p)) {
			double w = exp(s->c[keep].z - mx);
			s->w[keep] = w;
			cum += w / sum;
			kept += w;
			keep++;
		}
		m = keep;
		sum = kept;
	}
	*total = sum;
	return m;
}

/* The first of the largest; NaNs never win, as in truncate. */
static uint32_t argmax(const float *logits, size_t n)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++)
		if (!isnan(logits[i]) && (best == n || logits[i] > logits[best]))
			best = i;
	if (best == n)
		die(STATUS_FAIL, "sample: every logit is NaN");
	return (uint32_t)best;
}

uint32_t sampler_pick(struct sampler *s, const float *logits)
{
	if (s->o.temperature <= 0.0)
		return argmax(logits, s->n);
	double total;
	size_t m = truncate(s, logits, &total);
	double u = (double)(rng_next(&s->rng) >> 11) * 0x1p-53 * total, cum = 0.0;
	for (size_t i = 0; i < m; i++) {
		cum += s->w[i];
		if (u < cum)
			return s->c[i].id;
	}
	/* u * total rounded up to the whole sum: the last token with weight. */
	for (size_t i = m; i-- > 0;)
		if (s->w[i] > 0.0)
			return s->c[i].id;
	return s->c[0].id;
}

size_t sampler_probs(struct sampler *s, const float *logits, uint32_t *ids, double *probs)
{
	if (s->o.temperature <= 0.0) {
		ids[0] = argmax(logits, s->n);
		probs[0] = 1.0;
		return 1;
	}
	double total;
	size_t m = truncate(s, logits, &total);
	for (size_t i = 0; i < m; i++) {
		ids[i] = s->c[i].id;
		probs[i] = s->w[i] / total;
	}
	return m;
}

double sample_logprob(const float *logits, size_t n, uint32_t token)
{
	if (token >= n)
		die(STATUS_FAIL, "sample: token %u is not below the vocabulary size %zu", token, n);
	double mx = -INFINITY, sum = 0.0;
	for (size_t i = 0; i < n; i++)
		if ((double)logits[i] > mx)
			mx = logits[i];
	for (size_t i = 0; i < n; i++)
		sum += exp((double)logits[i] - mx);
	return ((double)logits[token] - mx) - log(sum);
}
