/* metrics.h - train-step's metrics logs (JSONL, one record a line) read
 * into loss curves: a record with "step" and "loss" is a training point,
 * one with "val_loss" a validation point.  A diverged loss (NaN or an
 * infinity, as printf or Python's json module write it) is counted and
 * left out with a warning; a half-written last line (a run still writing)
 * too.  Other bad input ends the program with STATUS_MALFORMED. */
#ifndef SLUICE_METRICS_H
#define SLUICE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/progress.h"

/* Points of one curve, in the order of the log. */
struct series {
	double *x, *y;
	size_t n, cap;
};

/* One log: one run on the plot. */
struct metrics_log {
	const char *path, *label;
	struct series train, val, smooth;
	uint64_t steps, evals, nonfinite;
};

/* Reads the log at r->path ("-": stdin) into r's train and val series;
 * progress counts its bytes.  Dies on a log without finite step records. */
void metrics_read(struct metrics_log *r, struct progress *progress);
/* r->smooth: the trailing mean of the last n training losses. */
void metrics_smooth(struct metrics_log *r, uint64_t n);
void metrics_free(struct metrics_log *r);

#endif
