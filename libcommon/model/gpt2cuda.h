/* gpt2cuda.h - GPT-2 training and inference on one CUDA GPU with the CPU
 * model's semantics (gpt2.h): the same flat parameter layout, padded
 * vocabulary, tied head, GELU tanh, LayerNorm eps 1e-5, ignored targets
 * and mean loss.  The device keeps fp32 master parameters, fp32
 * gradients and AdamW moments; activations and a working copy of the
 * parameters are fp32, bf16 or fp16 (fp16 with dynamic loss scaling).
 *
 * A training step enqueues work on one stream and never waits for the
 * device: the loss stays on the device, and the optimizer step computes
 * the gradient norm, the clipping and accumulation factors and (fp16) the
 * overflow check on the device.  Only stats, forward's
 * returned loss (when asked for), the downloads and the logits wait.
 *
 * A plain C header (no CUDA types): streams are void *.  Every CUDA or
 * cuBLAS failure ends the program with one line naming the call.
 *
 * gpt2cuda.cu is built into a plugin of its own, sluice-cuda.so, with
 * cuBLAS and the CUDA runtime; programs open it with dlopen (cudaplug.h)
 * only when a GPU is asked for or may be there, so that they start as fast
 * as a CPU-only build and run where the CUDA libraries are missing. */
#ifndef SLUICE_GPT2CUDA_H
#define SLUICE_GPT2CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "model/gpt2.h"

enum gpt2cuda_precision { GPT2CUDA_FP32, GPT2CUDA_BF16, GPT2CUDA_FP16 };

struct gpt2cuda;

struct gpt2cuda_step_args {
	float lr, beta1, beta2, eps, weight_decay;
	float clip;   /* clip the global norm to this (0: no clipping) */
	int micro;    /* micro-batches whose gradients were summed (>= 1) */
	uint64_t t;   /* AdamW's step for the bias correction (>= 1) */
};

struct gpt2cuda_step_stats {
	float loss;        /* the last step's mean micro-batch loss */
	double grad_norm;  /* its gradient norm, before clipping */
	uint64_t skipped;  /* fp16 steps skipped for overflow, in total */
	float loss_scale;  /* the current loss scale (1 unless fp16) */
	int last_skipped;  /* the last step was skipped */
};

/* What the plugin does, as a table of functions: a program reaches it
 * through cudaplug_load (cudaplug.h), never by linking it. */
struct gpt2cuda_ops {
	int abi; /* GPT2CUDA_ABI of the plugin */
	/* GPUs visible (0 without a driver or a GPU: never dies). */
	int (*device_count)(void);
	/* The device's name into out ("" when it cannot be had); 0 or -1. */
	int (*device_name)(int device, char *out, size_t len);
	/* 1 when the device computes in bf16 (compute capability 8.0 or later). */
	int (*bf16_supported)(int device);

	/* A model of configuration cfg (padded_vocab filled in) and the CPU
	 * model's parameter layout (gpt2_offsets) on a device, its parameters
	 * and moments zero; NULL with a one-line message in err when the device
	 * cannot be used (absent, bf16 not supported, out of memory). */
	struct gpt2cuda *(*create)(const struct gpt2_config *cfg, const size_t offsets[GPT2_NTENSORS + 1], int device,
	                           enum gpt2cuda_precision p, char *err, size_t errn);
	void (*destroy)(struct gpt2cuda *g);
	/* Floats in the parameter array (gpt2_params's n). */
	size_t (*nparams)(const struct gpt2cuda *g);

	/* The fp32 master parameters and AdamW moments, host arrays in gpt2.h's
	 * layout (n floats each; mom and vel may be NULL on upload: zero moments).
	 * Uploads refresh the working copy; downloads wait for the device. */
	void (*upload)(struct gpt2cuda *g, const float *params, const float *mom, const float *vel);
	void (*download)(struct gpt2cuda *g, float *params, float *mom, float *vel);

	/* Forward over inputs [B, T] (token ids < vocab, checked by the caller).
	 * With targets (GPT2_IGNORE allowed): the loss and, fused into the same
	 * kernel, the logits' gradient for backward; the mean loss is
	 * added to the step's loss (train != 0) and returned only when want_loss
	 * (which waits for the device; -1 otherwise).  Without targets: the
	 * logits, for logits; returns -1.  B, T may vary up to the
	 * largest seen (activations grow on demand). */
	float (*forward)(struct gpt2cuda *g, const uint32_t *inputs, const uint32_t *targets, int B, int T, int train,
	                 int want_loss);
	/* Copies the logits of positions [t0, t1) of row b of the last forward
	 * without targets to out [(t1 - t0), Vp] as float; waits. */
	void (*logits)(struct gpt2cuda *g, int b, int t0, int t1, float *out);

	/* Zeroes the gradients and the step's loss. */
	void (*zero_grad)(struct gpt2cuda *g);
	/* Adds the last forward's gradient (it must have had targets). */
	void (*backward)(struct gpt2cuda *g);
	/* Copies the gradients (nparams floats) to the host; waits. */
	void (*download_grads)(struct gpt2cuda *g, float *grads);
	/* The device gradient array: n floats in gpt2.h's layout, then one float,
	 * the step's summed micro-batch loss, so that one all-reduce (average)
	 * over ranks averages both; *n gets the count with that float (nparams + 1). */
	float *(*grads)(struct gpt2cuda *g, size_t *n);
	/* The cudaStream_t all of g's work is on. */
	void *(*stream)(struct gpt2cuda *g);

	/* One AdamW step over the summed gradients, all on the device: the norm
	 * of grads/micro (unscaled by the loss scale), the clip factor, and for
	 * fp16 the overflow check (a non-finite norm skips the update, halves the
	 * loss scale and counts the step as skipped; 2000 clean steps double it). */
	void (*step)(struct gpt2cuda *g, const struct gpt2cuda_step_args *s);

	/* Waits for the device. */
	void (*stats)(struct gpt2cuda *g, struct gpt2cuda_step_stats *out);
	/* Sets the skipped-steps count and loss scale (a resumed run); a scale of
	 * 0 keeps the current one. */
	void (*set_scaler)(struct gpt2cuda *g, uint64_t skipped, float loss_scale);
};

/* Bumped whenever struct gpt2cuda_ops or the structs it takes change, so
 * that a program never calls a plugin from another build. */
#define GPT2CUDA_ABI 1

/* The plugin's one exported symbol. */
#define GPT2CUDA_ENTRY "sluice_gpt2cuda_ops"
typedef const struct gpt2cuda_ops *gpt2cuda_entry_fn(void);

#ifdef __cplusplus
}
#endif

#endif
