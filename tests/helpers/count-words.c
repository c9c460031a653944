/* count-words - the distinct words and the pieces of tok-bpe count files
 * summed as `tok-bpe train --from-counts` sums them (tok/countfile.h):
 *
 *   count-words FILE...     "words N pieces N" on stdout
 *
 * For bench/tok-bpe-count.sh, whose corpora hold tens of millions of
 * distinct words.  Exit 0, or the reader's status with its one line. */
#include <stdio.h>

#include "base/die.h"
#include "tok/countfile.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		die(2, "usage: count-words FILE...");
	struct countfile_merge *m = countfile_merge_open(argc - 1, argv + 1);
	const uint8_t *word;
	size_t len;
	uint64_t count, words = 0, pieces = 0;
	int got;
	while ((got = countfile_merge_next(m, &word, &len, &count)) > 0) {
		words++;
		pieces += count;
	}
	int status;
	const char *err = countfile_merge_error(m, &status);
	if (err)
		die(status, "%s", err);
	printf("words %llu pieces %llu\n", (unsigned long long)words, (unsigned long long)pieces);
	countfile_merge_close(m);
	return 0;
}
