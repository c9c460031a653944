/* extsort.h - sorting more fixed-size records than memory holds.  The
 * caller adds records; while they fit in the memory it allowed they are
 * only gathered, and past it each full buffer is sorted and written to a
 * temporary file (a run); at the end the runs and the last buffer are
 * merged.  The records come back in the same order whether or not
 * anything spilled, so a small memory limit changes the speed, never the
 * answer.
 *
 * A record is `words` 64-bit words; records are ordered by comparing their
 * words as unsigned numbers, first word first (all of them, so the order
 * is total and does not depend on the sort's stability).
 *
 * Run files are made in the directory given (or $TMPDIR, or /tmp) and
 * unlinked as soon as they are open, so nothing is left behind when the
 * program ends, however it ends.  More runs than can be open at once are
 * merged in several passes. */
#ifndef SLUICE_EXTSORT_H
#define SLUICE_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

struct extsort;

/* A sorter of records of `words` words (1..64) in about `mem` bytes (at
 * least 1 MiB is used, whatever is asked); tmpdir NULL for $TMPDIR or
 * /tmp.  NULL with err set when it cannot be made. */
struct extsort *extsort_new(size_t words, size_t mem, const char *tmpdir, char *err, size_t errn);
/* The most runs merged at once (2..256, 256 unless set; fewer when the
 * memory leaves too little for their buffers).  Before extsort_finish;
 * for the tests, which force merges in several passes with few runs. */
void extsort_set_fanin(struct extsort *s, size_t fanin);
/* Promises that records with equal first (words - tail) words are added
 * in the order of their last `tail` words, so that sorting can leave
 * those to its stability: the same order, fewer passes.  (rec-dedup adds
 * each band's (key, record) pairs in record order.)  Before the first
 * extsort_add; a broken promise gives a wrong order. */
void extsort_set_ordered_tail(struct extsort *s, size_t tail);
/* Says that about n records will be added: the buffer is made that size
 * (at most the memory allowed) at once, not grown by doubling, each
 * growth a copy and a page fault on every page of the new buffer.  Before
 * the first extsort_add.  0, or -1 with err set. */
int extsort_reserve(struct extsort *s, uint64_t n, char *err, size_t errn);
/* Adds one record.  0, or -1 with err set (a run could not be written). */
int extsort_add(struct extsort *s, const uint64_t *record, char *err, size_t errn);
/* Ends the adding: sorts what is in memory and prepares the merge.
 * 0, or -1 with err set. */
int extsort_finish(struct extsort *s, char *err, size_t errn);
/* After extsort_finish, the next record in order; NULL at the end, or on
 * an error with err set (err[0] is '\0' at a plain end).  The record stays
 * valid until the next call. */
const uint64_t *extsort_next(struct extsort *s, char *err, size_t errn);
/* How many records were added, and how many runs were spilled to disk. */
uint64_t extsort_count(const struct extsort *s);
size_t extsort_runs(const struct extsort *s);
/* Frees it and closes (so deletes) its run files. */
void extsort_free(struct extsort *s);

#endif
