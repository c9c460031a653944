/* tok-bpe - byte-level BPE: text records into token records and back. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/ordpool.h"
#include "base/progress.h"
#include "base/utf8.h"
#include "rec/header.h"
#include "rec/rec.h"
#include "tok/bpe.h"
#include "tok/bpetrain.h"
#include "tok/pretok.h"
#include "tok/tokenc.h"
#include "tok/tokfetch.h"
#include "tok/tokload.h"

static const char usage[] =
	"Usage: tok-bpe encode -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe decode -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe stats  -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe info   -t TOKENIZER\n"
	"       tok-bpe train  [OPTION]... -o OUT [FILE]...\n"
	"       tok-bpe fetch  [--offline] NAME...\n"
	"Byte-level BPE as tiktoken and HF tokenizers do it.  encode turns text\n"
	"records (or plain lines) into token records; decode turns token records\n"
	"(or lines of ids) into text records; stats reports how text tokenizes;\n"
	"info describes the tokenizer; train learns one from text; fetch fills the\n"
	"caches with named tokenizers ahead of a run without network and prints\n"
	"where each file went.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Tokenizer:\n"
	"  -t, --tokenizer SPEC         a tokenizer.json, encoder.json (with vocab.bpe\n"
	"                               beside it), a *.tiktoken rank file, a directory\n"
	"                               holding tokenizer.json or encoder.json, or a\n"
	"                               name: a tiktoken encoding (gpt2, r50k_base,\n"
	"                               p50k_base, p50k_edit, cl100k_base, o200k_base,\n"
	"                               o200k_harmony) or a Hub model ORG/NAME[@REV],\n"
	"                               from the tiktoken or Hub cache, the data\n"
	"                               directory, else downloaded into the cache\n"
	"      --offline                download nothing (also HF_HUB_OFFLINE=1)\n"
	"      --pattern gpt2|cl100k|o200k|REGEX\n"
	"                               pre-tokenizer pattern instead of the file's\n"
	"\n"
	"encode and stats:\n"
	"      --allowed-special all|none|LIST\n"
	"                               special tokens encoded as their ids (default none)\n"
	"      --disallowed-special all|none|LIST\n"
	"                               special tokens that are an error in the text\n"
	"                               (default all); others are encoded as text\n"
	"\n"
	"encode:\n"
	"      --eot                    append the end-of-text id to each document\n"
	"      --ids                    print each document's ids as a line of numbers\n"
	"                               instead of writing token records\n"
	"  -j, --threads N              threads (default: all cores)\n"
	"\n"
	"train:\n"
	"      --vocab-size N           vocabulary size, specials included (default 32000)\n"
	"      --min-frequency N        a pair must occur N times to merge (default 2)\n"
	"      --special TOKEN          a special token (repeatable; default <|endoftext|>)\n"
	"      --max-token-length N     no token longer than N bytes\n"
	"      --holdout FRAC           keep FRAC of the documents out of training and\n"
	"                               report coverage on them\n"
	"      --bytes-only             no merges: the 256 bytes and the specials\n"
	"      --format json|tiktoken   tokenizer.json or a tiktoken rank file (default:\n"
	"                               by OUT's extension, else json)\n"
	"  (--pattern sets the pre-tokenizer, default gpt2; -j the counting threads)\n"
	"\n"
	"decode:\n"
	"      --bytes                  keep the raw bytes; by default invalid UTF-8 is\n"
	"                               replaced with U+FFFD as Python's errors=\"replace\"\n"
	"      --text                   print plain text, one document a line, instead\n"
	"                               of text records\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE            write FILE atomically instead of stdout\n"
	"      --progress               show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                  no progress line\n"
	"  -h, --help                   show this help and exit\n"
	"      --version                show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or tokenizer not found, unreadable or not\n"
	"fetched, 2 usage,\n"
	"3-7 bad record input as in sluice-rec(5), 8 malformed input: a malformed\n"
	"stream, invalid UTF-8, a special token the text may not contain, an id outside\n"
	"the vocabulary, a record of the wrong type.  See tok-bpe(1).\n";

enum {
	OPT_PATTERN = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_ALLOWED,
	OPT_DISALLOWED,
	OPT_EOT,
	OPT_IDS,
	OPT_BYTES,
	OPT_TEXT,
	OPT_VOCAB_SIZE,
	OPT_MIN_FREQUENCY,
	OPT_SPECIAL,
	OPT_MAX_TOKEN_LENGTH,
	OPT_HOLDOUT,
	OPT_BYTES_ONLY,
	OPT_FORMAT,
	OPT_OFFLINE,
};

enum mode { MODE_ENCODE, MODE_DECODE, MODE_STATS, MODE_INFO, MODE_TRAIN, MODE_FETCH };

/* Records are batched into chunks of about this much text for the threads. */
#define CHUNK_BYTES (1u << 20)
#define CHUNK_RECORDS 4096

