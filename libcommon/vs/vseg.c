/* vseg.c - see vseg.h */
#include "vs/vseg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/le.h"

#define SEG_MAGIC "SLVSEG01"
#define SEG_HEAD 128
#define DEAD_MAGIC "SLVSDEAD"

static void add64(struct buf *b, uint64_t v)
{
	unsigned char x[8];
	le_put64(x, v);
	buf_add(b, x, 8);
}

static void add_table(struct buf *b, size_t n, const char *const *s, const size_t *lens)
{
	uint64_t at = 0;
	add64(b, 0);
	for (size_t i = 0; i < n; i++) {
		at += lens[i];
		add64(b, at);
	}
	for (size_t i = 0; i < n; i++)
		buf_add(b, s[i], lens[i]);
	buf_pad8(b);
}

static int write_atomically(const char *path, const struct buf *b, char *err, size_t errn)
{
	struct atomic_file a;
	if (atomic_open(&a, path) != 0)
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	ssize_t put = 0;
	size_t done = 0;
	while (done < b->len && (put = write(a.fd, b->data + done, b->len - done)) > 0)
		done += (size_t)put;
	if (done < b->len) {
		errorf(err, errn, "%s: write error: %s", path, put < 0 ? strerror(errno) : "no progress");
		atomic_abort(&a);
		return -1;
	}
	if (atomic_commit(&a) != 0)
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	return 0;
}

int vseg_write(const char *path, const struct vseg_data *d, char *err, size_t errn)
{
	struct buf b = {0};
	buf_reserve(&b, SEG_HEAD + d->n * d->dim * 4 + 64);
	unsigned char head[SEG_HEAD] = {0};
	buf_add(&b, head, sizeof head);
	uint64_t vec_off = b.len;
	buf_add(&b, d->vectors, d->n * d->dim * sizeof(float));
	buf_pad8(&b);
	uint64_t ids_off = b.len;
	add_table(&b, d->n, d->ids, d->id_lens);
	uint64_t meta_off = b.len;
	add_table(&b, d->n, d->metas, d->meta_lens);
	uint64_t del_off = b.len;
	add_table(&b, d->ndel, d->del_ids, d->del_lens);
	unsigned char *h = (unsigned char *)b.data;
	memcpy(h, SEG_MAGIC, 8);
	le_put32(h + 8, 1);
	le_put32(h + 12, d->dim);
	le_put64(h + 16, d->n);
	le_put64(h + 24, d->ndel);
	le_put64(h + 32, vec_off);
	le_put64(h + 40, ids_off);
	le_put64(h + 48, meta_off);
	le_put64(h + 56, del_off);
	le_put64(h + 64, XXH3_64bits(b.data + ids_off, b.len - ids_off));
	le_put64(h + 72, XXH3_64bits(b.data + vec_off, ids_off - vec_off));
	le_put64(h + 80, XXH3_64bits(h, 80));

	int rc = write_atomically(path, &b, err, errn);
	buf_free(&b);
	return rc;
}

struct vseg {
	unsigned char *map;
	size_t size;
	uint32_t dim;
	uint64_t n, ndel;
	const float *vectors;
	const unsigned char *ids, *metas, *dels; /* tables: offsets then bytes */
	size_t vec_bytes;
};

/* A string table of count entries at off: its offsets must rise within
 * the file.  Returns its end, or 0 when it does not hold. */
static uint64_t check_table(const struct vseg *s, uint64_t off, uint64_t count)
{
	if (off > s->size || (s->size - off) / 8 < count + 1)
		return 0;
	const unsigned char *t = s->map + off;
	uint64_t bytes_at = off + (count + 1) * 8, prev = 0;
	for (uint64_t i = 0; i <= count; i++) {
		uint64_t v = le_get64(t + 8 * i);
		if (v < prev || v > s->size - bytes_at)
			return 0;
		prev = v;
	}
	return bytes_at + prev;
}

