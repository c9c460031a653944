/* recstats.h - what record streams hold, as rec-cat --stats prints it:
 * counts of inputs, streams, records and bytes, records and payload bytes
 * a type, token ids (of token and batch records), frames of unknown types,
 * the first stream header, and the streams' trailers merged into one
 * account, so the outputs of N shards read together say what all N did:
 *
 *   numbers     summed
 *   objects     merged member by member, by these same rules
 *   arrays      concatenated in stream order
 *   other       kept when every trailer holding the member agrees, else a
 *               list of the distinct values in the order first met
 *
 * (a member only some trailers hold is merged from those), with how many
 * streams had a trailer, so a missing account shows. */
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
	json_t *trailer;   /* the merged account, or NULL */
	uint64_t trailers; /* streams that had one */
	json_t *conflicts; /* paths of members whose values disagreed */
};

/* Merges one stream's trailer (a JSON object's text) into st->trailer;
 * text that is not a JSON object counts as a trailer but adds nothing. */
void rec_stats_add_trailer(struct rec_stats *st, const char *trailer);
/* Counts one record (not a header or an end marker). */
void rec_stats_count(struct rec_stats *st, const struct rec_frame *f);
/* The statistics as indented JSON text, without a newline; free() it. */
char *rec_stats_dump(const struct rec_stats *st);
void rec_stats_free(struct rec_stats *st);

#endif
