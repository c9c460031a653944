/* tests/fuzz/csv.c - libFuzzer target for the CSV reader (and the
 * decompressors in front of it).
 *
 * The first byte picks the options: delimiter, whether invalid UTF-8 is
 * allowed, a small row limit, and how many bytes each read hands over, so
 * rows split across refills (the parser's resume path) are exercised on
 * inputs far smaller than the reader's buffer.  The rest goes through a
 * memfd and decomp_open, then every field of every row is touched so
 * AddressSanitizer sees any view past the buffer. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chunky.h"
#include "base/decomp.h"
#include "formats/csv.h"

static uint64_t touch(const char *p, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)p[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned opt = data[0];
	data++;
	size--;
	static const size_t steps[] = {1, 2, 3, 7, 64, 4096, 1 << 20, 1 << 20};
	struct source s = chunky_open(data, size, steps[opt & 7]), d;
	char err[512];
	if (decomp_open(&d, s, "fuzz", err, sizeof err) != 0)
		return 0;
	struct csv_opts o = {(opt & 8) ? '\t' : ',', (opt & 16) != 0, (opt & 32) ? 256 : 0};
	struct csv_reader *r;
	if (csv_open(&r, d, "fuzz", &o, err, sizeof err) != 0)
		return 0;
	volatile uint64_t sink = 0;
	size_t n = csv_ncols(r);
	const struct csv_field *cols = csv_columns(r), *row;
	for (size_t k = 0; k < n; k++)
		sink += touch(cols[k].ptr, cols[k].len);
	while (csv_next(r, &row, err, sizeof err) > 0) {
		for (size_t k = 0; k < n; k++)
			sink += touch(row[k].ptr, row[k].len);
		sink += csv_row_line(r) + csv_row_offset(r);
	}
	(void)sink;
	csv_close(r);
	return 0;
}
