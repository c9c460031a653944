/* source.c - see source.h */
#define _GNU_SOURCE
#include "base/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"

struct fd_ctx {
	int fd, own_fd, err;
};

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
	struct fd_ctx *c = ctx;
	for (;;) {
		ssize_t got = read(c->fd, buf, n);
		if (got >= 0)
			return got;
		if (errno != EINTR) {
			c->err = errno;
			return -1;
		}
	}
}

static const char *fd_error(void *ctx)
{
	struct fd_ctx *c = ctx;
	return strerror(c->err);
}

static void fd_close(void *ctx)
{
	struct fd_ctx *c = ctx;
	if (c->own_fd)
		close(c->fd);
	free(c);
}

struct source source_fd(int fd, int own_fd)
{
	struct fd_ctx *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->own_fd = own_fd;
	struct source s = {c, fd_read, fd_error, fd_close, 0};
	io_grow_pipe(fd);
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		s.size = (uint64_t)st.st_size;
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	return s;
}

int source_open(struct source *s, const char *path)
{
	if (!path || strcmp(path, "-") == 0) {
		*s = source_fd(0, 0);
		return 0;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*s = source_fd(fd, 1);
	return 0;
}

ssize_t source_read(struct source *s, void *buf, size_t n) { return s->read(s->ctx, buf, n); }

const char *source_error(struct source *s)
{
	return s->error ? s->error(s->ctx) : "read error";
}

void source_close(struct source *s)
{
	if (s->close)
		s->close(s->ctx);
	s->ctx = NULL;
}
