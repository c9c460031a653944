/* ckpt.h - training checkpoints: a directory per step inside a checkpoint
 * directory, written whole or not at all, the newest found again to resume,
 * the oldest beyond a count removed; and the files of train-step's
 * checkpoints, which this module alone writes and reads:
 *
 *   DIR/step-00000100/manifest.json  what made it: program, version, model
 *                                    configuration, arguments, training
 *                                    parameters, input, metrics (for people
 *                                    and tools: a resumed run does not read it)
 *                     model.bin      the model file (lm.h's format)
 *                     optim.bin      AdamW's moments: "SLUICEAW", u64 step,
 *                                    u64 n, then m[n] and v[n] as float32,
 *                                    little-endian
 *                     state.json     where a resumed run goes on from: step,
 *                                    tokens seen, last loss, the data position,
 *                                    fp16's loss scale and skipped steps
 *
 * The format lives here, in model/, rather than with the trainer in train/
 * because lm_load_path (lm-run, lm-embed) finds the model file of a
 * checkpoint, and model/ may not include train/.  It is held at the level
 * of bytes and plain values (no lm.h, which would make an include cycle
 * with lm.c): what to put in a checkpoint and what must agree when a run
 * resumes from one is train/resume.h's and train/trainer.h's business.
 *
 * A checkpoint is first written as DIR/.step-00000100.partial, each file
 * fsynced, then renamed to its name and DIR fsynced: a crash at any moment
 * leaves the checkpoints that were complete, and at most a .partial
 * directory, which resuming ignores and the next save removes. */
#ifndef SLUICE_CKPT_H
#define SLUICE_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/gpt2.h"
#include "model/lstm.h"

struct ckpt_file {
	const char *name; /* a plain file name */
	const void *data;
	size_t len;
};

/* Writes checkpoint `step` of files into dir (created if need be), then
 * removes all but the newest `keep` checkpoints (0: keep all).  -1 with a
 * message in err on failure; the checkpoints already there are untouched. */
int ckpt_save(const char *dir, uint64_t step, const struct ckpt_file *files, size_t n, unsigned keep,
              char *err, size_t errn);
/* The newest complete checkpoint in dir: its path (to free) and its step,
 * or NULL when there is none (or no dir). */
char *ckpt_latest(const char *dir, uint64_t *step);
/* A file of a checkpoint, read whole (to free); NULL with a message. */
void *ckpt_load(const char *ckpt_path, const char *name, size_t *len, char *err, size_t errn);

/* The files of a train-step checkpoint. */
#define CKPT_MANIFEST "manifest.json"
#define CKPT_MODEL "model.bin"
#define CKPT_OPTIM "optim.bin"
#define CKPT_STATE "state.json"

/* The model file of what -m names when it is a directory: a checkpoint's
 * model.bin, or the newest checkpoint's of a directory of checkpoints.
 * The path (to free), or NULL with a message. */
char *ckpt_model_path(const char *dir, char *err, size_t errn);

/* state.json: where a run stands after `step` optimizer steps. */
struct ckpt_state {
	uint64_t step, tokens;
	bool have_loss;
	double last_loss;
	/* fp16's loss scaler: written when fp16; read back as 0 (none) when
	 * the file has no usable loss_scale */
	bool fp16;
	float loss_scale;
	uint64_t skipped;
	/* the position of the training data (batchsrc.h's), and the name of
	 * its input for people (not read back: NULL) */
	struct {
		int input;
		const char *path;
		uint64_t batch, offset, epoch;
	} data;
};

/* The training parameters that manifest.json records. */
struct ckpt_training {
	double lr, lr_min;
	uint64_t warmup, steps;
	double beta1, beta2, eps, weight_decay, grad_clip;
	uint64_t total_batch, micro_steps, seed;
	int threads;
};

/* Everything a checkpoint holds. */
struct ckpt_contents {
	/* the model: its configuration (one of gpt2 and lstm, the other
	 * NULL) and its model file */
	const struct gpt2_config *gpt2;
	const struct lstm_config *lstm;
	const void *model;
	size_t model_len;
	/* AdamW's moments, n each */
	const float *m, *v;
	size_t n;
	struct ckpt_state state;
	/* for the manifest: the program's arguments, the training inputs and
	 * the first one's stream header (JSON text, its lineage kept; NULL for
	 * none), the training parameters and the last validation loss */
	int argc;
	char *const *argv;
	char *const *paths;
	int npaths;
	const char *header;
	struct ckpt_training training;
	bool have_val;
	double last_val;
};

/* Writes checkpoint c->state.step of c into dir with ckpt_save.  -1 with
 * a message on failure. */
int ckpt_write(const char *dir, unsigned keep, const struct ckpt_contents *c, char *err, size_t errn);

/* Reading a checkpoint back (ckpt_path as ckpt_latest gives it, `step`
 * its step): -1 with a message and, in *status, the exit status
 * sluice-rec(5) gives it: STATUS_FAIL when a file could not be read,
 * STATUS_MALFORMED when it holds something else. */
/* state.json, whose step must be `step`. */
int ckpt_read_state(const char *ckpt_path, uint64_t step, struct ckpt_state *st, int *status, char *err,
                    size_t errn);
/* optim.bin into m[n] and v[n], which must be of step `step` and n parameters. */
int ckpt_read_optim(const char *ckpt_path, uint64_t step, size_t n, float *m, float *v, int *status, char *err,
                    size_t errn);

#endif
