/* embed.h - document embeddings from a GPT-2 (lm-embed): the final hidden
 * states, after the final LayerNorm, pooled over a document's positions
 * and L2-normalised.
 *
 * Mean pooling averages every position of the document.  A document
 * longer than the model's context is cut into consecutive windows of the
 * context length, each run on its own (no window sees another's tokens),
 * so the mean is the windows' means weighted by their lengths.  Last
 * pooling takes the hidden state of the document's last token, run in the
 * window of its final context-length tokens: the last token sees as much
 * of the document as the model can.
 *
 * Windows run in batches, padded at the end to the longest of the batch;
 * causal attention keeps the padding from reaching the real positions,
 * and pooling skips it, so a document's vector does not depend on its
 * batch beyond float rounding.  The windows of one call are sorted by
 * length first, so that a batch wastes little on padding. */
#ifndef SLUICE_EMBED_H
#define SLUICE_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gpt2;

enum embed_pool { EMBED_POOL_MEAN, EMBED_POOL_LAST };

struct embed_opts {
	enum embed_pool pool;
	bool normalize; /* to unit L2 length (a zero vector stays zero) */
	int batch;      /* windows per forward pass, >= 1 */
	/* Fewer windows, down to one, so that a pass of windows of the full
	 * context holds at most this many positions: it bounds the activations
	 * the model keeps (every layer's, for each position). */
	size_t max_positions;
};

/* "mean" or "last"; -1 for anything else. */
int embed_pool_from_name(const char *name);
const char *embed_pool_name(enum embed_pool pool);

struct embedder;

/* Reads m's parameters, never writes them; m must outlive the embedder. */
struct embedder *embedder_new(struct gpt2 *m, const struct embed_opts *o);
void embedder_free(struct embedder *e);
/* The vectors' length: the model's channels. */
int embedder_dim(const struct embedder *e);

/* Embeds n documents: document i is the lens[i] >= 1 ids at docs[i], each
 * below the model's vocabulary (the caller checks: gpt2.c dies on one that
 * is not); out gets n rows of embedder_dim floats. */
void embedder_run(struct embedder *e, const uint32_t *const *docs, const size_t *lens, size_t n, float *out);

#endif
