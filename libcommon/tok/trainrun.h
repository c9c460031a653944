/* trainrun.h - what tok-bpe train does once the command line is read:
 * the text records (or plain lines) of its inputs split by the
 * pre-tokenizer and counted on several threads (bpecorpus.h), a share
 * held out when asked, the merges learnt (bpetrain.h), the tokenizer
 * written atomically as tokenizer.json or a tiktoken rank file, and how
 * it does on the held-out documents reported on stderr; or the same
 * training from the word counts of tok-bpe count (countrun.h). */
#ifndef SLUICE_TRAINRUN_H
#define SLUICE_TRAINRUN_H

#include <stdbool.h>

#include "base/io.h"
#include "tok/bpetrain.h"
#include "tok/tokrun.h"

/* Trains on the nin inputs ("-" when none) with r's threads and progress
 * line, and writes the tokenizer to r->output through out_file (which
 * must live until exit: it is guarded).  pattern is the pre-tokenizer's
 * regex; tiktoken picks the rank-file format; holdout is the share of
 * documents kept out.  Returns 0; what fails ends the program. */
int tokrun_train(struct tokrun *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                 double holdout, struct atomic_file *out_file, int nin, char **inputs);

/* Trains on the word counts of the nin count files (tok-bpe count's, see
 * countfile.h), summed as they are read in one merge of the sorted
 * files, and writes the tokenizer as tokrun_train does: the same merges
 * as training on all their text at once.  pattern (NULL: the files')
 * and opts's specials (none: the files') must be what the files were
 * counted with, or it is a usage error. */
int tokrun_train_counts(struct tokrun *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                        struct atomic_file *out_file, int nin, char **inputs);

#endif
