/* tests/fuzz/wds.c - libFuzzer target for WebDataset shards (wds.h): any
 * bytes as a shard (plain, or compressed, for libarchive to sort out),
 * read in small chunks, every sample's parts walked and summed, so that
 * no shard reads or writes out of bounds, leaks or loops. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "chunky.h"
#include "wds/wds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const want[] = {"txt", "json"};
	/* The first byte picks the read size and whether to read every part. */
	size_t step = size ? 1 + data[0] % 700 : 1;
	int all = size && (data[0] & 0x80);
	struct wds_opts o = {all ? NULL : want, all ? 0 : 2, 1 << 20};
	struct wds_shard *s = wds_open(chunky_open(data + !!size, size - !!size, step), "fuzz.tar", &o);
	struct wds_sample smp;
	char err[1024];
	int lost;
	size_t sum = 0;
	for (int i = 0; i < 100000; i++) {
		int r = wds_next(s, &smp, err, sizeof err, &lost);
		if (r == WDS_END || r == WDS_BAD_SHARD)
			break;
		if (r != WDS_SAMPLE)
			continue;
		sum += smp.key_len + strlen(smp.key);
		for (size_t j = 0; j < smp.nparts; j++) {
			const struct wds_part *p = &smp.parts[j];
			sum += strlen(p->ext) + strlen(p->member) + p->layout_len;
			for (size_t k = 0; k < p->len; k++)
				sum += p->data[k];
		}
		for (size_t k = 0; k < smp.layout_len; k++)
			sum += smp.layout[k];
	}
	wds_close(s);
	return sum == 1; /* never: keeps the reads from being optimised away */
}
