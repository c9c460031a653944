/* countrun.h - what tok-bpe count does once the command line is read: the
 * text records (or plain lines) of its share of the inputs (base/shard.h)
 * split by the pre-tokenizer and counted on several threads, exactly as
 * tok-bpe train counts them (bpecorpus.h), and written as a count file
 * (countfile.h) sorted by the words' bytes.
 *
 * Memory is bounded by --mem, not by the distinct words: once a thread's
 * counts pass its share of a quarter of it (checked after each
 * document), they are spilled into an external sort (base/extsort.h)
 * that holds another quarter and writes sorted runs to a temporary
 * directory (an eighth holds the bytes of words too long for the sort's
 * records, until they too go to a file there), and the merge of the runs
 * sums each word's counts.  The whole process stays near --mem (the
 * tables double as they grow; the text in flight is a few megabytes a
 * thread).  The file is the same whether anything spilled, and whatever
 * the threads. */
#ifndef SLUICE_COUNTRUN_H
#define SLUICE_COUNTRUN_H

#include <stddef.h>

#include "base/io.h"
#include "base/shard.h"
#include "tok/bpetrain.h"
#include "tok/tokrun.h"

struct count_opts {
	const char *pattern;                /* the pre-tokenizer's regex */
	const struct bpe_train_opts *train; /* its specials are cut out of the text */
	size_t mem;                         /* bytes */
	const char *tmpdir;                 /* NULL: $TMPDIR or /tmp */
	struct shard shard;
};

/* Counts the nin inputs ("-" when none) with r's threads and progress
 * line and writes the counts to r->output through out_file (which must
 * live until exit: it is guarded), or to r->out_fd when r->output is
 * NULL.  Returns 0; what fails ends the program. */
int tokrun_count(struct tokrun *r, const struct count_opts *o, struct atomic_file *out_file, int nin,
                 char **inputs);

#endif
