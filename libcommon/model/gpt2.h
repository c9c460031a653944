/* gpt2.h - the numerical core of GPT-2 training on the CPU: forward pass
 * with mean cross-entropy loss, backward pass, and AdamW, over flat float
 * arrays.  Matmuls go to OpenBLAS (cblas_sgemm); everything else is plain C
 * run over a parfor pool with static partitions, so the loss and gradients
 * are bit-identical run to run for a given thread count.
 *
 * The model: token embedding wte [Vp, C] (Vp = vocab padded to a multiple
 * of 128; rows and logits at or beyond vocab are never used: excluded from
 * the softmax, zero gradient from the head) plus position embedding
 * wpe [maxT, C]; L blocks of
 *     x = x + proj(attn(ln1(x)))        causal, `heads` heads, qkv in one matmul
 *     x = x + fcproj(gelu(fc(ln2(x))))  4C hidden, GELU tanh approximation
 * with LayerNorm eps 1e-5; a final LayerNorm and a head tied to wte
 * (logits = x wte^T); the loss is the mean cross-entropy over the B*T
 * positions whose target is not GPT2_IGNORE.
 *
 * Parameters live in ONE contiguous float array, tensors in the fixed order
 * of enum gpt2_tensor, per-layer tensors stacked over layers ([L, ...]),
 * so checkpoints and the optimizer see one flat vector.  Gradients have the
 * same layout. */
#ifndef SLUICE_GPT2_H
#define SLUICE_GPT2_H

#include <stddef.h>
#include <stdint.h>

/* A target equal to this is left out of the loss, as PyTorch's
 * cross_entropy(ignore_index=...) does: padding, or a prompt that is
 * conditioned on but not learnt.  The input at such a position is still a
 * real token. */
#define GPT2_IGNORE UINT32_MAX

struct parfor;

struct gpt2_config {
	int layers;       /* L */
	int heads;        /* NH; channels % heads == 0 */
	int channels;     /* C */
	int max_seq;      /* maxT: rows of wpe */
	int vocab;        /* V: token ids are < vocab */
	int padded_vocab; /* Vp >= V; 0 means round V up to a multiple of 128 */
};

/* The parameter tensors, in storage order. */
enum gpt2_tensor {
	GPT2_WTE,      /* [Vp, C]       decayed */
	GPT2_WPE,      /* [maxT, C]     decayed */
	GPT2_LN1W,     /* [L, C] */
	GPT2_LN1B,     /* [L, C] */
	GPT2_QKVW,     /* [L, 3C, C]    decayed */
	GPT2_QKVB,     /* [L, 3C] */
	GPT2_ATTPROJW, /* [L, C, C]     decayed */
	GPT2_ATTPROJB, /* [L, C] */
	GPT2_LN2W,     /* [L, C] */
	GPT2_LN2B,     /* [L, C] */
	GPT2_FCW,      /* [L, 4C, C]    decayed */
	GPT2_FCB,      /* [L, 4C] */
	GPT2_FCPROJW,  /* [L, C, 4C]    decayed */
	GPT2_FCPROJB,  /* [L, C] */
	GPT2_LNFW,     /* [C] */
	GPT2_LNFB,     /* [C] */
	GPT2_NTENSORS
};

struct gpt2_tensor_info {
	const char *name;  /* "wte", "wpe", "ln1w", ... */
	size_t offset;     /* in floats, from the start of the parameter array */
	size_t size;       /* in floats */
	int ndim;          /* 1 to 3 */
	int shape[3];
	int decay;         /* 1 for matmul weights and embeddings, 0 for biases and LayerNorm */
};

struct gpt2;

/* Checks the configuration (dies on a bad one); the parameters are zero
 * until gpt2_init or a load into gpt2_params.  Uses one thread until
 * gpt2_set_threads. */
struct gpt2 *gpt2_new(const struct gpt2_config *cfg);
/* The configuration with padded_vocab filled in. */
const struct gpt2_config *gpt2_cfg(const struct gpt2 *m);
void gpt2_free(struct gpt2 *m);

/* Threads for the non-matmul kernels (OpenBLAS keeps its own setting).
 * Results are bit-identical for a given count; across counts they agree
 * only to rounding (through OpenBLAS). */
void gpt2_set_threads(struct gpt2 *m, int threads);

void gpt2_tensor_info(const struct gpt2 *m, enum gpt2_tensor t, struct gpt2_tensor_info *out);
/* Where each tensor starts in the parameter array, in floats, and (at
 * GPT2_NTENSORS) the array's length. */
