/* tests/fuzz/tempfile.h - the fuzz input as a file, for the targets whose
 * readers open a path: written under a new name from a mkstemp template
 * ("/tmp/fuzz-NAME-XXXXXX", rewritten in place), which the target unlinks
 * when done. */
#ifndef SLUICE_FUZZ_TEMPFILE_H
#define SLUICE_FUZZ_TEMPFILE_H

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* 0 with the n bytes in the file named by path; -1 when none could be
 * made or written (then nothing is left to unlink, or path is to unlink
 * all the same: the caller unlinks path whenever it returns 0). */
static int fuzz_temp_file(char *path, const uint8_t *data, size_t n)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	int ok = write(fd, data, n) == (ssize_t)n;
	close(fd);
	if (!ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

#endif