struct record {
	size_t text_off, text_len, key_off, key_len;
	const char *input;
	uint64_t text_at; /* offset of the text's first byte in input */
	uint64_t number;  /* 1 for the first record of the input */
};

struct chunk {
	struct buf text, keys;
	struct record *recs;
	size_t n, cap;
	struct ids out;
	size_t *ends; /* out.len after each record */
	/* The first record that could not be encoded, if any. */
	size_t bad, bad_at;
	char why[256];
};

struct worker_state {
	struct tok_encoder *enc;
	const struct tok_policy *policy;
	uint32_t eot; /* appended when not BPE_NO_ID */
};

static void encode_chunk(void *arg, void *state)
{
	struct chunk *c = arg;
	struct worker_state *ws = state;
	c->out.len = 0;
	c->bad = c->n;
	c->ends = xrealloc(c->ends, (c->n + 1) * sizeof *c->ends);
	for (size_t i = 0; i < c->n; i++) {
		const struct record *r = &c->recs[i];
		if (tok_encode(ws->enc, ws->policy, c->text.data + r->text_off, r->text_len, &c->out, &c->bad_at,
		               c->why, sizeof c->why) < 0) {
			c->bad = i;
			break;
		}
		if (ws->eot != BPE_NO_ID)
			ids_push(&c->out, ws->eot);
		c->ends[i] = c->out.len;
	}
}

/* Everything main owns. */
struct run {
	enum mode mode;
	struct tokenizer tok;
	struct tok_policy policy;
	bool eot, ids, raw_bytes, plain_text;
	int threads;
	int argc;
	char **argv;
	const char *output;
	int out_fd;
	struct rec_writer *w;
	struct outbuf plain;
	bool header_done;
	char *input_header;
	struct progress progress;
	int dtype;
	struct buf scratch;
	struct ids ids_scratch;
	/* The input being read, held here so that what it owns is still
	 * reachable when an error ends the program. */
	struct rec_reader *in;
	/* stats */
	uint64_t docs, bytes, chars, words, tokens;
	uint64_t *counts; /* per id */
};

static void write_header(struct run *r, const char *kind)
{
	if (r->header_done || r->ids || r->plain_text || r->mode == MODE_STATS)
		return;
	r->header_done = true;
	json_t *h = header_new(r->input_header, kind, r->argc, r->argv);
	if (r->mode == MODE_ENCODE) {
		char hash[32];
		snprintf(hash, sizeof hash, "xxh3:%016" PRIx64, bpe_hash(r->tok.bpe));
		json_object_set_new(h, "dtype", json_string(rec_dtype_name(r->dtype)));
		json_object_set_new(h, "tokenizer", json_string(r->tok.name));
		json_object_set_new(h, "tokenizer_hash", json_string(hash));
		json_object_set_new(h, "vocab_size", json_integer(bpe_vocab_size(r->tok.bpe)));
		json_object_set_new(h, "eot", r->tok.eot == BPE_NO_ID ? json_null() : json_integer(r->tok.eot));
	} else {
		/* Text again: what described the tokens would mislead; the
		 * lineage still says where it came from. */
		static const char *const token_fields[] = {"dtype", "tokenizer", "tokenizer_hash", "vocab_size", "eot"};
		for (size_t i = 0; i < sizeof token_fields / sizeof *token_fields; i++)
			json_object_del(h, token_fields[i]);
	}
	header_write(r->w, h);
	json_decref(h);
}

static void add_stats(struct run *r, const char *text, size_t len, const uint32_t *ids, size_t n)
{
	r->docs++;
	r->bytes += len;
	bool in_word = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c & 0xC0) != 0x80)
			r->chars++;
		bool space = c == ' ' || (c >= '\t' && c <= '\r');
		if (!space && !in_word)
			r->words++;
		in_word = !space;
	}
	r->tokens += n;
	for (size_t i = 0; i < n; i++)
		if (ids[i] < bpe_vocab_size(r->tok.bpe))
			r->counts[ids[i]]++;
}

/* stats of token records: counted as they are, decoded for the text. */
static void stats_tokens(struct run *r, const struct rec_frame *f, const char *input)
{
	size_t n = rec_tokens_count(f);
	rec_tokens_copy(f, ids_resize(&r->ids_scratch, n));
	buf_clear(&r->scratch);
	size_t bad;
	if (tok_decode_bytes(r->tok.bpe, r->ids_scratch.v, n, &r->scratch, &bad) < 0)
		die_at(STATUS_MALFORMED, input, f->offset, "token id %u (number %zu) is not in %s (vocab size %u)",
		       r->ids_scratch.v[bad], bad + 1, r->tok.name, bpe_vocab_size(r->tok.bpe));
	add_stats(r, r->scratch.data, r->scratch.len, r->ids_scratch.v, n);
}

static void print_ids(struct run *r, const uint32_t *ids, size_t n)
{
	char num[16];
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(num, sizeof num, i ? " %u" : "%u", ids[i]);
		outbuf_write(&r->plain, num, (size_t)k);
	}
	outbuf_putc(&r->plain, '\n');
}

