/* lmrun.c - generating from and scoring documents for lm-run (lmrun.h). */
#define _GNU_SOURCE /* M_LN2 */
#include "model/lmrun.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "rec/header.h"

static void check_ids(const struct lmrun *r, const uint32_t *ids, size_t n, const char *name, uint64_t offset)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= (uint32_t)lm_vocab(r->m))
			die_at(STATUS_USAGE, name, offset, "token id %u is outside the model's vocabulary of %d", ids[i],
			       lm_vocab(r->m));
}

static void encode(struct lmrun *r, const char *text, size_t len, const char *name, uint64_t offset)
{
	size_t bad;
	char err[256];
	if (tok_encode(r->mt.enc, &r->mt.ordinary, text, len, &r->ids, &bad, err, sizeof err) < 0)
		die_at(STATUS_MALFORMED, name, offset + bad, "%s", err);
}

/* The text of ids (invalid UTF-8 replaced, as Python's errors="replace"). */
static void decode_into(struct lmrun *r, const uint32_t *ids, size_t n, struct buf *out)
{
	buf_clear(&r->scratch);
	size_t bad;
	tok_decode_bytes(r->mt.tok.bpe, ids, n, &r->scratch, &bad);
	utf8_append_replacing(out, (const unsigned char *)r->scratch.data, r->scratch.len);
}

static void emit_line(struct lmrun *r)
{
	outbuf_write(&r->out, r->line.data, r->line.len);
	buf_clear(&r->line);
}

/* ---- generate ---- */

static void generate_one(struct lmrun *r, const char *key, size_t key_len, uint64_t index)
{
	size_t plen = r->ids.len;
	if (!plen) {
		if (r->eot == BPE_NO_ID)
			die(STATUS_USAGE, "an empty prompt needs an end-of-text token to start from (--eot ID)");
		ids_push(&r->ids, r->eot);
	}
	for (int s = 0; s < r->samples; s++) {
		r->gen_ids.len = 0;
		buf_clear(&r->text);
		enum lmgen_stop why = lmgen_generate(r->m, r->dec, r->sampler, r->ids.v, r->ids.len, &r->gen,
		                                     &r->gen_ids, r->have_tok ? &r->text : NULL);
		/* the continuation's text, UTF-8 repaired at the end only: a
		 * token may hold half a character that the next completes */
		struct buf cont = {0};
		if (r->have_tok)
			utf8_append_replacing(&cont, (const unsigned char *)r->text.data, r->text.len);
		struct buf prompt = {0};
		if (r->have_tok && plen)
			decode_into(r, r->ids.v, plen, &prompt);
		size_t ngen = r->gen_ids.len;
		if (ngen && why == LMGEN_EOT)
			ngen--; /* the end-of-text id is not part of the sample */
		if (r->fmt == LMRUN_TEXT) {
			if (r->have_tok) {
				if (!r->completion_only)
					buf_add(&r->line, prompt.data, prompt.len);
				buf_add(&r->line, cont.data, cont.len);
			} else {
				const uint32_t *all[2] = {r->ids.v, r->gen_ids.v};
				size_t lens[2] = {r->completion_only ? 0 : plen, ngen};
				bool first = true;
				for (int part = 0; part < 2; part++)
					for (size_t i = 0; i < lens[part]; i++) {
						buf_printf(&r->line, "%s%u", first ? "" : " ", all[part][i]);
						first = false;
					}
			}
			buf_addc(&r->line, '\n');
			emit_line(r);
		} else if (r->fmt == LMRUN_JSONL) {
			buf_printf(&r->line, "{\"prompt\":%" PRIu64 ",", index);
			if (key) {
				buf_adds(&r->line, "\"key\":");
				jsonw_string(&r->line, key, key_len);
				buf_addc(&r->line, ',');
			}
			buf_printf(&r->line, "\"sample\":%d,", s);
			if (r->have_tok) {
				buf_adds(&r->line, "\"prompt_text\":");
				jsonw_string(&r->line, prompt.data ? prompt.data : "", prompt.len);
				buf_adds(&r->line, ",\"text\":");
				jsonw_string(&r->line, cont.data ? cont.data : "", cont.len);
				buf_addc(&r->line, ',');
			}
			buf_adds(&r->line, "\"ids\":[");
			for (size_t i = 0; i < ngen; i++)
				buf_printf(&r->line, "%s%u", i ? "," : "", r->gen_ids.v[i]);
			buf_printf(&r->line, "],\"tokens\":%zu,\"stop\":\"%s\"}\n", ngen, lmgen_stop_name(why));
			emit_line(r);
		} else {
			char k[64];
			size_t klen = key ? key_len : (size_t)snprintf(k, sizeof k, "%" PRIu64, index);
			struct buf kb = {0};
			buf_add(&kb, key ? key : k, klen);
			if (r->samples > 1)
				buf_printf(&kb, "/%d", s);
			if (r->have_tok) {
				struct buf all = {0};
				if (!r->completion_only)
					buf_add(&all, prompt.data, prompt.len);
				buf_add(&all, cont.data, cont.len);
				rec_write(r->w, REC_TEXT, REC_DT_NONE, kb.data, kb.len, all.data ? all.data : "", all.len);
				buf_free(&all);
			} else {
				struct ids all = {0};
				size_t from = r->completion_only ? 0 : plen;
				uint32_t *v = ids_resize(&all, from + ngen);
				memcpy(v, r->ids.v, from * sizeof *v);
				memcpy(v + from, r->gen_ids.v, ngen * sizeof *v);
				int dtype = lm_vocab(r->m) <= 65536 ? REC_DT_U16 : REC_DT_U32;
				if (dtype == REC_DT_U16) {
					uint16_t *narrow = xmalloc((all.len ? all.len : 1) * sizeof *narrow);
					for (size_t i = 0; i < all.len; i++)
						narrow[i] = (uint16_t)all.v[i];
					rec_write(r->w, REC_TOKENS, dtype, kb.data, kb.len, narrow, all.len * 2);
					free(narrow);
				} else {
					rec_write(r->w, REC_TOKENS, dtype, kb.data, kb.len, all.v, all.len * 4);
				}
				ids_free(&all);
			}
			buf_free(&kb);
		}
		buf_free(&cont);
		buf_free(&prompt);
	}
}

