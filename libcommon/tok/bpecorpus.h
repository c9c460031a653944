/* bpecorpus.h - the text tok-bpe train learns from: documents counted
 * into pre-token pieces (bpetrain.h) on several threads, and a fraction
 * of them held out of training to measure the trained tokenizer on. */
#ifndef SLUICE_BPECORPUS_H
#define SLUICE_BPECORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec/rec.h"
#include "tok/bpetrain.h"
#include "tok/pretok.h"

struct bpe_corpus;

/* Counts with pt and opts's specials (both must outlive the corpus) on
 * threads threads, holding out about the fraction holdout (0 to 1) of
 * the documents. */
struct bpe_corpus *bpe_corpus_new(const struct pretok *pt, const struct bpe_train_opts *opts, int threads,
                                  double holdout);
void bpe_corpus_free(struct bpe_corpus *c);
/* Adds text record f of input (read as lines when lines is set). */
void bpe_corpus_add(struct bpe_corpus *c, const struct rec_frame *f, const char *input, bool lines);
/* Waits for the counting; the counts of every document not held out,
 * owned by c.  Call once, after the last bpe_corpus_add. */
const struct piece_counts *bpe_corpus_finish(struct bpe_corpus *c);

/* Whether the fraction holds any document out at all (a tiny one may
 * not), and how many documents it has held out. */
bool bpe_corpus_holding_out(const struct bpe_corpus *c);
size_t bpe_corpus_held(const struct bpe_corpus *c);

/* How a trained tokenizer does on the documents held out (at least one). */
struct bpe_holdout {
	size_t docs;
	uint64_t bytes, words;
	uint64_t pieces, single, tokens; /* pieces encoded as a single token */
};
void bpe_corpus_holdout(const struct bpe_corpus *c, const struct bpe_trained *tr, struct bpe_holdout *h);

#endif
