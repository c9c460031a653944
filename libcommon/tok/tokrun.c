/* tokrun.c - tok-bpe's encode, decode, stats and info over their inputs
 * (tokrun.h). */
#include "tok/tokrun.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/utf8.h"
#include "rec/header.h"
#include "tok/parenc.h"

/* ---- setup ---- */

void tokrun_open_tokenizer(struct tokrun *r, const char *spec, const char *pattern, const char *allowed,
                           const char *disallowed, const struct tokfetch_opts *fetch)
{
	char err[512];
	if (tokenizer_open(&r->tok, spec, pattern, fetch, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	size_t nspecial = bpe_special_count(r->tok.bpe);
	r->policy.allowed = xcalloc(nspecial + 1, sizeof *r->policy.allowed);
	r->policy.disallowed = xcalloc(nspecial + 1, sizeof *r->policy.disallowed);
	if (tok_parse_specials(&r->tok, allowed, r->policy.allowed, err, sizeof err) < 0)
		cli_usage_error("--allowed-special: %s", err);
	if (tok_parse_specials(&r->tok, disallowed, r->policy.disallowed, err, sizeof err) < 0)
		cli_usage_error("--disallowed-special: %s", err);
	/* As in tiktoken: what is allowed is never also disallowed. */
	for (size_t i = 0; i < nspecial; i++)
		if (r->policy.allowed[i])
			r->policy.disallowed[i] = false;
	if (r->eot && r->tok.eot == BPE_NO_ID)
		cli_usage_error("--eot: %s has no end-of-text token", r->tok.name);
	r->dtype = bpe_vocab_size(r->tok.bpe) <= 65536 ? REC_DT_U16 : REC_DT_U32;
}

bool tokrun_writes_records(const struct tokrun *r)
{
	return (r->mode == TOKRUN_ENCODE && !r->ids) || (r->mode == TOKRUN_DECODE && !r->plain_text);
}

void tokrun_open_output(struct tokrun *r, int fd, const char *name)
{
	if (tokrun_writes_records(r))
		r->w = rec_writer_fdopen(fd, name);
	outbuf_init(&r->plain, fd, name, 1 << 16);
}

void tokrun_close_output(struct tokrun *r)
{
	if (r->w) {
		rec_write_end(r->w);
		rec_writer_free(r->w);
		r->w = NULL;
	}
	outbuf_free(&r->plain);
	progress_end(&r->progress);
}

void tokrun_free(struct tokrun *r)
{
	free(r->policy.allowed);
	free(r->policy.disallowed);
	tok_stats_free(&r->stats);
	free(r->input_header);
	buf_free(&r->scratch);
	ids_free(&r->ids_scratch);
	tokenizer_free(&r->tok);
}

/* ---- the modes ---- */

static void write_header(struct tokrun *r, const char *kind)
{
	if (r->header_done || r->ids || r->plain_text || r->mode == TOKRUN_STATS)
		return;
	r->header_done = true;
	json_t *h = header_new(r->input_header, kind, r->argc, r->argv);
	if (r->mode == TOKRUN_ENCODE) {
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

static void decode_or_die(struct tokrun *r, const uint32_t *ids, size_t n, struct buf *out, const char *input,
                          uint64_t offset)
{
	size_t bad;
	if (tok_decode_bytes(r->tok.bpe, ids, n, out, &bad) < 0)
		die_at(STATUS_MALFORMED, input, offset, "token id %u (number %zu) is not in %s (vocab size %u)", ids[bad],
		       bad + 1, r->tok.name, bpe_vocab_size(r->tok.bpe));
}

/* stats of token records: counted as they are, decoded for the text. */
static void stats_tokens(struct tokrun *r, const struct rec_frame *f, const char *input)
{
	size_t n = rec_tokens_count(f);
	rec_tokens_copy(f, ids_resize(&r->ids_scratch, n));
	buf_clear(&r->scratch);
	decode_or_die(r, r->ids_scratch.v, n, &r->scratch, input, f->offset);
	tok_stats_add(&r->stats, &r->tok, r->scratch.data, r->scratch.len, r->ids_scratch.v, n);
}

static void print_ids(struct tokrun *r, const uint32_t *ids, size_t n)
{
	char num[16];
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(num, sizeof num, i ? " %u" : "%u", ids[i]);
		outbuf_write(&r->plain, num, (size_t)k);
	}
	outbuf_putc(&r->plain, '\n');
}

/* Writes an encoded document (parenc_emit_fn). */
static void emit_doc(void *arg, const struct parenc_doc *d)
{
	struct tokrun *r = arg;
	if (r->mode == TOKRUN_STATS) {
		tok_stats_add(&r->stats, &r->tok, d->text, d->text_len, d->ids, d->n - (r->eot ? 1 : 0));
	} else if (r->ids) {
		print_ids(r, d->ids, d->n);
	} else if (r->dtype == REC_DT_U16) {
		buf_clear(&r->scratch);
		buf_reserve(&r->scratch, d->n * 2);
		uint16_t *p = (uint16_t *)r->scratch.data;
		for (size_t k = 0; k < d->n; k++)
			p[k] = (uint16_t)d->ids[k];
		rec_write(r->w, REC_TOKENS, REC_DT_U16, d->key, d->key_len, p, d->n * 2);
	} else {
		rec_write(r->w, REC_TOKENS, REC_DT_U32, d->key, d->key_len, d->ids, d->n * 4);
	}
}

/* Dies at the first document that failed, after what came before it. */
static void encode_failed(struct tokrun *r, const struct parenc_failure *fail)
{
	if (r->w)
		rec_writer_flush(r->w);
	outbuf_flush(&r->plain);
	die_at(STATUS_MALFORMED, fail->input, fail->at, "record %" PRIu64 ": %s", fail->number, fail->why);
}

struct rec_reader *tokrun_open_input(const char *path, int flags)
{
	struct rec_reader *in = rec_reader_open(path, flags);
	if (!in)
		die(STATUS_FAIL, "%s:", path);
	return in;
}

static void note_header(struct tokrun *r, struct rec_reader *in)
{
	const char *h = rec_reader_header(in);
	if (h && !r->input_header)
		r->input_header = xstrdup(h);
}

void tokrun_encode(struct tokrun *r, int nin, char **inputs)
{
	struct parenc *pe = parenc_new(&r->tok, &r->policy, r->eot ? r->tok.eot : BPE_NO_ID, r->threads, emit_doc, r);
	struct parenc_failure fail;
	inputs = cli_inputs(inputs, &nin);
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = tokrun_open_input(inputs[i], REC_READ_LINES);
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
			if (f.type == REC_TOKENS && r->mode == TOKRUN_STATS) {
				stats_tokens(r, &f, name);
				continue;
			}
			if (f.type != REC_TEXT)
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: tok-bpe %s reads text records",
				       rec_type_name(f.type), r->mode == TOKRUN_STATS ? "stats" : "encode");
			write_header(r, "tokens");
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
			if (parenc_add(pe, &f, inputs[i], rec_reader_is_lines(in), ++number, &fail) < 0)
				encode_failed(r, &fail);
		}
		rec_reader_close(in);
	}
	write_header(r, "tokens");
	if (parenc_finish(pe, &fail) < 0)
		encode_failed(r, &fail);
	parenc_free(pe);
}

