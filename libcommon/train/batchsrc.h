/* batchsrc.h - where a trainer's batches come from: batch records (from
 * batchify) and llm.c token shards (or raw nanoGPT .bin files), read in
 * order from a list of inputs, with a position that a checkpoint saves
 * and a resumed run seeks back to.
 *
 * A batch is inputs [B, T] and targets [B, T] as u32.  From a batch record
 * [B, T+1] row r gives inputs row[0..T) and targets row[1..T]; a masked
 * position (batchify --pad) has the target BATCHSRC_IGNORE.  From a shard,
 * as llm.c's loader does it, a batch is the next B*T+1 tokens read flat,
 * and the next batch starts B*T tokens later; a batch never spans two
 * shards (the tail of a shard too short for one is skipped).
 *
 * An input is a shard when its name ends in .bin or it starts with an
 * llm.c shard magic; anything else is batch records ("-" is stdin).
 * Bad input dies with the record exit codes of rec.h (die_at). */
#ifndef SLUICE_BATCHSRC_H
#define SLUICE_BATCHSRC_H

#include <stdbool.h>
#include <stdint.h>

#define BATCHSRC_IGNORE UINT32_MAX

struct batchsrc_opts {
	uint32_t B, T;       /* the batch shape read from shards */
	unsigned raw_width;  /* bytes a token of a raw .bin file: 2 or 4 */
	bool cycle;          /* at the end, read the inputs again from the first
	                        (only when all are files and they held a batch) */
	const char *option;  /* how the inputs were given, for messages: "--data" */
};

/* Where the reading stands: after `batch` batches of input `input`, which
 * end at `offset` (bytes of records, or tokens of a shard), in pass `epoch`. */
struct batchsrc_pos {
	int input;
	uint64_t batch, offset, epoch;
};

struct batchsrc;

/* paths[n] are borrowed for the source's life. */
struct batchsrc *batchsrc_new(char **paths, int n, const struct batchsrc_opts *o);
void batchsrc_free(struct batchsrc *s);

/* The next batch: 1, or 0 when the inputs are done.  Every batch has the
 * first one's T and at most its B rows (batchify's last batch of a stream
 * may have fewer); another shape is an error. */
int batchsrc_next(struct batchsrc *s);
uint32_t batchsrc_B(const struct batchsrc *s); /* rows of the current batch */
uint32_t batchsrc_T(const struct batchsrc *s);
const uint32_t *batchsrc_inputs(const struct batchsrc *s);
const uint32_t *batchsrc_targets(const struct batchsrc *s);
/* Where the last batch came from: its input's name and byte offset. */
const char *batchsrc_name(const struct batchsrc *s);
uint64_t batchsrc_offset(const struct batchsrc *s);

/* The first record input's stream header (JSON text) and its vocab_size
 * (-1 without one); NULL and -1 before the first batch or for shards. */
const char *batchsrc_header(const struct batchsrc *s);
int64_t batchsrc_header_vocab(const struct batchsrc *s);
/* From now on (the current batch included) a token id at or above vocab is
 * an error, and so is a record header whose vocab_size exceeds it. */
void batchsrc_set_vocab(struct batchsrc *s, int vocab);

void batchsrc_pos(const struct batchsrc *s, struct batchsrc_pos *pos);
/* Back to a saved position (before any batchsrc_next); dies when the
 * inputs do not hold it, or hold something else there. */
void batchsrc_seek(struct batchsrc *s, const struct batchsrc_pos *pos);
/* Back to the first batch of the first input (files only). */
void batchsrc_rewind(struct batchsrc *s);

#endif
