/* io.c - see io.h */
#define _GNU_SOURCE
#include "base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"

void io_quiet_sigpipe(void)
{
	signal(SIGPIPE, SIG_DFL);
}

void io_grow_pipe(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		fcntl(fd, F_SETPIPE_SZ, 1 << 20); /* best effort: capped by pipe-max-size */
}

uint64_t io_total_size(int n, char **paths)
{
	uint64_t total = 0;
	struct stat st;
	for (int i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode))
			return 0;
		total += (uint64_t)st.st_size;
	}
	return total;
}

/* Reached only when SIGPIPE is blocked or ignored by something outside
 * us: end the way the default action would have, without a message. */
static void SLUICE_NORETURN end_on_closed_pipe(void)
{
	signal(SIGPIPE, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

int io_write_fully(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

void write_all(int fd, const void *p, size_t n, const char *name)
{
	if (io_write_fully(fd, p, n) == 0)
		return;
	if (errno == EPIPE)
		end_on_closed_pipe();
	die(STATUS_FAIL, "%s: write error:", name);
}

ssize_t read_full(int fd, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void outbuf_init(struct outbuf *o, int fd, const char *name, size_t cap)
{
	o->fd = fd;
	o->name = name;
	o->cap = cap ? cap : 1 << 16;
	o->data = xmalloc(o->cap);
	o->len = 0;
	o->write_back = 0;
	o->flushed = o->synced = 0;
}

void outbuf_write_back(struct outbuf *o)
{
	o->write_back = 1;
}

/* Write-back starts in pieces of this much: enough that the calls cost
 * nothing beside the writing, few enough that the disk is kept busy. */
#define WRITE_BACK_BYTES (8u << 20)

static void start_write_back(struct outbuf *o)
{
	if (!o->write_back || o->flushed - o->synced < WRITE_BACK_BYTES)
		return;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Only a hint: a descriptor it does not apply to (a pipe) says so,
	 * and the fsync that commits the file still does the work. */
	if (sync_file_range(o->fd, (off_t)o->synced, (off_t)(o->flushed - o->synced), SYNC_FILE_RANGE_WRITE) != 0)
		o->write_back = 0;
#endif
	o->synced = o->flushed;
}

static void outbuf_wrote(struct outbuf *o, size_t n)
{
	o->flushed += n;
	start_write_back(o);
}

void outbuf_flush(struct outbuf *o)
{
	if (o->len) {
		write_all(o->fd, o->data, o->len, o->name);
		outbuf_wrote(o, o->len);
	}
	o->len = 0;
}

void outbuf_free(struct outbuf *o)
{
	outbuf_flush(o);
	free(o->data);
	o->data = NULL;
}

void outbuf_write_slow(struct outbuf *o, const void *p, size_t n)
{
	outbuf_flush(o);
	if (n >= o->cap) {
		write_all(o->fd, p, n, o->name);
		outbuf_wrote(o, n);
		return;
	}
	memcpy(o->data, p, n);
	o->len = n;
}

int atomic_open(struct atomic_file *a, const char *path)
{
	/* Only a regular file (or a new one) is replaced by renaming: renaming
	 * onto /dev/null or a FIFO would put a file where the device was, so
	 * those are written in place.  A symlink is followed, so that the
	 * link stays and its target is replaced. */
	struct stat st;
	char *real = NULL;
	a->remote = NULL;
	a->remote_ctx = NULL;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		a->fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
		if (a->fd < 0)
			return -1;
		a->path = a->tmp = NULL;
		return 0;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && (real = realpath(path, NULL)))
		path = real;
	size_t n = strlen(path);
	a->path = xstrdup(path);
	a->tmp = xmalloc(n + 16);
	snprintf(a->tmp, n + 16, "%s.tmp.XXXXXX", path);
	free(real);
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		int e = errno;
		free(a->path);
		free(a->tmp);
		/* An a already given to atomic_guard must not be freed twice. */
		a->path = a->tmp = NULL;
		errno = e;
		return -1;
	}
	/* mkostemp makes 0600 files; give the usual umask-derived mode. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(a->fd, 0666 & ~mask);
	return 0;
}

static int fsync_parent_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int atomic_commit(struct atomic_file *a)
{
	if (a->remote) {
		const struct atomic_remote *r = a->remote;
		a->remote = NULL;
		int rc = r->commit(a->remote_ctx, a->fd);
		close(a->fd);
		a->fd = -1;
		a->remote_ctx = NULL;
		return rc;
	}
	if (!a->tmp) { /* a device or FIFO, written in place */
		int r = close(a->fd);
		a->fd = -1;
		return r;
	}
	int r = fsync(a->fd);
	if (close(a->fd) != 0)
		r = -1;
	a->fd = -1;
	if (r == 0)
		r = rename(a->tmp, a->path);
	if (r == 0 && fsync_parent_dir(a->path) != 0)
		r = ATOMIC_UNSYNCED;
	int e = errno;
	if (r == -1)
		unlink(a->tmp);
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	errno = e;
	return r;
}

void atomic_abort(struct atomic_file *a)
{
	if (a->remote) {
		const struct atomic_remote *r = a->remote;
		a->remote = NULL;
		r->discard(a->remote_ctx);
		a->remote_ctx = NULL;
	}
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp)
		unlink(a->tmp);
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	a->fd = -1;
}

