/* tokload.h - tokenizer files into a ready tokenizer: tiktoken rank files,
 * GPT-2's encoder.json + vocab.bpe (or a model's vocab.json + merges.txt),
 * and HF tokenizer.json (BPE, byte level), found by path or by name.
 *
 * A name resolves as the peers resolve it (tokfetch.h has the caches):
 *   a tiktoken encoding (tokreg.h: gpt2, r50k_base, p50k_base, p50k_edit,
 *     cl100k_base, o200k_base, o200k_harmony): tiktoken's cache; for gpt2
 *     also the Hub cache's openai-community/gpt2; then the data directory
 *     ($SLUICE_DATA_DIR, else the install prefix's share/sluice/tokenizers:
 *     NAME.tiktoken, NAME.json, NAME/); else downloaded as tiktoken does;
 *   a Hub model id ORG/NAME[@REVISION]: the Hub cache, else the Hub;
 *   any other name: the Hub cache's models--NAME, then the data directory.
 * Offline nothing is downloaded, and a name found nowhere is an error that
 * lists where it was looked for and how to fetch it.
 */
#ifndef SLUICE_TOKLOAD_H
#define SLUICE_TOKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "tok/bpe.h"
#include "tok/tokfetch.h"

struct pretok;

struct tokenizer {
	struct bpe *bpe;
	struct pretok *pretok;
	char *name;    /* "cl100k_base", "gpt2", or the file's base name */
	char *path;    /* the file it came from */
	char *pattern; /* the pre-tokenizer regex */
	/* HF ByteLevel add_prefix_space: a space before each segment (text
	 * between added tokens) that lacks one, or, when ByteLevel comes after
	 * a Split, before each piece that lacks one. */
	bool add_prefix_space, prefix_each_piece;
	bool isolated; /* HF Split: text between matches is a piece too */
	uint32_t eot;  /* end-of-text id, or BPE_NO_ID */
};

/* Loads spec (a path or a name), fetching what o allows; pattern, when
 * not NULL, replaces the file's pre-tokenizer pattern.  On failure returns
 * -1 with a one-line message in err. */
int tokenizer_open(struct tokenizer *t, const char *spec, const char *pattern, const struct tokfetch_opts *o,
                   char *err, size_t errn);
/* The same, offline when HF_HUB_OFFLINE says so. */
int tokenizer_load(struct tokenizer *t, const char *spec, const char *pattern,
                   char *err, size_t errn);
void tokenizer_free(struct tokenizer *t);

/* "gpt2", "cl100k" and "o200k" as their patterns; anything else as is. */
const char *tokload_pattern_by_name(const char *name);

#endif
