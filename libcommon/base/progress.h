/* progress.h - a one-line progress report on stderr (bytes, records, their
 * rates, and ETA when the total or the fraction done is known), redrawn at most a few times a second,
 * shown by default only when stderr is a terminal.  Forced on for a file
 * or pipe (a cron log), it prints plain lines every 5 seconds instead. */
#ifndef SLUICE_PROGRESS_H
#define SLUICE_PROGRESS_H

#include <stdint.h>

#include "base/cli.h"

struct progress {
	int on;
	int tty; /* redraw in place; otherwise print a plain line every few seconds */
	uint64_t total_bytes; /* 0 if unknown */
	uint64_t bytes, records;
	double fraction; /* of the work done, when the caller knows it better than bytes do; < 0 if not */
	unsigned tick;
	double start, last_draw;
};

void progress_init(struct progress *p, enum cli_progress mode, uint64_t total_bytes);
void progress_draw(struct progress *p, int final);

/* Cheap enough to call per record: the clock is read every 1024 calls. */
static inline void progress_add(struct progress *p, uint64_t bytes, uint64_t records)
{
	if (!p->on)
		return;
	p->bytes += bytes;
	p->records += records;
	if ((++p->tick & 1023) == 0)
		progress_draw(p, 0);
}

/* How much of the whole is done (0 to 1), for the ETA of a producer whose
 * output bytes do not measure its progress (rows out of files read). */
static inline void progress_fraction(struct progress *p, double f) { p->fraction = f; }

/* Draws the final line and moves to a new one (if anything was drawn). */
void progress_end(struct progress *p);

#endif
