/* progress.c - see progress.h */
#include "base/progress.h"

#include "base/die.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_init(struct progress *p, enum cli_progress mode, uint64_t total_bytes)
{
	p->tty = isatty(2);
	p->on = mode == CLI_PROGRESS_ON || (mode == CLI_PROGRESS_AUTO && p->tty);
	p->total_bytes = total_bytes;
	p->bytes = p->records = 0;
	p->fraction = -1;
	p->tick = 0;
	p->start = p->last_draw = now_seconds();
}

static void human_bytes(char *out, size_t n, double v)
{
	const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	int u = 0;
	while (v >= 1000.0 && u < 5) {
		v /= 1000.0;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void progress_draw(struct progress *p, int final)
{
	if (!p->on)
		return;
	double t = now_seconds();
	if (!final && t - p->last_draw < (p->tty ? 0.25 : 5.0))
		return;
	p->last_draw = t;
	double elapsed = t - p->start;
	double rate = elapsed > 0 ? (double)p->bytes / elapsed : 0;
	char done[32], speed[32], eta[32] = "";
	human_bytes(done, sizeof done, (double)p->bytes);
	human_bytes(speed, sizeof speed, rate);
	if (p->total_bytes && rate > 0 && p->bytes <= p->total_bytes && !final) {
		double left = (double)(p->total_bytes - p->bytes) / rate;
		snprintf(eta, sizeof eta, " %3.0f%% ETA %d:%02d",
		         100.0 * (double)p->bytes / (double)p->total_bytes,
		         (int)(left / 60), (int)left % 60);
	} else if (p->fraction > 0 && p->fraction <= 1 && elapsed > 0 && !final) {
		double left = elapsed * (1 - p->fraction) / p->fraction;
		snprintf(eta, sizeof eta, " %3.0f%% ETA %d:%02d", 100.0 * p->fraction, (int)(left / 60),
		         (int)left % 60);
	}
	double rows = elapsed > 0 ? (double)p->records / elapsed : 0;
	fprintf(stderr, "%s%s: %s, %llu records, %s/s, %.0f records/s%s%s", p->tty ? "\r\033[K" : "",
	        prog_name(), done, (unsigned long long)p->records, speed, rows, eta, p->tty ? "" : "\n");
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	progress_draw(p, 1);
	if (p->tty)
		fputc('\n', stderr);
}
