/* ckpt-tool - drives libcommon/model/ckpt for tests/ckpt.bats:
 *   ckpt-tool save DIR STEP KEEP NAME=TEXT...   write a checkpoint
 *   ckpt-tool latest DIR                        print the newest's path and step
 *   ckpt-tool cat CKPT NAME                     print a file of a checkpoint */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "model/ckpt.h"

int main(int argc, char **argv)
{
	char err[512];
	if (argc >= 5 && strcmp(argv[1], "save") == 0) {
		size_t n = (size_t)argc - 5;
		struct ckpt_file *files = xcalloc(n + 1, sizeof *files);
		for (size_t i = 0; i < n; i++) {
			char *eq = strchr(argv[5 + i], '=');
			if (!eq)
				die(STATUS_USAGE, "NAME=TEXT expected: %s", argv[5 + i]);
			*eq = '\0';
			files[i] = (struct ckpt_file){argv[5 + i], eq + 1, strlen(eq + 1)};
		}
		int rc = ckpt_save(argv[2], strtoull(argv[3], NULL, 10), files, n, (unsigned)atoi(argv[4]), err, sizeof err);
		free(files);
		if (rc)
			die(STATUS_FAIL, "%s", err);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "latest") == 0) {
		uint64_t step;
		char *p = ckpt_latest(argv[2], &step);
		if (!p)
			return 1;
		printf("%s %llu\n", p, (unsigned long long)step);
		free(p);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "cat") == 0) {
		size_t len;
		char *data = ckpt_load(argv[2], argv[3], &len, err, sizeof err);
		if (!data)
			die(STATUS_FAIL, "%s", err);
		fwrite(data, 1, len, stdout);
		free(data);
		return 0;
	}
	die(STATUS_USAGE, "usage: ckpt-tool save DIR STEP KEEP NAME=TEXT... | latest DIR | cat CKPT NAME");
}
