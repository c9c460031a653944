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

#include "model/adamw.h"
#include "model/gpt2.h"
#include "model/lstm.h"

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
 * batch for a training step's backward pass.  With targets NULL: -1, and
 * the logits are left for lm_logits. */
float lm_forward(struct lm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T);
/* Logits of the last forward without targets: [B, T, stride], the first
 * lm_vocab(m) of each row meaningful (from a GPU: copied to the host). */
const float *lm_logits(const struct lm *m, size_t *stride);
void lm_zero_grad(struct lm *m);
/* The AdamW moments (allocated zero on first use), for checkpoints. */
void lm_adamw_state(struct lm *m, float **mom, float **vel);

/* ---- devices ----
 * A GPT-2 can move to a CUDA GPU (gpt2cuda.h); an LSTM stays on the CPU.
 * On a GPU the device holds the parameters, gradients and moments, and
 * lm_params, lm_grads and lm_adamw_state's arrays are a host copy that
 * lm_sync_host refreshes (lm_image and lm_adamw_state do it themselves). */
#define LM_DEVICE_AUTO (-2)
#define LM_DEVICE_CPU (-1)
enum lm_precision { LM_PREC_AUTO, LM_FP32, LM_BF16, LM_FP16 };

/* "auto", "cpu", "cuda" (cuda:0) or "cuda:N" into *device (LM_DEVICE_AUTO,
 * LM_DEVICE_CPU or N); -1 when s is none of them. */
int lm_parse_device(const char *s, int *device);
/* "auto", "fp32", "bf16" or "fp16"; -1 when s is none of them. */
int lm_parse_precision(const char *s, enum lm_precision *p);
const char *lm_precision_name(enum lm_precision p);
/* 1 when this build has the CUDA code. */
int lm_cuda_built(void);
/* Settles auto: the device is cuda:0 when the build has CUDA and a GPU is
 * visible, else the CPU; the precision bf16 on a GPU that computes in it,
 * else fp32.  -1 with a message for what cannot be: cuda in a CPU-only
 * build or without a GPU, cuda:N beyond the GPUs, bf16 or fp16 on the CPU,
 * bf16 on a GPU older than compute capability 8.0. */
int lm_resolve_device(int *device, enum lm_precision *p, char *err, size_t errn);
/* Moves a GPT-2 to GPU `device` in precision p (not auto), with its
 * parameters and AdamW moments; -1 with a message (an LSTM, no GPU, out
 * of memory).  The CPU model stays behind as the host copy. */
int lm_to_device(struct lm *m, int device, enum lm_precision p, char *err, size_t errn);
/* The model's precision (LM_FP32 on the CPU). */
enum lm_precision lm_precision(const struct lm *m);
/* "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3)". */
void lm_device_describe(const struct lm *m, char *out, size_t len);
/* Downloads a GPU model's parameters and moments into the host copy. */
void lm_sync_host(struct lm *m);

/* ---- a training step ----
 * zero_grad, then lm_train_micro per micro-batch, then lm_train_step: the
 * same arithmetic as a forward and backward pass per micro-batch,
 * gradients scaled by 1/micro, clipped to clip by global norm (clip 0:
 * never), and one AdamW step with the model's decay groups; on a GPU none of it waits for the device (the loss and norm
 * stay there until lm_train_stats). */
void lm_train_micro(struct lm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T);
void lm_train_step(struct lm *m, const struct adamw_hparams *h, uint64_t step, double clip, uint64_t micro);
struct lm_step_stats {
	float loss;        /* the mean of the step's micro-batch losses */
	double grad_norm;  /* of the averaged gradients, before clipping (not finite: an fp16 overflow) */
	uint64_t skipped;  /* fp16 steps skipped for overflow, in total */
	float loss_scale;  /* fp16's loss scale, 1 otherwise */
	int last_skipped;  /* the last step was skipped */
};
/* The last step's figures (on a GPU: waits for the device). */
void lm_train_stats(struct lm *m, struct lm_step_stats *out);
/* A GPU model's gradient array for an all-reduce between lm_train_micro
 * and lm_train_step: *n floats (the parameters' gradients, then the
 * step's loss sum) and the cudaStream_t to enqueue on; NULL on the CPU. */
float *lm_device_grads(struct lm *m, size_t *n, void **stream);
/* fp16 on a GPU: restores the skipped count and loss scale of a resumed
 * run (no effect otherwise). */
void lm_set_scaler(struct lm *m, uint64_t skipped, float loss_scale);

/* A model file of m, malloc'd; bf16 (llm.c version 5) only for GPT-2:
 * NULL for an LSTM. */
void *lm_image(const struct lm *m, bool bf16, size_t *len);
/* A model from a model file; NULL with a one-line message in err. */
struct lm *lm_load(const void *buf, size_t len, char *err, size_t errn);
/* Reads and loads a model file (the message names the path). */
struct lm *lm_load_file(const char *path, char *err, size_t errn);
/* What -m takes in lm-run and lm-embed: a model file, a checkpoint
 * directory (its model.bin), or a directory of checkpoints (the newest
 * one's).  NULL with a message and, in *status, the exit status
 * sluice-rec(5) gives it: STATUS_FAIL when nothing could be read (no such
 * path, no checkpoint), STATUS_MALFORMED when a file was read but is not a
 * model. */
struct lm *lm_load_path(const char *path, int *status, char *err, size_t errn);

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

/* The GPT-2 behind m, for what only GPT-2 has (gpt2_forward_hidden);
 * NULL for an LSTM. */
struct gpt2 *lm_gpt2(struct lm *m);

#endif
