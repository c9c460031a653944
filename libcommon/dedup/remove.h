/* remove.h - rec-dedup's last stage: a shard's records without those its
 * drop list (clusters.h) names, unchanged and in order, and, when asked,
 * the dropped ones as JSON rows with the drop list's reasons added
 * ("duplicate_of", "duplicate_of_key", "jaccard", "contaminated_by"; a
 * text record becomes {"text": ...}).
 *
 * The output's header is the input's, with this program's lineage; its
 * trailer counts the records read, kept and dropped (duplicates and
 * contaminated).  A drop list made for another shard (another record
 * count, or other records: the digest of records.h) is an error, found at
 * the latest at the end of the input, before the trailer. */
#ifndef SLUICE_REMOVE_H
#define SLUICE_REMOVE_H

#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/progress.h"
#include "base/shard.h"
#include "rec/rec.h"

struct remove_opts {
	const char *field; /* JSON rows' text, for the removed rows' reasons */
	int argc;          /* the command line, for the header's lineage */
	char **argv;
	struct shard part;    /* the inputs' part this run reads, for the header */
	struct shard records; /* only this part of the records (dedup_input_cut) */
};

struct remove_counts {
	uint64_t read, kept, duplicates, contaminated;
};

/* Reads the inputs (open descriptors, read from their start, as one shard)
 * and the drop list at drop_fd; writes out (header, records, trailer, end)
 * and removed, when not NULL. */
void remove_run(const struct remove_opts *o, int n, const int *fds, char **names, int drop_fd, const char *drop_name,
                struct rec_writer *out, struct rec_writer *removed, struct progress *progress,
                struct remove_counts *counts);

/* The pieces, for the one-shot run's path that needs no drop list
 * (deduprun.h): the headers (the input's, kind, lineage), a removed row
 * (the record as a JSON row with the drop row's fields but "index";
 * name and at for a message on a row that is not an object), and the
 * trailer and end frames. */
void remove_write_header(const struct remove_opts *o, const char *input_header, int kind, struct rec_writer *out,
                         struct rec_writer *removed);
void remove_row(struct buf *b, int type, const char *payload, size_t len, json_t *drop, const char *name,
                uint64_t at);
void remove_write_trailer(struct rec_writer *out, struct rec_writer *removed, const struct remove_counts *counts);

#endif
