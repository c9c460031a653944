/* ckpt.c - atomic checkpoint directories (see ckpt.h). */
#define _GNU_SOURCE /* O_DIRECTORY with c11 */
#include "model/ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"

static int fail(char *err, size_t errn, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static int fail(char *err, size_t errn, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(err, errn, fmt, ap);
	va_end(ap);
	if (e && k >= 0 && (size_t)k < errn)
		snprintf(err + k, errn - (size_t)k, ": %s", strerror(e));
	return -1;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

/* Removes a directory of plain files. */
static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	struct buf p = {0};
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_clear(&p);
		buf_printf(&p, "%s/%s", path, e->d_name);
		buf_addc(&p, '\0');
		unlink(p.data);
	}
	closedir(d);
	buf_free(&p);
	rmdir(path);
}

/* "step-NNNNNNNN" -> NNNNNNNN; -1 for any other name. */
static int64_t step_of(const char *name)
{
	if (strncmp(name, "step-", 5) != 0 || !name[5])
		return -1;
	int64_t v = 0;
	for (const char *s = name + 5; *s; s++) {
		if (*s < '0' || *s > '9' || v > INT64_MAX / 10 - 9)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int by_step(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Steps of the complete checkpoints in dir, ascending; *n of them. */
static int64_t *list_steps(const char *dir, size_t *n, bool remove_partial)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	int64_t *steps = NULL;
	struct dirent *e;
	struct buf p = {0};
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (remove_partial && e->d_name[0] == '.' && len > 8 && !strcmp(e->d_name + len - 8, ".partial")) {
			buf_clear(&p);
			buf_printf(&p, "%s/%s", dir, e->d_name);
			buf_addc(&p, '\0');
			remove_dir(p.data);
			continue;
		}
		int64_t s = step_of(e->d_name);
		if (s < 0)
			continue;
		steps = xrealloc(steps, (*n + 1) * sizeof *steps);
		steps[(*n)++] = s;
	}
	closedir(d);
	buf_free(&p);
	if (*n)
		qsort(steps, *n, sizeof *steps, by_step);
	return steps;
}

int ckpt_save(const char *dir, uint64_t step, const struct ckpt_file *files, size_t n, unsigned keep,
              char *err, size_t errn)
{
	errno = 0;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return fail(err, errn, "%s", dir);
	size_t nsteps;
	free(list_steps(dir, &nsteps, true)); /* clears what a crash left */
	struct buf tmp = {0}, final = {0}, p = {0};
	buf_printf(&tmp, "%s/.step-%08" PRIu64 ".partial", dir, step);
	buf_addc(&tmp, '\0');
	buf_printf(&final, "%s/step-%08" PRIu64, dir, step);
	buf_addc(&final, '\0');
	int rc = 0;
	errno = 0;
	if (mkdir(tmp.data, 0777) != 0) {
		rc = fail(err, errn, "%s", tmp.data);
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_clear(&p);
		buf_printf(&p, "%s/%s", tmp.data, files[i].name);
		buf_addc(&p, '\0');
		errno = 0;
		int fd = open(p.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			rc = fail(err, errn, "%s", p.data);
			break;
		}
		const char *data = files[i].data;
		size_t left = files[i].len;
		while (left && rc == 0) {
			ssize_t w = write(fd, data, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				rc = fail(err, errn, "%s: write error", p.data);
			else
				data += w, left -= (size_t)w;
		}
		if (rc == 0 && fsync(fd) != 0)
			rc = fail(err, errn, "%s: fsync", p.data);
		if (close(fd) != 0 && rc == 0)
			rc = fail(err, errn, "%s: close", p.data);
	}
	if (rc == 0 && fsync_dir(tmp.data) != 0)
		rc = fail(err, errn, "%s: fsync", tmp.data);
	if (rc == 0) {
		remove_dir(final.data); /* the same step saved again replaces it */
		errno = 0;
		if (rename(tmp.data, final.data) != 0 || fsync_dir(dir) != 0)
			rc = fail(err, errn, "%s", final.data);
	}
	if (rc != 0) {
		remove_dir(tmp.data);
		goto out;
	}
	if (keep) {
		int64_t *steps = list_steps(dir, &nsteps, false);
		for (size_t i = 0; i + keep < nsteps; i++) {
			buf_clear(&p);
			buf_printf(&p, "%s/step-%08" PRId64, dir, steps[i]);
			buf_addc(&p, '\0');
			remove_dir(p.data);
		}
		free(steps);
		fsync_dir(dir);
	}
out:
	buf_free(&tmp);
	buf_free(&final);
	buf_free(&p);
	return rc;
}

char *ckpt_latest(const char *dir, uint64_t *step)
{
	size_t n;
	int64_t *steps = list_steps(dir, &n, false);
	char *path = NULL;
	if (n) {
		struct buf p = {0};
		buf_printf(&p, "%s/step-%08" PRId64, dir, steps[n - 1]);
		buf_addc(&p, '\0');
		path = p.data;
		*step = (uint64_t)steps[n - 1];
	}
	free(steps);
	return path;
}

void *ckpt_load(const char *ckpt_path, const char *name, size_t *len, char *err, size_t errn)
{
	struct buf p = {0};
	buf_printf(&p, "%s/%s", ckpt_path, name);
	buf_addc(&p, '\0');
	errno = 0;
	int fd = open(p.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(err, errn, "%s", p.data);
		buf_free(&p);
		return NULL;
	}
	struct buf data = {0};
	for (;;) {
		buf_reserve(&data, 1 << 20);
		ssize_t r = read_full(fd, data.data + data.len, data.cap - data.len);
		if (r < 0) {
			fail(err, errn, "%s: read error", p.data);
			close(fd);
			buf_free(&data);
			buf_free(&p);
			return NULL;
		}
		if (r == 0)
			break;
		data.len += (size_t)r;
	}
	close(fd);
	buf_free(&p);
	*len = data.len;
	if (!data.data)
		data.data = xmalloc(1);
	return data.data;
}
