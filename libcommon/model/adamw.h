/* adamw.h - the AdamW update over a model's flat parameter array, shared
 * by every model train-step knows (gpt2.h, lstm.h): the model says which
 * ranges of the array are weight-decayed, this module keeps the moments
 * and applies PyTorch's torch.optim.AdamW arithmetic, in parallel over a
 * parfor pool with a static partition (bit-identical run to run). */
#ifndef SLUICE_ADAMW_H
#define SLUICE_ADAMW_H

#include <stddef.h>
#include <stdint.h>

struct parfor;

struct adamw_hparams {
	float lr, beta1, beta2, eps, weight_decay;
	/* Each gradient is multiplied by this first (0 means 1): clipping by
	 * global norm folded into the update's pass over the arrays, with the
	 * same result as scaling the gradients before it. */
	float grad_scale;
};

/* A contiguous range of the parameter array and whether it decays
 * (matmul weights and embeddings do; biases and LayerNorm do not). */
struct adamw_span {
	size_t offset, size; /* in floats */
	int decay;
};

/* One step (step >= 1, for bias correction) over n floats; the spans cover
 * [0, n) in order, without gaps:
 *     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *     p = p (1 - lr wd) - lr mhat / (sqrt(vhat) + eps)
 * with mhat = m/(1-b1^step), vhat = v/(1-b2^step), wd 0 off the decayed
 * spans.  m and v are the caller's, n floats each, zero before step 1. */
void adamw_step(struct parfor *pool, float *params, const float *grads, float *m, float *v, size_t n,
                const struct adamw_span *spans, size_t nspans, const struct adamw_hparams *h,
                uint64_t step);

/* The global L2 norm of g (summed in double, in order: deterministic), and
 * g scaled in place: clipping by norm, and the mean of accumulated
 * micro-batches. */
double adamw_grad_norm(const float *g, size_t n);
void adamw_scale_grads(float *g, size_t n, float f);

#endif
