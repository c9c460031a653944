/* jsonw.h - writing JSON text into a buffer: strings (invalid UTF-8 becomes
 * U+FFFD), numbers in their shortest round-trip form, jansson values, and
 * base64.  Jansson parses; this writes, because its own dump prints 0.1 as
 * 0.10000000000000001 and we print what users wrote. */
#ifndef SLUICE_JSONW_H
#define SLUICE_JSONW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/utf8.h" /* utf8_valid: what jsonw_string keeps as it is */

void jsonw_string(struct buf *b, const char *s, size_t n);
void jsonw_uint(struct buf *b, uint64_t v); /* decimal, without printf's cost */
void jsonw_float(struct buf *b, float v);   /* null for NaN/Inf */
void jsonw_double(struct buf *b, double v); /* null for NaN/Inf */
void jsonw_value(struct buf *b, const json_t *v);
void base64_encode(struct buf *b, const unsigned char *p, size_t n);

/* A field to add to a JSON row; the value is consumed. */
struct jsonw_field {
	const char *name;
	json_t *value;
};
/* JSON row text (len bytes, parsed as row) with the fields added, and the
 * text field `field` set to new_text when that is not NULL, into out.
 * Adding fields the row lacks splices them in before its closing brace,
 * so the rest of the row keeps its bytes; otherwise the row is rewritten
 * through jansson.  (rec-filter's rejects and annotations, rec-dedup's
 * removed records.) */
void jsonw_row_with(struct buf *out, const char *text, size_t len, json_t *row, const char *field,
                    const char *new_text, size_t new_len, struct jsonw_field *adds, int nadds);
/* A text record as a JSON row: {"text": text, and the fields}. */
void jsonw_text_row(struct buf *out, const char *text, size_t len, struct jsonw_field *adds, int nadds);

#endif
