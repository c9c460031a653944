/* buf.c - see buf.h */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/die.h"

void buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return;
	if (extra > SIZE_MAX / 2 - b->len)
		die(STATUS_FAIL, "buffer size overflow");
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_pad8(struct buf *b)
{
	size_t n = ((b->len + 7) & ~(size_t)7) - b->len;
	static const char zeros[8];
	buf_add(b, zeros, n);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->cap > b->len ? b->data + b->len : NULL, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(STATUS_FAIL, "formatting failed");
	if ((size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}
