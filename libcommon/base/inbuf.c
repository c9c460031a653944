/* inbuf.c - see inbuf.h */
#include "base/inbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"

#define INITIAL_CAP ((size_t)1 << 20)

void inbuf_init(struct inbuf *b, struct source src)
{
	*b = (struct inbuf){.src = src, .cap = INITIAL_CAP};
	b->buf = xmalloc_aligned(b->cap);
}

void inbuf_free(struct inbuf *b)
{
	source_close(&b->src);
	free(b->buf);
	b->buf = NULL;
}

int inbuf_fill(struct inbuf *b, size_t need)
{
	if (b->end - b->start >= need || b->eof)
		return 0;
	if (b->start > 0 && b->cap - b->start < need) {
		memmove(b->buf, b->buf + b->start, b->end - b->start);
		b->base += b->start;
		b->end -= b->start;
		b->start = 0;
	}
	while (b->end - b->start < need) {
		if (b->end == b->cap) {
			/* Double: growing to start + need would add one byte at a
			 * time for a reader that asks for one more than it has,
			 * copying the buffer per byte of a long line. */
			size_t cap = b->cap * 2;
			if (cap < b->cap)
				die(STATUS_FAIL, "out of memory: input buffer over %zu bytes", b->cap);
			unsigned char *nb = xmalloc_aligned(cap);
			memcpy(nb, b->buf, b->end);
			free(b->buf);
			b->buf = nb;
			b->cap = cap;
		}
		ssize_t got = source_read(&b->src, b->buf + b->end, b->cap - b->end);
		if (got < 0)
			return -1;
		if (got == 0) {
			b->eof = 1;
			break;
		}
		b->end += (size_t)got;
	}
	return 0;
}

int inbuf_skip_bom(struct inbuf *b)
{
	if (inbuf_fill(b, 3) < 0)
		return -1;
	if (inbuf_avail(b) >= 3 && memcmp(inbuf_ptr(b), "\xEF\xBB\xBF", 3) == 0)
		b->start += 3;
	return 0;
}

void inbuf_vfmt_error(char *err, size_t errn, const char *name, uint64_t off, uint64_t line,
                      const char *fmt, va_list ap)
{
	int n = snprintf(err, errn, "%s:%llu: line %llu: ", name, (unsigned long long)off,
	                 (unsigned long long)line);
	if (n > 0 && (size_t)n < errn)
		vsnprintf(err + n, errn - (size_t)n, fmt, ap);
}
