/* gpt2gen.h - GPT-2 inference for generation: one sequence, a key/value
 * cache per layer so each new token costs one pass over the weights
 * instead of a pass over the whole prefix.  Reads the parameters of a
 * struct gpt2 (gpt2.h) and never writes them; gives the same logits as
 * gpt2_forward on the same prefix, to float rounding. */
#ifndef SLUICE_GPT2GEN_H
#define SLUICE_GPT2GEN_H

#include <stddef.h>
#include <stdint.h>

#include "model/gpt2.h"

struct gpt2_kv;

/* A cache for up to cap positions (1 <= cap <= the model's max_seq). */
struct gpt2_kv *gpt2_kv_new(struct gpt2 *m, int cap);
void gpt2_kv_free(struct gpt2_kv *kv);
/* Forgets the cached positions (length 0). */
void gpt2_kv_reset(struct gpt2_kv *kv);
/* Positions cached so far. */
int gpt2_kv_len(const struct gpt2_kv *kv);

/* Feeds n tokens at positions len .. len+n-1 (len + n <= cap; ids < vocab,
 * else a programming error: dies) and writes the logits [vocab] (the
 * unpadded vocabulary) that follow the last of them.  n > 1 is a prompt,
 * done with matrix-matrix products. */
void gpt2_kv_feed(struct gpt2 *m, struct gpt2_kv *kv, const uint32_t *tokens, int n, float *logits);

#endif
