/* trainer.h - a training run of train-step: the model (new, from a model
 * file, or resumed from a checkpoint), the batches, the device and the
 * ranks of a multi-GPU run, then the loop: each step's micro-batches with
 * their gradients accumulated (and averaged across ranks), AdamW with the
 * schedule's learning rate and gradient clipping, the metrics log, a
 * progress line, evaluations, checkpoints, and at the end the export.
 * SIGINT and SIGTERM end the run after the current step, with a
 * checkpoint.  Errors die with train-step's exit statuses. */
#ifndef SLUICE_TRAINER_H
#define SLUICE_TRAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/cli.h"
#include "model/lm.h"
#include "train/schedule.h"

struct trainer_opts {
	/* The model: the newest checkpoint's (resume), a model file's
	 * (init_path), or else a new one of `want`, whose fields left 0 come
	 * from the data.  want_given: options named the model (--model,
	 * --layers, --ctx or --vocab), and a checkpoint's must be it;
	 * want_named: they named enough of it to build one. */
	struct lm_config want;
	bool want_given, want_named;
	const char *init_path;
	bool resume;
	uint64_t seed; /* of a new model's initialisation */

	/* The training data (cycled through), the validation data, and the
	 * shape of batches read from shards. */
	char **data_paths, **val_paths;
	int n_data, n_val;
	uint32_t B, T;
	unsigned raw_width;

	struct train_sched sched;
	double beta1, beta2, eps, weight_decay, grad_clip;
	uint64_t total_batch; /* tokens a step; 0: one batch */
	int threads;
	uint64_t eval_every, eval_batches; /* 0: at the end; all */

	const char *ckpt_dir; /* NULL: no checkpoints */
	uint64_t ckpt_every;  /* 0: at the end */
	unsigned keep;        /* 0: all */
	const char *log_path, *events_path, *export_path; /* NULL: none */
	bool export_bf16;

	int device; /* as asked: LM_DEVICE_AUTO, LM_DEVICE_CPU or a GPU */
	enum lm_precision prec;
	enum cli_progress progress;
	int argc; /* the program's arguments, for checkpoint manifests */
	char **argv;

	/* The program's stop flag and the handler that sets it to the signal's
	 * number (a handler reaches only a global, which is main's to own):
	 * installed for SIGINT and SIGTERM once the data is open. */
	volatile sig_atomic_t *stop_signal;
	void (*on_signal)(int sig);
};

struct trainer;

/* Settles the device (and the ranks from the environment), opens the data
 * and the events log, and takes SIGINT and SIGTERM.  Reads no data yet. */
struct trainer *trainer_new(const struct trainer_opts *o);
/* Sets the model up and trains it --steps steps (or until the data or a
 * signal ends the run), then evaluates, checkpoints and exports. */
void trainer_run(struct trainer *t);
/* The "failed" event of a run that exits before it finished (for atexit). */
void trainer_failed(struct trainer *t);
void trainer_free(struct trainer *t);

#endif
