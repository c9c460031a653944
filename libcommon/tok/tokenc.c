/* tokenc.c - documents to ids and back (see tokenc.h). */
#include "tok/tokenc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/utf8.h"
#include "hub/hfhub.h"
#include "rec/rec.h"
#include "tok/pretok.h"

struct tok_encoder {
	const struct tokenizer *t;
	struct bpe_worker *bpe;
	struct pretok_scratch *scratch;
	struct buf prefixed; /* a segment with the prefix space of add_prefix_space */
};

struct tok_encoder *tok_encoder_new(const struct tokenizer *t)
{
	struct tok_encoder *e = xcalloc(1, sizeof *e);
	e->t = t;
	e->bpe = bpe_worker_new(t->bpe);
	e->scratch = pretok_scratch_new(t->pretok);
	return e;
}

void tok_encoder_free(struct tok_encoder *e)
{
	if (!e)
		return;
	bpe_worker_free(e->bpe);
	pretok_scratch_free(e->scratch);
	buf_free(&e->prefixed);
	free(e);
}

int tok_parse_specials(const struct tokenizer *t, const char *arg, bool *set, char *err, size_t errn)
{
	size_t n = bpe_special_count(t->bpe);
	bool all = strcmp(arg, "all") == 0;
	for (size_t i = 0; i < n; i++)
		set[i] = all;
	if (all || strcmp(arg, "none") == 0)
		return 0;
	for (const char *p = arg; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint32_t id = bpe_special_lookup(t->bpe, p, len);
		if (id == BPE_NO_ID || len == 0)
			return errorf(err, errn, "%.*s is not a special token of %s", (int)len, p, t->name);
		for (size_t i = 0; i < n; i++) {
			size_t slen;
			uint32_t sid;
			bpe_special_at(t->bpe, i, &slen, &sid);
			if (sid == id)
				set[i] = true;
		}
		p += len + (comma != NULL);
	}
	return 0;
}

/* Text between specials: pre-tokenized, each piece merged on its own. */
/* Either prefix (segment or piece) is used alone, so one buffer serves. */
static void prepend_space(struct tok_encoder *e, const uint8_t **s, size_t *n)
{
	buf_clear(&e->prefixed);
	buf_addc(&e->prefixed, ' ');
	buf_add(&e->prefixed, *s, *n);
	*s = (const uint8_t *)e->prefixed.data;
	*n = e->prefixed.len;
}

static void encode_piece(struct tok_encoder *e, const uint8_t *s, size_t n, struct ids *out)
{
	if (e->t->prefix_each_piece && s[0] != ' ') {
		prepend_space(e, &s, &n);
	}
	bpe_encode_piece(e->bpe, s, n, out);
}

static void encode_segment(struct tok_encoder *e, const uint8_t *s, size_t n, struct ids *out)
{
	if (e->t->add_prefix_space && !e->t->prefix_each_piece && n && s[0] != ' ') {
		prepend_space(e, &s, &n);
	}
	/* Text no match covers (only with a custom pattern) is dropped, as
	 * tiktoken drops it. */
	size_t start, end;
	for (size_t pos = 0; pos < n && (end = pretok_next(e->t->pretok, e->scratch, s, n, pos, &start)); pos = end)
		encode_piece(e, s + start, end - start, out);
}

int tok_encode(struct tok_encoder *e, const struct tok_policy *policy, const char *text, size_t len,
               struct ids *out, size_t *bad_at, char *err, size_t errn)
{
	const struct bpe *m = e->t->bpe;
	size_t valid = utf8_valid_prefix((const unsigned char *)text, len);
	if (valid < len) {
		*bad_at = valid;
		return errorf(err, errn, "invalid UTF-8");
	}
	size_t seg = 0, search = 0, index;
	long at;
	while ((at = bpe_find_special(m, text, len, search, NULL, &index)) >= 0) {
		size_t slen;
		uint32_t id;
		const char *stext = bpe_special_at(m, index, &slen, &id);
		if (policy->allowed && policy->allowed[index]) {
			encode_segment(e, (const uint8_t *)text + seg, (size_t)at - seg, out);
			ids_push(out, id);
			seg = search = (size_t)at + slen;
		} else if (policy->disallowed && policy->disallowed[index]) {
			*bad_at = (size_t)at;
			return errorf(err, errn,
			              "the special token %.*s is in the text (--allowed-special to encode it as one, "
			              "--disallowed-special none to encode it as text)",
			              (int)slen, stext);
		} else {
			search = (size_t)at + 1; /* ordinary text here */
		}
	}
	encode_segment(e, (const uint8_t *)text + seg, len - seg, out);
	return 0;
}

int tok_decode_bytes(const struct bpe *m, const uint32_t *ids, size_t n, struct buf *out, size_t *bad_at)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *b = bpe_token_bytes(m, ids[i], &len);
		if (!b) {
			*bad_at = i;
			return -1;
		}
		buf_add(out, b, len);
	}
	return 0;
}

int model_tokenizer_open(struct model_tokenizer *mt, const char *spec, uint32_t vocab, bool offline, char *err,
                         size_t errn)
{
	memset(mt, 0, sizeof *mt);
	struct tokfetch_opts o = {.offline = offline || hfhub_env_offline()};
	if (tokenizer_open(&mt->tok, spec, NULL, &o, err, errn) < 0)
		return STATUS_FAIL;
	uint32_t nids = bpe_vocab_size(mt->tok.bpe);
	if (nids > vocab) {
		errorf(err, errn, "%s: the tokenizer's %u ids do not fit the model's vocabulary of %u: "
		       "not the model's tokenizer", spec, nids, vocab);
		tokenizer_free(&mt->tok);
		return STATUS_USAGE;
	}
	mt->enc = tok_encoder_new(&mt->tok);
	/* all false: no special is allowed, none is an error, all are text */
	size_t nspecial = bpe_special_count(mt->tok.bpe);
	mt->ordinary.allowed = xcalloc(nspecial + 1, sizeof *mt->ordinary.allowed);
	mt->ordinary.disallowed = xcalloc(nspecial + 1, sizeof *mt->ordinary.disallowed);
	return 0;
}

void model_tokenizer_close(struct model_tokenizer *mt)
{
	if (!mt->enc)
		return;
	tok_encoder_free(mt->enc);
	tokenizer_free(&mt->tok);
	free(mt->ordinary.allowed);
	free(mt->ordinary.disallowed);
	memset(mt, 0, sizeof *mt);
}

/* Decode input: token records, or lines of decimal ids. */
int tok_parse_id_line(const char *s, size_t n, struct ids *out)
{
	size_t i = 0;
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == '\r'))
			i++;
		if (i == n)
			return 0;
		if (!isdigit((unsigned char)s[i]))
			return -1;
		uint64_t v = 0;
		while (i < n && isdigit((unsigned char)s[i])) {
			v = v * 10 + (uint64_t)(s[i++] - '0');
			if (v >= BPE_NO_ID)
				return -1;
		}
		ids_push(out, (uint32_t)v);
	}
}
