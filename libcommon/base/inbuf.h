/* inbuf.h - the input buffer under every reader of a byte source (records,
 * CSV, text lines, JSON): a 64-byte-aligned window of unread bytes that
 * knows their input offsets and grows only as bytes arrive.  Readers scan
 * buf[start..end) in place, consume what they parsed, and keep their lines. */
#ifndef SLUICE_INBUF_H
#define SLUICE_INBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/source.h"

struct inbuf {
	struct source src;
	unsigned char *buf;     /* 64-byte aligned */
	size_t cap, start, end; /* the unread bytes are buf[start..end) */
	uint64_t base;          /* input offset of buf[0] */
	int eof;                /* the source has ended */
};

/* Takes over src (closed by inbuf_free) with a 1 MiB buffer. */
void inbuf_init(struct inbuf *b, struct source src);
/* Frees the buffer and closes the source; a zeroed inbuf is fine too. */
void inbuf_free(struct inbuf *b);

/* Reads until at least need bytes are unread, or the input ends (eof set).
 * Unread bytes move to buf[0] only when need would not fit after start:
 * a reader that fills only at input offsets that are multiples of 8 (the
 * record reader, at frame starts) finds every 8-aligned offset at an
 * 8-aligned address.  The buffer doubles only when it is full of bytes
 * that arrived, so a promise of a gigabyte costs nothing until the
 * gigabyte is there.  Returns 0, or -1 on a read error (inbuf_error says
 * what); buffered bytes may have moved either way. */
int inbuf_fill(struct inbuf *b, size_t need);

/* Reads more than is unread now, unless the input has ended. */
static inline int inbuf_more(struct inbuf *b) { return inbuf_fill(b, b->end - b->start + 1); }

static inline size_t inbuf_avail(const struct inbuf *b) { return b->end - b->start; }
static inline unsigned char *inbuf_ptr(const struct inbuf *b) { return b->buf + b->start; }
static inline void inbuf_consume(struct inbuf *b, size_t n) { b->start += n; }
/* Input offset of the next unread byte. */
static inline uint64_t inbuf_offset(const struct inbuf *b) { return b->base + b->start; }
/* Input offset just past the buffered bytes: where a failed read was. */
static inline uint64_t inbuf_end_offset(const struct inbuf *b) { return b->base + b->end; }
/* What went wrong after inbuf_fill returned -1. */
static inline const char *inbuf_error(struct inbuf *b) { return source_error(&b->src); }

/* Newlines in p[0..n): how readers keep their line numbers. */
static inline uint64_t inbuf_count_newlines(const unsigned char *p, size_t n)
{
	uint64_t k = 0;
	const unsigned char *end = p + n;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/* Drops a UTF-8 byte order mark at the read position.  0, or -1 on a read
 * error. */
int inbuf_skip_bom(struct inbuf *b);

/* Writes "NAME:OFFSET: line N: " and then fmt into err (one line, cut to
 * errn): the error form of the row readers. */
void inbuf_vfmt_error(char *err, size_t errn, const char *name, uint64_t off, uint64_t line,
                      const char *fmt, va_list ap);

#endif
