/* io.h - I/O that does not lose bytes: full writes that survive EINTR and
 * short writes, a quiet end on a closed pipe, buffered output to a
 * descriptor, and atomic file replacement (temp file + fsync + rename). */
#ifndef SLUICE_IO_H
#define SLUICE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* Restores SIGPIPE's default action, so a closed downstream pipe ends the
 * program silently (as it does cat).  Every main calls it first. */
void io_quiet_sigpipe(void);

/* Enlarges the kernel buffer of a pipe (no-op for anything else): with 64 KiB
 * pipes, the context switches cost more than our framing does. */
void io_grow_pipe(int fd);

/* Total size of the named inputs if all are regular files ("-" is not),
 * else 0: the denominator of a progress line's ETA. */
uint64_t io_total_size(int n, char **paths);

/* A descriptor of fd's bytes that can be read at any offset: fd itself when
 * it is a regular file, else an unlinked temporary file ($TMPDIR, else
 * /tmp) holding everything read from fd.  Dies naming name on failure. */
int io_seekable(int fd, const char *name);
/* The same, with the temporary file in dir (NULL: $TMPDIR or /tmp). */
int io_seekable_in(int fd, const char *name, const char *dir);
/* A new empty file in dir (NULL: $TMPDIR or /tmp), open for reading and
 * writing and already unlinked, so it is gone when closed however the
 * program ends; dies naming `what` it was for when none can be made. */
int io_temp_file(const char *dir, const char *what);

/* Writes all n bytes; dies with "prog: name: write error: ..." on failure,
 * and ends silently on EPIPE. */
void write_all(int fd, const void *p, size_t n, const char *name);
/* write(2) until all of it is written; 0, or -1 with errno set (ENOSPC
 * for a write that wrote nothing), for callers that report errors. */
int io_write_fully(int fd, const void *p, size_t n);
/* Reads up to n bytes, retrying on EINTR and short reads; returns the count
 * (less than n only at end of input) or -1 on error. */
ssize_t read_full(int fd, void *p, size_t n);
/* Reads a whole file (malloc'd, *len its size); NULL with errno set. */
void *io_read_file(const char *path, size_t *len);

/* Buffered output to a descriptor. */
struct outbuf {
	int fd;
	const char *name;
	char *data;
	size_t len, cap;
	int write_back;          /* see outbuf_write_back */
	uint64_t flushed, synced; /* bytes written to fd, and handed to write-back */
};
void outbuf_init(struct outbuf *o, int fd, const char *name, size_t cap);
/* Has the kernel start writing each few MiB to disk as soon as it is
 * flushed to a file written from its start (sync_file_range, where
 * Linux has it), so that the fsync committing a large file finds little
 * left to wait for: the disk works while the program does. */
void outbuf_write_back(struct outbuf *o);
void outbuf_flush(struct outbuf *o);
void outbuf_free(struct outbuf *o); /* flushes first */
void outbuf_write_slow(struct outbuf *o, const void *p, size_t n);
static inline void outbuf_write(struct outbuf *o, const void *p, size_t n)
{
	if (o->cap - o->len >= n) {
		memcpy(o->data + o->len, p, n);
		o->len += n;
	} else {
		outbuf_write_slow(o, p, n);
	}
}
static inline void outbuf_putc(struct outbuf *o, char c)
{
	if (o->len == o->cap)
		outbuf_flush(o);
	o->data[o->len++] = c;
}

/* A file written under a temporary name beside its final path and renamed
 * into place only when complete, so readers see the old file or the whole
 * new one, never a prefix. */
struct atomic_remote;
struct atomic_file {
	int fd;
	char *path;
	char *tmp;
	/* An output that is not a local file (an s3:// object, net/sink.h):
	 * fd is an unlinked temporary file, and the commit sends its bytes
	 * where they belong.  NULL for a local file. */
	const struct atomic_remote *remote;
	void *remote_ctx;
};
/* How a remote output is committed: commit sends the bytes of fd (from
 * its start to its size) to the destination, returning 0 or ending the
 * program with the one line that says why; discard drops it.  Both free
 * ctx.  (Base code cannot call the network: the layers above give these.) */
struct atomic_remote {
	int (*commit)(void *ctx, int fd);
	void (*discard)(void *ctx);
};
/* Returns 0, or -1 with errno set. */
int atomic_open(struct atomic_file *a, const char *path);
/* fsync, rename over path, fsync the directory (or a remote output's
 * commit).  Returns 0; -1 with errno set when the file is not in place
 * (what path held, if anything, stands); or ATOMIC_UNSYNCED with errno set
 * when it is in place but the directory could not be synced, so a crash
 * may yet bring back what path held: a caller that points to other files
 * from this one must not remove either set then. */
#define ATOMIC_UNSYNCED (-2)
int atomic_commit(struct atomic_file *a);
/* Closes and removes the temporary file. */
void atomic_abort(struct atomic_file *a);
/* Removes a's temporary file if the program exits (a die() on bad input)
 * or is ended by SIGINT, SIGTERM or SIGHUP before atomic_commit.  For a
 * program's output files (up to 1024): a must live until the program ends. */
void atomic_guard(struct atomic_file *a);

#endif
