/* countrun.c - tok-bpe count over its inputs (countrun.h).
 *
 * The external sort takes records of fixed size, and words have any
 * length, so a word goes in as its first PREFIX bytes, big-endian in
 * PREFIX_WORDS words and zero-padded, then a length word, a place and
 * its count.  For a word of at most PREFIX bytes the prefix and the
 * length are the word, and their order is the order of the bytes (after
 * equal padded prefixes, the shorter word is a prefix of the longer).  A
 * longer word's bytes go to a side file, its place is where, and its
 * length word has the top bit set: it sorts after every short word with
 * the same prefix (each of which begins it), and the long words sharing
 * a prefix come out together, to be read back and put in order there. */
#include "tok/countrun.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/extsort.h"
#include "net/sink.h"
#include "tok/bpecorpus.h"
#include "tok/countfile.h"
#include "tok/pretok.h"

#define PREFIX_WORDS 4
#define PREFIX (PREFIX_WORDS * 8)
#define LEN_AT PREFIX_WORDS
#define PLACE_AT (PREFIX_WORDS + 1)
#define COUNT_AT (PREFIX_WORDS + 2)
#define REC_WORDS (PREFIX_WORDS + 3)
#define LONG_WORD ((uint64_t)1 << 63)

struct long_word {
	uint64_t place, len, count;
	const uint8_t *bytes;
};

struct counter {
	struct extsort *xs;
	const char *tmpdir;
	/* The long words' bytes: in memory up to blob_max, then all in a
	 * temporary file (blob_fd, -1 until then). */
	struct buf blob_mem;
	size_t blob_max;
	int blob_fd;
	struct outbuf blob;
	uint64_t blob_len;
	struct countfile_writer out;
	/* the long words of one prefix, while they are gathered */
	struct long_word *group;
	size_t ngroup, group_cap;
	struct buf group_bytes;
};

