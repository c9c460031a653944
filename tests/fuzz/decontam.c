/* tests/fuzz/decontam.c - libFuzzer target for saved decontamination
 * indexes (decontam.h): arbitrary bytes written to a file and loaded, so
 * that no header can make decontam_load allocate absurd sizes, read past
 * the file or build a table a lookup never leaves.  Each input is loaded
 * twice, the second time with its checksum made right, so that the checks
 * behind the checksum are reached too; an index that loads is probed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "dedup/decontam.h"
#include "tempfile.h"

#define HEADER 48

static void load_and_probe(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-decontam-XXXXXX";
	int ok = fuzz_temp_file(path, data, size) == 0;
	if (ok) {
		char err[512];
		struct decontam *d = decontam_load(path, 5, NORMALIZE_WS, err, sizeof err);
		if (d) {
			static const char doc[] = "a b c d e f g h i j k l m n o p";
			decontam_match(d, doc, sizeof doc - 1);
			decontam_free(d);
		} else if (!err[0]) {
			abort(); /* a failure says why */
		}
		decontam_is_index(path);
	}
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load_and_probe(data, size);
	if (size >= HEADER) {
		uint8_t *fixed = malloc(size);
		if (!fixed)
			return 0;
		memcpy(fixed, data, size);
		uint64_t sum = XXH3_64bits(fixed + HEADER, size - HEADER);
		memcpy(fixed + 40, &sum, 8);
		load_and_probe(fixed, size);
		free(fixed);
	}
	return 0;
}
