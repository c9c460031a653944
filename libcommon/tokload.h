/* tokload.h - tokenizer files into a ready tokenizer: tiktoken rank files,
 * GPT-2's encoder.json + vocab.bpe, and HF tokenizer.json (BPE, byte level),
 * found by path or by name through the caches that tiktoken and
 * huggingface_hub fill.
 *
 * A name resolves, in order, through
 *   $TIKTOKEN_CACHE_DIR (else $DATA_GYM_CACHE_DIR), under tiktoken's own
 *     file names (the SHA-1 of the file's download URL);
 *   the Hub cache ($HF_HUB_CACHE, else $HF_HOME/hub, else
 *     ~/.cache/huggingface/hub): models--ORG--NAME/snapshots/<refs/main>/;
 *   the data directory ($SLUICE_DATA_DIR, else the install prefix's
 *     share/sluice/tokenizers): NAME.tiktoken, NAME.json, NAME/.
 * Nothing is fetched: a name found nowhere is an error that lists where it
 * was looked for.
 */
#ifndef SLUICE_TOKLOAD_H
#define SLUICE_TOKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "bpe.h"

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

/* Loads spec (a path or a name); pattern, when not NULL, replaces the
 * file's pre-tokenizer pattern.  On failure returns -1 with a one-line
 * message in err. */
int tokenizer_load(struct tokenizer *t, const char *spec, const char *pattern,
                   char *err, size_t errlen);
void tokenizer_free(struct tokenizer *t);

/* The tiktoken pattern and specials of a known encoding name, for a rank
 * file of that base name: 0, or -1 if the name is not one of them. */
int tokload_known_encoding(const char *name, const char **pattern);

/* "gpt2", "cl100k" and "o200k" as their patterns; anything else as is. */
const char *tokload_pattern_by_name(const char *name);

#endif
