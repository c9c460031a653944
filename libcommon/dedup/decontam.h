/* decontam.h - benchmark decontamination: an index of the word n-grams of
 * evaluation texts (a benchmark's questions and answers), and the test of
 * whether a document shares one of them.
 *
 * Texts, on both sides, are what normalize() wrote, split into words as
 * minhash.h says (runs of bytes other than ASCII white space).  An
 * evaluation text of at least `ngram` words contributes each of its
 * ngram-word spans; a shorter one (at least one word) contributes all of
 * its words as one span of its own length k, and a document matches it when
 * it has the same k consecutive words.  A span is keyed by XXH3-128 of its
 * words joined by single spaces, so separators never matter, and every
 * key remembers the first evaluation record (by its index in the
 * evaluation file) that has it.
 *
 * The index is built on several threads, and can be saved to a file and
 * loaded again; the file records the n-gram length and the normalisation,
 * and loading checks them against what the caller uses. */
#ifndef SLUICE_DECONTAM_H
#define SLUICE_DECONTAM_H

#include <stddef.h>
#include <stdint.h>

#include "dedup/normalize.h"

struct decontam;

/* One evaluation text, already normalised. */
struct decontam_text {
	const char *text;
	size_t len;
};

/* The index of n texts (record index i is texts[i]) on `threads` threads;
 * dies on no memory. */
struct decontam *decontam_build(const struct decontam_text *texts, size_t n, int ngram,
                                enum normalize_mode mode, int threads);
/* Saves it to path atomically; 0, or -1 with err set. */
int decontam_save(const struct decontam *d, const char *path, char *err, size_t errn);
/* Loads a saved index; NULL with err set when the file is not one, is
 * damaged, or was made with another ngram or mode than those given. */
struct decontam *decontam_load(const char *path, int ngram, enum normalize_mode mode, char *err,
                               size_t errn);
/* Whether a file starts like a saved index (so is not a record stream). */
int decontam_is_index(const char *path);
/* The evaluation record that the normalised document shares a span with,
 * or -1 when there is none: the document's first matching span decides
 * (by start, in text order; at one start the longest span first), and of
 * the records having that span the lowest index.  Safe to call from
 * several threads at once. */
int64_t decontam_match(const struct decontam *d, const char *text, size_t len);
/* How many evaluation texts and distinct spans it holds. */
uint64_t decontam_texts(const struct decontam *d);
uint64_t decontam_spans(const struct decontam *d);
void decontam_free(struct decontam *d);

#endif
