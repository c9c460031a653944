/* sample.h - picking the next token from logits: greedy, or temperature,
 * top-k and top-p (nucleus) sampling, with the definitions of Hugging Face
 * transformers' logits warpers, and a seeded generator (rng.h) so the same
 * seed gives the same text on every machine.
 *
 * Ties: "most likely first" means logit descending, then token id
 * ascending.  So greedy takes the lowest id among the largest logits, top-k
 * keeps exactly k tokens (HF keeps every token tied with the k-th, which
 * may be more than k; here the lower ids win, and top_k 1 is greedy), and
 * top-p, like HF's TopPLogitsWarper, keeps the tokens whose more likely
 * predecessors' probability (renormalised after top-k) is below top_p,
 * i.e. the smallest most-likely-first prefix reaching top_p, and at least
 * one token; of tokens tied at the boundary, the lower ids are kept.
 * Logits of -inf are impossible tokens, NaN ones count as -inf; logits with
 * no finite maximum are a programming error (dies). */
#ifndef SLUICE_SAMPLE_H
#define SLUICE_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

struct sample_opts {
	double temperature; /* 0: greedy (argmax, the lowest id on ties) */
	int top_k;          /* 0: off; else keep the k most likely */
	double top_p;       /* 1: off; else keep the smallest set of most likely
	                       tokens whose probability reaches top_p */
};

struct sampler;

/* For vocabularies of n tokens; opts checked by the caller
 * (temperature >= 0, top_k >= 0, 0 < top_p <= 1). */
struct sampler *sampler_new(const struct sample_opts *opts, size_t n, uint64_t seed);
void sampler_free(struct sampler *s);
/* The next token from logits[n] (not modified).  Order of operations:
 * temperature, then top-k, then top-p, then one draw. */
uint32_t sampler_pick(struct sampler *s, const float *logits);
/* What sampler_pick draws from for these logits: writes the m kept tokens
 * and their renormalised probabilities to ids[] and probs[] (room for n
 * each) and returns m >= 1; for temperature 0, the greedy token with
 * probability 1.  Consumes no randomness.  For tests and diagnostics. */
size_t sampler_probs(struct sampler *s, const float *logits, uint32_t *ids, double *probs);
/* log p(token) under the plain softmax of logits[n] (no temperature or
 * truncation): what scoring reports.  Computed in double. */
double sample_logprob(const float *logits, size_t n, uint32_t token);

#endif
