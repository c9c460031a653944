/* tests/fuzz/dataset.c - libFuzzer target for the dataset layout resolver.
 *
 * The input is README.md text, then NUL-separated repo paths; without a
 * NUL it is all README over a fixed little tree, so the YAML side gets
 * fuzzed with files its patterns can find.  Every path is also tried as a
 * glob against the others, and every resolved config and split is looked
 * up and walked, so AddressSanitizer sees what the accessors hand out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/dataset.h"

#define MAX_PATHS 32

static const char *const fixed[] = {
	"README.md", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
	"data/test-00000-of-00001.parquet", "en/train.jsonl.gz", "en/dev.csv", "fr/x/validation_1.txt",
	".hidden/a.csv", "__pycache__/b.json", "_x/c.tsv", "logs/run.eval", "misc/notes.md",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	struct ds_file files[MAX_PATHS];
	size_t nfiles = 0;
	char *nul = memchr(copy, '\0', size);
	size_t readme_len = nul ? (size_t)(nul - copy) : size;
	if (nul) {
		for (char *p = nul + 1; p < copy + size && nfiles < MAX_PATHS; p += strlen(p) + 1) {
			files[nfiles] = (struct ds_file){p, nfiles};
			nfiles++;
		}
	} else {
		for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
			files[nfiles] = (struct ds_file){(char *)fixed[i], i};
			nfiles++;
		}
	}
	char err[256];
	struct ds_layout *l = ds_resolve(copy, readme_len, files, nfiles, err, sizeof err);
	volatile size_t sink = 0;
	if (l) {
		for (size_t i = 0; i < ds_config_count(l); i++) {
			const struct ds_config *c = ds_config_at(l, i);
			sink += strlen(ds_config_name(c)) + (size_t)ds_config_is_default(c);
			if (ds_config_data_dir(c))
				sink += strlen(ds_config_data_dir(c));
			if (!ds_find_config(l, ds_config_name(c), err, sizeof err))
				sink += strlen(err);
			for (size_t k = 0; k < ds_split_count(c); k++) {
				const struct ds_split *s = ds_split_at(c, k);
				if (ds_find_split(c, ds_split_name(s), err, sizeof err) != s)
					abort(); /* split names are unique */
				sink += strlen(ds_format_name(ds_split_format(s)));
				for (size_t f = 0; f < ds_split_file_count(s); f++)
					sink += strlen(ds_split_file(s, f)->path) + ds_split_file(s, f)->size;
			}
			if (!ds_find_split(c, "no such split", err, sizeof err))
				sink += strlen(err);
		}
		if (!ds_find_config(l, NULL, err, sizeof err))
			sink += strlen(err);
		ds_free(l);
	} else {
		sink += strlen(err);
	}
	if (nul)
		for (size_t i = 0; i < nfiles; i++)
			for (size_t k = 0; k < nfiles; k++)
				sink += (size_t)(ds_glob_match(files[i].path, files[k].path) + 1);
	(void)sink;
	free(copy);
	return 0;
}
