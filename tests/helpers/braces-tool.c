/* braces-tool - test driver for braces.h: prints the expansion of each
 * argument, one name a line; an error is "braces-tool: MESSAGE", status 1. */
#include <stdio.h>

#include "base/die.h"
#include "base/braces.h"

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char **names, err[512];
		size_t n;
		if (braces_expand(argv[i], &names, &n, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		for (size_t k = 0; k < n; k++)
			puts(names[k]);
		braces_free(names, n);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
