/* trainloop.h - the pieces of train-step around the model: the
 * learning-rate schedule, the optimizer state file of a checkpoint and
 * the metrics log.  (Model files are lm.h's.) */
#ifndef SLUICE_TRAINLOOP_H
#define SLUICE_TRAINLOOP_H

#include <stddef.h>
#include <stdint.h>

struct train_sched {
	double lr, lr_min;
	uint64_t warmup, steps;
};

/* The learning rate of 0-based step s (llm.c's schedule): linear warmup
 * lr*(s+1)/warmup for s < warmup, then cosine from lr down to lr_min at
 * the last step. */
double train_lr(const struct train_sched *sc, uint64_t s);

/* The optimizer state: "SLUICEAW", u64 step, u64 n, then m[n] and v[n]
 * as float32, little-endian. */
void *train_optim_image(const float *m, const float *v, size_t n, uint64_t step, size_t *len);
int train_optim_parse(const void *buf, size_t len, size_t n, float *m, float *v, uint64_t *step,
                      char *err, size_t errn);

/* Before a resumed run appends to its --log: drops the lines a run killed
 * after its last checkpoint wrote (a "step" above `step`, or a line cut
 * short), so that the log holds each step once, as an uninterrupted run's
 * does.  The file is rewritten atomically, only when something goes; a
 * missing file is left missing.  0, or -1 with a message. */
int train_log_trim(const char *path, uint64_t step, char *err, size_t errn);

#endif
