/* tokenc.h - encoding whole documents with a loaded tokenizer: special
 * tokens under tiktoken's allowed/disallowed rules, pre-tokenization,
 * BPE, and decoding back to text.  One struct tok_encoder per thread. */
#ifndef SLUICE_TOKENC_H
#define SLUICE_TOKENC_H

#include <stdbool.h>
#include <stddef.h>

#include "tok/bpe.h"
#include "tok/tokload.h"

struct buf;

/* Which specials the text may contain (encoded as their ids) and which are
 * an error; a special in neither set is encoded as ordinary text.  Arrays
 * are indexed as bpe_special_at. */
struct tok_policy {
	bool *allowed;
	bool *disallowed;
};

/* Parses "all", "none" or a comma-separated list of special tokens into
 * set (bpe_special_count entries).  -1 with a message for an unknown one. */
int tok_parse_specials(const struct tokenizer *t, const char *arg, bool *set, char *err, size_t errn);

struct tok_encoder;
struct tok_encoder *tok_encoder_new(const struct tokenizer *t);
void tok_encoder_free(struct tok_encoder *e);

/* Appends the ids of text.  On a disallowed special or invalid UTF-8
 * returns -1 with the byte offset in *bad_at and why in err. */
int tok_encode(struct tok_encoder *e, const struct tok_policy *policy, const char *text, size_t len,
               struct ids *out, size_t *bad_at, char *err, size_t errn);

/* Appends the bytes of ids; -1 at the first id the vocabulary lacks (its
 * index in *bad_at). */
int tok_decode_bytes(const struct bpe *m, const uint32_t *ids, size_t n, struct buf *out, size_t *bad_at);

/* Appends the ids of a line of decimal ids (separated by blanks or
 * commas), as tok-bpe decode reads them; -1 for anything else, or an id
 * of BPE_NO_ID or more. */
int tok_parse_id_line(const char *s, size_t n, struct ids *out);

/* A model's tokenizer, as lm-run and lm-embed encode prompts and documents
 * with it: a special token's text is plain text (tiktoken's
 * encode_ordinary), and every id is below the model's vocabulary size. */
struct model_tokenizer {
	struct tokenizer tok;
	struct tok_encoder *enc;
	struct tok_policy ordinary;
};

/* Loads spec for a model of vocab ids, a name fetched as tok-bpe fetches
 * it unless offline (or HF_HUB_OFFLINE says so).  0; or, with a one-line
 * message in err, the exit status sluice-rec(5) gives it: STATUS_FAIL when
 * spec cannot be found, fetched or read, STATUS_USAGE when its ids do not
 * fit the model. */
int model_tokenizer_open(struct model_tokenizer *mt, const char *spec, uint32_t vocab, bool offline, char *err,
                         size_t errn);
void model_tokenizer_close(struct model_tokenizer *mt);

#endif
