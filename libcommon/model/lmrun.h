/* lmrun.h - what lm-run does with each document: generate samples after
 * it as a prompt, or score it, and write the result as a line of text, a
 * JSON line or a record.  The session holds the model, its tokenizer, the
 * options, the output and the running totals; lm-run fills it from its
 * command line, opens the model (lmopen.h), then sets it up, feeds it
 * prompts and inputs, and closes it.  Bad input ends the
 * program (die_at), naming the input and the offset, as sluice-rec(5)
 * says. */
#ifndef SLUICE_LMRUN_H
#define SLUICE_LMRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/io.h"
#include "model/lm.h"
#include "model/lmgen.h"
#include "model/sample.h"
#include "rec/rec.h"
#include "tok/bpe.h"
#include "tok/tokenc.h"

enum lmrun_format { LMRUN_DEFAULT, LMRUN_TEXT, LMRUN_JSONL, LMRUN_RECORDS };

/* One lm-run: the caller sets the fields above the blank line. */
struct lmrun {
	bool generate;
	struct lm *m;
	struct model_tokenizer mt;
	bool have_tok;
	uint32_t eot;
	struct lmgen_opts gen;
	struct sample_opts sopts;
	uint64_t seed;
	struct sampler *sampler;
	struct lm_decoder *dec;
	int samples;
	bool completion_only, per_token, eot_context;
	enum lmrun_format fmt;
	struct outbuf out;
	struct rec_writer *w; /* for LMRUN_RECORDS */

	/* What the documents leave: their count, score totals, scratch. */
	uint64_t docs;
	double total_nll;
	uint64_t total_tokens;
	struct ids ids, gen_ids;
	struct buf text, line, scratch;
	double *logp;
	size_t logp_cap;
};

/* Once the model and tokenizer are open (lmopen.h): the end-of-text id
 * (eot_opt when it is >= 0, else the tokenizer's; ignore_eot: generation
 * goes on past it), the tokenizer handed to generation, and for generate
 * the sampler and the decoder.  An id outside the model's vocabulary is a
 * usage error. */
void lmrun_setup(struct lmrun *r, int64_t eot_opt, bool ignore_eot);
/* Writes to fd (named name in errors); LMRUN_RECORDS starts with the
 * output header, which records argc and argv. */
void lmrun_open_output(struct lmrun *r, int fd, const char *name, int argc, char **argv);
/* Ends the records and flushes what is buffered; the caller commits or
 * closes fd. */
void lmrun_close_output(struct lmrun *r);

/* Generates from, or scores, the text prompt (named --prompt in errors). */
void lmrun_prompt(struct lmrun *r, const char *text);
/* Generates from, or scores, each record of path ("-": stdin). */
void lmrun_input(struct lmrun *r, const char *path);

/* score: the totals' line on stderr (documents, tokens, loss, perplexity),
 * when a token was scored. */
void lmrun_summary(const struct lmrun *r);
/* Frees what the session holds: the sampler and decoder, the tokenizer,
 * the scratch memory and the model (not gen.stops: the caller's). */
void lmrun_free(struct lmrun *r);

#endif
