/* llmc.c - llm.c and nanoGPT token shards (see llmc.h). */
#include "formats/llmc.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "base/le.h"

int llmc_open(struct llmc_shard *s, const char *path, unsigned raw_width, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(s, 0, sizeof *s);
		s->fd = -1;
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	}
	return llmc_fdopen(s, fd, path, raw_width, err, errn);
}

int llmc_fdopen(struct llmc_shard *s, int fd, const char *name, unsigned raw_width, char *err, size_t errn)
{
	const char *path = name; /* what the messages call it */
	memset(s, 0, sizeof *s);
	s->fd = fd;
	struct stat st;
	if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errorf(err, errn, "%s: not a regular file", path);
		close(s->fd);
		return -1;
	}
	uint64_t size = (uint64_t)st.st_size;
	unsigned char head[12];
	ssize_t got = size >= LLMC_HEADER_BYTES ? read_full(s->fd, head, sizeof head) : 0;
	int32_t magic = got == 12 ? (int32_t)le_get32(head) : 0, version = got == 12 ? (int32_t)le_get32(head + 4) : 0;
	if (magic == LLMC_MAGIC_U16 || magic == LLMC_MAGIC_U32) {
		unsigned width = magic == LLMC_MAGIC_U16 ? 2 : 4;
		int32_t want_version = magic == LLMC_MAGIC_U16 ? LLMC_VERSION_U16 : LLMC_VERSION_U32;
		int64_t n = (int32_t)le_get32(head + 8);
		if (version != want_version) {
			errorf(err, errn, "%s:4: llm.c shard version %d, expected %d for magic %d", path, version,
			       want_version, magic);
		} else if (n < 0 || (uint64_t)n * width + LLMC_HEADER_BYTES != size) {
			errorf(err, errn, "%s:8: the header says %lld tokens of %u bytes, the file holds %llu bytes after it",
			       path, (long long)n, width, (unsigned long long)(size - LLMC_HEADER_BYTES));
		} else {
			s->width = width;
			s->ntokens = (uint64_t)n;
			s->data_off = LLMC_HEADER_BYTES;
		}
	} else if (size % raw_width) {
		errorf(err, errn, "%s: neither an llm.c shard (magic %d or %d) nor raw %u-byte tokens (%llu bytes)", path,
		       LLMC_MAGIC_U16, LLMC_MAGIC_U32, raw_width, (unsigned long long)size);
	} else {
		s->width = raw_width;
		s->ntokens = size / raw_width;
		s->data_off = 0;
	}
	if (!s->width) {
		close(s->fd);
		return -1;
	}
	if (lseek(s->fd, (off_t)s->data_off, SEEK_SET) < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		close(s->fd);
		return -1;
	}
	s->path = xstrdup(path);
	return 0;
}

long llmc_read(struct llmc_shard *s, uint32_t *out, size_t n)
{
	uint64_t left = s->ntokens - s->next;
	if (n > left)
		n = (size_t)left;
	if (n == 0)
		return 0;
	/* Read the narrow tokens into the tail of out, then widen in place
	 * from the front: no second buffer. */
	unsigned char *raw = (unsigned char *)out + n * (4 - s->width);
	ssize_t got = read_full(s->fd, raw, n * s->width);
	if (got < 0)
		return -1;
	if ((size_t)got != n * s->width) {
		errno = EIO; /* the file shrank under us */
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = raw + i * s->width;
		out[i] = s->width == 2 ? le_get16(p) : le_get32(p);
	}
	s->next += n;
	return (long)n;
}

int llmc_seek(struct llmc_shard *s, uint64_t token)
{
	if (token > s->ntokens) {
		errno = EINVAL;
		return -1;
	}
	if (lseek(s->fd, (off_t)(s->data_off + token * s->width), SEEK_SET) < 0)
		return -1;
	s->next = token;
	return 0;
}

void llmc_close(struct llmc_shard *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	s->fd = -1;
	s->path = NULL;
}

void llmc_header(int32_t header[LLMC_HEADER_INTS], unsigned width, uint64_t ntokens)
{
	memset(header, 0, LLMC_HEADER_BYTES);
	header[0] = width == 2 ? LLMC_MAGIC_U16 : LLMC_MAGIC_U32;
	header[1] = width == 2 ? LLMC_VERSION_U16 : LLMC_VERSION_U32;
	header[2] = (int32_t)ntokens;
}

int llmc_width(const char *path, unsigned raw_width, char *err, size_t errn)
{
	struct llmc_shard sh;
	if (llmc_open(&sh, path, raw_width, err, errn) != 0)
		return -1;
	unsigned width = sh.width;
	llmc_close(&sh);
	return (int)width;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int llmc_glob(const char *pattern, char ***paths, size_t *n, char *err, size_t errn)
{
	glob_t g;
	int rc = glob(pattern, GLOB_NOSORT, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return errorf(err, errn, "%s: no file matches", pattern);
	if (rc != 0)
		return errorf(err, errn, "%s: cannot read the directories", pattern);
	/* Shard order is the sorted order of their names, as llm.c's loader. */
	qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, by_name);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		*paths = xrealloc(*paths, (*n + 1) * sizeof **paths);
		(*paths)[(*n)++] = xstrdup(g.gl_pathv[i]);
	}
	globfree(&g);
	return 0;
}
