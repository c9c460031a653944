/* extsort.c - external sort of fixed-size records (see extsort.h).
 *
 * Records gather in one buffer of up to half the memory; the other half is
 * the radix sort's scratch.  A full buffer is sorted (LSD radix, a byte at a
 * time, skipping the bytes in which every record agrees, so the high bytes
 * of small document ids cost nothing) and written to an unlinked temporary
 * file.  At the end the last buffer is sorted in place and stays in memory
 * as one more run, and all runs are merged through a binary heap; while
 * there are more runs than one merge can take, the oldest are merged into
 * new runs first.  Every byte the merge holds (a buffer per run read, one
 * for the run written) comes out of the memory the last buffer leaves. */
#define _GNU_SOURCE /* O_TMPFILE */
#include "base/extsort.h"
#include "base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/die.h"

#define EXTSORT_MIN_MEM ((size_t)1 << 20)
#define EXTSORT_MAX_WORDS 64
/* Runs merged at once: open descriptors, and buffers that stay big enough. */
#define EXTSORT_FANIN 256
/* The smallest read buffer worth a run: below it, the merge does more
 * system calls than work, and another pass costs less. */
#define EXTSORT_MIN_STREAM ((size_t)16 << 10)
/* The largest: past a few hundred KB a bigger read gains nothing. */
#define EXTSORT_MAX_STREAM ((size_t)512 << 10)
/* Below this many records insertion sort beats the radix histograms. */
#define EXTSORT_SMALL 48

struct run {
	int fd;
	uint64_t count;
};

/* One input of a merge: a disk run read a buffer at a time, or the last
 * buffer in memory (fd -1, everything already "read"). */
struct source {
	int fd;
	uint64_t *data;
	size_t pos, len;   /* records: the next one, and how many are in data */
	uint64_t left;     /* records of the run not yet read into data */
};

struct merge {
	struct source *src;
	size_t *heap; /* source indices, smallest current record on top */
	size_t k, nheap;
	size_t bufrecs; /* records in each disk run's read buffer */
	uint64_t *io;   /* the read buffers, one allocation */
	int started;
};

struct extsort {
	size_t words, recbytes, mem;
	char *tmpdir;
	uint64_t *buf, *scratch; /* mapped pages (pages_*) */
	size_t scratch_bytes;
	size_t n, cap, max; /* records in buf, allocated, per run */
	uint64_t added;
	size_t spilled;
	struct run *runs; /* a queue: runs[head..nruns) are live */
	size_t head, nruns, runcap;
	size_t fanin;
	size_t key_words; /* the words the in-memory sort orders by (see extsort_set_ordered_tail) */
	int finished;
	size_t next; /* with nothing spilled: the next record of buf */
	struct merge m;
};

