/* shard.h - which part of a corpus one run reads, when N runs (make -j,
 * GNU parallel, a Slurm job array, a Kubernetes Indexed Job) share it.
 *
 * Every program that reads a corpus takes --shard with this one meaning:
 *
 *   --shard I/N    part I of N, counting from 0
 *   --shard auto   the part the job array gives this task: in a Slurm
 *                  array given as one range A-B or A-B:S, part
 *                  (SLURM_ARRAY_TASK_ID - MIN) / STEP of COUNT (Slurm's
 *                  SLURM_ARRAY_TASK_MIN, _STEP, _COUNT); with
 *                  SLUICE_SHARD_COUNT set, part SLURM_ARRAY_TASK_ID of it
 *                  (so a rerun of one part, --array=I, still reads part
 *                  I); in a Kubernetes Indexed Job, JOB_COMPLETION_INDEX
 *                  of SLUICE_SHARD_COUNT
 *   (no --shard)   SLUICE_SHARD's value (I/N or auto) when it is set, so a
 *                  recipe sets it once for all its programs; else the
 *                  whole input
 *
 * How a part is cut is the same everywhere too (shard_plan): with at least
 * N input files, part I is every Nth file from file I, so each run reads
 * only its own files; with fewer, every Nth record from record I, counting
 * across the files in order, which every run has to read all the records
 * to find.  (hf-stream cuts by parquet row group before it cuts by row.)
 * Across I = 0..N-1 every record is read exactly once. */
#ifndef SLUICE_SHARD_H
#define SLUICE_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shard {
	uint32_t index, count; /* count 1: the whole input */
};

/* The shard of a run whose --shard argument is arg (NULL when not given),
 * as above.  A malformed value, or auto with none of the variables set,
 * is a usage error (exit 2) naming where the value came from and, for
 * auto, every variable it looked for. */
struct shard shard_resolve(const char *arg);

static inline bool shard_is_whole(struct shard s)
{
	return s.count <= 1;
}

enum shard_cut { SHARD_WHOLE, SHARD_BY_FILE, SHARD_BY_RECORD };

/* How s cuts an input of nfiles files. */
enum shard_cut shard_plan(struct shard s, size_t nfiles);

/* Whether s takes item i (a file under SHARD_BY_FILE, a record under
 * SHARD_BY_RECORD, both counted from 0). */
static inline bool shard_takes(struct shard s, uint64_t i)
{
	return s.count <= 1 || i % s.count == s.index;
}

/* Reading one shard of several inputs: open input i only when
 * shard_wants_file() says so, and of the data records read from those,
 * in order, keep only those shard_wants_record() says to. */
struct shard_walk {
	struct shard s;
	enum shard_cut cut;
	uint64_t records; /* data records seen so far */
};

static inline struct shard_walk shard_walk_start(struct shard s, size_t nfiles)
{
	return (struct shard_walk){s, shard_plan(s, nfiles), 0};
}

static inline bool shard_wants_file(const struct shard_walk *w, size_t i)
{
	return w->cut != SHARD_BY_FILE || shard_takes(w->s, i);
}

static inline bool shard_wants_record(struct shard_walk *w)
{
	uint64_t i = w->records++;
	return w->cut != SHARD_BY_RECORD || shard_takes(w->s, i);
}

/* "I/N", for headers and messages (buf of at least 24 bytes). */
const char *shard_name(struct shard s, char *buf, size_t n);

#endif