struct vseg *vseg_open(const char *path, uint32_t dim, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < SEG_HEAD) {
		errorf(err, errn, "%s: not a segment (too short)", path);
		close(fd);
		return NULL;
	}
	struct vseg *s = xcalloc(1, sizeof *s);
	s->size = (size_t)st.st_size;
	void *m = mmap(NULL, s->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		errorf(err, errn, "%s: mmap: %s", path, strerror(errno));
		free(s);
		return NULL;
	}
	s->map = m;
	const unsigned char *h = s->map;
	const char *why = NULL;
	if (memcmp(h, SEG_MAGIC, 8) != 0 || le_get32(h + 8) != 1)
		why = "not a segment of this version";
	else if (le_get32(h + 12) != dim)
		why = "of another dimension";
	else if (XXH3_64bits(h, 80) != le_get64(h + 80))
		why = "header checksum mismatch (damaged)";
	if (!why) {
		s->dim = dim;
		s->n = le_get64(h + 16);
		s->ndel = le_get64(h + 24);
		uint64_t vec_off = le_get64(h + 32), ids_off = le_get64(h + 40), meta_off = le_get64(h + 48),
		         del_off = le_get64(h + 56);
		if (vec_off != SEG_HEAD || s->n > (s->size - SEG_HEAD) / 4 / (dim ? dim : 1) ||
		    ids_off < vec_off + s->n * dim * 4 || check_table(s, ids_off, s->n) == 0 ||
		    meta_off < check_table(s, ids_off, s->n) || check_table(s, meta_off, s->n) == 0 ||
		    del_off < check_table(s, meta_off, s->n) || check_table(s, del_off, s->ndel) == 0) {
			why = "offsets out of bounds (damaged)";
		} else if (XXH3_64bits(s->map + ids_off, s->size - ids_off) != le_get64(h + 64)) {
			why = "checksum mismatch in the ids or metadata (damaged)";
		} else {
			s->vectors = (const float *)(s->map + vec_off);
			s->ids = s->map + ids_off;
			s->metas = s->map + meta_off;
			s->dels = s->map + del_off;
			s->vec_bytes = ids_off - vec_off;
		}
	}
	if (why) {
		errorf(err, errn, "%s: %s", path, why);
		vseg_close(s);
		return NULL;
	}
	return s;
}

void vseg_close(struct vseg *s)
{
	if (!s)
		return;
	munmap(s->map, s->size);
	free(s);
}

static const char *table_at(const unsigned char *t, uint64_t count, size_t i, size_t *len)
{
	uint64_t a = le_get64(t + 8 * i), b = le_get64(t + 8 * (i + 1));
	*len = (size_t)(b - a);
	return (const char *)t + (count + 1) * 8 + a;
}

size_t vseg_count(const struct vseg *s) { return (size_t)s->n; }
size_t vseg_deleted_count(const struct vseg *s) { return (size_t)s->ndel; }
const float *vseg_vectors(const struct vseg *s) { return s->vectors; }
const char *vseg_id(const struct vseg *s, size_t i, size_t *len) { return table_at(s->ids, s->n, i, len); }
const char *vseg_meta(const struct vseg *s, size_t i, size_t *len) { return table_at(s->metas, s->n, i, len); }
const char *vseg_deleted_id(const struct vseg *s, size_t i, size_t *len)
{
	return table_at(s->dels, s->ndel, i, len);
}
uint64_t vseg_file_size(const struct vseg *s) { return s->size; }

int vseg_verify(const struct vseg *s)
{
	return XXH3_64bits(s->map + SEG_HEAD, s->vec_bytes) == le_get64(s->map + 72) ? 0 : -1;
}

int vseg_dead_write(const char *path, const uint64_t *bits, uint32_t slots, char *err, size_t errn)
{
	size_t words = ((size_t)slots + 63) / 64;
	struct buf b = {0};
	buf_reserve(&b, 32 + words * 8);
	buf_add(&b, DEAD_MAGIC, 8);
	add64(&b, slots);
	size_t at_count = b.len, ndead = 0;
	add64(&b, 0);
	for (size_t w = 0; w < words; w++) {
		uint64_t v = bits[w];
		if (w == words - 1 && slots % 64)
			v &= (1ull << (slots % 64)) - 1;
		ndead += (size_t)__builtin_popcountll(v);
		add64(&b, v);
	}
	le_put64((unsigned char *)b.data + at_count, ndead);
	add64(&b, XXH3_64bits(b.data, b.len));
	int rc = write_atomically(path, &b, err, errn);
	buf_free(&b);
	return rc;
}

uint64_t *vseg_dead_read(const char *path, uint32_t slots, size_t *ndead, char *err, size_t errn)
{
	size_t len;
	unsigned char *p = io_read_file(path, &len);
	if (!p) {
		int e = errno;
		errorf(err, errn, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	size_t words = ((size_t)slots + 63) / 64;
	uint64_t *bits = NULL;
	const char *why = NULL;
	if (len != 32 + words * 8 || memcmp(p, DEAD_MAGIC, 8) != 0)
		why = "not a dead-slot file of this store";
	else if (XXH3_64bits(p, len - 8) != le_get64(p + len - 8))
		why = "does not match its checksum (damaged)";
	else if (le_get64(p + 8) != slots)
		why = "is for another number of slots than the segments hold";
	if (!why) {
		bits = xmalloc((words + 1) * sizeof *bits);
		size_t count = 0;
		for (size_t w = 0; w < words; w++) {
			bits[w] = le_get64(p + 24 + 8 * w);
			count += (size_t)__builtin_popcountll(bits[w]);
		}
		if (count != le_get64(p + 16) || (slots % 64 && (bits[words - 1] >> (slots % 64)) != 0)) {
			why = "is inconsistent (damaged)";
			free(bits);
			bits = NULL;
		} else {
			*ndead = count;
		}
	}
	free(p);
	if (why) {
		errorf(err, errn, "%s: %s", path, why);
		errno = EINVAL;
	}
	return bits;
}