static void spill_piece(void *arg, const uint8_t *p, size_t n, uint64_t count)
{
	struct counter *c = arg;
	uint64_t rec[REC_WORDS] = {0};
	for (size_t i = 0; i < n && i < PREFIX; i++)
		rec[i / 8] |= (uint64_t)p[i] << (56 - 8 * (i % 8));
	if (n <= PREFIX) {
		rec[LEN_AT] = n;
	} else {
		if (c->blob_fd < 0 && c->blob_mem.len + n > c->blob_max) {
			c->blob_fd = io_temp_file(c->tmpdir, "the long words");
			outbuf_init(&c->blob, c->blob_fd, "the long words' temporary file", 1 << 20);
			if (c->blob_mem.len)
				outbuf_write(&c->blob, c->blob_mem.data, c->blob_mem.len);
			buf_free(&c->blob_mem);
		}
		rec[LEN_AT] = LONG_WORD | n;
		rec[PLACE_AT] = c->blob_len;
		if (c->blob_fd >= 0)
			outbuf_write(&c->blob, p, n);
		else
			buf_add(&c->blob_mem, p, n);
		c->blob_len += n;
	}
	rec[COUNT_AT] = count;
	char err[256];
	if (extsort_add(c->xs, rec, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
}

static void spill_counts(void *arg, const struct piece_counts *pc)
{
	piece_counts_each(pc, spill_piece, arg);
}

static int long_cmp(const void *a, const void *b)
{
	const struct long_word *x = a, *y = b;
	return countfile_cmp(x->bytes, x->len, y->bytes, y->len);
}

/* Writes the gathered long words in order, counts summed. */
static void flush_group(struct counter *c)
{
	if (!c->ngroup)
		return;
	buf_clear(&c->group_bytes);
	for (size_t i = 0; i < c->ngroup; i++) {
		struct long_word *w = &c->group[i];
		if (c->blob_fd < 0) {
			buf_add(&c->group_bytes, c->blob_mem.data + w->place, w->len);
			continue;
		}
		buf_reserve(&c->group_bytes, w->len);
		ssize_t got = pread(c->blob_fd, c->group_bytes.data + c->group_bytes.len, w->len, (off_t)w->place);
		if (got != (ssize_t)w->len)
			die(STATUS_FAIL, "the long words' temporary file: %s", got < 0 ? strerror(errno) : "short read");
		c->group_bytes.len += w->len;
	}
	size_t at = 0; /* the buffer has stopped moving: point into it */
	for (size_t i = 0; i < c->ngroup; i++) {
		c->group[i].bytes = (const uint8_t *)c->group_bytes.data + at;
		at += c->group[i].len;
	}
	qsort(c->group, c->ngroup, sizeof *c->group, long_cmp);
	for (size_t i = 0; i < c->ngroup;) {
		uint64_t sum = c->group[i].count;
		size_t j = i + 1;
		for (; j < c->ngroup && long_cmp(&c->group[i], &c->group[j]) == 0; j++) {
			if (sum + c->group[j].count < sum)
				die(STATUS_FAIL, "a word's count passes 2^64 - 1");
			sum += c->group[j].count;
		}
		countfile_put(&c->out, c->group[i].bytes, c->group[i].len, sum);
		i = j;
	}
	c->ngroup = 0;
}

static void unpack_prefix(const uint64_t *rec, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(rec[i / 8] >> (56 - 8 * (i % 8)));
}

/* The sorted records as words with their counts summed, into the file. */
static void write_sorted(struct counter *c)
{
	char err[256];
	if (extsort_finish(c->xs, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (c->blob_fd >= 0)
		outbuf_flush(&c->blob);
	uint64_t cur[REC_WORDS];
	bool have = false;
	const uint64_t *rec;
	uint8_t word[PREFIX];
	while ((rec = extsort_next(c->xs, err, sizeof err))) {
		bool cur_long = have && (cur[LEN_AT] & LONG_WORD), rec_long = rec[LEN_AT] & LONG_WORD;
		if (have && !cur_long && !rec_long && memcmp(cur, rec, (LEN_AT + 1) * sizeof *rec) == 0) {
			if (cur[COUNT_AT] + rec[COUNT_AT] < cur[COUNT_AT])
				die(STATUS_FAIL, "a word's count passes 2^64 - 1");
			cur[COUNT_AT] += rec[COUNT_AT];
			continue;
		}
		if (!(cur_long && rec_long && memcmp(cur, rec, PREFIX_WORDS * sizeof *rec) == 0)) {
			/* a new word, or a new prefix of long words: the one before is done */
			if (cur_long) {
				flush_group(c);
			} else if (have) {
				unpack_prefix(cur, word, (size_t)cur[LEN_AT]);
				countfile_put(&c->out, word, (size_t)cur[LEN_AT], cur[COUNT_AT]);
			}
			memcpy(cur, rec, sizeof cur);
			have = true;
		}
		if (rec_long) {
			if (c->ngroup == c->group_cap) {
				c->group_cap = c->group_cap ? c->group_cap * 2 : 16;
				c->group = xrealloc(c->group, c->group_cap * sizeof *c->group);
			}
			c->group[c->ngroup++] = (struct long_word){rec[PLACE_AT], rec[LEN_AT] & ~LONG_WORD, rec[COUNT_AT], NULL};
		}
	}
	if (err[0])
		die(STATUS_FAIL, "%s", err);
	if (have && !(cur[LEN_AT] & LONG_WORD)) {
		unpack_prefix(cur, word, (size_t)cur[LEN_AT]);
		countfile_put(&c->out, word, (size_t)cur[LEN_AT], cur[COUNT_AT]);
	}
	flush_group(c);
}

int tokrun_count(struct tokrun *r, const struct count_opts *o, struct atomic_file *out_file, int nin,
                 char **inputs)
{
	char err[256];
	struct pretok *pt = pretok_new(o->pattern, 0, err, sizeof err);
	if (!pt)
		die(STATUS_FAIL, "--pattern: %s", err);
	/* A quarter of the memory for counting, a quarter for the sort's
	 * buffers, an eighth for the long words: the rest is what the
	 * counts' tables take while they double, the chunks of text in
	 * flight, and what the allocator keeps. */
	struct counter c = {.tmpdir = o->tmpdir, .blob_fd = -1, .blob_max = o->mem / 8};
	c.xs = extsort_new(REC_WORDS, o->mem / 4, o->tmpdir, err, sizeof err);
	if (!c.xs)
		die(STATUS_FAIL, "%s", err);
	int fd = r->out_fd;
	if (r->output) {
		if (sink_open(out_file, r->output) != 0)
			die(STATUS_FAIL, "%s:", r->output);
		atomic_guard(out_file);
		fd = out_file->fd;
	}

	struct bpe_corpus *corpus = bpe_corpus_new(pt, o->train, r->threads, 0);
	bpe_corpus_set_spill(corpus, o->mem / 4, spill_counts, &c);
	uint64_t documents = bpe_corpus_read(corpus, r, "count", o->shard, nin, inputs);
	bpe_corpus_finish(corpus);
	progress_end(&r->progress);

	countfile_begin(&c.out, fd, r->output ? r->output : "<stdout>", o->pattern, o->train->specials,
	                o->train->n_specials, r->argc, r->argv);
	write_sorted(&c);
	c.out.documents = documents;
	countfile_end(&c.out);
	if (r->output && atomic_commit(out_file) != 0)
		die(STATUS_FAIL, "%s:", r->output);

	extsort_free(c.xs);
	if (c.blob_fd >= 0) {
		outbuf_free(&c.blob);
		close(c.blob_fd);
	}
	free(c.group);
	buf_free(&c.group_bytes);
	buf_free(&c.blob_mem);
	bpe_corpus_free(corpus);
	pretok_free(pt);
	return 0;
}
