/* tests/fuzz/countfile.c - libFuzzer target for tok-bpe's count files
 * (tok/countfile.h): the first two bytes say where the rest splits into
 * two files, and the two are read as one merged sum, as
 * `tok-bpe train --from-counts A B` does.  No file may make the reader
 * crash, read out of bounds, end the program, or fail without saying why;
 * and what it hands out must keep the order it promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tempfile.h"
#include "tok/countfile.h"

static void read_merged(char **paths)
{
	struct countfile_merge *m = countfile_merge_open(2, paths);
	int status = 0;
	if (countfile_merge_error(m, &status)) {
		if (!status || !countfile_merge_error(m, NULL)[0])
			abort(); /* a failure says why, with a status */
		countfile_merge_close(m);
		return;
	}
	uint8_t *prev = NULL;
	size_t prev_len = 0;
	int got, have_prev = 0;
	const uint8_t *word;
	size_t len;
	uint64_t count;
	while ((got = countfile_merge_next(m, &word, &len, &count)) > 0) {
		/* the sum of the union is strictly increasing, each word once */
		if (have_prev && countfile_cmp(prev, prev_len, word, len) >= 0)
			abort();
		free(prev);
		prev = malloc(len ? len : 1);
		if (!prev)
			abort();
		if (len)
			memcpy(prev, word, len);
		prev_len = len, have_prev = 1;
	}
	if (got < 0 && (!countfile_merge_error(m, &status) || !status))
		abort();
	free(prev);
	countfile_merge_close(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t split = (size_t)data[0] | (size_t)data[1] << 8;
	data += 2, size -= 2;
	if (split > size)
		split = size;
	char a[] = "/tmp/fuzz-countfile-XXXXXX", b[] = "/tmp/fuzz-countfile-XXXXXX";
	int ok_a = fuzz_temp_file(a, data, split) == 0;
	int ok_b = ok_a && fuzz_temp_file(b, data + split, size - split) == 0;
	if (ok_b)
		read_merged((char *[]){a, b});
	if (ok_a)
		unlink(a);
	if (ok_b)
		unlink(b);
	return 0;
}
