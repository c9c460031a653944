/* schedule.h - the learning-rate schedule of train-step. */
#ifndef SLUICE_SCHEDULE_H
#define SLUICE_SCHEDULE_H

#include <stdint.h>

struct train_sched {
	double lr, lr_min;
	uint64_t warmup, steps;
};

/* The learning rate of 0-based step s (llm.c's schedule): linear warmup
 * lr*(s+1)/warmup for s < warmup, then cosine from lr down to lr_min at
 * the last step. */
double train_lr(const struct train_sched *sc, uint64_t s);

#endif
