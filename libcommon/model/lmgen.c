/* lmgen.c - generation and scoring over a model. */
#define _GNU_SOURCE /* memmem */
#include "model/lmgen.h"

#include <stdlib.h>
#include <string.h>

#include "base/die.h"

const char *lmgen_stop_name(enum lmgen_stop why)
{
	return why == LMGEN_EOT ? "eot" : why == LMGEN_STOP_STRING ? "stop" : "length";
}

/* Where the first stop string begins in text, looking only where one could
 * have been completed by the last `fresh` bytes; -1 if none. */
static long find_stop(const struct buf *text, size_t fresh, const struct lmgen_opts *o)
{
	long best = -1;
	for (int i = 0; i < o->nstops; i++) {
		size_t sl = strlen(o->stops[i]);
		if (!sl || sl > text->len)
			continue;
		size_t from = text->len > fresh + sl ? text->len - fresh - sl + 1 : 0;
		const char *hit = memmem(text->data + from, text->len - from, o->stops[i], sl);
		if (hit && (best < 0 || hit - text->data < best))
			best = hit - text->data;
	}
	return best;
}

/* Feeds seq[0..n) into an empty decoder, keeping the newest tokens that fit
 * with room for more. */
static void refill(struct lm_decoder *d, const uint32_t *seq, size_t n, size_t keep, float *logits)
{
	if (n > keep)
		seq += n - keep, n = keep;
	lm_decoder_reset(d);
	lm_decoder_feed(d, seq, (int)n, logits);
}

enum lmgen_stop lmgen_generate(struct lm *m, struct lm_decoder *d, struct sampler *s, const uint32_t *prompt,
                               size_t n, const struct lmgen_opts *o, struct ids *out, struct buf *text)
{
	size_t cap = (size_t)lm_decoder_cap(d), vocab = (size_t)lm_vocab(m);
	float *logits = xmalloc(vocab * sizeof *logits);
	/* the whole sequence, for refilling the decoder past its capacity */
	struct ids seq = {0};
	memcpy(ids_resize(&seq, n), prompt, n * sizeof *prompt);
	refill(d, seq.v, seq.len, cap > 1 ? cap - 1 : 1, logits);
	size_t text_start = text ? text->len : 0;
	enum lmgen_stop why = LMGEN_LENGTH;
	for (int i = 0; i < o->max_new; i++) {
		uint32_t id = sampler_pick(s, logits);
		ids_push(out, id);
		ids_push(&seq, id);
		if (id == o->eot) {
			why = LMGEN_EOT;
			break;
		}
		if (text && o->bpe) {
			size_t len;
			const uint8_t *bytes = bpe_token_bytes(o->bpe, id, &len);
			if (bytes) {
				buf_add(text, bytes, len);
				long at = find_stop(text, len, o);
				if (at >= 0 && (size_t)at >= text_start) {
					text->len = (size_t)at;
					why = LMGEN_STOP_STRING;
					break;
				}
			}
		}
		if (i + 1 == o->max_new)
			break;
		if ((size_t)lm_decoder_len(d) >= cap)
			refill(d, seq.v, seq.len, cap / 2 > 0 ? cap / 2 : 1, logits);
		else
			lm_decoder_feed(d, &id, 1, logits);
	}
	ids_free(&seq);
	free(logits);
	return why;
}

/* log p of each target in one forward pass of inputs x[0..len), targets
 * x[1..len], writing those from index `from` on. */
static void score_window(struct lm *m, const uint32_t *x, size_t len, size_t from, double *logp)
{
	lm_forward(m, x, NULL, 1, (int)len);
	size_t stride;
	const float *logits = lm_logits(m, &stride);
	size_t vocab = (size_t)lm_vocab(m);
	for (size_t k = from; k < len; k++)
		logp[k] = sample_logprob(logits + k * stride, vocab, x[k + 1]);
}

void lmgen_score(struct lm *m, const uint32_t *tokens, size_t n, double *logp)
{
	if (n < 2)
		return;
	size_t window = (size_t)lm_max_seq(m);
	if (!window) {
		/* no limit: one pass, a row at a time through the decoder so
		 * that the logits held are one token's, not the whole row's */
		struct lm_decoder *d = lm_decoder_new(m, (int)(n < (size_t)INT32_MAX ? n : INT32_MAX));
		size_t vocab = (size_t)lm_vocab(m);
		float *logits = xmalloc(vocab * sizeof *logits);
		for (size_t i = 0; i + 1 < n; i++) {
			lm_decoder_feed(d, tokens + i, 1, logits);
			logp[i] = sample_logprob(logits, vocab, tokens[i + 1]);
		}
		free(logits);
		lm_decoder_free(d);
		return;
	}
	size_t stride = window / 2 ? window / 2 : 1, done = 0; /* targets scored: [0, done) */
	for (size_t a = 0;; a += stride) {
		size_t len = n - 1 - a < window ? n - 1 - a : window;
		score_window(m, tokens + a, len, done - a, logp + a);
		done = a + len;
		if (done >= n - 1)
			break;
	}
}
