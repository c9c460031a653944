/* lmgen.h - what lm-run does with a model (lm.h): generate a continuation
 * of a prompt token by token through a decoder and a sampler, stopping at
 * a length, the end-of-text token or a stop string; and score a token
 * sequence, the log-probability of each token given the ones before it.
 *
 * A GPT-2 sees at most max_seq tokens.  Generation past that keeps the
 * newest max_seq/2 tokens and goes on from them; scoring a longer sequence
 * slides a window of max_seq tokens by max_seq/2, so every token after the
 * first window is scored with at least max_seq/2 tokens of context (the
 * scheme of the Hugging Face perplexity guide).  An LSTM has no limit. */
#ifndef SLUICE_LMGEN_H
#define SLUICE_LMGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "model/lm.h"
#include "model/sample.h"
#include "tok/bpe.h"

enum lmgen_stop { LMGEN_LENGTH, LMGEN_EOT, LMGEN_STOP_STRING };

struct lmgen_opts {
	int max_new;         /* tokens to generate at most */
	uint32_t eot;        /* stop after this id (not kept in the text); BPE_NO_ID: none */
	const struct bpe *bpe; /* for the text and stop strings; NULL: ids only */
	char **stops;        /* stop strings: the text ends before the first one */
	int nstops;
};

/* Generates after prompt[n] (n >= 1; a longer prompt than the model takes
 * keeps its newest tokens).  Appends the new ids to *out (the end-of-text
 * id included when it stopped the run) and, with a tokenizer, their bytes
 * to *text, cut before a stop string.  Returns why it stopped. */
enum lmgen_stop lmgen_generate(struct lm *m, struct lm_decoder *d, struct sampler *s, const uint32_t *prompt,
                               size_t n, const struct lmgen_opts *o, struct ids *out, struct buf *text);

/* logp[i] = log p(tokens[i+1] | tokens[0..i]) for i in [0, n-1), in double. */
void lmgen_score(struct lm *m, const uint32_t *tokens, size_t n, double *logp);

const char *lmgen_stop_name(enum lmgen_stop why); /* "length", "eot", "stop" */

#endif
