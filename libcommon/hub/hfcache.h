/* hfcache.h - the Hugging Face Hub cache, in huggingface_hub's layout, so
 * that files Python downloaded are read here and the other way round:
 *
 *   $HF_HUB_CACHE (else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
 *   $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub)
 *     datasets--ORG--NAME/
 *       blobs/ETAG                 the file's bytes, named by its ETag (the
 *                                  sha256 of an LFS file, the git blob sha1
 *                                  of a small one)
 *       blobs/ETAG.incomplete      a download under way, resumed from its size
 *       snapshots/COMMIT/PATH      a relative symlink to ../../blobs/ETAG
 *                                  (one ../ more per directory in PATH)
 *       refs/REVISION              the commit a branch or tag name pointed
 *                                  to, no newline (REVISION may hold '/':
 *                                  refs/convert/parquet is the file
 *                                  refs/refs/convert/parquet)
 *     .locks/datasets--ORG--NAME/ETAG.lock
 *                                  flock()ed while the blob is written
 *
 * Every name that comes from the command line or from a server is checked
 * before it becomes a path: repo ids are ORG/NAME of [A-Za-z0-9._-] (no
 * "..", no leading '-' or '.'), revisions and commits have no "..", no
 * leading '/', no NUL or control bytes, ETags are [A-Za-z0-9._-], file
 * paths are relative, without "." or ".." components, empty components or
 * backslashes; and a write never follows a symlink out of the repo's
 * directory.  A hostile server can therefore not write outside the cache.
 *
 * Errors are one line in err. */
#ifndef SLUICE_HFCACHE_H
#define SLUICE_HFCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cache root from the environment, malloc'd ("~" expanded; an empty
 * variable counts as unset). */
char *hfcache_root(void);

/* Validation of names (1 ok, 0 not). */
bool hfcache_valid_repo(const char *repo_id);
bool hfcache_valid_revision(const char *rev);
bool hfcache_valid_etag(const char *etag);
bool hfcache_valid_path(const char *path);

struct hfcache;

/* The cache of one dataset repo under root (created on first write).
 * NULL with a message for an invalid repo id. */
struct hfcache *hfcache_open(const char *root, const char *repo_id, char *err, size_t errn);
/* The same for a model repo (models--ORG--NAME), where huggingface_hub
 * keeps the tokenizer files that tok-bpe reads by model id. */
struct hfcache *hfcache_open_model(const char *root, const char *repo_id, char *err, size_t errn);
void hfcache_close(struct hfcache *c);
const char *hfcache_dir(const struct hfcache *c); /* .../datasets--ORG--NAME */

/* refs/REVISION: the commit into out (41 bytes or more), 0; 1 when there
 * is no such ref; -1 on a bad name or a read error. */
int hfcache_read_ref(struct hfcache *c, const char *revision, char *out, size_t n, char *err, size_t errn);
/* Writes refs/REVISION atomically (only when it changed; nothing when
 * REVISION is COMMIT itself, as huggingface_hub does). */
int hfcache_write_ref(struct hfcache *c, const char *revision, const char *commit, char *err, size_t errn);

/* The snapshot file of PATH at COMMIT if it is there and its blob too:
 * its path (malloc'd) into *out, 0; 1 when it is not cached; -1 on error. */
int hfcache_snapshot_file(struct hfcache *c, const char *commit, const char *path, char **out, char *err,
                          size_t errn);
/* Every file of a snapshot (recursively, paths relative to it, sorted
 * bytewise, sizes those of the blobs), for resolving a dataset offline:
 * 0, 1 when there is no such snapshot, -1 on error.  Links whose blob is
 * missing are left out; free each path, then both arrays. */
int hfcache_snapshot_list(struct hfcache *c, const char *commit, char ***paths, uint64_t **sizes, size_t *n,
                          char *err, size_t errn);

/* Writing a blob: begin takes the lock (waiting for another process that
 * holds it) and opens blobs/ETAG.incomplete for append, reporting in
 * *have how many bytes an interrupted download left; if the blob is
 * already complete *have is UINT64_MAX and nothing is open.  The caller
 * writes the rest (from *have on) with hfcache_blob_write, then commit
 * checks the size, fsyncs, renames it to blobs/ETAG, links
 * snapshots/COMMIT/PATH to it and releases the lock; abort keeps the
 * .incomplete file for a later resume and releases the lock.
 *
 * begin returns NULL only on an error; when the blob was complete
 * (*have == UINT64_MAX) it still returns a handle that holds the lock:
 * commit on it checks the blob's size and links the snapshot, abort just
 * lets go.  commit and abort always free the handle.  expect_size
 * UINT64_MAX means "not known, do not check".  A commit whose size is
 * wrong removes the .incomplete file (its bytes cannot be trusted for a
 * resume) and makes no blob. */
struct hfcache_blob;
struct hfcache_blob *hfcache_blob_begin(struct hfcache *c, const char *etag, uint64_t *have, char *err,
                                        size_t errn);
int hfcache_blob_write(struct hfcache_blob *b, const void *data, size_t len, char *err, size_t errn);
int hfcache_blob_commit(struct hfcache_blob *b, uint64_t expect_size, const char *commit, const char *path,
                        char *err, size_t errn);
void hfcache_blob_abort(struct hfcache_blob *b);
/* Links snapshots/COMMIT/PATH to an existing complete blob. */
int hfcache_link(struct hfcache *c, const char *etag, const char *commit, const char *path, char *err,
                 size_t errn);

#endif