/* Writes a finished chunk's records; dies at the first that failed. */
static void emit_chunk(struct run *r, struct chunk *c)
{
	size_t from = 0;
	for (size_t i = 0; i < c->bad; i++) {
		const struct record *rec = &c->recs[i];
		const uint32_t *ids = c->out.v + from;
		size_t n = c->ends[i] - from;
		from = c->ends[i];
		if (r->mode == MODE_STATS) {
			add_stats(r, c->text.data + rec->text_off, rec->text_len, ids, n - (r->eot ? 1 : 0));
		} else if (r->ids) {
			print_ids(r, ids, n);
		} else if (r->dtype == REC_DT_U16) {
			buf_clear(&r->scratch);
			buf_reserve(&r->scratch, n * 2);
			uint16_t *p = (uint16_t *)r->scratch.data;
			for (size_t k = 0; k < n; k++)
				p[k] = (uint16_t)ids[k];
			rec_write(r->w, REC_TOKENS, REC_DT_U16, rec->key_len ? c->keys.data + rec->key_off : NULL,
			          rec->key_len, p, n * 2);
		} else {
			rec_write(r->w, REC_TOKENS, REC_DT_U32, rec->key_len ? c->keys.data + rec->key_off : NULL,
			          rec->key_len, ids, n * 4);
		}
	}
	if (c->bad < c->n) {
		const struct record *rec = &c->recs[c->bad];
		if (r->w)
			rec_writer_flush(r->w);
		outbuf_flush(&r->plain);
		die_at(STATUS_MALFORMED, rec->input, rec->text_at + c->bad_at, "record %" PRIu64 ": %s", rec->number, c->why);
	}
	c->n = 0;
	buf_clear(&c->text);
	buf_clear(&c->keys);
}

static void chunk_add(struct chunk *c, const struct rec_frame *f, const char *input, bool lines, uint64_t number)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->recs = xrealloc(c->recs, c->cap * sizeof *c->recs);
	}
	struct record *rec = &c->recs[c->n++];
	rec->text_off = c->text.len;
	rec->text_len = f->payload_len;
	rec->key_off = c->keys.len;
	rec->key_len = f->key_len;
	rec->input = input;
	rec->text_at = lines ? f->offset : f->offset + REC_FRAME_HEAD + rec_pad8(f->key_len);
	rec->number = number;
	buf_add(&c->text, f->payload, f->payload_len);
	if (f->key_len)
		buf_add(&c->keys, f->key, f->key_len);
}

static bool chunk_full(const struct chunk *c)
{
	return c->text.len >= CHUNK_BYTES || c->n >= CHUNK_RECORDS;
}

static void chunk_free(struct chunk *c)
{
	buf_free(&c->text);
	buf_free(&c->keys);
	free(c->recs);
	ids_free(&c->out);
	free(c->ends);
	free(c);
}

static struct rec_reader *open_input(const char *path, int flags)
{
	struct rec_reader *in = rec_reader_open(path, flags);
	if (!in)
		die(STATUS_FAIL, "%s:", path);
	return in;
}

static void note_header(struct run *r, struct rec_reader *in)
{
	const char *h = rec_reader_header(in);
	if (h && !r->input_header)
		r->input_header = xstrdup(h);
}

static void run_encode(struct run *r, int nin, char **inputs)
{
	void **states = xcalloc((size_t)r->threads, sizeof *states);
	struct worker_state *ws = xcalloc((size_t)r->threads, sizeof *ws);
	for (int i = 0; i < r->threads; i++) {
		ws[i] = (struct worker_state){tok_encoder_new(&r->tok), &r->policy, r->eot ? r->tok.eot : BPE_NO_ID};
		states[i] = &ws[i];
	}
	struct ordpool *pool = ordpool_new(r->threads, (size_t)r->threads * 2, encode_chunk, states);
	struct chunk *c = xcalloc(1, sizeof *c);
	inputs = cli_inputs(inputs, &nin);
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = open_input(inputs[i], REC_READ_LINES);
		const char *name = rec_reader_name(in);
		struct rec_frame f;
		uint64_t last = 0, number = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER) {
				note_header(r, in);
				continue;
			}
			if (f.type == REC_END)
				continue;
			if (f.type == REC_TOKENS && r->mode == MODE_STATS) {
				stats_tokens(r, &f, name);
				continue;
			}
			if (f.type != REC_TEXT)
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: tok-bpe %s reads text records",
				       rec_type_name(f.type), r->mode == MODE_STATS ? "stats" : "encode");
			write_header(r, "tokens");
			chunk_add(c, &f, inputs[i], rec_reader_is_lines(in), ++number);
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
			if (chunk_full(c)) {
				struct chunk *done = ordpool_submit(pool, c);
				if (done)
					emit_chunk(r, done);
				c = done ? done : xcalloc(1, sizeof *c);
			}
		}
		rec_reader_close(in);
	}
	write_header(r, "tokens");
	if (c->n) {
		struct chunk *done = ordpool_submit(pool, c);
		if (done)
			emit_chunk(r, done);
		c = done ? done : NULL;
	}
	if (c)
		chunk_free(c);
	while ((c = ordpool_drain(pool))) {
		emit_chunk(r, c);
		chunk_free(c);
	}
	ordpool_free(pool);
	for (int i = 0; i < r->threads; i++)
		tok_encoder_free(ws[i].enc);
	free(ws);
	free(states);
}

