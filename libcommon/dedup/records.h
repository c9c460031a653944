/* records.h - the records rec-dedup's stages read: text or JSON-row
 * records, all of one kind, or plain text lines, from several inputs read
 * one after another as one stream, numbered from 0 in that order.  sign
 * and remove read the same inputs through this, so record i is the same
 * record in both. */
#ifndef SLUICE_DEDUP_RECORDS_H
#define SLUICE_DEDUP_RECORDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/progress.h"
#include "base/shard.h"
#include "rec/rec.h"
#include <xxhash.h>

struct dedup_input {
	int n;
	const int *fds;
	char **names;
	int at;                /* the input being read */
	struct rec_reader *reader;
	int kind;              /* REC_TEXT or REC_JSON once known, else 0 */
	char *header;          /* the first input's header JSON, or NULL */
	uint64_t read;         /* records handed out */
	uint64_t last_offset;  /* for progress */
	XXH3_state_t *digest;  /* of the records' hashes so far */
	uint64_t pending[64];  /* hashes not yet in digest */
	size_t npending;
	int caller_hashes;     /* see dedup_input_hash_elsewhere */
	struct shard records;  /* the part of the records handed out */
	uint64_t seen;         /* data records read, handed out or not */
	struct progress *progress;
};

/* Reads fds[0..n) (each dup'ed, so the caller keeps its descriptors). */
void dedup_input_init(struct dedup_input *in, int n, const int *fds, char **names, struct progress *progress);
/* Hands out only part `records` of the records (every Nth from the Ith,
 * base/shard.h), numbered from 0 among themselves: --shard where the
 * inputs are fewer than its parts.  sign and remove cut alike, so their
 * record i is the same. */
void dedup_input_cut(struct dedup_input *in, struct shard records);
/* The next data record into *f (valid until the next call), its input's
 * name into *name; 0 at the end.  A record of another kind, or of the
 * other kind than those before it, ends the program with die_at.  The
 * name is the caller's names[i], so it outlives the input. */
int dedup_input_next(struct dedup_input *in, struct rec_frame *f, const char **name);
void dedup_input_close(struct dedup_input *in);
/* The digest of the records handed out so far: XXH3-64 over their
 * hashes (dedup_record_hash), in order, as little-endian words.  The
 * signature file keeps it, the drop lists carry it, and remove checks it,
 * so a drop list is never applied to another shard than its own. */
uint64_t dedup_input_digest(struct dedup_input *in);
/* One record's hash: XXH3-64 of its payload, seeded with XXH3-64 of its
 * key seeded with its type. */
uint64_t dedup_record_hash(int type, const char *key, size_t key_len, const char *payload, size_t payload_len);
/* From now on dedup_input_next leaves the hashing to the caller, which
 * hands each record's hash to dedup_input_add_hash in order: sign hashes
 * on its worker threads, so the thread that reads does not. */
void dedup_input_hash_elsewhere(struct dedup_input *in);
void dedup_input_add_hash(struct dedup_input *in, uint64_t hash);

/* The text of a record: a text record's payload, or a JSON row's string
 * field `field` (null is empty).  Returns 0, or -1 with why set (not an
 * object, no such field, not a string).  A JSON row's parsed object goes
 * to *row (NULL for a text record): it holds the text, and the caller
 * decrefs it when done with both. */
int dedup_record_text(int type, const char *payload, size_t len, const char *field, const char **text,
                      size_t *text_len, json_t **row, char *why, size_t whyn);

#endif
