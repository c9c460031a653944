/* dataset.h - a dataset repository's layout: configs, their splits, and the
 * data files of each split, resolved the way Hugging Face `datasets` does
 * for a repository without a loading script.
 *
 * The input is abstract (README.md text and a list of repo-relative paths
 * with sizes) so the same rules serve a local directory (ds_list_local) and
 * a remote Hub file tree.  The rules, and where `datasets` states them:
 *
 *   configs   README.md YAML front matter, `configs:` (utils/metadata.py
 *             MetadataConfigs; the front matter found as huggingface_hub's
 *             RepoCard does); without it one config, "default".
 *   splits    a config's `data_files` (data_files.py sanitize_patterns), or
 *             the default patterns (data_files.py _get_data_files_patterns):
 *             sharded `data/{split}-00000-of-00001.*` names, then `*.eval`
 *             logs, then split keywords in directory names, then in file
 *             names, then everything as `train`.
 *   files     fsspec glob semantics (`*` and `?` stay inside one path
 *             component, `**` is a whole component and crosses them), each
 *             pattern's matches sorted, patterns concatenated in order;
 *             hidden paths and `__dirs__` skipped unless the pattern names
 *             them (data_files.py resolve_pattern).
 *   format    the most common data extension of a split's files, ties going
 *             to parquet, then jsonl, json, csv, then the extension that
 *             sorts last (load.py infer_module_for_data_files_list); files
 *             another reader would need are dropped from the split.
 *
 * Only the formats sluice reads count as data: parquet, jsonl/ndjson, json,
 * csv, tsv and txt, the text ones optionally compressed (.gz .zst .bz2 .xz
 * .lz4).  Which default patterns apply is still decided over every file,
 * as `datasets` decides it (a stray test.py makes a `test` split), and a
 * split left with no file sluice reads is dropped.  Errors are one line,
 * written into the caller's err buffer.
 */
#ifndef SLUICE_DATASET_H
#define SLUICE_DATASET_H

#include <stddef.h>
#include <stdint.h>

/* One file of a listing, or of a resolved split; path is repo-relative
 * with '/' separators and no leading "./". */
struct ds_file {
	char *path;
	uint64_t size;
};

enum ds_format {
	DS_FMT_NONE = 0, /* not a data file sluice reads */
	DS_FMT_PARQUET,
	DS_FMT_JSONL, /* also .ndjson */
	DS_FMT_JSON,
	DS_FMT_CSV,
	DS_FMT_TSV,
	DS_FMT_TEXT,
};

enum ds_compression {
	DS_COMP_NONE = 0,
	DS_COMP_GZIP,
	DS_COMP_ZSTD,
	DS_COMP_BZIP2,
	DS_COMP_XZ,
	DS_COMP_LZ4,
};

struct ds_layout;
struct ds_config;
struct ds_split;

/* Resolves a repository.  readme may be NULL (no README.md); files need not
 * be sorted and may include README.md and non-data files.  NULL with a
 * message in err on a repository-wide error: malformed YAML (with its
 * README line), an invalid `configs:` entry, several default configs, or
 * no data files at all.  An error confined to one config (a data_files path
 * that matches nothing) is kept with that config: see ds_config_error. */
struct ds_layout *ds_resolve(const char *readme, size_t readme_len,
                             const struct ds_file *files, size_t nfiles,
                             char *err, size_t errn);
void ds_free(struct ds_layout *l);

size_t ds_config_count(const struct ds_layout *l);
const struct ds_config *ds_config_at(const struct ds_layout *l, size_t i);
/* Whether the configs came from README.md's `configs:`. */
int ds_has_yaml_configs(const struct ds_layout *l);

const char *ds_config_name(const struct ds_config *c);
int ds_config_is_default(const struct ds_config *c);
const char *ds_config_data_dir(const struct ds_config *c); /* NULL if none */
/* Why this config has no splits (its data files did not resolve), or NULL. */
const char *ds_config_error(const struct ds_config *c);

size_t ds_split_count(const struct ds_config *c);
const struct ds_split *ds_split_at(const struct ds_config *c, size_t i);
const char *ds_split_name(const struct ds_split *s);
/* The reader for the split: its most common data extension's format
 * (DS_FMT_NONE for a split README.md declares whose patterns matched
 * nothing).  The split holds only files that reader's `datasets` builder
 * takes, which may mix .json with .jsonl, or .csv with .tsv: a reader that
 * cares asks ds_path_format of each file. */
enum ds_format ds_split_format(const struct ds_split *s);
size_t ds_split_file_count(const struct ds_split *s);
const struct ds_file *ds_split_file(const struct ds_split *s, size_t i);

/* name NULL: the default config (the only one, the one named "default", or
 * the one marked `default: true`).  NULL with a message in err listing the
 * available configs when there is no such config, or the config's own
 * error when its files did not resolve. */
const struct ds_config *ds_find_config(const struct ds_layout *l, const char *name,
                                       char *err, size_t errn);
/* NULL with "no split 'x' in config 'c' (splits: a, b)" in err. */
const struct ds_split *ds_find_split(const struct ds_config *c, const char *name,
                                     char *err, size_t errn);

/* The loading script that makes a repository a script dataset, as
 * `datasets` decides it (load.py dataset_module_factory): the file at the
 * top of the listing named after the repository, the last non-empty
 * '/'-separated part of name (a Hub id "ORG/NAME" or a directory path)
 * with ".py" added unless it ends so already; case-sensitive.  Its path in
 * files, or NULL.  A script dataset is never resolved by data-file rules,
 * README `configs:` or not: `datasets` 3 read the Hub's parquet export of
 * it or ran the script, and 4 and later refuse it. */
const char *ds_script_path(const char *name, const struct ds_file *files, size_t nfiles);

/* A path's format by its extensions: "a.jsonl.gz" is DS_FMT_JSONL (the
 * readers find the compression themselves, decomp.h); parquet is never
 * compressed outside. */
enum ds_format ds_path_format(const char *path);
const char *ds_format_name(enum ds_format f); /* "parquet", "jsonl", ... */

/* fsspec glob match of a whole '/'-separated path: 1 match, 0 no match,
 * -1 invalid pattern ('**' inside a component, which fsspec refuses). */
int ds_glob_match(const char *pattern, const char *path);

/* Every regular file under dir, recursively, paths relative to dir, sorted
 * bytewise.  Symlinks to regular files count; symlinked directories and
 * other file types are skipped.  0, or -1 with a message in err. */
int ds_list_local(const char *dir, struct ds_file **files, size_t *n,
                  char *err, size_t errn);
/* Expands a local glob argument (wildcards '*', '?', '[...]' inside a
 * component, '**' as a whole one, anywhere after a literal directory):
 * the files matching it, sorted, paths as the pattern spells them, hidden
 * and `__dirs__` skipped unless named.  A pattern without wildcards names
 * one file.  -1 with a message when nothing matches. */
int ds_glob_local(const char *pattern, struct ds_file **files, size_t *n,
                  char *err, size_t errn);
void ds_files_free(struct ds_file *files, size_t n);

#endif
