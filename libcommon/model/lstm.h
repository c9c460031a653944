/* lstm.h - a character-level (byte-token) LSTM language model on the CPU:
 * forward with mean cross-entropy, backward, and a one-token step with
 * carried state for sampling, over flat float arrays laid out like gpt2.h's
 * (one contiguous parameter array, tensors in the fixed order of enum
 * lstm_tensor, gradients in the same layout).  Matmuls go to OpenBLAS;
 * the rest runs over a parfor pool with static partitions, so results are
 * bit-identical run to run for a given thread count.
 *
 * The model (PyTorch nn.Embedding + nn.LSTM(batch_first) + nn.Linear):
 *     x_0 = emb[token]                                  [H]
 *     layer l: gates = W_ih x + b_ih + W_hh h + b_hh    [4H], order i, f, g, o
 *              i, f, o = sigmoid, g = tanh
 *              c = f c + i g;  h = o tanh(c);  x_{l+1} = h
 *     logits = W_out x_L + b_out                        [V]
 * The state (h, c) of every layer starts at zero for each row of a batch
 * (rows are independent sequences). */
#ifndef SLUICE_LSTM_H
#define SLUICE_LSTM_H

#include <stddef.h>
#include <stdint.h>

/* A target equal to this is left out of the loss (padding). */
#define LSTM_IGNORE UINT32_MAX

struct lstm_config {
	int layers; /* >= 1 */
	int hidden; /* H, also the embedding width */
	int vocab;  /* V; 256 for bytes */
};

enum lstm_tensor {
	LSTM_EMB,  /* [V, H]        decayed */
	LSTM_WIH,  /* [L, 4H, H]    decayed */
	LSTM_WHH,  /* [L, 4H, H]    decayed */
	LSTM_BIH,  /* [L, 4H] */
	LSTM_BHH,  /* [L, 4H] */
	LSTM_WOUT, /* [V, H]        decayed */
	LSTM_BOUT, /* [V] */
	LSTM_NTENSORS
};

struct lstm_tensor_info {
	const char *name; /* "emb", "wih", "whh", "bih", "bhh", "wout", "bout" */
	size_t offset, size; /* in floats */
	int ndim;
	int shape[3];
	int decay;
};

struct lstm;

/* Checks the configuration (dies on a bad one); parameters zero until
 * lstm_init or a load into lstm_params.  One thread until lstm_set_threads. */
struct lstm *lstm_new(const struct lstm_config *cfg);
const struct lstm_config *lstm_cfg(const struct lstm *m);
void lstm_free(struct lstm *m);
/* Threads (>= 1; dies otherwise) for everything but the whole-batch
 * matmuls: the gate math and each time step's recurrent matmul, split by
 * chunks of hidden units.  OpenBLAS keeps its own setting, the caller's
 * business.  Results are bit-identical run to run for a given count. */
void lstm_set_threads(struct lstm *m, int threads);
void lstm_tensor_info(const struct lstm *m, enum lstm_tensor t, struct lstm_tensor_info *out);

/* PyTorch's initialisation scheme from a seed (xoshiro256**, rng.h):
 * LSTM weights and biases and the output layer U(-1/sqrt(H), 1/sqrt(H)),
 * the embedding N(0, 1) (by Box-Muller).  One stream, the tensors drawn in
 * storage order: the same distributions as PyTorch's, not its numbers. */
void lstm_init(struct lstm *m, uint64_t seed);

float *lstm_params(struct lstm *m, size_t *n);
float *lstm_grads(struct lstm *m, size_t *n);

/* Forward over inputs [B, T].  With targets [B, T] (LSTM_IGNORE entries
 * left out) it returns the mean cross-entropy over the counted positions
 * (0 when none is) and remembers the batch for lstm_backward; with targets
 * NULL it returns -1.  Ids must be < vocab (a programming error otherwise:
 * dies, never indexes). */
float lstm_forward(struct lstm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T);
/* The logits of the last forward, [B, T, V]; valid until the next forward
 * or backward. */
const float *lstm_logits(const struct lstm *m);
void lstm_zero_grad(struct lstm *m);
/* Adds the gradient of the last forward's loss (which had targets), by
 * backpropagation through all T steps. */
void lstm_backward(struct lstm *m);

/* Sampling: one sequence, one token at a time, the state carried; the
 * logits equal lstm_forward's for the same prefix up to rounding.  A state
 * belongs to one model shape (a state of another dies); one thread. */
struct lstm_state;
struct lstm_state *lstm_state_new(const struct lstm *m); /* zero state */
void lstm_state_reset(struct lstm_state *s);
void lstm_state_free(struct lstm_state *s);
/* Feeds token (< vocab, or dies), advances the state, writes the next
 * token's logits [V]. */
void lstm_step(struct lstm *m, struct lstm_state *s, uint32_t token, float *logits);

#endif
