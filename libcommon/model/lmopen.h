/* lmopen.h - what lm-run and lm-embed set up before their first document:
 * the model from its path (a model file, a checkpoint, or train-step's
 * checkpoint directory: its newest checkpoint) on its threads and its
 * device, the model's tokenizer, and the output (a file replaced
 * atomically, or stdout).  What cannot be set up ends the program (die),
 * with the status the programs' usage gives: a GPU that is not there or a
 * tokenizer the model does not fit is a usage error, a bad model file is
 * malformed input, a tokenizer not found is a failure. */
#ifndef SLUICE_LMOPEN_H
#define SLUICE_LMOPEN_H

#include <stdbool.h>

#include "base/io.h"
#include "model/lm.h"
#include "tok/tokenc.h"

/* What to open; the caller fills it from its command line. */
struct lm_open_opts {
	const char *model_path;
	int threads;
	/* cpu_only: a program without --device (lm-embed): the device is not
	 * looked for, so the CUDA plugin is never loaded.  Else device and
	 * prec are --device's and --precision's (LM_DEVICE_AUTO, LM_PREC_AUTO
	 * when not given); an LSTM stays on the CPU. */
	bool cpu_only;
	int device;
	enum lm_precision prec;
	/* non-NULL when only GPT-2 will do: what follows "PATH: an LSTM
	 * model: " in the usage error */
	const char *gpt2_only;
	const char *tokenizer; /* tok-bpe's spec, or NULL: ids in and out */
	bool offline;          /* download no tokenizer */
};

/* The model, set up as o says.  With o->tokenizer, the tokenizer opened
 * into *mt (its ids checked to fit the model's vocabulary) and *have_tok
 * set; model_tokenizer_close closes it. */
struct lm *lm_open(const struct lm_open_opts *o, struct model_tokenizer *mt, bool *have_tok);

/* The output's descriptor: the file path, opened in *f and guarded (the
 * caller commits it), or stdout when path is NULL.  tty_refusal non-NULL
 * (binary output) makes a terminal stdout a usage error with those words. */
int lm_open_output(struct atomic_file *f, const char *path, const char *tty_refusal);

#endif