static int cmp_records(const uint64_t *a, const uint64_t *b, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Fixed sizes for the common widths, so the copy is a few moves, not a
 * call to memcpy. */
static inline void copy_record(uint64_t *dst, const uint64_t *src, size_t words)
{
	switch (words) {
	case 1: dst[0] = src[0]; break;
	case 2: memcpy(dst, src, 16); break;
	case 3: memcpy(dst, src, 24); break;
	case 4: memcpy(dst, src, 32); break;
	default: memcpy(dst, src, words * 8); break;
	}
}

static void insertion_sort(uint64_t *a, size_t n, size_t words)
{
	uint64_t tmp[EXTSORT_MAX_WORDS];
	for (size_t i = 1; i < n; i++) {
		if (cmp_records(a + (i - 1) * words, a + i * words, words) <= 0)
			continue;
		copy_record(tmp, a + i * words, words);
		size_t j = i;
		while (j > 0 && cmp_records(a + (j - 1) * words, tmp, words) > 0) {
			copy_record(a + j * words, a + (j - 1) * words, words);
			j--;
		}
		copy_record(a + j * words, tmp, words);
	}
}

/* Sorts a[0..n) using scratch (n records); the result ends up in a. */
static void lsd_radix_sort(uint64_t *a, uint64_t *scratch, size_t n, size_t words, size_t key_words)
{
	if (n < EXTSORT_SMALL) {
		insertion_sort(a, n, words);
		return;
	}
	size_t count[8][256];
	uint64_t *from = a, *to = scratch;
	/* Least significant first: the last word's low byte up to the first
	 * word's high byte; each pass is stable, so the order is by all of them. */
	for (size_t w = key_words; w-- > 0;) {
		memset(count, 0, sizeof count);
		for (size_t i = 0; i < n; i++) {
			uint64_t v = from[i * words + w];
			for (int b = 0; b < 8; b++)
				count[b][(v >> (8 * b)) & 0xff]++;
		}
		for (int b = 0; b < 8; b++) {
			size_t *c = count[b];
			/* A byte every record shares orders nothing. */
			if (c[(from[w] >> (8 * b)) & 0xff] == n)
				continue;
			size_t sum = 0;
			for (int d = 0; d < 256; d++) {
				size_t k = c[d];
				c[d] = sum;
				sum += k;
			}
			for (size_t i = 0; i < n; i++) {
				const uint64_t *r = from + i * words;
				copy_record(to + c[(r[w] >> (8 * b)) & 0xff]++ * words, r, words);
			}
			uint64_t *t = from;
			from = to;
			to = t;
		}
	}
	if (from != a)
		memcpy(a, from, n * words * 8);
}

/* A new temporary file in the sort's directory, already without a name:
 * O_TMPFILE never gives it one; where the file system lacks it, mkstemp's
 * name is removed at once. */
static int open_run_file(const struct extsort *s, char *err, size_t errn)
{
#ifdef O_TMPFILE
	int fd = open(s->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return errorf(err, errn, "extsort: cannot make a run file in %s: %s", s->tmpdir,
		              strerror(errno));
#endif
	size_t n = strlen(s->tmpdir) + sizeof "/extsort-XXXXXX";
	char *path = malloc(n);
	if (!path)
		return errorf(err, errn, "extsort: out of memory");
	snprintf(path, n, "%s/extsort-XXXXXX", s->tmpdir);
	int tfd = mkstemp(path);
	if (tfd < 0) {
		int e = errno;
		free(path);
		return errorf(err, errn, "extsort: cannot make a run file in %s: %s", s->tmpdir,
		              strerror(e));
	}
	unlink(path);
	free(path);
	return tfd;
}

static int push_run(struct extsort *s, int fd, uint64_t count, char *err, size_t errn)
{
	if (s->nruns == s->runcap) {
		size_t cap = s->runcap ? 2 * s->runcap : 16;
		struct run *r = realloc(s->runs, cap * sizeof *r);
		if (!r)
			return errorf(err, errn, "extsort: out of memory");
		s->runs = r;
		s->runcap = cap;
	}
	s->runs[s->nruns++] = (struct run){fd, count};
	return 0;
}

static int rewind_run(int fd, const struct extsort *s, char *err, size_t errn)
{
	if (lseek(fd, 0, SEEK_SET) != 0)
		return errorf(err, errn, "extsort: run file in %s: %s", s->tmpdir, strerror(errno));
	return 0;
}

/* Past this many records a buffer outgrows the caches, and each LSD pass
 * scatters records all over memory: one pass by the leading varying byte
 * first splits them into parts that each sort in cache. */
#define EXTSORT_SPLIT ((size_t)1 << 16)

/* Sorts a[0..n) using scratch (n records); the result ends up in a.  The
 * split pass is stable and orders by the most significant byte in which
 * the first words differ, so the parts in order, each sorted, are the
 * whole sorted. */
static void radix_sort(uint64_t *a, uint64_t *scratch, size_t n, size_t words, size_t key_words)
{
	if (n < EXTSORT_SPLIT) {
		lsd_radix_sort(a, scratch, n, words, key_words);
		return;
	}
	uint64_t any = 0, all = ~(uint64_t)0;
	for (size_t i = 0; i < n; i++) {
		any |= a[i * words];
		all &= a[i * words];
	}
	uint64_t differ = any ^ all;
	if (!differ) {
		lsd_radix_sort(a, scratch, n, words, key_words);
		return;
	}
	int shift = (63 - __builtin_clzll(differ)) & ~7;
	size_t start[257] = {0};
	for (size_t i = 0; i < n; i++)
		start[((a[i * words] >> shift) & 0xff) + 1]++;
	for (int d = 0; d < 256; d++)
		start[d + 1] += start[d];
	size_t next[256];
	memcpy(next, start, sizeof next);
	for (size_t i = 0; i < n; i++) {
		const uint64_t *r = a + i * words;
		copy_record(scratch + next[(r[0] >> shift) & 0xff]++ * words, r, words);
	}
	/* Each part sorts in its own place in scratch with its place in a as
	 * the scratch, and goes back to a. */
	for (int d = 0; d < 256; d++) {
		size_t k = start[d + 1] - start[d];
		uint64_t *part = scratch + start[d] * words, *spare = a + start[d] * words;
		if (k > 1)
			lsd_radix_sort(part, spare, k, words, key_words);
		memcpy(spare, part, k * words * 8);
	}
}

/* The record buffer and the radix sort's scratch are pages mapped for
 * them alone, with transparent huge pages asked for.  Debian's kernels
 * give those only where asked (enabled=madvise), and the radix sort
 * writes its buffers all over: with 4 KiB pages each band's sort in
 * rec-dedup took a page fault every 4 KiB and a TLB miss on most records,
 * a fifth of the buckets stage, and more with two threads faulting at
 * once.  Mapped, not malloc'd: malloc serves a buffer freed by one sort to
 * the next from its heap, where the advice is lost and growth copies.
 * The advice is only that: where it is not taken, only the speed changes. */
#define HUGE_PAGE ((size_t)2 << 20)

/* The bytes mapped for a buffer of n: whole huge pages from one (the last
 * partial one would take 4 KiB faults), else whole pages. */
static size_t pages_len(size_t n)
{
	size_t page = n >= HUGE_PAGE ? HUGE_PAGE : 4096;
	return (n + page - 1) & ~(page - 1);
}

/* n bytes (n > 0) of fresh pages, starting on a huge page when n is at
 * least one (a buffer's first partial huge page would take 4 KiB faults);
 * the `old` bytes at p copied in and p unmapped.  NULL when the memory is
 * not there. */
static void *pages_resize(void *p, size_t old, size_t n)
{
	size_t len = pages_len(n);
	size_t slack = n >= HUGE_PAGE ? HUGE_PAGE : 0;
	char *m = mmap(NULL, len + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	char *q = m;
	if (slack) {
		q = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
		size_t head = (size_t)(q - m);
		if (head)
			munmap(m, head);
		if (slack > head)
			munmap(q + len, slack - head);
		madvise(q, len, MADV_HUGEPAGE);
	}
	if (p) {
		memcpy(q, p, old < n ? old : n);
		munmap(p, pages_len(old));
	}
	return q;
}

static void pages_free(void *p, size_t n)
{
	if (p)
		munmap(p, pages_len(n));
}

static int alloc_scratch(struct extsort *s, char *err, size_t errn)
{
	if (!s->scratch && s->n >= EXTSORT_SMALL) {
		s->scratch = pages_resize(NULL, 0, s->n * s->recbytes);
		if (!s->scratch)
			return errorf(err, errn, "extsort: out of memory");
		s->scratch_bytes = s->n * s->recbytes;
	}
	return 0;
}

/* Sorts the full buffer and writes it as a new run. */
static int spill(struct extsort *s, char *err, size_t errn)
{
	if (alloc_scratch(s, err, errn) != 0)
		return -1;
	radix_sort(s->buf, s->scratch, s->n, s->words, s->key_words);
	int fd = open_run_file(s, err, errn);
	if (fd < 0)
		return -1;
	if (io_write_fully(fd, s->buf, s->n * s->recbytes) != 0) {
		int e = errno;
		close(fd);
		return errorf(err, errn, "extsort: writing a run file in %s: %s", s->tmpdir,
		              strerror(e));
	}
	if (rewind_run(fd, s, err, errn) != 0 || push_run(s, fd, s->n, err, errn) != 0) {
		close(fd);
		return -1;
	}
	s->spilled++;
	s->n = 0;
	return 0;
}

struct extsort *extsort_new(size_t words, size_t mem, const char *tmpdir, char *err, size_t errn)
{
	if (words < 1 || words > EXTSORT_MAX_WORDS) {
		errorf(err, errn, "extsort: %zu words a record (1..%d)", words, EXTSORT_MAX_WORDS);
		return NULL;
	}
	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	struct extsort *s = calloc(1, sizeof *s);
	if (!s || !(s->tmpdir = strdup(tmpdir))) {
		free(s);
		errorf(err, errn, "extsort: out of memory");
		return NULL;
	}
	s->words = words;
	s->recbytes = words * 8;
	s->mem = mem < EXTSORT_MIN_MEM ? EXTSORT_MIN_MEM : mem;
	s->max = s->mem / 2 / s->recbytes; /* >= 1024: a record is at most 512 bytes */
	s->fanin = EXTSORT_FANIN;
	s->key_words = words;
	return s;
}

void extsort_set_ordered_tail(struct extsort *s, size_t tail)
{
	s->key_words = tail < s->words ? s->words - tail : 1;
}

void extsort_set_fanin(struct extsort *s, size_t fanin)
{
	s->fanin = fanin < 2 ? 2 : fanin > EXTSORT_FANIN ? EXTSORT_FANIN : fanin;
}

int extsort_reserve(struct extsort *s, uint64_t n, char *err, size_t errn)
{
	size_t cap = n < s->max ? (size_t)n : s->max;
	if (s->n > 0 || s->finished || cap <= s->cap)
		return 0;
	uint64_t *b = pages_resize(s->buf, s->cap * s->recbytes, cap * s->recbytes);
	if (!b)
		return errorf(err, errn, "extsort: out of memory");
	s->buf = b;
	s->cap = cap;
	return 0;
}

int extsort_add(struct extsort *s, const uint64_t *record, char *err, size_t errn)
{
	if (s->finished)
		return errorf(err, errn, "extsort: a record added after the end");
	if (s->n == s->cap) {
		if (s->cap == s->max) {
			if (spill(s, err, errn) != 0)
				return -1;
		} else {
			/* Grown by doubling, so a small sort allocates little. */
			size_t cap = s->cap ? 2 * s->cap : 1024;
			if (cap > s->max)
				cap = s->max;
			uint64_t *b = pages_resize(s->buf, s->cap * s->recbytes, cap * s->recbytes);
			if (!b)
				return errorf(err, errn, "extsort: out of memory");
			s->buf = b;
			s->cap = cap;
		}
	}
	copy_record(s->buf + s->n * s->words, record, s->words);
	s->n++;
	s->added++;
	return 0;
}

/* Refills a disk source's buffer; 0 (len 0 at the run's end) or -1. */
static int source_fill(struct source *src, size_t bufrecs, size_t recbytes, char *err,
                       size_t errn)
{
	src->pos = src->len = 0;
	if (src->left == 0)
		return 0;
	size_t want = src->left < bufrecs ? (size_t)src->left : bufrecs;
	size_t bytes = want * recbytes;
	char *p = (char *)src->data;
	size_t got = 0;
	while (got < bytes) {
		ssize_t r = read(src->fd, p + got, bytes - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errorf(err, errn, "extsort: reading a run file: %s", strerror(errno));
		}
		if (r == 0)
			return errorf(err, errn, "extsort: a run file ended early");
		got += (size_t)r;
	}
	src->left -= want;
	src->len = want;
	return 0;
}

static inline const uint64_t *source_head(const struct source *src, size_t words)
{
	return src->data + src->pos * words;
}

static void heap_down(struct merge *m, size_t i, size_t words)
{
	size_t *h = m->heap;
	for (;;) {
		size_t l = 2 * i + 1, small = i;
		if (l < m->nheap &&
		    cmp_records(source_head(&m->src[h[l]], words), source_head(&m->src[h[small]], words),
		                words) < 0)
			small = l;
		if (l + 1 < m->nheap &&
		    cmp_records(source_head(&m->src[h[l + 1]], words),
		                source_head(&m->src[h[small]], words), words) < 0)
			small = l + 1;
		if (small == i)
			return;
		size_t t = h[i];
		h[i] = h[small];
		h[small] = t;
		i = small;
	}
}

static void merge_free(struct merge *m)
{
	if (m->src)
		for (size_t i = 0; i < m->k; i++)
			if (m->src[i].fd >= 0)
				close(m->src[i].fd);
	free(m->src);
	free(m->heap);
	free(m->io);
	memset(m, 0, sizeof *m);
}

/* Sets up a merge of runs[head..head+k) and, when mem_run, the buffer in
 * memory, with bufrecs records of read buffer a run; the runs' descriptors
 * pass to the merge. */
static int merge_open(struct extsort *s, struct merge *m, size_t k, int mem_run, size_t bufrecs,
                      char *err, size_t errn)
{
	size_t total = k + (mem_run ? 1 : 0);
	memset(m, 0, sizeof *m);
	m->src = calloc(total, sizeof *m->src);
	m->heap = calloc(total, sizeof *m->heap);
	m->io = k ? malloc(k * bufrecs * s->recbytes) : NULL;
	if (!m->src || !m->heap || (k && !m->io)) {
		merge_free(m);
		return errorf(err, errn, "extsort: out of memory");
	}
	m->k = total;
	m->bufrecs = bufrecs;
	for (size_t i = 0; i < total; i++)
		m->src[i].fd = -1;
	for (size_t i = 0; i < k; i++) {
		struct run *r = &s->runs[s->head + i];
		m->src[i] = (struct source){r->fd, m->io + i * bufrecs * s->words, 0, 0, r->count};
		r->fd = -1;
	}
	s->head += k;
	if (mem_run)
		m->src[k] = (struct source){-1, s->buf, 0, s->n, 0};
	for (size_t i = 0; i < total; i++) {
		if (m->src[i].fd >= 0 && source_fill(&m->src[i], bufrecs, s->recbytes, err, errn) != 0) {
			merge_free(m);
			return -1;
		}
		if (m->src[i].len > 0)
			m->heap[m->nheap++] = i;
	}
	for (size_t i = m->nheap / 2; i-- > 0;)
		heap_down(m, i, s->words);
	return 0;
}

/* Moves past the record on top of the heap. */
static int merge_advance(struct merge *m, const struct extsort *s, char *err, size_t errn)
{
	struct source *src = &m->src[m->heap[0]];
	if (++src->pos == src->len) {
		if (src->fd >= 0 && source_fill(src, m->bufrecs, s->recbytes, err, errn) != 0)
			return -1;
		if (src->pos == src->len) { /* the run is done */
			if (src->fd >= 0) {
				close(src->fd);
				src->fd = -1;
			}
			m->heap[0] = m->heap[--m->nheap];
		}
	}
	if (m->nheap > 1)
		heap_down(m, 0, s->words);
	return 0;
}

/* Read buffer records per run when k runs are read and one written. */
static size_t stream_records(const struct extsort *s, size_t k)
{
	size_t budget = s->mem - s->n * s->recbytes;
	size_t per = budget / (k + 1);
	if (per > EXTSORT_MAX_STREAM)
		per = EXTSORT_MAX_STREAM;
	size_t recs = per / s->recbytes;
	return recs ? recs : 1;
}

/* Merges the k oldest runs into one new run at the end of the queue. */
static int merge_pass(struct extsort *s, size_t k, char *err, size_t errn)
{
	size_t bufrecs = stream_records(s, k);
	size_t outbytes = bufrecs * s->recbytes;
	char *out = malloc(outbytes);
	if (!out)
		return errorf(err, errn, "extsort: out of memory");
	uint64_t count = 0;
	for (size_t i = 0; i < k; i++)
		count += s->runs[s->head + i].count;
	int fd = open_run_file(s, err, errn);
	if (fd < 0) {
		free(out);
		return -1;
	}
	struct merge m;
	if (merge_open(s, &m, k, 0, bufrecs, err, errn) != 0) {
		close(fd);
		free(out);
		return -1;
	}
	size_t used = 0;
	int rc = 0;
	while (m.nheap > 0) {
		if (used == outbytes) {
			if (io_write_fully(fd, out, used) != 0)
				goto write_error;
			used = 0;
		}
		memcpy(out + used, source_head(&m.src[m.heap[0]], s->words), s->recbytes);
		used += s->recbytes;
		if (merge_advance(&m, s, err, errn) != 0) {
			rc = -1;
			goto done;
		}
	}
	if (io_write_fully(fd, out, used) != 0)
		goto write_error;
	if (rewind_run(fd, s, err, errn) != 0 || push_run(s, fd, count, err, errn) != 0) {
		rc = -1;
		goto done;
	}
	fd = -1;
	goto done;
write_error:
	rc = errorf(err, errn, "extsort: writing a run file in %s: %s", s->tmpdir, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	merge_free(&m);
	free(out);
	return rc;
}

int extsort_finish(struct extsort *s, char *err, size_t errn)
{
	if (s->finished)
		return errorf(err, errn, "extsort: finished twice");
	s->finished = 1;
	if (alloc_scratch(s, err, errn) != 0)
		return -1;
	radix_sort(s->buf, s->scratch, s->n, s->words, s->key_words);
	pages_free(s->scratch, s->scratch_bytes);
	s->scratch = NULL;
	if (s->nruns == 0)
		return 0;
	/* The last buffer keeps only what it holds; the rest of the memory
	 * becomes the merge's buffers. */
	if (s->n < s->cap) {
		uint64_t *b = s->n ? pages_resize(s->buf, s->cap * s->recbytes, s->n * s->recbytes) : NULL;
		if (b || !s->n) {
			if (!s->n)
				pages_free(s->buf, s->cap * s->recbytes);
			s->buf = b;
			s->cap = s->n;
		}
	}
	/* As many runs at once as keep each read buffer worth its reads, and
	 * at least two. */
	size_t budget = s->mem - s->n * s->recbytes;
	size_t stream = EXTSORT_MIN_STREAM > s->recbytes ? EXTSORT_MIN_STREAM : s->recbytes;
	size_t fanin = budget / stream > s->fanin + 1 ? s->fanin : budget / stream - 1;
	if (fanin < 2)
		fanin = 2;
	size_t mem_run = s->n > 0;
	/* The final merge takes the buffer in memory too.  Each earlier pass
	 * turns k runs into one, removing k - 1; the first removes the
	 * remainder, so that every later pass is a full one. */
	size_t final = fanin - mem_run;
	while (s->nruns - s->head > final) {
		size_t extra = s->nruns - s->head - final;
		size_t r = extra % (fanin - 1);
		size_t k = extra < fanin ? extra + 1 : r ? r + 1 : fanin;
		if (merge_pass(s, k, err, errn) != 0)
			return -1;
	}
	size_t live = s->nruns - s->head;
	return merge_open(s, &s->m, live, (int)mem_run, stream_records(s, live), err, errn);
}

const uint64_t *extsort_next(struct extsort *s, char *err, size_t errn)
{
	if (err && errn)
		err[0] = '\0';
	if (!s->finished) {
		errorf(err, errn, "extsort: records asked for before the end");
		return NULL;
	}
	if (s->nruns == 0) {
		if (s->next == s->n)
			return NULL;
		return s->buf + s->next++ * s->words;
	}
	struct merge *m = &s->m;
	if (m->started && m->nheap > 0 && merge_advance(m, s, err, errn) != 0)
		return NULL;
	m->started = 1;
	if (m->nheap == 0)
		return NULL;
	return source_head(&m->src[m->heap[0]], s->words);
}

uint64_t extsort_count(const struct extsort *s) { return s->added; }

size_t extsort_runs(const struct extsort *s) { return s->spilled; }

void extsort_free(struct extsort *s)
{
	if (!s)
		return;
	merge_free(&s->m);
	for (size_t i = s->head; i < s->nruns; i++)
		if (s->runs[i].fd >= 0)
			close(s->runs[i].fd);
	free(s->runs);
	pages_free(s->buf, s->cap * s->recbytes);
	pages_free(s->scratch, s->scratch_bytes);
	free(s->tmpdir);
	free(s);
}
