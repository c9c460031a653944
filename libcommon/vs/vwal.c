/* vwal.c - see vwal.h */
#include "vs/vwal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/die.h"
#include "base/io.h"
#include "base/le.h"

#define WAL_MAGIC "SLVWAL01"
#define WAL_HEAD 16
#define ENTRY_MAGIC 0x45574C53u
#define ENTRY_HEAD 16
/* No batch is this large; a length beyond it is a torn or foreign head. */
#define ENTRY_MAX (1u << 30)

static void add32(struct buf *b, uint32_t v)
{
	unsigned char x[4];
	le_put32(x, v);
	buf_add(b, x, 4);
}

void vwal_entry_begin(struct buf *b, int kind, uint32_t count)
{
	buf_clear(b);
	unsigned char head[8] = {(unsigned char)kind, 0, 0, 0};
	le_put32(head + 4, count);
	buf_add(b, head, sizeof head);
}

void vwal_entry_upsert(struct buf *b, const char *id, size_t id_len, const char *meta, size_t meta_len,
                       const float *vec, uint32_t dim)
{
	add32(b, (uint32_t)id_len);
	buf_add(b, id, id_len);
	add32(b, (uint32_t)meta_len);
	buf_add(b, meta, meta_len);
	buf_add(b, vec, (size_t)dim * sizeof *vec); /* little-endian hosts only, as rec.h */
}

void vwal_entry_delete(struct buf *b, const char *id, size_t id_len)
{
	add32(b, (uint32_t)id_len);
	buf_add(b, id, id_len);
}

void vwal_entry_head(const unsigned char *p, int *kind, uint32_t *count)
{
	*kind = p[0];
	*count = le_get32(p + 4);
}

/* One record at *cursor (0: the first): 1, 0 at the end, -1 if the
 * payload does not hold it. */
static int next_rec(const unsigned char *p, size_t len, uint32_t dim, int kind, size_t *cursor,
                    struct vwal_rec *out)
{
	size_t at = *cursor ? *cursor : 8;
	if (at == len)
		return 0;
	if (len - at < 4)
		return -1;
	size_t id_len = le_get32(p + at);
	at += 4;
	if (id_len > len - at)
		return -1;
	*out = (struct vwal_rec){(const char *)p + at, id_len, NULL, 0, NULL};
	at += id_len;
	if (kind == VWAL_UPSERT) {
		if (len - at < 4)
			return -1;
		size_t meta_len = le_get32(p + at);
		at += 4;
		if (meta_len > len - at)
			return -1;
		out->meta = (const char *)p + at;
		out->meta_len = meta_len;
		at += meta_len;
		size_t vec_len = (size_t)dim * 4;
		if (vec_len > len - at)
			return -1;
		out->vec = p + at;
		at += vec_len;
	}
	*cursor = at;
	return 1;
}

int vwal_entry_next(const unsigned char *p, size_t len, uint32_t dim, size_t *cursor, struct vwal_rec *out)
{
	return next_rec(p, len, dim, p[0], cursor, out) > 0;
}

/* Whether a checksummed payload is laid out as its head says. */
static int payload_ok(const unsigned char *p, size_t len, uint32_t dim)
{
	if (len < 8 || (p[0] != VWAL_UPSERT && p[0] != VWAL_DELETE))
		return 0;
	uint32_t count = le_get32(p + 4), seen = 0;
	size_t cursor = 0;
	struct vwal_rec r;
	int got;
	while ((got = next_rec(p, len, dim, p[0], &cursor, &r)) > 0)
		seen++;
	return got == 0 && seen == count;
}

int vwal_create(const char *path, uint32_t dim)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	unsigned char head[WAL_HEAD];
	memcpy(head, WAL_MAGIC, 8);
	le_put32(head + 8, 1);
	le_put32(head + 12, dim);
	if (write(fd, head, sizeof head) != (ssize_t)sizeof head || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e ? e : EIO;
		return -1;
	}
	return close(fd);
}

