/* runlog.c - the metrics and events logs of a training run (see runlog.h). */
#define _GNU_SOURCE /* gmtime_r with c11 */
#include "train/runlog.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/die.h"
#include "base/io.h"

void runlog_open_events(struct runlog *l, const char *path)
{
	if (!(l->events = fopen(path, "a")))
		die(STATUS_FAIL, "%s:", path);
}

void runlog_open_metrics(struct runlog *l, const char *path, bool resumed, uint64_t step)
{
	char err[1024];
	if (resumed && runlog_trim(path, step, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (!(l->log = fopen(path, resumed ? "a" : "w")))
		die(STATUS_FAIL, "%s:", path);
	l->log_path = path;
}

void runlog_close(struct runlog *l)
{
	if (l->log && fclose(l->log) != 0)
		die(STATUS_FAIL, "%s: write error:", l->log_path);
	if (l->events)
		fclose(l->events);
	l->log = l->events = NULL;
}

void runlog_event(struct runlog *l, const char *what, uint64_t step, const char *extra)
{
	if (!l->events)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(l->events, "{\"event\":\"%s\",\"step\":%" PRIu64 ",\"time\":\"%s\"%s%s}\n", what, step, when,
	        extra ? "," : "", extra ? extra : "");
	fflush(l->events);
}

void runlog_step(struct runlog *l, const struct runlog_step *s)
{
	if (!l->log)
		return;
	char norm[40], extra[96] = "";
	if (isfinite(s->grad_norm))
		snprintf(norm, sizeof norm, "%.9g", s->grad_norm);
	else
		snprintf(norm, sizeof norm, "null");
	if (s->fp16)
		snprintf(extra, sizeof extra, ",\"skipped_steps\":%" PRIu64 ",\"loss_scale\":%.9g", s->skipped,
		         s->loss_scale);
	fprintf(l->log,
	        "{\"step\":%" PRIu64 ",\"loss\":%.9g,\"lr\":%.9g,\"grad_norm\":%s,\"tokens_per_s\":%.1f,"
	        "\"ms\":%.3f,\"device\":\"%s\",\"precision\":\"%s\"%s}\n",
	        s->step, s->loss, s->lr, norm, s->tokens_per_s, s->ms, s->device, s->precision, extra);
	if (fflush(l->log) != 0)
		die(STATUS_FAIL, "%s: write error:", l->log_path);
}

void runlog_eval(struct runlog *l, uint64_t step, double val_loss, double ppl, uint64_t batches)
{
	if (!l->log)
		return;
	fprintf(l->log, "{\"step\":%" PRIu64 ",\"val_loss\":%.17g,\"val_ppl\":%.17g,\"val_batches\":%" PRIu64 "}\n",
	        step, val_loss, ppl, batches);
	if (fflush(l->log) != 0)
		die(STATUS_FAIL, "%s: write error:", l->log_path);
}

/* A whole log line is kept unless it names a later step. */
static int log_line_kept(const char *line, size_t len, uint64_t step)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	json_t *s = json_object_get(j, "step");
	int keep = j && (!s || (json_is_integer(s) && json_integer_value(s) >= 0 &&
	                        (uint64_t)json_integer_value(s) <= step));
	json_decref(j);
	return keep;
}

int runlog_trim(const char *path, uint64_t step, char *err, size_t errn)
{
	size_t len;
	char *text = io_read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	}
	size_t kept = 0, at = 0;
	int dropped = 0;
	while (at < len) {
		char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		if (nl && log_line_kept(text + at, end - at - 1, step)) {
			memmove(text + kept, text + at, end - at);
			kept += end - at;
		} else {
			dropped = 1;
		}
		at = end;
	}
	int rc = 0;
	if (dropped) {
		struct atomic_file f;
		if (atomic_open(&f, path) != 0) {
			errorf(err, errn, "%s: %s", path, strerror(errno));
			rc = -1;
		} else if (write(f.fd, text, kept) != (ssize_t)kept) {
			errorf(err, errn, "%s: write error: %s", path, strerror(errno));
			atomic_abort(&f);
			rc = -1;
		} else if (atomic_commit(&f) != 0) {
			errorf(err, errn, "%s: %s", path, strerror(errno));
			rc = -1;
		}
	}
	free(text);
	return rc;
}
