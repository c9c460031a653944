/* tokstats.c - tokenization statistics and tokenizer info (tokstats.h). */
#include "tok/tokstats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/utf8.h"

void tok_stats_init(struct tok_stats *s, const struct tokenizer *tok)
{
	*s = (struct tok_stats){0};
	s->counts = xcalloc((size_t)bpe_vocab_size(tok->bpe) + 1, sizeof *s->counts);
}

void tok_stats_free(struct tok_stats *s)
{
	free(s->counts);
	s->counts = NULL;
}

void tok_stats_add(struct tok_stats *s, const struct tokenizer *tok, const char *text, size_t len,
                   const uint32_t *ids, size_t n)
{
	s->docs++;
	s->bytes += len;
	bool in_word = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c & 0xC0) != 0x80)
			s->chars++;
		bool space = c == ' ' || (c >= '\t' && c <= '\r');
		if (!space && !in_word)
			s->words++;
		in_word = !space;
	}
	s->tokens += n;
	for (size_t i = 0; i < n; i++)
		if (ids[i] < bpe_vocab_size(tok->bpe))
			s->counts[ids[i]]++;
}

struct seen {
	uint32_t id;
	size_t len;
	uint64_t count;
};

static int by_length(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void tok_stats_json(const struct tok_stats *s, const struct tokenizer *tok, struct buf *b)
{
	uint32_t v = bpe_vocab_size(tok->bpe);
	struct seen *seen = xmalloc(((size_t)v + 1) * sizeof *seen);
	size_t used = 0;
	for (uint32_t id = 0; id < v; id++) {
		size_t len;
		if (s->counts[id] && bpe_token_bytes(tok->bpe, id, &len))
			seen[used++] = (struct seen){id, len, s->counts[id]};
	}
	qsort(seen, used, sizeof *seen, by_length);
	buf_printf(b, "{\"tokenizer\":");
	jsonw_string(b, tok->name, strlen(tok->name));
	buf_printf(b, ",\"documents\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"chars\":%" PRIu64 ",\"words\":%" PRIu64
	              ",\"tokens\":%" PRIu64,
	           s->docs, s->bytes, s->chars, s->words, s->tokens);
	buf_adds(b, ",\"tokens_per_char\":");
	jsonw_double(b, s->chars ? (double)s->tokens / (double)s->chars : 0);
	buf_adds(b, ",\"tokens_per_word\":");
	jsonw_double(b, s->words ? (double)s->tokens / (double)s->words : 0);
	buf_adds(b, ",\"bytes_per_token\":");
	jsonw_double(b, s->tokens ? (double)s->bytes / (double)s->tokens : 0);
	buf_printf(b, ",\"vocab_size\":%u,\"vocab_used\":%zu,\"vocab_usage\":", v, used);
	jsonw_double(b, v ? (double)used / v : 0);
	buf_adds(b, ",\"longest_tokens\":[");
	struct buf text = {0};
	for (size_t i = 0; i < used && i < 10; i++) {
		size_t len;
		const uint8_t *tb = bpe_token_bytes(tok->bpe, seen[i].id, &len);
		buf_clear(&text);
		utf8_append_replacing(&text, tb, len);
		buf_printf(b, "%s{\"id\":%u,\"bytes\":%zu,\"count\":%" PRIu64 ",\"text\":", i ? "," : "", seen[i].id,
		           seen[i].len, seen[i].count);
		jsonw_string(b, text.data, text.len);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}\n");
	buf_free(&text);
	free(seen);
}

void tok_info_json(const struct tokenizer *tok, struct buf *b)
{
	char hash[32];
	snprintf(hash, sizeof hash, "xxh3:%016" PRIx64, bpe_hash(tok->bpe));
	buf_adds(b, "{\"name\":");
	jsonw_string(b, tok->name, strlen(tok->name));
	buf_adds(b, ",\"path\":");
	jsonw_string(b, tok->path, strlen(tok->path));
	buf_printf(b, ",\"vocab_size\":%u,\"tokens\":%zu,\"hash\":\"%s\",\"eot\":", bpe_vocab_size(tok->bpe),
	           bpe_token_count(tok->bpe), hash);
	if (tok->eot == BPE_NO_ID)
		buf_adds(b, "null");
	else
		buf_printf(b, "%u", tok->eot);
	buf_adds(b, ",\"pattern\":");
	jsonw_string(b, tok->pattern, strlen(tok->pattern));
	buf_adds(b, ",\"specials\":{");
	for (size_t i = 0; i < bpe_special_count(tok->bpe); i++) {
		size_t len;
		uint32_t id;
		const char *s = bpe_special_at(tok->bpe, i, &len, &id);
		if (i)
			buf_addc(b, ',');
		jsonw_string(b, s, len);
		buf_printf(b, ":%u", id);
	}
	buf_adds(b, "}}\n");
}
