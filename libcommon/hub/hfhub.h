/* hfhub.h - a dataset repository on the Hugging Face Hub (or whatever
 * HF_ENDPOINT names), as hf-stream reads it: the revision pinned to one
 * commit for the whole run, the file tree listed once (all pages), small
 * files (README.md) fetched through the cache, and data files opened
 * either as byte ranges (parquet) or as a streamed body (the text
 * formats), or downloaded whole into the cache first (--download).
 * Offline (HF_HUB_OFFLINE=1), everything comes from the cache's refs and
 * snapshots, and what is missing is an error that names it.
 *
 * The layout rules (configs, splits, files) are dataset.h's, the same as
 * for a local directory; the cache is hfcache.h's; HTTP is http.h's. */
#ifndef SLUICE_HFHUB_H
#define SLUICE_HFHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/source.h"
#include "formats/parquet.h"
#include "hub/dataset.h"

struct hfhub_opts {
	const char *endpoint;   /* default: $HF_ENDPOINT, else https://huggingface.co */
	const char *token;      /* NULL: none */
	const char *cache_root; /* default: hfcache_root() */
	bool offline;           /* only the cache */
	bool download;          /* data files into the cache first, then read locally */
	double timeout;         /* http.h's; 0: its default */
	int retries;            /* -1: http.h's default */
};

/* The token as huggingface_hub finds it: $HF_TOKEN, then
 * $HUGGING_FACE_HUB_TOKEN, then the file $HF_HOME/token (default
 * ~/.cache/huggingface/token), or the variable env_name when given.
 * malloc'd, or NULL when there is none. */
char *hfhub_find_token(const char *env_name);

/* Whether HF_HUB_OFFLINE asks for the cache only: set, not empty, and
 * neither 0 nor false (in any case).  hf-stream and the tokenizer fetch
 * read it alike. */
bool hfhub_env_offline(void);

/* A source argument that names a Hub dataset:
 *   ORG/NAME[:CONFIG[:SPLIT]]
 *   hf://datasets/ORG/NAME[@REVISION][/PATH-OR-GLOB]
 * into its parts (malloc'd; absent ones NULL).  0, or -1 when arg is
 * neither form (an hf:// URL that is malformed is -1 with a message). */
struct hfhub_ref {
	char *repo, *revision, *config, *split, *path;
};
int hfhub_parse_ref(const char *arg, struct hfhub_ref *out, char *err, size_t errn);
void hfhub_ref_free(struct hfhub_ref *r);

struct hfhub;

/* Resolves revision (NULL: main) to its commit, online or from the cache.
 * NULL with a one-line message: 401 (a gated or private dataset: log in
 * or set HF_TOKEN), 403, 404 (no such dataset, or no access), a revision
 * that does not exist, offline with nothing cached. */
struct hfhub *hfhub_open(const struct hfhub_opts *o, const char *repo, const char *revision, char *err,
                         size_t errn);
void hfhub_close(struct hfhub *h);
const char *hfhub_repo(const struct hfhub *h);
const char *hfhub_commit(const struct hfhub *h);
/* The requests made so far by h and the files it opened (once closed),
 * for --verbose; -1 offline. */
struct http_stats;
int hfhub_stats(const struct hfhub *h, struct http_stats *out);

/* The repository's files at the commit (every page of the tree), paths
 * repo-relative, sorted: the listing ds_resolve takes.  Cached in h. */
int hfhub_files(struct hfhub *h, const struct ds_file **files, size_t *n, char *err, size_t errn);
/* A small file's bytes (README.md): 0, 1 when the repo has no such file,
 * -1 on error. */
int hfhub_read_file(struct hfhub *h, const char *path, char **data, size_t *len, char *err, size_t errn);

/* The auto-converted parquet files of a config and split
 * (/api/datasets/ID/parquet/CONFIG/SPLIT, revision refs/convert/parquet)
 * as a new hfhub on that revision and the files' paths in it. */
int hfhub_parquet_export(struct hfhub *h, const char *config, const char *split, struct hfhub **export,
                         struct ds_file **files, size_t *n, char *err, size_t errn);

/* The parquet export's configs and splits (/api/datasets/ID/parquet), as
 * n pairs (config[i], split[i]) in the Hub's order; to free with
 * hfhub_pairs_free.  Offline, those the cached snapshot of
 * refs/convert/parquet holds, in path order.  0; 1 with a message when
 * there is no export (404), or none in the cache offline; -1 on error. */
int hfhub_parquet_index(struct hfhub *h, char ***configs, char ***splits, size_t *n, char *err, size_t errn);
void hfhub_pairs_free(char **configs, char **splits, size_t n);

/* Opening a data file of the listing.  A byte-range source for parquet
 * (pq_source_close frees it), or a streamed body for the rest; either
 * reads the cached blob when the file is in the cache (or when download
 * is set, after downloading it). */
int hfhub_open_random(struct hfhub *h, const char *path, struct pq_source *out, char *err, size_t errn);
int hfhub_open_stream(struct hfhub *h, const char *path, struct source *out, char *err, size_t errn);

#endif
