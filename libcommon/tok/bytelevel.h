/* bytelevel.h - GPT-2's byte-to-character table, in which tokenizer.json
 * vocabularies and merges spell bytes: each byte stands for one printable
 * code point, the printable Latin-1 bytes for themselves and the others
 * for U+0100 upwards in byte order. */
#ifndef SLUICE_BYTELEVEL_H
#define SLUICE_BYTELEVEL_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct bytelevel {
	uint32_t byte_to_cp[256];
	int16_t cp_to_byte[512]; /* -1: not a byte's character */
};

void bytelevel_init(struct bytelevel *bl);
/* The bytes a byte-level string stands for; -1 when a character is not
 * one of the table's. */
int bytelevel_decode(const struct bytelevel *bl, const char *s, size_t n, struct buf *out);
/* Appends the byte-level spelling (UTF-8) of bytes. */
void bytelevel_encode(const struct bytelevel *bl, const uint8_t *bytes, size_t n, struct buf *out);

#endif