int vwal_replay(const char *path, uint32_t dim, vwal_apply_fn apply, void *ctx, uint64_t *valid_end,
                uint64_t *entries, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	unsigned char head[WAL_HEAD];
	if (read_full(fd, head, sizeof head) != (ssize_t)sizeof head || memcmp(head, WAL_MAGIC, 8) != 0 ||
	    le_get32(head + 8) != 1 || le_get32(head + 12) != dim) {
		errorf(err, errn, "%s: not a write-ahead log of this store (version 1, dim %u)", path, dim);
		close(fd);
		return -1;
	}
	uint64_t at = WAL_HEAD, n = 0;
	unsigned char *payload = NULL;
	size_t cap = 0;
	int rc = 0;
	for (;;) {
		unsigned char eh[ENTRY_HEAD];
		ssize_t got = read_full(fd, eh, sizeof eh);
		if (got < 0) {
			errorf(err, errn, "%s: read error: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		if (got < (ssize_t)sizeof eh || le_get32(eh) != ENTRY_MAGIC)
			break; /* the end, or a torn head */
		uint32_t len = le_get32(eh + 4);
		if (len > ENTRY_MAX)
			break;
		if (len > cap) {
			cap = len;
			payload = xrealloc(payload, cap);
		}
		got = read_full(fd, payload, len);
		if (got < 0) {
			errorf(err, errn, "%s: read error: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		if ((size_t)got < len || XXH3_64bits(payload, len) != le_get64(eh + 8) || !payload_ok(payload, len, dim))
			break; /* torn or damaged: nothing after it was acknowledged */
		int kind;
		uint32_t count;
		vwal_entry_head(payload, &kind, &count);
		if (apply(ctx, kind, count, payload, len, err, errn) != 0) {
			rc = -1;
			break;
		}
		at += ENTRY_HEAD + len;
		n++;
	}
	free(payload);
	close(fd);
	if (valid_end)
		*valid_end = at;
	if (entries)
		*entries = n;
	return rc;
}

struct vwal {
	int fd;
	char *path;
	uint64_t size;
};

struct vwal *vwal_open_append(const char *path, uint64_t valid_end, char *err, size_t errn)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || (st.st_size > 0 && (uint64_t)st.st_size > valid_end &&
	                            (ftruncate(fd, (off_t)valid_end) != 0 || fsync(fd) != 0))) {
		errorf(err, errn, "%s: cutting off a torn entry: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (lseek(fd, (off_t)valid_end, SEEK_SET) < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	struct vwal *w = xcalloc(1, sizeof *w);
	w->fd = fd;
	w->path = xstrdup(path);
	w->size = valid_end;
	return w;
}

int vwal_append(struct vwal *w, const void *payload, size_t len, int sync, char *err, size_t errn)
{
	if (len > ENTRY_MAX)
		return errorf(err, errn, "a batch of %zu bytes is over the log's 1 GiB entry limit", len);
	unsigned char eh[ENTRY_HEAD];
	le_put32(eh, ENTRY_MAGIC);
	le_put32(eh + 4, (uint32_t)len);
	le_put64(eh + 8, XXH3_64bits(payload, len));
	/* One write of head and payload would need a copy; two writes are
	 * fine: until the fsync returns, nothing is acknowledged. */
	const unsigned char *parts[2] = {eh, payload};
	size_t lens[2] = {sizeof eh, len};
	for (int i = 0; i < 2; i++) {
		size_t done = 0;
		while (done < lens[i]) {
			ssize_t n = write(w->fd, parts[i] + done, lens[i] - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return errorf(err, errn, "%s: write error: %s", w->path, n < 0 ? strerror(errno) : "no progress");
			done += (size_t)n;
		}
	}
	w->size += sizeof eh + len;
	return sync ? vwal_sync(w, err, errn) : 0;
}

int vwal_sync(struct vwal *w, char *err, size_t errn)
{
	if (fsync(w->fd) != 0)
		return errorf(err, errn, "%s: fsync: %s", w->path, strerror(errno));
	return 0;
}

uint64_t vwal_size(const struct vwal *w) { return w->size; }

void vwal_close(struct vwal *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w->path);
	free(w);
}
