/* tests/fuzz/parquet.c - libFuzzer target for the parquet reader.
 *
 * Reads the input as a parquet file from memory (the same random-access
 * source interface the Hub reader uses), then decodes every field of every
 * row group and touches every byte of every cell, so AddressSanitizer sees
 * any read past what the reader hands out.  `make fuzz` runs it from a seed
 * corpus of small real files (tests/fuzz/parquet.seed). */
#include <stdint.h>
#include <stdlib.h>

#include "formats/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pq_source src;
	char err[512];
	pq_source_memory(&src, data, size, "fuzz");
	struct pq_file *f = pq_open(&src, err, sizeof err);
	if (f) {
		volatile uint64_t sink = 0;
		/* A few bytes of RLE can claim millions of null rows, legitimately;
		 * many row groups sharing one such chunk would make an input that
		 * is slow only by its claims, so stop after a budget of rows. */
		int64_t budget = (int64_t)1 << 22;
		for (int rg = 0; rg < pq_num_row_groups(f) && budget > 0; rg++)
			for (int k = 0; k < pq_num_fields(f); k++) {
				struct pq_range r[4];
				sink += (uint64_t)pq_field_ranges(f, rg, k, r, 4);
				struct pq_cells c;
				if (pq_read_field(f, rg, k, &c, err, sizeof err))
					continue;
				/* rows, and the bytes held, so inputs stay within the fuzzer's memory */
				budget -= c.n + 1 + (int64_t)(c.offsets[c.n] / 64);
				for (int64_t i = 0; i < c.n; i++) {
					sink += c.is_null[i];
					for (uint64_t j = c.offsets[i]; j < c.offsets[i + 1]; j++)
						sink += (unsigned char)c.data[j];
				}
			}
		for (int k = 0; k < pq_num_fields(f); k++)
			sink += (uint64_t)pq_field_type(f, k)[0];
		(void)sink;
		pq_close(f);
	}
	pq_source_close(&src);
	return 0;
}
