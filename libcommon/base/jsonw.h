/* jsonw.h - writing JSON text into a buffer: strings (invalid UTF-8 becomes
 * U+FFFD), numbers in their shortest round-trip form, jansson values, and
 * base64.  Jansson parses; this writes, because its own dump prints 0.1 as
 * 0.10000000000000001 and we print what users wrote. */
#ifndef SLUICE_JSONW_H
#define SLUICE_JSONW_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/utf8.h" /* utf8_valid: what jsonw_string keeps as it is */

void jsonw_string(struct buf *b, const char *s, size_t n);
void jsonw_float(struct buf *b, float v);   /* null for NaN/Inf */
void jsonw_double(struct buf *b, double v); /* null for NaN/Inf */
void jsonw_value(struct buf *b, const json_t *v);
void base64_encode(struct buf *b, const unsigned char *p, size_t n);

#endif
