/* plot.h - loss curves (metrics.h) as a PNG drawn by gnuplot: one script
 * with the points inline as datablocks, one colour a run, the validation
 * loss dashed beside the training loss, a smoothed curve over a faint raw
 * one.  The script is printed, or piped to gnuplot, whose PNG goes to a
 * temporary name beside the output and is renamed into place only when
 * gnuplot succeeded. */
#ifndef SLUICE_PLOT_H
#define SLUICE_PLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/io.h"
#include "train/metrics.h"

struct plot {
	const struct metrics_log *runs;
	size_t n_runs;
	const char *title;
	uint64_t smooth;         /* the runs have their smooth series */
	unsigned width, height;  /* of the image, in pixels */
	bool logy;
};

/* The script into b, writing its PNG to out (NULL: gnuplot's stdout). */
void plot_script(const struct plot *p, const char *out, struct buf *b);

/* The plot to output ("-": stdout), or its script when script_only.  af,
 * the caller's, holds an output file: it must live until the program ends
 * (atomic_guard).  Dies when gnuplot is missing or fails. */
void plot_write(const struct plot *p, const char *output, bool script_only, struct atomic_file *af);

#endif
