/* tokreg.h - the encodings tiktoken knows by name (tiktoken_ext's
 * openai_public): the files each is built from, where tiktoken downloads
 * them and the sha256 it pins for each, its pre-tokenizer pattern and its
 * special tokens.  Facts only: finding and fetching the files is
 * tokfetch.h's, reading them tokload.h's. */
#ifndef SLUICE_TOKREG_H
#define SLUICE_TOKREG_H

#include <stddef.h>
#include <stdint.h>

/* Where tiktoken downloads its files from; a file's URL is this followed
 * by its path, and tiktoken's cache names the file by the SHA-1 of that
 * URL. */
#define TOKREG_BASE_URL "https://openaipublic.blob.core.windows.net"

struct tokreg_file {
	const char *path;   /* below TOKREG_BASE_URL, starting with '/' */
	const char *sha256; /* what tiktoken pins, lowercase hex */
};

struct tokreg_special {
	const char *text;
	uint32_t id;
};

struct tokreg_encoding {
	const char *name;
	const char *pattern;
	/* One rank file (.tiktoken), or GPT-2's encoder.json then vocab.bpe
	 * (tiktoken's "gpt2"). */
	struct tokreg_file files[2];
	size_t n_files;
	const struct tokreg_special *specials;
	size_t n_specials;
	/* "<|reserved_N|>" for N in [reserved_from, reserved_to), unless a
	 * special above already has the id (o200k_harmony: both
	 * <|endofprompt|> and <|reserved_200018|> are 200018 in tiktoken;
	 * the first keeps it). */
	uint32_t reserved_from, reserved_to;
};

/* The encoding of that name, or NULL. */
const struct tokreg_encoding *tokreg_find(const char *name);
/* All of them, in tiktoken's order: i < tokreg_count(). */
size_t tokreg_count(void);
const struct tokreg_encoding *tokreg_at(size_t i);

#endif
