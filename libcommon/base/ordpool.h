/* ordpool.h - work on a stream in parallel without reordering it: the
 * caller hands in chunks in order, N threads process them, and the
 * finished chunks come back in the order they went in.  At most `depth`
 * chunks are in flight, so memory stays bounded whatever the input.
 * With one thread the work runs in the caller, with no thread at all. */
#ifndef SLUICE_ORDPOOL_H
#define SLUICE_ORDPOOL_H

#include <stddef.h>

/* Processes one chunk with a thread's own state. */
typedef void (*ordpool_work)(void *chunk, void *state);

struct ordpool;

/* states[i] is thread i's state (threads entries). */
struct ordpool *ordpool_new(int threads, size_t depth, ordpool_work work, void **states);
/* Queues chunk.  Returns the oldest finished chunk once depth chunks are in
 * flight (the caller consumes it, and may reuse it), else NULL. */
void *ordpool_submit(struct ordpool *p, void *chunk);
/* The next finished chunk in order, waiting for it; NULL when none is left. */
void *ordpool_drain(struct ordpool *p);
/* Stops the threads; every chunk must have been drained. */
void ordpool_free(struct ordpool *p);

#endif