/* Decode input: token records, or lines of decimal ids. */
static int parse_id_line(const char *s, size_t n, struct ids *out)
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

static void run_decode(struct run *r, int nin, char **inputs)
{
	inputs = cli_inputs(inputs, &nin);
	struct ids ids = {0};
	struct buf raw = {0};
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = open_input(inputs[i], REC_READ_LINES);
		const char *name = rec_reader_name(in);
		struct rec_frame f;
		uint64_t last = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER) {
				note_header(r, in);
				continue;
			}
			if (f.type == REC_END)
				continue;
			ids.len = 0;
			if (f.type == REC_TOKENS) {
				rec_tokens_copy(&f, ids_resize(&ids, rec_tokens_count(&f)));
			} else if (f.type == REC_TEXT && rec_reader_is_lines(in)) {
				if (parse_id_line((const char *)f.payload, f.payload_len, &ids) < 0)
					die_at(STATUS_MALFORMED, name, f.offset, "not a line of token ids");
			} else {
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: tok-bpe decode reads token records",
				       rec_type_name(f.type));
			}
			write_header(r, "text");
			buf_clear(&raw);
			size_t bad;
			if (tok_decode_bytes(r->tok.bpe, ids.v, ids.len, &raw, &bad) < 0)
				die_at(STATUS_MALFORMED, name, f.offset, "token id %u (number %zu) is not in %s (vocab size %u)",
				       ids.v[bad], bad + 1, r->tok.name, bpe_vocab_size(r->tok.bpe));
			const char *text = raw.data;
			size_t len = raw.len;
			if (!r->raw_bytes) {
				buf_clear(&r->scratch);
				utf8_append_replacing(&r->scratch, (const unsigned char *)raw.data, raw.len);
				text = r->scratch.data, len = r->scratch.len;
			}
			if (r->mode == MODE_STATS) {
				add_stats(r, text, len, ids.v, ids.len);
			} else if (r->plain_text) {
				outbuf_write(&r->plain, text, len);
				outbuf_putc(&r->plain, '\n');
			} else {
				rec_write(r->w, REC_TEXT, REC_DT_NONE, f.key, f.key_len, text, len);
			}
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
		}
		rec_reader_close(in);
	}
	write_header(r, "text");
	ids_free(&ids);
	buf_free(&raw);
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

static void print_stats(struct run *r)
{
	uint32_t v = bpe_vocab_size(r->tok.bpe);
	struct seen *seen = xmalloc(((size_t)v + 1) * sizeof *seen);
	size_t used = 0;
	for (uint32_t id = 0; id < v; id++) {
		size_t len;
		if (r->counts[id] && bpe_token_bytes(r->tok.bpe, id, &len))
			seen[used++] = (struct seen){id, len, r->counts[id]};
	}
	qsort(seen, used, sizeof *seen, by_length);
	struct buf b = {0};
	buf_printf(&b, "{\"tokenizer\":");
	jsonw_string(&b, r->tok.name, strlen(r->tok.name));
	buf_printf(&b, ",\"documents\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"chars\":%" PRIu64 ",\"words\":%" PRIu64
	               ",\"tokens\":%" PRIu64,
	           r->docs, r->bytes, r->chars, r->words, r->tokens);
	buf_adds(&b, ",\"tokens_per_char\":");
	jsonw_double(&b, r->chars ? (double)r->tokens / (double)r->chars : 0);
	buf_adds(&b, ",\"tokens_per_word\":");
	jsonw_double(&b, r->words ? (double)r->tokens / (double)r->words : 0);
	buf_adds(&b, ",\"bytes_per_token\":");
	jsonw_double(&b, r->tokens ? (double)r->bytes / (double)r->tokens : 0);
	buf_printf(&b, ",\"vocab_size\":%u,\"vocab_used\":%zu,\"vocab_usage\":", v, used);
	jsonw_double(&b, v ? (double)used / v : 0);
	buf_adds(&b, ",\"longest_tokens\":[");
	struct buf text = {0};
	for (size_t i = 0; i < used && i < 10; i++) {
		size_t len;
		const uint8_t *tb = bpe_token_bytes(r->tok.bpe, seen[i].id, &len);
		buf_clear(&text);
		utf8_append_replacing(&text, tb, len);
		buf_printf(&b, "%s{\"id\":%u,\"bytes\":%zu,\"count\":%" PRIu64 ",\"text\":", i ? "," : "", seen[i].id,
		           seen[i].len, seen[i].count);
		jsonw_string(&b, text.data, text.len);
		buf_addc(&b, '}');
	}
	buf_adds(&b, "]}\n");
	outbuf_write(&r->plain, b.data, b.len);
	buf_free(&b);
	buf_free(&text);
	free(seen);
}

