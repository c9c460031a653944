/* deduprun.h - rec-dedup's one-shot run: the four stages (sign, buckets,
 * clusters, remove) over all the inputs as one shard, through unlinked
 * temporary files, so that it gives what the stages give run one by one
 * over shards (the kept records and removed rows, byte for byte).
 *
 * The inputs are read twice, so one that cannot be read again (a pipe,
 * stdin) is first copied to a temporary file.
 *
 * Without --near, when a table of every record's key surely fits in --mem
 * (128 bytes a record, a record per 32 bytes of a record stream or per
 * line of text, beside the input's size for the kept records' keys), the
 * run takes one pass instead: a record is dropped as it comes when an
 * earlier one had its key, with the rows the stages would write. */
#ifndef SLUICE_DEDUPRUN_H
#define SLUICE_DEDUPRUN_H

#include <stddef.h>

#include "base/progress.h"
#include "dedup/clusters.h"
#include "dedup/remove.h"
#include "dedup/sign.h"
#include "rec/rec.h"

struct dedup_opts {
	struct sign_opts sign;
	double verify; /* the Jaccard threshold; 0: none */
	size_t mem;
	int argc; /* the command line, for the header's lineage */
	char **argv;
};

/* Dedups the inputs (paths, "-" for stdin) into out; the removed records
 * as JSON rows into removed when not NULL. */
void dedup_run(const struct dedup_opts *o, int nin, char **inputs, struct rec_writer *out,
               struct rec_writer *removed, struct progress *progress, struct remove_counts *counts);

/* The inputs (paths, "-" for stdin) as descriptors that can be read from
 * their start again; dies naming one that cannot be opened. */
int *dedup_open_inputs(int n, char **inputs, const char *tmpdir);
void dedup_close_inputs(int *fds, int n);

/* The evaluation texts' index for --decontaminate: a saved one (dies when
 * it was made with another n-gram or normalisation than s's), or built
 * from a record file's texts (s's --field, normalisation, threads). */
struct decontam *dedup_load_eval(const char *path, const struct sign_opts *s);

#endif
