/* tokfetch.h - the files of a tokenizer named on the command line, found in
 * the caches the peers fill, or downloaded into them as the peers would,
 * so that Python and sluice share one copy:
 *
 *   a tiktoken encoding (tokreg.h: gpt2, cl100k_base, ...): tiktoken's
 *     cache, $TIKTOKEN_CACHE_DIR, else $DATA_GYM_CACHE_DIR, else
 *     data-gym-cache in the temporary directory ($TMPDIR, $TEMP, $TMP,
 *     else /tmp), each file named by the SHA-1 of its download URL.  A
 *     cached file is used only when its sha256 is the one tiktoken pins
 *     (else, online, it is fetched again); a download is checked the same
 *     way before it is renamed into place, so a mismatch leaves nothing.
 *     SLUICE_TIKTOKEN_BASE_URL, for the tests only, replaces the host the
 *     files are downloaded from (the cache names stay the real URLs').
 *
 *   a Hub model ORG/NAME[@REVISION]: tokenizer.json, else vocab.json +
 *     merges.txt, in the Hub cache (hfcache.h, models--ORG--NAME) as
 *     huggingface_hub's hf_hub_download keeps them; fetched from
 *     $HF_ENDPOINT with HF_TOKEN (hfhub_find_token), which goes to that
 *     host only.  A revision found in the cache is used without asking the
 *     Hub (refresh asks), so a pipeline makes no request per run.
 *
 * Offline (o->offline: --offline or HF_HUB_OFFLINE=1), nothing is
 * fetched, and a file the caches lack is an error that says how to fetch
 * it.  Errors are one line in err. */
#ifndef SLUICE_TOKFETCH_H
#define SLUICE_TOKFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "tok/tokreg.h"

struct tokfetch_opts {
	bool offline;
	bool refresh; /* Hub: ask for the revision's commit even when cached */
};


/* tiktoken's cache directory (malloc'd); "" when TIKTOKEN_CACHE_DIR is set
 * empty, tiktoken's way of turning the cache off. */
char *tokfetch_tiktoken_dir(void);

/* The path, in tiktoken's cache, of one of e's files (malloc'd). */
char *tokfetch_tiktoken_path(const char *dir, const struct tokreg_file *f);

/* e's files into paths[0..e->n_files), malloc'd: from the cache when there
 * and intact, else downloaded (unless offline).  With the cache turned off
 * the files are downloaded into temporary files, and *temporary says the
 * caller removes them once read.  0; offline, 1 when a file is not in
 * the cache, 2 when the cached one is not the one tiktoken pins (with a
 * message either way); -1 with a message. */
int tokfetch_tiktoken(const struct tokreg_encoding *e, const struct tokfetch_opts *o, char *paths[2],
                      bool *temporary, char *err, size_t errn);

/* A Hub model id, ORG/NAME[@REVISION], into its parts (malloc'd; revision
 * NULL for main).  0, or -1 when spec is not one (no message). */
int tokfetch_parse_model(const char *spec, char **repo, char **revision);

/* The tokenizer files of a Hub model: tokenizer.json into paths[0] (and
 * paths[1] NULL), or vocab.json and merges.txt; snapshot paths in the Hub
 * cache, malloc'd.  0; -1 with a message (401 and 403 say what to do
 * about the token). */
int tokfetch_hub(const char *repo, const char *revision, const struct tokfetch_opts *o, char *paths[2],
                 char *err, size_t errn);

/* Fills the caches for a name, as tok-bpe fetch does ahead of a run
 * without network: a tiktoken encoding's files, or a Hub model's tokenizer
 * at its revision's current commit (offline: only checks they are cached).
 * The cached paths into paths[0] and paths[1] (either may be NULL).  0, or
 * -1 with a message (a name that is neither is one too). */
int tokfetch_name(const char *name, const struct tokfetch_opts *o, char *paths[2], char *err, size_t errn);

/* tok-bpe fetch: each name's files into the caches, as tokfetch_name,
 * their paths on stdout, one a line; a name that fails is said on stderr
 * and does not stop the others.  0, or STATUS_FAIL when one failed. */
int tokfetch_print_names(const struct tokfetch_opts *o, int n, char **names);

#endif
