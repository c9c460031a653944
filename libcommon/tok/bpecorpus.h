/* bpecorpus.h - the text tok-bpe train learns from: documents counted
 * into pre-token pieces (bpetrain.h) on several threads, and a fraction
 * of them held out of training to measure the trained tokenizer on. */
#ifndef SLUICE_BPECORPUS_H
#define SLUICE_BPECORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/shard.h"
#include "rec/rec.h"
#include "tok/bpetrain.h"
#include "tok/pretok.h"
#include "tok/tokrun.h"

struct bpe_corpus;

/* Counts with pt and opts's specials (both must outlive the corpus) on
 * threads threads, holding out about the fraction holdout (0 to 1) of
 * the documents. */
struct bpe_corpus *bpe_corpus_new(const struct pretok *pt, const struct bpe_train_opts *opts, int threads,
                                  double holdout);
void bpe_corpus_free(struct bpe_corpus *c);
/* Bounds the memory of the counts: once a thread's counts hold more than
 * its share of limit bytes (checked after each document), spill is called
 * with them, on that thread, never on two at once, and they are emptied.
 * The parts spilled sum to the whole counts of the text; finish spills
 * what is left, on the caller's thread, and returns NULL.  Before any
 * add. */
typedef void (*bpe_corpus_spill_fn)(void *arg, const struct piece_counts *counts);
void bpe_corpus_set_spill(struct bpe_corpus *c, size_t limit, bpe_corpus_spill_fn spill, void *arg);
/* Adds text record f of input (read as lines when lines is set). */
void bpe_corpus_add(struct bpe_corpus *c, const struct rec_frame *f, const char *input, bool lines);
/* Adds the text records (or plain lines) of the inputs ("-" when none)
 * that shard s takes (base/shard.h), with r's progress line; a record of
 * another type ends the program, naming tok-bpe's verb.  Returns the
 * documents taken. */
uint64_t bpe_corpus_read(struct bpe_corpus *c, struct tokrun *r, const char *verb, struct shard s, int nin,
                         char **inputs);
/* Waits for the counting; the counts of every document not held out,
 * owned by c (NULL with a spill: all went to it).  Call once, after the
 * last bpe_corpus_add. */
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
