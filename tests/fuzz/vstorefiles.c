/* tests/fuzz/vstorefiles.c - libFuzzer target for the vector store's own
 * files: any bytes as a segment (vseg_open, then every id, metadata and
 * deleted id read), as a write-ahead log (vwal_replay, every record of
 * every entry walked) or as a dead-slot file (vseg_dead_read), so that a
 * damaged store is refused or read within bounds, never crashed on. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vs/vseg.h"
#include "vs/vwal.h"

static size_t sink;

static int walk(void *ctx, int kind, uint32_t count, const unsigned char *p, size_t len, char *err, size_t errn)
{
	(void)ctx;
	(void)kind;
	(void)count;
	(void)err;
	(void)errn;
	size_t cursor = 0;
	struct vwal_rec r;
	while (vwal_entry_next(p, len, 4, &cursor, &r)) {
		sink += r.id_len + r.meta_len;
		if (r.id_len)
			sink += (unsigned char)r.id[r.id_len - 1];
		if (r.vec)
			sink += r.vec[15];
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char path[64];
	snprintf(path, sizeof path, "/tmp/fuzz-vstore-%d", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1)
		abort();
	fclose(f);
	char err[512];
	if (data[0] & 1) {
		struct vseg *s = vseg_open(path, 4, err, sizeof err);
		if (s) {
			size_t len;
			for (size_t i = 0; i < vseg_count(s); i++) {
				const char *id = vseg_id(s, i, &len);
				sink += len ? (unsigned char)id[len - 1] : 0;
				const char *m = vseg_meta(s, i, &len);
				sink += len ? (unsigned char)m[len - 1] : 0;
				uint32_t bits; /* the float's bytes: any value, NaN included */
				memcpy(&bits, &vseg_vectors(s)[i * 4 + 3], sizeof bits);
				sink += bits;
			}
			for (size_t i = 0; i < vseg_deleted_count(s); i++) {
				const char *id = vseg_deleted_id(s, i, &len);
				sink += len ? (unsigned char)id[len - 1] : 0;
			}
			vseg_close(s);
		}
	} else if (data[0] & 2) {
		/* The slot count is the file's own when it is long enough, so
		 * that the checks past the size are reached too. */
		uint32_t slots = size >= 17 ? (uint32_t)data[9] | (uint32_t)data[10] << 8 : 64;
		size_t ndead;
		uint64_t *bits = vseg_dead_read(path, slots, &ndead, err, sizeof err);
		if (bits) {
			for (size_t w = 0; w < ((size_t)slots + 63) / 64; w++)
				sink += bits[w];
			free(bits);
		}
	} else {
		uint64_t end, n;
		vwal_replay(path, 4, walk, NULL, &end, &n, err, sizeof err);
	}
	unlink(path);
	return 0;
}
