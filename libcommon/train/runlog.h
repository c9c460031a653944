/* runlog.h - the JSON-lines files of a training run: the metrics log
 * (--log: a line per step and per evaluation) and the events log
 * (--events: started, eval, checkpoint, finished, failed).  Only the lead
 * rank of a multi-GPU run opens them; a runlog with neither file open
 * writes nothing.  A write error dies (1), naming the file. */
#ifndef SLUICE_RUNLOG_H
#define SLUICE_RUNLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct runlog {
	FILE *log, *events;
	const char *log_path;
};

/* --events FILE, appended to. */
void runlog_open_events(struct runlog *l, const char *path);
/* --log FILE: written afresh, or, by a run resumed from the checkpoint of
 * `step`, trimmed back to that step (runlog_trim) and appended to. */
void runlog_open_metrics(struct runlog *l, const char *path, bool resumed, uint64_t step);
/* Flushes and closes both. */
void runlog_close(struct runlog *l);

/* Before a resumed run appends to its --log: drops the lines a run killed
 * after its last checkpoint wrote (a "step" above `step`, or a line cut
 * short), so that the log holds each step once, as an uninterrupted run's
 * does.  The file is rewritten atomically, only when something goes; a
 * missing file is left missing.  0, or -1 with a message. */
int runlog_trim(const char *path, uint64_t step, char *err, size_t errn);

/* An event after `step` steps, with the UTC time; extra is more members
 * ("\"dir\":\"step-00000010\"") or NULL. */
void runlog_event(struct runlog *l, const char *what, uint64_t step, const char *extra);

/* The metrics of one optimizer step. */
struct runlog_step {
	uint64_t step; /* steps done, this one included */
	double loss, lr, grad_norm; /* a grad_norm not finite is logged as null */
	double tokens_per_s, ms;
	const char *device, *precision; /* "cuda:0", "bf16" */
	bool fp16; /* then the loss scaler's skipped steps and scale too */
	uint64_t skipped;
	double loss_scale;
};
void runlog_step(struct runlog *l, const struct runlog_step *s);
/* A validation loss over `batches` batches, and its perplexity. */
void runlog_eval(struct runlog *l, uint64_t step, double val_loss, double ppl, uint64_t batches);

#endif