void tokrun_decode(struct tokrun *r, int nin, char **inputs)
{
	inputs = cli_inputs(inputs, &nin);
	struct ids ids = {0};
	struct buf raw = {0};
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = tokrun_open_input(inputs[i], REC_READ_LINES);
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
				if (tok_parse_id_line((const char *)f.payload, f.payload_len, &ids) < 0)
					die_at(STATUS_MALFORMED, name, f.offset, "not a line of token ids");
			} else {
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: tok-bpe decode reads token records",
				       rec_type_name(f.type));
			}
			write_header(r, "text");
			buf_clear(&raw);
			decode_or_die(r, ids.v, ids.len, &raw, name, f.offset);
			const char *text = raw.data;
			size_t len = raw.len;
			if (!r->raw_bytes) {
				buf_clear(&r->scratch);
				utf8_append_replacing(&r->scratch, (const unsigned char *)raw.data, raw.len);
				text = r->scratch.data, len = r->scratch.len;
			}
			if (r->plain_text) {
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

static void print_stats(struct tokrun *r)
{
	struct buf b = {0};
	tok_stats_json(&r->stats, &r->tok, &b);
	outbuf_write(&r->plain, b.data, b.len);
	buf_free(&b);
}

void tokrun_info(struct tokrun *r)
{
	struct buf b = {0};
	tok_info_json(&r->tok, &b);
	outbuf_write(&r->plain, b.data, b.len);
	buf_free(&b);
}


void tokrun_stats(struct tokrun *r, int nin, char **inputs)
{
	tok_stats_init(&r->stats, &r->tok);
	tokrun_encode(r, nin, inputs);
	print_stats(r);
}
