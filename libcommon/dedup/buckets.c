/* buckets.c - rec-dedup's second stage (buckets.h). */
#include "dedup/buckets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"
#include "base/extsort.h"
#include "base/ordpool.h"

#define BKT_MAGIC 0x31544b4244444c53ull /* "SLDDBKT1" */
#define BKT_VERSION 1
#define READ_WORDS 8192

/* Band b's (key, record) pairs sorted: the LSH bands' keys are a word,
 * the exact key two.  One band at a time, so the memory a band needs is
 * all the sorting ever holds, and each band's pairs come in record order,
 * which the sort keeps without sorting by it. */
static struct extsort *sort_band(const struct sig_file *sigs, int nsig, int b, size_t mem, const char *tmpdir,
                                 const char *name, size_t *words)
{
	bool exact = b == sig_band_count(&sigs[0].p) - 1;
	char err[512];
	*words = exact ? 3 : 2;
	struct extsort *sorter = extsort_new(*words, mem, tmpdir, err, sizeof err);
	if (!sorter)
		die(STATUS_FAIL, "%s: %s", name, err);
	extsort_set_ordered_tail(sorter, 1);
	uint64_t records = 0;
	for (int s = 0; s < nsig; s++)
		records += sigs[s].n;
	if (extsort_reserve(sorter, records, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s: %s", name, err);
	uint64_t record = 0;
	for (int s = 0; s < nsig; s++) {
		for (uint64_t i = 0; i < sigs[s].n; i++, record++) {
			const uint64_t *e = sig_entry(&sigs[s], i);
			if (e[2] != SIG_CLEAN)
				continue;
			/* (key, record), or (key high, key low, record). */
			uint64_t row[3] = {exact ? e[0] : e[SIG_ENTRY_HEAD + b], exact ? e[1] : record, record};
			if (extsort_add(sorter, row, err, sizeof err) < 0)
				die(STATUS_FAIL, "%s: %s", name, err);
		}
	}
	if (extsort_finish(sorter, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s: %s", name, err);
	return sorter;
}

/* One band's groups, sorted and written to a temporary file by a worker
 * (band_work), then appended to the body in band order by the caller. */
struct band_job {
	int band;
	int fd;                  /* the band's groups, as the body holds them */
	uint64_t groups, members;
};

struct band_ctx {
	const struct sig_file *sigs;
	int nsig;
	size_t mem; /* each band's sort: the run's --mem over the threads */
	const char *tmpdir, *name;
};

static void band_work(void *arg, void *state)
{
	struct band_job *job = arg;
	const struct band_ctx *ctx = state;
	char err[512];
	size_t words;
	struct extsort *sorter = sort_band(ctx->sigs, ctx->nsig, job->band, ctx->mem, ctx->tmpdir, ctx->name, &words);
	struct outbuf out;
	job->fd = io_temp_file(ctx->tmpdir, ctx->name);
	outbuf_init(&out, job->fd, ctx->name, 1 << 16);
	uint64_t *group = NULL;
	size_t cap = 0, n = 0;
	uint64_t prev[2] = {0};
	for (;;) {
		const uint64_t *row = extsort_next(sorter, err, sizeof err);
		if (!row && err[0])
			die(STATUS_FAIL, "%s: %s", ctx->name, err);
		bool same = row && n > 0 && row[0] == prev[0] && (words == 2 || row[1] == prev[1]);
		if (!same) {
			if (n >= 2) {
				group[0] |= BKT_FIRST;
				outbuf_write(&out, group, n * sizeof *group);
				job->groups++;
				job->members += n;
			}
			n = 0;
		}
		if (!row)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			group = xrealloc(group, cap * sizeof *group);
		}
		group[n++] = row[words - 1];
		prev[0] = row[0];
		prev[1] = row[1];
	}
	free(group);
	outbuf_free(&out);
	extsort_free(sorter);
}

/* Appends the first n bytes of the temporary file fd to out. */
static void copy_back(struct outbuf *out, int fd, uint64_t n, const char *name)
{
	if (lseek(fd, 0, SEEK_SET) != 0)
		die(STATUS_FAIL, "%s: a temporary file:", name);
	char block[1 << 16];
	while (n > 0) {
		size_t want = n < sizeof block ? (size_t)n : sizeof block;
		if (read_full(fd, block, want) != (ssize_t)want)
			die(STATUS_FAIL, "%s: reading back a temporary file:", name);
		outbuf_write(out, block, want);
		n -= want;
	}
}

/* Whether fd is a regular file written at its offset (*at), so that a
 * header written there can be written over later; O_APPEND would put the
 * second write at the end. */
static bool rewritable(int fd, off_t *at)
{
	struct stat st;
	int flags = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flags < 0 || (flags & O_APPEND))
		return false;
	*at = lseek(fd, 0, SEEK_CUR);
	return *at >= 0;
}

void buckets_run(const struct sig_file *sigs, int nsig, int band_lo, int band_hi, size_t mem, int threads,
                 const char *tmpdir, int fd, const char *name)
{
	uint64_t records = 0;
	for (int s = 0; s < nsig; s++)
		records += sigs[s].n;
	/* The bands are independent: each thread sorts one at a time, with
	 * its share of the memory, and the caller appends them in order. */
	int nbands = band_hi - band_lo;
	if (threads < 1)
		threads = 1;
	if (threads > nbands && nbands > 0)
		threads = nbands;
	struct band_ctx ctx = {sigs, nsig, mem / (size_t)threads, tmpdir, name};
	void **states = xcalloc((size_t)threads, sizeof *states);
	for (int i = 0; i < threads; i++)
		states[i] = &ctx;
	struct ordpool *pool = ordpool_new(threads, (size_t)threads, band_work, states);
	struct band_job *jobs = xcalloc((size_t)(nbands > 0 ? nbands : 1), sizeof *jobs);

	/* The counts lead the file.  When it is a regular file, the bands'
	 * members follow a blank header as each band is done, and the header
	 * is written over once the counts are known; a pipe's members wait in
	 * a temporary file.  Either way a band's temporary file is copied out
	 * and closed in its turn, so only the bands being sorted hold one. */
	off_t header_at;
	bool direct = rewritable(fd, &header_at);
	int body_fd = direct ? fd : io_temp_file(tmpdir, name);
	struct outbuf body;
	outbuf_init(&body, body_fd, name, 1 << 20);
	uint64_t header[BKT_HEADER_WORDS] = {0};
	if (direct)
		outbuf_write(&body, header, sizeof header);
	uint64_t groups = 0, members = 0;
	for (int b = 0; b <= nbands; b++) {
		struct band_job *done = NULL;
		if (b < nbands) {
			jobs[b] = (struct band_job){.band = band_lo + b, .fd = -1};
			done = ordpool_submit(pool, &jobs[b]);
		}
		for (;;) {
			if (done) {
				copy_back(&body, done->fd, done->members * 8, name);
				close(done->fd);
				groups += done->groups;
				members += done->members;
			}
			if (b < nbands || !(done = ordpool_drain(pool)))
				break;
		}
	}
	ordpool_free(pool);
	free(jobs);
	free(states);
	outbuf_free(&body);

	uint64_t counts[BKT_HEADER_WORDS] = {BKT_MAGIC,        BKT_VERSION,       sig_fingerprint(sigs, nsig), records,
	                                     (uint64_t)band_lo, (uint64_t)band_hi, groups,                      members};
	if (direct) {
		if (pwrite(fd, counts, sizeof counts, header_at) != (ssize_t)sizeof counts)
			die(STATUS_FAIL, "%s: write error:", name);
		return;
	}
	struct outbuf out;
	outbuf_init(&out, fd, name, 1 << 20);
	outbuf_write(&out, counts, sizeof counts);
	copy_back(&out, body_fd, members * 8, name);
	close(body_fd);
	outbuf_free(&out);
}

int bkt_open(struct bkt_reader *r, const char *path, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(r, 0, sizeof *r);
		r->fd = -1;
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return -2;
	}
	return bkt_open_fd(r, fd, path, err, errn);
}

int bkt_open_fd(struct bkt_reader *r, int fd, const char *path, char *err, size_t errn)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = xstrdup(path);
	int rc = -2;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		goto fail;
	}
	uint64_t h[BKT_HEADER_WORDS];
	ssize_t got = read_full(r->fd, h, sizeof h);
	if (got < 0) {
		errorf(err, errn, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	rc = -1;
	if (got != (ssize_t)sizeof h || h[0] != BKT_MAGIC) {
		errorf(err, errn, "%s: not a rec-dedup bucket file", path);
		goto fail;
	}
	if (h[1] != BKT_VERSION) {
		errorf(err, errn, "%s: a bucket file of version %llu (this rec-dedup reads version %d)", path,
		       (unsigned long long)h[1], BKT_VERSION);
		goto fail;
	}
	if (h[4] > h[5] || h[5] > 1025 || h[6] > h[7]) {
		errorf(err, errn, "%s: a damaged bucket file (its header)", path);
		goto fail;
	}
	r->fingerprint = h[2];
	r->records = h[3];
	r->band_lo = (int)h[4];
	r->band_hi = (int)h[5];
	r->groups = h[6];
	r->members = h[7];
	r->buf = xmalloc(READ_WORDS * sizeof *r->buf);
	return 0;
fail:
	bkt_close(r);
	return rc;
}

bool bkt_is_bucket_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uint64_t magic = 0;
	bool yes = read_full(fd, &magic, 8) == 8 && magic == BKT_MAGIC;
	close(fd);
	return yes;
}

