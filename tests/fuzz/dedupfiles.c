/* tests/fuzz/dedupfiles.c - libFuzzer target for rec-dedup's stage files:
 * the first byte picks a signature file (sigfile.h) or a bucket file
 * (buckets.h), the rest is written to a file and opened, and whatever
 * opens is read through: every entry, key and set of a signature file,
 * every member of a bucket file.  No file may make a reader allocate
 * absurd sizes, read out of bounds, or fail without saying why. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "dedup/buckets.h"
#include "dedup/sigfile.h"
#include "tempfile.h"

static void read_sig(const char *path)
{
	struct sig_file s;
	char err[512] = "";
	if (sig_open(&s, path, err, sizeof err) < 0) {
		if (!err[0])
			abort(); /* a failure says why */
		return;
	}
	uint64_t sum = 0;
	for (uint64_t i = 0; i < s.n; i++) {
		const uint64_t *e = sig_entry(&s, i);
		for (size_t w = 0; w < s.entry_words; w++)
			sum += e[w];
		size_t len, n;
		const char *key = sig_key(&s, i, &len);
		for (size_t k = 0; k < len; k++)
			sum += (unsigned char)key[k];
		if (s.p.sets) {
			const uint64_t *set = sig_set(&s, i, &n);
			for (size_t k = 0; k < n; k++)
				sum += set[k];
		}
	}
	sig_fingerprint(&s, 1);
	sig_close(&s);
	if (sum == 42)
		sig_is_sig_file(path);
}

static void read_bkt(const char *path)
{
	struct bkt_reader r;
	char err[512] = "";
	if (bkt_open(&r, path, err, sizeof err) < 0) {
		if (!err[0])
			abort();
		return;
	}
	uint64_t m;
	int rc;
	while ((rc = bkt_next(&r, &m, err, sizeof err)) > 0)
		;
	if (rc < 0 && !err[0])
		abort();
	bkt_close(&r);
	bkt_is_bucket_file(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char path[] = "/tmp/fuzz-dedupfiles-XXXXXX";
	int ok = fuzz_temp_file(path, data + 1, size - 1) == 0;
	if (ok) {
		if (data[0] & 1)
			read_bkt(path);
		else
			read_sig(path);
	}
	unlink(path);
	return 0;
}
