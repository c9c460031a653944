/* source.h - a sequential byte source: a file descriptor today, and a
 * decompressor or an HTTP body stacked on another source, so that one
 * buffered reader (rec.h) serves records and lines from any of them. */
#ifndef SLUICE_SOURCE_H
#define SLUICE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct source {
	void *ctx;
	/* Up to n bytes into buf: the count, 0 at the end, or -1 on error. */
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	/* What went wrong after read returned -1 (one line, no newline). */
	const char *(*error)(void *ctx);
	/* Releases ctx (and any source beneath it); may be NULL. */
	void (*close)(void *ctx);
	uint64_t size; /* total bytes if known in advance (a regular file), else 0 */
};

/* A source over a descriptor; with own_fd the descriptor is closed with it.
 * Regular files report their size; pipes get a larger kernel buffer. */
struct source source_fd(int fd, int own_fd);
/* Opens path ("-" is stdin); returns -1 with errno set on failure. */
int source_open(struct source *s, const char *path);
ssize_t source_read(struct source *s, void *buf, size_t n);
const char *source_error(struct source *s);
void source_close(struct source *s);

#endif
