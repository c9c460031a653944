/* trainrun.h - what tok-bpe train does once the command line is read:
 * the text records (or plain lines) of its inputs split by the
 * pre-tokenizer and counted on several threads (bpecorpus.h), a share
 * held out when asked, the merges learnt (bpetrain.h), the tokenizer
 * written atomically as tokenizer.json or a tiktoken rank file, and how
 * it does on the held-out documents reported on stderr. */
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

#endif