/* ---- score ---- */

static void score_one(struct lmrun *r, const char *key, size_t key_len, uint64_t index)
{
	size_t n = r->ids.len, first = 0;
	if (r->eot_context && r->eot != BPE_NO_ID) {
		ids_push(&r->ids, 0);
		memmove(r->ids.v + 1, r->ids.v, n * sizeof *r->ids.v);
		r->ids.v[0] = r->eot;
		n++;
		first = 1; /* the eot is context, not a scored token */
	}
	size_t scored = n > 0 ? n - 1 : 0;
	if (scored > r->logp_cap) {
		r->logp = xrealloc(r->logp, scored * sizeof *r->logp);
		r->logp_cap = scored;
	}
	lmgen_score(r->m, r->ids.v, n, r->logp);
	double nll = 0;
	for (size_t i = 0; i < scored; i++)
		nll -= r->logp[i];
	r->total_nll += nll;
	r->total_tokens += scored;
	double loss = scored ? nll / (double)scored : 0;
	if (r->fmt == LMRUN_RECORDS) {
		float *bits = xmalloc((scored ? scored : 1) * sizeof *bits);
		for (size_t i = 0; i < scored; i++)
			bits[i] = (float)(-r->logp[i] / M_LN2);
		struct buf meta = {0};
		buf_printf(&meta, "{\"tokens\":%zu,\"loss\":", scored);
		jsonw_double(&meta, scored ? loss : NAN);
		buf_adds(&meta, ",\"ppl\":");
		jsonw_double(&meta, scored ? exp(loss) : NAN);
		buf_addc(&meta, '}');
		char k[64];
		size_t klen = key ? key_len : (size_t)snprintf(k, sizeof k, "%" PRIu64, index);
		rec_write_vector(r->w, key ? key : k, klen, bits, (uint32_t)scored, meta.data, meta.len);
		buf_free(&meta);
		free(bits);
		return;
	}
	buf_printf(&r->line, "{\"doc\":%" PRIu64 ",", index);
	if (key) {
		buf_adds(&r->line, "\"key\":");
		jsonw_string(&r->line, key, key_len);
		buf_addc(&r->line, ',');
	}
	buf_printf(&r->line, "\"tokens\":%zu,\"loss\":", scored);
	jsonw_double(&r->line, scored ? loss : NAN);
	buf_adds(&r->line, ",\"ppl\":");
	jsonw_double(&r->line, scored ? exp(loss) : NAN);
	if (r->per_token) {
		buf_adds(&r->line, ",\"ids\":[");
		for (size_t i = 0; i < scored; i++)
			buf_printf(&r->line, "%s%u", i ? "," : "", r->ids.v[first + i + (first ? 0 : 1)]);
		buf_adds(&r->line, "],\"surprisal_bits\":[");
		for (size_t i = 0; i < scored; i++) {
			if (i)
				buf_addc(&r->line, ',');
			jsonw_double(&r->line, -r->logp[i] / M_LN2);
		}
		buf_addc(&r->line, ']');
		if (r->have_tok) {
			buf_adds(&r->line, ",\"pieces\":[");
			for (size_t i = 0; i < scored; i++) {
				struct buf piece = {0};
				decode_into(r, &r->ids.v[first + i + (first ? 0 : 1)], 1, &piece);
				if (i)
					buf_addc(&r->line, ',');
				jsonw_string(&r->line, piece.data ? piece.data : "", piece.len);
				buf_free(&piece);
			}
			buf_addc(&r->line, ']');
		}
	}
	buf_adds(&r->line, "}\n");
	emit_line(r);
}