static void print_info(struct run *r)
{
	struct buf b = {0};
	char hash[32];
	snprintf(hash, sizeof hash, "xxh3:%016" PRIx64, bpe_hash(r->tok.bpe));
	buf_adds(&b, "{\"name\":");
	jsonw_string(&b, r->tok.name, strlen(r->tok.name));
	buf_adds(&b, ",\"path\":");
	jsonw_string(&b, r->tok.path, strlen(r->tok.path));
	buf_printf(&b, ",\"vocab_size\":%u,\"tokens\":%zu,\"hash\":\"%s\",\"eot\":", bpe_vocab_size(r->tok.bpe),
	           bpe_token_count(r->tok.bpe), hash);
	if (r->tok.eot == BPE_NO_ID)
		buf_adds(&b, "null");
	else
		buf_printf(&b, "%u", r->tok.eot);
	buf_adds(&b, ",\"pattern\":");
	jsonw_string(&b, r->tok.pattern, strlen(r->tok.pattern));
	buf_adds(&b, ",\"specials\":{");
	for (size_t i = 0; i < bpe_special_count(r->tok.bpe); i++) {
		size_t len;
		uint32_t id;
		const char *s = bpe_special_at(r->tok.bpe, i, &len, &id);
		if (i)
			buf_addc(&b, ',');
		jsonw_string(&b, s, len);
		buf_printf(&b, ":%u", id);
	}
	buf_adds(&b, "}}\n");
	outbuf_write(&r->plain, b.data, b.len);
	buf_free(&b);
}

/* ---- train ---- */

struct count_state {
	struct piece_counts *counts;
	const struct pretok *pt;
	struct pretok_scratch *sc;
	const struct bpe_train_opts *opts;
};

static void count_chunk(void *arg, void *state)
{
	struct chunk *c = arg;
	struct count_state *cs = state;
	for (size_t i = 0; i < c->n; i++)
		piece_counts_text(cs->counts, cs->pt, cs->sc, cs->opts->specials, cs->opts->n_specials,
		                  c->text.data + c->recs[i].text_off, c->recs[i].text_len);
	c->n = 0;
	buf_clear(&c->text);
	buf_clear(&c->keys);
}

struct coverage {
	struct bpe_worker *w;
	struct ids ids;
	uint64_t pieces, single, tokens;
};

static void cover_piece(void *arg, const uint8_t *piece, size_t n, uint64_t count)
{
	struct coverage *cv = arg;
	cv->ids.len = 0;
	bpe_encode_piece(cv->w, piece, n, &cv->ids);
	cv->pieces += count;
	cv->tokens += count * cv->ids.len;
	if (cv->ids.len == 1)
		cv->single += count;
}

/* How the trained tokenizer does on the documents held out of training. */
static void report_holdout(const struct bpe_trained *tr, const struct bpe_train_opts *opts, const struct pretok *pt,
                           const struct buf *held, const size_t *lens, size_t n)
{
	struct piece_counts *pc = piece_counts_new();
	struct pretok_scratch *sc = pretok_scratch_new(pt);
	uint64_t bytes = 0, words = 0;
	const char *p = held->data;
	for (size_t i = 0; i < n; p += lens[i++]) {
		piece_counts_text(pc, pt, sc, opts->specials, opts->n_specials, p, lens[i]);
		bytes += lens[i];
		bool in_word = false;
		for (size_t k = 0; k < lens[i]; k++) {
			bool space = p[k] == ' ' || (p[k] >= '\t' && p[k] <= '\r');
			words += !space && !in_word;
			in_word = !space;
		}
	}
	struct bpe *m = bpe_trained_model(tr);
	struct coverage cv = {.w = bpe_worker_new(m)};
	piece_counts_each(pc, cover_piece, &cv);
	fprintf(stderr,
	        "%s: holdout: %zu documents, %" PRIu64 " bytes: %.3f bytes/token, %.3f tokens/word, "
	        "%.1f%% of pieces a single token\n",
	        prog_name(), n, bytes, cv.tokens ? (double)bytes / (double)cv.tokens : 0.0,
	        words ? (double)cv.tokens / (double)words : 0.0,
	        cv.pieces ? 100.0 * (double)cv.single / (double)cv.pieces : 0.0);
	ids_free(&cv.ids);
	bpe_worker_free(cv.w);
	bpe_free(m);
	pretok_scratch_free(sc);
	piece_counts_free(pc);
}

