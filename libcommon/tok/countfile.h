/* countfile.h - the word counts of tok-bpe count (tok-bpe(1)): the
 * pre-tokenized pieces of a corpus, each with how often it occurs, as a
 * sluice record stream (sluice-rec(5)) sorted by the pieces' bytes, so
 * that the counts of many shards sum in one streaming merge.
 *
 * The stream's kind is "sample": each record is one piece, a sample of
 * two parts, "count" (a u64, little-endian, so 8-aligned where it lies)
 * then "word" (its bytes).  Records are in strictly increasing order of
 * the word's bytes (memcmp, a shorter word before any word it begins),
 * so a word appears once.  The header holds, under "bpe_counts", what
 * decides which words a text makes, and what a later train must agree
 * with: {"version": 1, "pattern": the pre-tokenizer's regex, "specials":
 * the special tokens cut out of the text, "order": "bytes"}.  The
 * trailer says {"documents", "words", "pieces"}: the documents counted,
 * the records written and the sum of their counts.
 *
 * Internal to tok/: countrun.c writes the files, trainrun.c reads them. */
#ifndef SLUICE_COUNTFILE_H
#define SLUICE_COUNTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "rec/rec.h"

#define COUNTFILE_VERSION 1

/* ---- writing ---- */

struct countfile_writer {
	struct rec_writer *w;
	const char *name;
	struct buf payload, prev;
	uint64_t words, pieces, documents;
	int started;
};

/* Starts the stream on fd (named name) with the header: the fields
 * above and the lineage of argc/argv. */
void countfile_begin(struct countfile_writer *cw, int fd, const char *name, const char *pattern,
                     const char *const *specials, size_t n_specials, int argc, char **argv);
/* Writes one word with its count; words must come in increasing order. */
void countfile_put(struct countfile_writer *cw, const uint8_t *word, size_t len, uint64_t count);
/* Writes the trailer (with cw->documents set by the caller) and the end
 * frame, and flushes; the caller commits or closes fd. */
void countfile_end(struct countfile_writer *cw);

/* The order of the records: memcmp, then the shorter first. */
int countfile_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* ---- reading: several files merged ---- */

struct countfile_merge;

/* Opens the n count files (a path "-" is stdin) and checks their headers.
 * A failure (a file that cannot be opened, is not a count file, or was
 * counted with another pattern or specials than the first file) is kept:
 * countfile_merge_error says it, and every later call fails the same way.
 * The reader never ends the program: a fuzz target drives it. */
struct countfile_merge *countfile_merge_open(int n, char **paths);
/* NULL while all is well; else the failure's one line ("path:offset:
 * what wrong", without the program's name) with *status (when status is
 * not NULL) the exit status it calls for (sluice-status(7)). */
const char *countfile_merge_error(const struct countfile_merge *m, int *status);
/* The pattern and specials the files were counted with (NULL and none
 * when no file had a header). */
const char *countfile_merge_pattern(const struct countfile_merge *m);
const char *const *countfile_merge_specials(const struct countfile_merge *m, size_t *n);
/* The next word of the union of the files, in order, with its counts
 * summed: 1 with *word (valid until the next call), *len and *count set,
 * 0 at the end, -1 on a failure: a record that is not a count, a word not
 * above the one before it in its file, a sum past 2^64 - 1, or a broken
 * stream. */
int countfile_merge_next(struct countfile_merge *m, const uint8_t **word, size_t *len, uint64_t *count);
void countfile_merge_close(struct countfile_merge *m);

#endif