static void handle(struct lmrun *r, const char *key, size_t key_len)
{
	if (r->generate)
		generate_one(r, key, key_len, r->docs);
	else
		score_one(r, key, key_len, r->docs);
	r->docs++;
}

void lmrun_input(struct lmrun *r, const char *path)
{
	struct rec_reader *in = rec_reader_open(path, r->have_tok ? REC_READ_LINES : 0);
	if (!in)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(in);
	struct rec_frame f;
	while (rec_next_or_die(in, &f) > 0) {
		if (f.type == REC_HEADER || f.type == REC_END)
			continue;
		r->ids.len = 0;
		if (f.type == REC_TEXT && r->have_tok) {
			encode(r, (const char *)f.payload, f.payload_len, name, f.offset);
		} else if (f.type == REC_TOKENS) {
			size_t n = f.payload_len / rec_dtype_size(f.dtype);
			rec_tokens_copy(&f, ids_resize(&r->ids, n));
		} else {
			die_at(STATUS_MALFORMED, name, f.offset, "a %s record: lm-run reads %s", rec_type_name(f.type),
			       r->have_tok ? "text or token records" : "token records (give -t TOKENIZER for text)");
		}
		check_ids(r, r->ids.v, r->ids.len, name, f.offset);
		handle(r, f.key, f.key_len);
	}
	rec_reader_close(in);
}

void lmrun_prompt(struct lmrun *r, const char *text)
{
	r->ids.len = 0;
	encode(r, text, strlen(text), "--prompt", 0);
	handle(r, NULL, 0);
}

/* ---- the session ---- */

void lmrun_setup(struct lmrun *r, int64_t eot_opt, bool ignore_eot)
{
	if (r->have_tok) {
		r->eot = r->mt.tok.eot;
		r->gen.bpe = r->mt.tok.bpe;
	}
	if (eot_opt >= 0)
		r->eot = (uint32_t)eot_opt;
	if (r->eot != BPE_NO_ID && r->eot >= (uint32_t)lm_vocab(r->m))
		cli_usage_error("--eot %u is outside the model's vocabulary of %d", r->eot, lm_vocab(r->m));
	r->gen.eot = ignore_eot ? BPE_NO_ID : r->eot;
	if (r->generate) {
		r->sampler = sampler_new(&r->sopts, (size_t)lm_vocab(r->m), r->seed);
		r->dec = lm_decoder_new(r->m, lm_max_seq(r->m) ? lm_max_seq(r->m) : INT_MAX);
	}
}

void lmrun_open_output(struct lmrun *r, int fd, const char *name, int argc, char **argv)
{
	outbuf_init(&r->out, fd, name, 1 << 16);
	if (r->fmt != LMRUN_RECORDS)
		return;
	r->w = rec_writer_fdopen(fd, name);
	const char *kind = !r->generate ? "vector" : r->have_tok ? "text" : "tokens";
	json_t *h = header_new(NULL, kind, argc, argv);
	if (!r->generate || !r->have_tok) {
		json_object_set_new(h, "vocab_size", json_integer(lm_vocab(r->m)));
		if (r->eot != BPE_NO_ID)
			json_object_set_new(h, "eot", json_integer(r->eot));
	}
	header_write(r->w, h);
	json_decref(h);
}

void lmrun_close_output(struct lmrun *r)
{
	if (r->w) {
		rec_write_end(r->w);
		rec_writer_free(r->w);
		r->w = NULL;
	}
	outbuf_free(&r->out);
}

void lmrun_summary(const struct lmrun *r)
{
	if (!r->generate && r->total_tokens)
		fprintf(stderr, "lm-run: %" PRIu64 " documents, %" PRIu64 " tokens scored: loss %.4f, perplexity %.3f\n",
		        r->docs, r->total_tokens, r->total_nll / (double)r->total_tokens,
		        exp(r->total_nll / (double)r->total_tokens));
}

void lmrun_free(struct lmrun *r)
{
	if (r->generate) {
		sampler_free(r->sampler);
		lm_decoder_free(r->dec);
	}
	if (r->have_tok) {
		model_tokenizer_close(&r->mt);
	}
	ids_free(&r->ids);
	ids_free(&r->gen_ids);
	buf_free(&r->text);
	buf_free(&r->line);
	buf_free(&r->scratch);
	free(r->logp);
	r->logp = NULL;
	lm_free(r->m);
	r->m = NULL;
}