static int train_main(struct run *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                      double holdout, int nin, char **inputs)
{
	char err[256];
	struct pretok *pt = pretok_new(pattern, 0, err, sizeof err);
	if (!pt)
		die(STATUS_FAIL, "--pattern: %s", err);
	static struct atomic_file out_file = {.fd = -1}; /* lives until exit: atomic_guard */
	if (atomic_open(&out_file, r->output) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	atomic_guard(&out_file);

	struct count_state *cs = xcalloc((size_t)r->threads, sizeof *cs);
	void **states = xcalloc((size_t)r->threads, sizeof *states);
	for (int i = 0; i < r->threads; i++) {
		cs[i] = (struct count_state){piece_counts_new(), pt, pretok_scratch_new(pt), opts};
		states[i] = &cs[i];
	}
	struct ordpool *pool = ordpool_new(r->threads, (size_t)r->threads * 2, count_chunk, states);
	struct chunk *c = xcalloc(1, sizeof *c);
	struct buf held = {0};
	size_t *held_lens = NULL, n_held = 0;
	/* A document is held out when the hash of its text falls under the
	 * fraction: the same documents whatever their order. */
	uint64_t cut = (uint64_t)(holdout * 18446744073709551616.0);
	inputs = cli_inputs(inputs, &nin);
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = open_input(inputs[i], REC_READ_LINES);
		struct rec_frame f;
		uint64_t last = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER || f.type == REC_END)
				continue;
			if (f.type != REC_TEXT)
				die_at(STATUS_MALFORMED, rec_reader_name(in), f.offset,
				       "a %s record: tok-bpe train reads text records", rec_type_name(f.type));
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
			if (cut && XXH3_64bits(f.payload, f.payload_len) < cut) {
				buf_add(&held, f.payload, f.payload_len);
				held_lens = xrealloc(held_lens, (n_held + 1) * sizeof *held_lens);
				held_lens[n_held++] = f.payload_len;
				continue;
			}
			chunk_add(c, &f, inputs[i], rec_reader_is_lines(in), 0);
			if (chunk_full(c)) {
				struct chunk *done = ordpool_submit(pool, c);
				c = done ? done : xcalloc(1, sizeof *c);
			}
		}
		rec_reader_close(in);
	}
	if (c->n) {
		struct chunk *done = ordpool_submit(pool, c);
		c = done;
	}
	if (c)
		chunk_free(c);
	while ((c = ordpool_drain(pool)))
		chunk_free(c);
	ordpool_free(pool);
	for (int i = 1; i < r->threads; i++) {
		piece_counts_merge(cs[0].counts, cs[i].counts);
		piece_counts_free(cs[i].counts);
	}
	progress_end(&r->progress);

	struct bpe_trained tr;
	bpe_train(cs[0].counts, opts, &tr, NULL, NULL);
	struct buf out = {0};
	if (tiktoken)
		bpe_trained_tiktoken(&tr, &out);
	else
		bpe_trained_json(&tr, pattern, &out);
	write_all(out_file.fd, out.data, out.len, r->output);
	if (atomic_commit(&out_file) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	if (n_held)
		report_holdout(&tr, opts, pt, &held, held_lens, n_held);
	else if (cut)
		warn("holdout: no document was held out");

	buf_free(&out);
	bpe_trained_free(&tr);
	piece_counts_free(cs[0].counts);
	for (int i = 0; i < r->threads; i++)
		pretok_scratch_free(cs[i].sc);
	free(cs);
	free(states);
	buf_free(&held);
	free(held_lens);
	pretok_free(pt);
	return 0;
}

/* tok-bpe fetch: each name's files into the caches, their paths on
 * stdout, one a line; a name that fails does not stop the others. */
static int fetch_names(const struct tokfetch_opts *o, int n, char **names)
{
	int status = 0;
	struct outbuf out;
	outbuf_init(&out, 1, "<stdout>", 4096);
	for (int i = 0; i < n; i++) {
		char *paths[2], err[1024];
		if (tokfetch_name(names[i], o, paths, err, sizeof err) != 0) {
			warn("%s", err);
			status = STATUS_FAIL;
			continue;
		}
		for (int k = 0; k < 2; k++) {
			if (!paths[k])
				continue;
			outbuf_write(&out, paths[k], strlen(paths[k]));
			outbuf_putc(&out, '\n');
			free(paths[k]);
		}
	}
	outbuf_free(&out);
	return status;
}

