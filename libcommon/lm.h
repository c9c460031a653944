/* lm.h - the language models that train-step trains and lm-run samples
 * from, behind one interface: GPT-2 (gpt2.h) and the character-level LSTM
 * (lstm.h).  A model is a flat parameter array with a gradient array of
 * the same layout, a forward pass with a mean cross-entropy, a backward
 * pass, AdamW over the array (adamw.h), model files, and a decoder that
 * feeds tokens one sequence at a time for sampling.
 *
 * Model files (lm_image, lm_load):
 *   GPT-2: llm.c's format, a header of 256 int32 (magic 20240326, version
 *     3 for float32 or 5 for bfloat16 parameters, max_seq, vocab, layers,
 *     heads, channels, padded vocab) then the parameters in gpt2.h's order;
 *   LSTM: the same shape of file, magic 20261122, version 1, layers,
 *     hidden, vocab, then float32 parameters in lstm.h's order.
 * All little-endian. */
#ifndef SLUICE_LM_H
#define SLUICE_LM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adamw.h"
#include "gpt2.h"
#include "lstm.h"

/* A target equal to this is left out of the loss (GPT2_IGNORE, LSTM_IGNORE). */
#define LM_IGNORE UINT32_MAX

#define LM_FILE_HEADER_BYTES 1024
#define LM_GPT2_MAGIC 20240326
#define LM_GPT2_FP32 3
#define LM_GPT2_BF16 5
#define LM_LSTM_MAGIC 20261122
#define LM_LSTM_VERSION 1

enum lm_arch { LM_GPT2, LM_LSTM };

struct lm_config {
	enum lm_arch arch;
	struct gpt2_config gpt2; /* when arch is LM_GPT2 */
	struct lstm_config lstm; /* when arch is LM_LSTM */
};

struct lm;

/* Checks the configuration (dies on a bad one); parameters zero. */
struct lm *lm_new(const struct lm_config *cfg);
void lm_free(struct lm *m);
/* With the GPT-2 padded vocabulary filled in. */
const struct lm_config *lm_config(const struct lm *m);
int lm_vocab(const struct lm *m);
/* The longest sequence the model takes (GPT-2's max_seq); 0: no limit. */
int lm_max_seq(const struct lm *m);
/* "gpt2 L=12 H=12 C=768 T=1024 V=50257" or "lstm L=2 H=256 V=257". */
void lm_describe(const struct lm *m, char *out, size_t len);

/* Threads for the model's kernels and OpenBLAS. */
void lm_set_threads(struct lm *m, int threads);
/* The random initialisation of the architecture; resets AdamW. */
void lm_init(struct lm *m, uint64_t seed);
float *lm_params(struct lm *m, size_t *n);
float *lm_grads(struct lm *m, size_t *n);

/* Mean cross-entropy of targets [B, T] given inputs [B, T] over the
 * positions whose target is not LM_IGNORE (0 when none); remembers the
 * batch for lm_backward.  With targets NULL: -1, and the logits are left
 * for lm_logits. */
float lm_forward(struct lm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T);
/* Logits of the last forward without targets: [B, T, stride], the first
 * lm_vocab(m) of each row meaningful. */
const float *lm_logits(const struct lm *m, size_t *stride);
void lm_zero_grad(struct lm *m);
void lm_backward(struct lm *m);
/* The global L2 norm of the gradients, in an order fixed by the array's
 * length (not by the thread count). */
double lm_grad_norm(struct lm *m);
/* One AdamW step (step >= 1) with the model's decay groups. */
void lm_adamw(struct lm *m, const struct adamw_hparams *h, uint64_t step);
/* The AdamW moments (allocated zero on first use), for checkpoints. */
void lm_adamw_state(struct lm *m, float **mom, float **vel);

/* A model file of m, malloc'd; bf16 (llm.c version 5) only for GPT-2:
 * NULL for an LSTM. */
void *lm_image(const struct lm *m, bool bf16, size_t *len);
/* A model from a model file; NULL with a one-line message in err. */
struct lm *lm_load(const void *buf, size_t len, char *err, size_t errlen);
/* Reads and loads a model file (the message names the path). */
struct lm *lm_load_file(const char *path, char *err, size_t errlen);

/* Sampling: one sequence.  cap is the longest prefix it holds
 * (<= lm_max_seq when that is not 0). */
struct lm_decoder;
struct lm_decoder *lm_decoder_new(struct lm *m, int cap);
void lm_decoder_free(struct lm_decoder *d);
void lm_decoder_reset(struct lm_decoder *d);
int lm_decoder_len(const struct lm_decoder *d);
int lm_decoder_cap(const struct lm_decoder *d);
/* Feeds n >= 1 tokens (len + n <= cap) and writes the logits [lm_vocab]
 * of the token that follows them. */
void lm_decoder_feed(struct lm_decoder *d, const uint32_t *tokens, int n, float *logits);

#endif
