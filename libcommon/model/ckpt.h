/* ckpt.h - training checkpoints: a directory per step inside a checkpoint
 * directory, written whole or not at all, the newest found again to resume,
 * the oldest beyond a count removed.
 *
 *   DIR/step-00000100/manifest.json, model.bin, optim.bin, ...
 *
 * A checkpoint is first written as DIR/.step-00000100.partial, each file
 * fsynced, then renamed to its name and DIR fsynced: a crash at any moment
 * leaves the checkpoints that were complete, and at most a .partial
 * directory, which resuming ignores and the next save removes. */
#ifndef SLUICE_CKPT_H
#define SLUICE_CKPT_H

#include <stddef.h>
#include <stdint.h>

struct ckpt_file {
	const char *name; /* a plain file name */
	const void *data;
	size_t len;
};

/* Writes checkpoint `step` of files into dir (created if need be), then
 * removes all but the newest `keep` checkpoints (0: keep all).  -1 with a
 * message in err on failure; the checkpoints already there are untouched. */
int ckpt_save(const char *dir, uint64_t step, const struct ckpt_file *files, size_t n, unsigned keep,
              char *err, size_t errn);
/* The newest complete checkpoint in dir: its path (to free) and its step,
 * or NULL when there is none (or no dir). */
char *ckpt_latest(const char *dir, uint64_t *step);
/* A file of a checkpoint, read whole (to free); NULL with a message. */
void *ckpt_load(const char *ckpt_path, const char *name, size_t *len, char *err, size_t errn);

#endif
