/* buf.h - a growable byte buffer, the scratch space for building payloads
 * and output lines. */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t len, cap;
};

void buf_reserve(struct buf *b, size_t extra); /* room for extra more bytes */
void buf_free(struct buf *b);

static inline void buf_clear(struct buf *b) { b->len = 0; }

static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n)
		buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void buf_addc(struct buf *b, char c)
{
	if (b->cap == b->len)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}

static inline void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Zero bytes up to the next multiple of 8 of b->len. */
void buf_pad8(struct buf *b);
void buf_printf(struct buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#endif
