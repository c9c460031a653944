/* recstats.h - what record streams hold, as rec-cat --stats prints it:
 * counts of inputs, streams, records and bytes, records and payload bytes
 * a type, token ids (of token and batch records), frames of unknown types,
 * the first stream header and the last trailer. */
#ifndef SLUICE_RECSTATS_H
#define SLUICE_RECSTATS_H

#include <jansson.h>
#include <stdint.h>

#include "rec/rec.h"

struct rec_type_stats {
	uint64_t records, bytes;
};

struct rec_stats {
	uint64_t inputs, streams, records, bytes, tokens, unknown;
	struct rec_type_stats by_type[256];
	json_t *first_header;
	json_t *last_trailer;
};

/* Counts one record (not a header or an end marker). */
void rec_stats_count(struct rec_stats *st, const struct rec_frame *f);
/* The statistics as indented JSON text, without a newline; free() it. */
char *rec_stats_dump(const struct rec_stats *st);
void rec_stats_free(struct rec_stats *st);

#endif
