/* progress.h - a one-line progress report on stderr (bytes, records, rate,
 * and ETA when the total is known), redrawn at most a few times a second,
 * shown by default only when stderr is a terminal.  Forced on for a file
 * or pipe (a cron log), it prints plain lines every 5 seconds instead. */
#ifndef SLUICE_PROGRESS_H
#define SLUICE_PROGRESS_H

#include <stdint.h>

#include "cli.h"

struct progress {
	int on;
	int tty; /* redraw in place; otherwise print a plain line every few seconds */
	uint64_t total_bytes; /* 0 if unknown */
	uint64_t bytes, records;
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

/* Draws the final line and moves to a new one (if anything was drawn). */
void progress_end(struct progress *p);

#endif
