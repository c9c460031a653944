/* tests/fuzz/braces.c - libFuzzer target for shard patterns (braces.h):
 * any bytes as a pattern, expanded and freed, so that no pattern reads
 * or writes out of bounds or grows without limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/braces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = 0;
	char **names, err[512];
	size_t n;
	if (braces_expand(spec, &names, &n, err, sizeof err) == 0)
		braces_free(names, n);
	free(spec);
	return 0;
}