void gpt2_offsets(const struct gpt2 *m, size_t off[GPT2_NTENSORS + 1]);

/* GPT-2's initialisation from a seed (xoshiro256**, Box-Muller normals):
 * weights N(0, 0.02), residual projections (attprojw, fcprojw)
 * N(0, 0.02/sqrt(2L)), biases 0, LayerNorm weights 1; the padding rows of
 * wte 0.  Also resets the AdamW state. */
void gpt2_init(struct gpt2 *m, uint64_t seed);

/* The flat parameter and gradient arrays; *n gets their length in floats
 * (n may be NULL). */
float *gpt2_params(struct gpt2 *m, size_t *n);
float *gpt2_grads(struct gpt2 *m, size_t *n);

/* Allocates activations for batches up to B x T (also done on demand by
 * gpt2_forward, which keeps the largest B and T seen).  Growing them
 * forgets the last forward pass. */
void gpt2_reserve(struct gpt2 *m, int B, int T);

/* Forward pass over inputs [B, T] (row-major).  With targets [B, T] it
 * returns the mean cross-entropy over the positions whose target is not
 * GPT2_IGNORE (0 when all are) and remembers the batch for gpt2_backward;
 * with targets NULL it returns -1 and leaves the logits for gpt2_logits.
 * T <= max_seq.  Token ids must be < vocab (targets may also be
 * GPT2_IGNORE): the caller validates them; one that is not is a
 * programming error and dies (it is never used as an index). */
float gpt2_forward(struct gpt2 *m, const uint32_t *inputs, const uint32_t *targets, int B, int T);
/* One array, [B, T, Vp], holds what the last forward left, so only one of
 * these is valid at a time (the other returns NULL):
 * gpt2_logits after a forward without targets: the logits (columns at or
 * beyond vocab are unspecified);
 * gpt2_probs after a forward with targets, until gpt2_backward overwrites
 * them: the softmax probabilities (columns at or beyond vocab are 0; rows
 * of ignored positions are valid too). */
const float *gpt2_logits(const struct gpt2 *m);
const float *gpt2_probs(const struct gpt2 *m);

/* The final hidden states, for embeddings: the output of the final
 * LayerNorm, [B, T, C], of the last forward without targets; NULL after a
 * forward with targets.  gpt2_forward_hidden is that forward without the
 * head (gpt2_logits is then NULL): over GPT-2's vocabulary the logits are
 * most of a small model's work, and an embedding needs none of them.  The
 * inputs are as gpt2_forward's; the array is valid until the next forward. */
const float *gpt2_forward_hidden(struct gpt2 *m, const uint32_t *inputs, int B, int T);

void gpt2_zero_grad(struct gpt2 *m);
/* Adds the gradient of the last forward's loss to the gradient array;
 * that forward must have had targets, and each backward needs a forward
 * of its own (the probabilities become the logits' gradient in place).
 * Ignored positions contribute nothing (all ignored: a zero gradient). */
void gpt2_backward(struct gpt2 *m);

/* The gradient array's L2 norm (for clipping), in double, over the
 * model's threads: fixed blocks of the array, each summed in a fixed
 * order, then the blocks' sums in order, so the result does not depend on
 * the thread count.  A drop-in for a single-threaded loop over
 * gpt2_grads, some five times faster on GPT-2 124M (but not bit-equal to
 * it: the order of the additions differs). */
double gpt2_grad_norm(struct gpt2 *m);

/* The model's thread pool (gpt2_set_threads), for a caller that runs
 * adamw_step (adamw.h) or its own kernels with the model's threads.
 * Valid until the next gpt2_set_threads or gpt2_free. */
struct parfor *gpt2_pool(struct gpt2 *m);

/* One AdamW step (t = step >= 1 for bias correction), decoupled weight
 * decay applied only to the decayed tensors; adamw_step (adamw.h) over the
 * tensor table and the moments of gpt2_adamw_state:
 *     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *     p -= lr (mhat / (sqrt(vhat) + eps) + wd p)   mhat = m/(1-b1^t), vhat = v/(1-b2^t) */
void gpt2_adamw(struct gpt2 *m, float lr, float beta1, float beta2, float eps,
                float weight_decay, int step);
/* AdamW's first and second moments, each laid out like the parameters
 * (allocated, zero, on first use), for checkpoints to save and restore. */
void gpt2_adamw_state(struct gpt2 *m, float **mom, float **vel);

#endif