static enum mode parse_mode(const char *s)
{
	if (strcmp(s, "encode") == 0)
		return MODE_ENCODE;
	if (strcmp(s, "decode") == 0)
		return MODE_DECODE;
	if (strcmp(s, "stats") == 0)
		return MODE_STATS;
	if (strcmp(s, "info") == 0)
		return MODE_INFO;
	if (strcmp(s, "train") == 0)
		return MODE_TRAIN;
	if (strcmp(s, "fetch") == 0)
		return MODE_FETCH;
	cli_usage_error("unknown command '%s' (encode, decode, stats, info, train or fetch)", s);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"tokenizer", required_argument, 0, 't'},
		{"pattern", required_argument, 0, OPT_PATTERN},
		{"allowed-special", required_argument, 0, OPT_ALLOWED},
		{"disallowed-special", required_argument, 0, OPT_DISALLOWED},
		{"eot", no_argument, 0, OPT_EOT},
		{"ids", no_argument, 0, OPT_IDS},
		{"threads", required_argument, 0, 'j'},
		{"bytes", no_argument, 0, OPT_BYTES},
		{"text", no_argument, 0, OPT_TEXT},
		{"vocab-size", required_argument, 0, OPT_VOCAB_SIZE},
		{"min-frequency", required_argument, 0, OPT_MIN_FREQUENCY},
		{"special", required_argument, 0, OPT_SPECIAL},
		{"max-token-length", required_argument, 0, OPT_MAX_TOKEN_LENGTH},
		{"holdout", required_argument, 0, OPT_HOLDOUT},
		{"bytes-only", no_argument, 0, OPT_BYTES_ONLY},
		{"format", required_argument, 0, OPT_FORMAT},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init(argc, argv);
	struct run r = {.argc = argc, .argv = argv, .out_fd = 1};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char *spec = NULL, *pattern = NULL, *allowed = "none", *disallowed = "all";
	bool specials_given = false;
	struct bpe_train_opts train = {.vocab_size = 32000, .min_frequency = 2};
	char **specials = NULL;
	size_t n_specials = 0;
	int train_opts = 0;
	double holdout = 0;
	const char *format = NULL;
	int threads = cli_cpu_count();
	struct tokfetch_opts fetch = {.offline = tokfetch_env_offline()};
	int opt;
	/* The command comes first, before any option; options are parsed
	 * from a copy without it, and the lineage keeps the whole line. */
	bool have_mode = argc > 1 && argv[1][0] != '-';
	char **opts = argv;
	if (have_mode) {
		r.mode = parse_mode(argv[1]);
		opts = xmalloc((size_t)argc * sizeof *opts);
		opts[0] = argv[0];
		memcpy(opts + 1, argv + 2, (size_t)(argc - 2) * sizeof *opts);
		opts[argc - 1] = NULL;
		argc--;
	}
	argv = opts;
	while ((opt = getopt_long(argc, argv, "t:j:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 't': spec = optarg; break;
		case OPT_PATTERN: pattern = optarg; break;
		case OPT_ALLOWED: allowed = optarg; specials_given = true; break;
		case OPT_DISALLOWED: disallowed = optarg; specials_given = true; break;
		case OPT_EOT: r.eot = true; break;
		case OPT_IDS: r.ids = true; break;
		case 'j': threads = cli_parse_threads(optarg); break;
		case OPT_BYTES: r.raw_bytes = true; break;
		case OPT_TEXT: r.plain_text = true; break;
		case 'o': r.output = optarg; break;
		case OPT_VOCAB_SIZE: train.vocab_size = (uint32_t)cli_parse_u64(optarg, "--vocab-size", 1); train_opts++; break;
		case OPT_MIN_FREQUENCY: train.min_frequency = cli_parse_u64(optarg, "--min-frequency", 1); train_opts++; break;
		case OPT_SPECIAL:
			specials = xrealloc(specials, (n_specials + 1) * sizeof *specials);
			specials[n_specials++] = optarg;
			train_opts++;
			break;
		case OPT_MAX_TOKEN_LENGTH: train.max_token_length = cli_parse_u64(optarg, "--max-token-length", 0); train_opts++; break;
		case OPT_HOLDOUT: holdout = cli_parse_fraction(optarg, "--holdout"); train_opts++; break;
		case OPT_BYTES_ONLY: train.bytes_only = true; train_opts++; break;
		case OPT_FORMAT: format = optarg; train_opts++; break;
		case OPT_OFFLINE: fetch.offline = true; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (!have_mode)
		cli_usage_error("no command (encode, decode, stats, info, train or fetch)");
	r.threads = threads;
	if (r.mode != MODE_TRAIN && train_opts)
		cli_usage_error("--vocab-size, --min-frequency, --special, --max-token-length, --holdout, "
		                "--bytes-only and --format are for train");
	if (r.mode == MODE_TRAIN) {
		if (spec)
			cli_usage_error("train makes a tokenizer: -t does not apply");
		if (!r.output)
			cli_usage_error("train needs -o OUT");
		if (r.eot || r.ids || specials_given || r.raw_bytes || r.plain_text)
			cli_usage_error("train takes none of --eot, --ids, --allowed-special, --disallowed-special, --bytes, --text");
		if (format && strcmp(format, "json") != 0 && strcmp(format, "tiktoken") != 0)
			cli_usage_error("--format must be json or tiktoken");
		if (!n_specials) {
			static const char *const eot[] = {"<|endoftext|>"};
			train.specials = eot, train.n_specials = 1;
		} else {
			train.specials = (const char *const *)specials, train.n_specials = n_specials;
		}
		for (size_t i = 0; i < train.n_specials; i++)
			if (!*train.specials[i])
				cli_usage_error("--special: an empty token");
		if (train.vocab_size < 256 + train.n_specials && !train.bytes_only)
			cli_usage_error("--vocab-size must be at least %zu: the 256 bytes and the specials",
			                256 + train.n_specials);
		bool tiktoken = format ? strcmp(format, "tiktoken") == 0
		                       : strlen(r.output) > 9 && strcmp(r.output + strlen(r.output) - 9, ".tiktoken") == 0;
		progress_init(&r.progress, progress, io_total_size(argc - optind, argv + optind));
		int status = train_main(&r, &train, tokload_pattern_by_name(pattern ? pattern : "gpt2"), tiktoken,
		                        holdout, argc - optind, argv + optind);
		free(specials);
		if (opts != r.argv)
			free(opts);
		return status;
	}
	if (r.mode == MODE_FETCH) {
		if (spec || pattern || specials_given || r.eot || r.ids || r.raw_bytes || r.plain_text || r.output)
			cli_usage_error("fetch takes only names (and --offline)");
		if (optind == argc)
			cli_usage_error("fetch: no NAME (a tiktoken encoding or ORG/NAME[@REVISION])");
		int status = fetch_names(&fetch, argc - optind, argv + optind);
		if (opts != r.argv)
			free(opts);
		return status;
	}
	if (!spec)
		cli_usage_error("no tokenizer (-t)");
	if (r.mode != MODE_ENCODE && (r.eot || r.ids))
		cli_usage_error("--eot and --ids are for encode");
	if (r.mode != MODE_ENCODE && r.mode != MODE_STATS && specials_given)
		cli_usage_error("--allowed-special and --disallowed-special are for encode and stats");
	if (r.mode != MODE_DECODE && (r.raw_bytes || r.plain_text))
		cli_usage_error("--bytes and --text are for decode");
	if (r.mode == MODE_INFO && optind < argc)
		cli_usage_error("info takes no FILE");

	char err[512];
	if (tokenizer_open(&r.tok, spec, pattern, &fetch, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	size_t nspecial = bpe_special_count(r.tok.bpe);
	r.policy.allowed = xcalloc(nspecial + 1, sizeof *r.policy.allowed);
	r.policy.disallowed = xcalloc(nspecial + 1, sizeof *r.policy.disallowed);
	if (tok_parse_specials(&r.tok, allowed, r.policy.allowed, err, sizeof err) < 0)
		cli_usage_error("--allowed-special: %s", err);
	if (tok_parse_specials(&r.tok, disallowed, r.policy.disallowed, err, sizeof err) < 0)
		cli_usage_error("--disallowed-special: %s", err);
	/* As in tiktoken: what is allowed is never also disallowed. */
	for (size_t i = 0; i < nspecial; i++)
		if (r.policy.allowed[i])
			r.policy.disallowed[i] = false;
	if (r.eot && r.tok.eot == BPE_NO_ID)
		cli_usage_error("--eot: %s has no end-of-text token", r.tok.name);
	r.dtype = bpe_vocab_size(r.tok.bpe) <= 65536 ? REC_DT_U16 : REC_DT_U32;

	bool records_out = (r.mode == MODE_ENCODE && !r.ids) || (r.mode == MODE_DECODE && !r.plain_text);
	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	if (r.output) {
		if (atomic_open(&output_file, r.output) != 0)
			die(STATUS_FAIL, "%s:", r.output);
		atomic_guard(&output_file);
		r.out_fd = output_file.fd;
	} else if (records_out && isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, use -o, or %s)",
		                r.mode == MODE_ENCODE ? "--ids" : "--text");
	}
	const char *out_name = r.output ? r.output : "<stdout>";
	if (records_out)
		r.w = rec_writer_fdopen(r.out_fd, out_name);
	outbuf_init(&r.plain, r.out_fd, out_name, 1 << 16);
	int nin = argc - optind;
	progress_init(&r.progress, progress, r.mode == MODE_INFO ? 0 : io_total_size(nin, argv + optind));

	switch (r.mode) {
	case MODE_TRAIN: /* handled above */
	case MODE_FETCH:
	case MODE_INFO:
		print_info(&r);
		break;
	case MODE_ENCODE:
		run_encode(&r, nin, argv + optind);
		break;
	case MODE_DECODE:
		run_decode(&r, nin, argv + optind);
		break;
	case MODE_STATS:
		r.counts = xcalloc((size_t)bpe_vocab_size(r.tok.bpe) + 1, sizeof *r.counts);
		run_encode(&r, nin, argv + optind);
		print_stats(&r);
		break;
	}
	if (r.w) {
		rec_write_end(r.w);
		rec_writer_free(r.w);
	}
	outbuf_free(&r.plain);
	progress_end(&r.progress);
	if (r.output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", r.output);
	free(r.policy.allowed);
	free(r.policy.disallowed);
	free(r.counts);
	free(r.input_header);
	buf_free(&r.scratch);
	ids_free(&r.ids_scratch);
	tokenizer_free(&r.tok);
	if (opts != r.argv)
		free(opts);
	return 0;
}