int bkt_next(struct bkt_reader *r, uint64_t *member, char *err, size_t errn)
{
	if (r->pos == r->len) {
		ssize_t got = read_full(r->fd, r->buf, READ_WORDS * sizeof *r->buf);
		if (got < 0) {
			errorf(err, errn, "%s: read error: %s", r->name, strerror(errno));
			return -2;
		}
		if (got % 8)
			return errorf(err, errn, "%s: a damaged bucket file (not whole words)", r->name);
		r->len = (size_t)got / 8;
		r->pos = 0;
		if (r->len == 0) {
			if (r->read != r->members)
				return errorf(err, errn, "%s: a truncated bucket file (%llu of %llu members)", r->name,
				              (unsigned long long)r->read, (unsigned long long)r->members);
			return 0;
		}
	}
	uint64_t m = r->buf[r->pos++];
	if (r->read == r->members)
		return errorf(err, errn, "%s: a damaged bucket file (more members than its header says)", r->name);
	if ((m & ~BKT_FIRST) >= r->records || (r->read == 0 && !(m & BKT_FIRST)))
		return errorf(err, errn, "%s: a damaged bucket file (member %llu)", r->name, (unsigned long long)r->read);
	r->read++;
	*member = m;
	return 1;
}

void bkt_close(struct bkt_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->name);
	free(r->buf);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}
