/* trainloop.c - schedule, clipping and the files of train-step (see trainloop.h). */
#include "train/trainloop.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/die.h"
#include "base/io.h"

double train_lr(const struct train_sched *sc, uint64_t s)
{
	if (s < sc->warmup)
		return sc->lr * (double)(s + 1) / (double)sc->warmup;
	if (sc->steps <= sc->warmup + 1)
		return sc->lr;
	double frac = (double)(s - sc->warmup) / (double)(sc->steps - 1 - sc->warmup);
	if (frac > 1)
		frac = 1;
	return sc->lr_min + 0.5 * (sc->lr - sc->lr_min) * (1.0 + cos(3.14159265358979323846 * frac));
}

#define OPTIM_MAGIC "SLUICEAW"

void *train_optim_image(const float *m, const float *v, size_t n, uint64_t step, size_t *len)
{
	*len = 24 + 2 * n * sizeof(float);
	unsigned char *out = xmalloc(*len);
	uint64_t nn = n;
	memcpy(out, OPTIM_MAGIC, 8);
	memcpy(out + 8, &step, 8);
	memcpy(out + 16, &nn, 8);
	memcpy(out + 24, m, n * sizeof(float));
	memcpy(out + 24 + n * sizeof(float), v, n * sizeof(float));
	return out;
}

int train_optim_parse(const void *buf, size_t len, size_t n, float *m, float *v, uint64_t *step,
                      char *err, size_t errn)
{
	const unsigned char *p = buf;
	uint64_t nn;
	if (len < 24 || memcmp(p, OPTIM_MAGIC, 8) != 0)
		return errorf(err, errn, "not an optimizer state file");
	memcpy(step, p + 8, 8);
	memcpy(&nn, p + 16, 8);
	if (nn != n || len != 24 + 2 * n * sizeof(float))
		return errorf(err, errn, "optimizer state for %llu parameters, the model has %zu",
		              (unsigned long long)nn, n);
	memcpy(m, p + 24, n * sizeof(float));
	memcpy(v, p + 24 + n * sizeof(float), n * sizeof(float));
	return 0;
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

int train_log_trim(const char *path, uint64_t step, char *err, size_t errn)
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
