/* recjson.c - a record as one line of JSON (see recjson.h). */
#include "rec/recjson.h"

#include <jansson.h>
#include <string.h>

#include "base/jsonw.h"

static void json_tokens(struct buf *b, const struct rec_frame *f)
{
	size_t n = rec_tokens_count(f);
	buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		buf_printf(b, "%u", rec_token_at(f, i));
	}
	buf_addc(b, ']');
}

static void json_batch(struct buf *b, const struct rec_frame *f)
{
	struct rec_batch bt;
	rec_batch_view(f, &bt);
	size_t row = (size_t)bt.T + 1;
	buf_printf(b, "{\"B\":%u,\"T\":%u,\"rows\":[", bt.B, bt.T);
	for (size_t r = 0; r < bt.B; r++) {
		buf_adds(b, r ? ",[" : "[");
		for (size_t i = 0; i < row; i++) {
			size_t at = r * row + i;
			uint32_t v = bt.dtype == REC_DT_U16 ? ((const uint16_t *)bt.tokens)[at]
			                                    : ((const uint32_t *)bt.tokens)[at];
			buf_printf(b, i ? ",%u" : "%u", v);
		}
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
	if (bt.mask) {
		buf_adds(b, ",\"mask\":[");
		for (size_t r = 0; r < bt.B; r++) {
			buf_adds(b, r ? ",[" : "[");
			for (size_t i = 0; i < row; i++)
				buf_adds(b, i ? (bt.mask[r * row + i] ? ",1" : ",0") : (bt.mask[r * row + i] ? "1" : "0"));
			buf_addc(b, ']');
		}
		buf_addc(b, ']');
	}
	buf_addc(b, '}');
}

/* Copies JSON text that the caller has validated, turning the newlines a
 * pretty-printer may have put between tokens into spaces (valid JSON has no
 * raw newline inside a string), so each record stays on one line. */
static void json_verbatim(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;
	buf_add(b, s, n);
	for (size_t i = start; i < b->len; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r')
			b->data[i] = ' ';
}

/* json records and vector metadata must hold one JSON object (sluice-rec(5)). */
static int json_object_text(const char *s, size_t n)
{
	json_error_t err;
	/* Only checked, never re-serialized: integers beyond int64 (a uint64
	 * column) are valid JSON, which jansson refuses unless read as reals. */
	json_t *v = json_loadb(s, n, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
	int ok = json_is_object(v);
	json_decref(v);
	return ok;
}

static void json_vector(struct buf *b, const struct rec_frame *f)
{
	struct rec_vector v;
	rec_vector_view(f, &v);
	buf_adds(b, ",\"vector\":[");
	for (uint32_t i = 0; i < v.dim; i++) {
		if (i)
			buf_addc(b, ',');
		float x;
		memcpy(&x, v.values + i, sizeof x);
		jsonw_float(b, x);
	}
	buf_addc(b, ']');
	if (v.meta_len) {
		buf_adds(b, ",\"metadata\":");
		json_verbatim(b, v.meta, v.meta_len);
	}
}

/* The reader checks layouts, not the JSON text inside json records and
 * vector metadata: that is checked here, before printing or validating. */
const char *rec_json_problem(const struct rec_frame *f)
{
	if (f->type == REC_JSON) {
		if (!json_object_text((const char *)f->payload, f->payload_len))
			return "json record is not a JSON object";
	} else if (f->type == REC_VECTOR) {
		struct rec_vector v;
		rec_vector_view(f, &v);
		if (v.meta_len && !json_object_text(v.meta, v.meta_len))
			return "vector metadata is not a JSON object";
	}
	return NULL;
}

static int printable_text(const unsigned char *p, size_t n)
{
	if (!utf8_valid(p, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			return 0;
	return 1;
}

static void json_sample(struct buf *b, const struct rec_frame *f)
{
	struct rec_part part;
	size_t cursor = 0;
	int first = 1;
	buf_adds(b, ",\"parts\":{");
	while (rec_sample_next(f, &cursor, &part)) {
		if (!first)
			buf_addc(b, ',');
		first = 0;
		jsonw_string(b, part.name, part.name_len);
		buf_addc(b, ':');
		if (printable_text(part.data, part.data_len)) {
			jsonw_string(b, (const char *)part.data, part.data_len);
		} else {
			buf_adds(b, "{\"base64\":\"");
			base64_encode(b, part.data, part.data_len);
			buf_adds(b, "\"}");
		}
	}
	buf_addc(b, '}');
}

void rec_json_line(struct buf *b, const struct rec_frame *f)
{
	buf_clear(b);
	buf_adds(b, "{\"type\":");
	jsonw_string(b, rec_type_name(f->type), strlen(rec_type_name(f->type)));
	if (f->key) {
		buf_adds(b, ",\"key\":");
		jsonw_string(b, f->key, f->key_len);
	}
	switch (f->type) {
	case REC_TEXT:
		buf_adds(b, ",\"text\":");
		jsonw_string(b, (const char *)f->payload, f->payload_len);
		break;
	case REC_TOKENS:
		buf_adds(b, ",\"tokens\":");
		json_tokens(b, f);
		break;
	case REC_BATCH:
		buf_adds(b, ",\"batch\":");
		json_batch(b, f);
		break;
	case REC_VECTOR:
		json_vector(b, f);
		break;
	case REC_JSON:
		buf_adds(b, ",\"json\":");
		json_verbatim(b, (const char *)f->payload, f->payload_len);
		break;
	case REC_SAMPLE:
		json_sample(b, f);
		break;
	default:
		break;
	}
	buf_adds(b, "}\n");
}
