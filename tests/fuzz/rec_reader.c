/* tests/fuzz/rec_reader.c - libFuzzer target for the record reader.
 *
 * Feeds arbitrary bytes to rec_next() through a memfd, in record mode and
 * in lines mode, and touches every byte of every payload view it hands
 * out, so AddressSanitizer sees any read past a frame.  `make fuzz` runs
 * it for FUZZ_SECONDS from a seed corpus of real streams. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rec/rec.h"

static uint64_t touch(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += c[i];
	return sum;
}

static uint64_t walk(const struct rec_frame *f)
{
	uint64_t sum = touch(f->payload, f->payload_len);
	if (f->key)
		sum += touch(f->key, f->key_len);
	switch (f->type) {
	case REC_TOKENS:
		for (size_t i = 0; i < rec_tokens_count(f); i++)
			sum += rec_token_at(f, i);
		break;
	case REC_BATCH: {
		struct rec_batch b;
		rec_batch_view(f, &b);
		size_t n = (size_t)b.B * ((size_t)b.T + 1);
		sum += touch(b.tokens, n * rec_dtype_size(b.dtype));
		if (b.mask)
			sum += touch(b.mask, n);
		break;
	}
	case REC_VECTOR: {
		struct rec_vector v;
		rec_vector_view(f, &v);
		sum += touch(v.values, (size_t)v.dim * 4) + touch(v.meta, v.meta_len);
		break;
	}
	case REC_SAMPLE: {
		struct rec_part part;
		size_t cursor = 0;
		while (rec_sample_next(f, &cursor, &part))
			sum += touch(part.name, part.name_len) + touch(part.data, part.data_len);
		break;
	}
	default:
		break;
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int lines = 0; lines < 2; lines++) {
		int fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		if (size && write(fd, data, size) != (ssize_t)size)
			abort();
		lseek(fd, 0, SEEK_SET);
		struct rec_reader *r = rec_reader_fdopen(fd, "fuzz", lines ? REC_READ_LINES : 0);
		struct rec_frame f;
		volatile uint64_t sink = 0;
		while (rec_next(r, &f) > 0)
			sink += walk(&f);
		(void)sink;
		rec_reader_close(r);
		close(fd);
	}
	return 0;
}
