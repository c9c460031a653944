/* tests/fuzz/mapped.h - the fuzz input as text: when the first byte's low
 * bit is set, every further byte picks a piece from the target's alphabet
 * (what its rules look at), so that short inputs reach deep rules; else
 * the bytes are the text as they are.  Shared by the text fuzz targets. */
#ifndef SLUICE_FUZZ_MAPPED_H
#define SLUICE_FUZZ_MAPPED_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The text of data (size bytes, first byte included) in a new allocation
 * of exactly its length (at least one byte), so that a read past the text
 * is a read past the allocation; *n its length.  "" in the alphabet
 * stands for a NUL byte.  NULL when out of memory. */
static uint8_t *fuzz_mapped_text(const uint8_t *data, size_t size, const char *const *alphabet, size_t na,
                                 size_t *n)
{
	int mapped = data[0] & 1;
	data++, size--;
	size_t longest = 1;
	for (size_t i = 0; i < na; i++)
		if (strlen(alphabet[i]) > longest)
			longest = strlen(alphabet[i]);
	uint8_t *s = malloc(mapped ? longest * size + 1 : size + 1);
	if (!s)
		return NULL;
	*n = 0;
	if (mapped) {
		for (size_t i = 0; i < size; i++) {
			const char *a = alphabet[data[i] % na];
			size_t k = *a ? strlen(a) : 1;
			memcpy(s + *n, a, k);
			*n += k;
		}
	} else {
		memcpy(s, data, size);
		*n = size;
	}
	uint8_t *t = malloc(*n ? *n : 1);
	if (t)
		memcpy(t, s, *n);
	free(s);
	return t;
}

#endif