/* The files atomic_guard watches.  Exit and signal handlers take no
 * argument, so this is the one piece of process-wide state in the library;
 * it stands for the output files that the program's main owns. */
#define GUARDED_MAX 1024
static struct atomic_file *guarded[GUARDED_MAX];

static void remove_guarded_at_exit(void)
{
	for (int i = 0; i < GUARDED_MAX; i++)
		if (guarded[i] && guarded[i]->tmp)
			atomic_abort(guarded[i]);
}

static void remove_guarded_on_signal(int sig)
{
	for (int i = 0; i < GUARDED_MAX; i++)
		if (guarded[i] && guarded[i]->tmp)
			unlink(guarded[i]->tmp); /* async-signal-safe, unlike atomic_abort */
	signal(sig, SIG_DFL);
	raise(sig);
}

void atomic_guard(struct atomic_file *a)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	int free_slot = -1;
	for (int i = 0; i < GUARDED_MAX; i++) {
		if (guarded[i] == a)
			return;
		if (!guarded[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		die(STATUS_FAIL, "more than %d output files to guard", GUARDED_MAX);
	if (free_slot == 0)
		atexit(remove_guarded_at_exit);
	guarded[free_slot] = a;
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		signal(sigs[i], remove_guarded_on_signal);
}

int io_temp_file(const char *dir, const char *what)
{
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/sluice-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		die(STATUS_FAIL, "%s: a temporary file to hold it: %s:", what, path);
	unlink(path); /* gone when closed, whatever happens */
	return fd;
}

int io_seekable(int fd, const char *name)
{
	return io_seekable_in(fd, name, NULL);
}

int io_seekable_in(int fd, const char *name, const char *dir)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	int tmp = io_temp_file(dir, name);
	char block[1 << 16];
	for (;;) {
		ssize_t n = read_full(fd, block, sizeof block);
		if (n < 0)
			die(STATUS_FAIL, "%s: read error:", name);
		if (n == 0)
			break;
		write_all(tmp, block, (size_t)n, "a temporary file");
	}
	return tmp;
}

void *io_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* Read to the end, not to the size fstat gives: a pipe or a file in
	 * /proc has none, and a growing file more. */
	struct stat st;
	size_t cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	size_t n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t got = read_full(fd, buf + n, cap - n);
		if (got < 0) {
			int e = errno;
			close(fd);
			free(buf);
			errno = e;
			return NULL;
		}
		n += (size_t)got;
		if ((size_t)got < cap - (n - (size_t)got))
			break; /* a short read: the end */
	}
	close(fd);
	*len = n;
	return buf;
}
