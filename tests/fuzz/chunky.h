/* tests/fuzz/chunky.h - the fuzz input as a source that hands out at most
 * `step` bytes per read, so rows that straddle a buffer refill are
 * exercised even by small inputs.  Shared by the reader fuzz targets. */
#ifndef SLUICE_FUZZ_CHUNKY_H
#define SLUICE_FUZZ_CHUNKY_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/source.h"

struct chunky {
	struct source in;
	size_t step;
};

static ssize_t chunky_read(void *ctx, void *buf, size_t n)
{
	struct chunky *c = ctx;
	return source_read(&c->in, buf, n < c->step ? n : c->step);
}

static const char *chunky_error(void *ctx)
{
	struct chunky *c = ctx;
	return source_error(&c->in);
}

static void chunky_close(void *ctx)
{
	struct chunky *c = ctx;
	source_close(&c->in);
	free(c);
}

/* data through a memfd, read `step` bytes at a time. */
static struct source chunky_open(const uint8_t *data, size_t size, size_t step)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	struct chunky *ch = malloc(sizeof *ch);
	if (!ch)
		abort();
	ch->in = source_fd(fd, 1);
	ch->step = step;
	struct source s = {ch, chunky_read, chunky_error, chunky_close, 0};
	return s;
}

#endif
