/* parfor.h - a deterministic parallel for-loop over a persistent pool of
 * threads, for numerical kernels.
 *
 * parfor_run(p, n, fn, arg) splits [0, n) into p's thread count of
 * contiguous slices, always the same way for a given n and thread count
 * (slice t is [n*t/threads, n*(t+1)/threads)), and calls fn once per
 * non-empty slice; the caller's thread runs slice 0 and returns when all
 * slices are done.  Because the partition is static, a kernel in which each
 * slice writes only its own outputs gives bit-identical results run to run.
 * No OpenMP: plain pthreads, started once and reused, since the kernels of
 * a training step are many and short. */
#ifndef SLUICE_PARFOR_H
#define SLUICE_PARFOR_H

#include <stddef.h>

/* Works on indices [lo, hi) of the range; tid is the slice number. */
typedef void (*parfor_fn)(void *arg, size_t lo, size_t hi, int tid);

struct parfor;

/* threads >= 1; with 1 every call runs in the caller and no thread starts. */
struct parfor *parfor_new(int threads);
/* Not reentrant: fn must not call parfor_run on the same pool. */
void parfor_run(struct parfor *p, size_t n, parfor_fn fn, void *arg);
void parfor_free(struct parfor *p);

#endif
