/* decontam.c - the index of evaluation spans (see decontam.h).
 *
 * Every span is hashed (XXH3-128 of its words joined by single spaces) in
 * parallel, each thread over its own slice of the evaluation texts; the
 * keys then go into an open-addressing table one at a time, in record
 * order, so the first record to have a key keeps it and the table comes
 * out the same on any number of threads.  A document is scanned word by
 * word, with one probe per start and distinct span length.
 *
 * The file is a header, the span lengths, and the distinct keys in the
 * order they were inserted (so loading rebuilds the very same table), with
 * an XXH3-64 checksum of everything after the header. */
#include "dedup/decontam.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/die.h"
#include "base/io.h"
#include "base/le.h"
#include "base/parfor.h"

#define DECONTAM_MAGIC "SLDECONT"
#define DECONTAM_VERSION 1
#define DECONTAM_HEADER 48
#define DECONTAM_ENTRY 24 /* key low, key high, record: three u64 */
/* Spans longer than this are not worth a table of their own lengths:
 * decontam_build refuses a larger ngram. */
#define DECONTAM_MAX_NGRAM 100000

struct span_key {
	uint64_t lo, hi;
	uint64_t record;
};

struct decontam {
	int ngram;
	enum normalize_mode mode;
	uint64_t texts;
	/* The span lengths present, longest first: a document is probed with
	 * each at every word. */
	uint32_t *lengths;
	size_t nlengths;
	/* Distinct keys in insertion order (what the file holds), and the
	 * table: slot i holds an index into keys plus one, 0 for empty. */
	struct span_key *keys;
	size_t nkeys;
	uint32_t *slots;
	size_t mask;
};

static int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* The words of a text: [start[i], end[i]) offsets into *joined, which is
 * the text itself when its words are already separated by single spaces
 * with none around them (what ws and lower-punct give), else a copy made
 * so (into *copy, which the caller frees). */
struct words {
	size_t *start, *end;
	size_t n, cap;
	const char *joined;
	char *copy;
};

static void words_split(struct words *w, const char *text, size_t len)
{
	w->n = 0;
	w->joined = text;
	int single = 1;
	size_t i = 0;
	while (i < len) {
		size_t s = i;
		while (i < len && is_space((unsigned char)text[i]))
			i++;
		if (i == len) {
			if (i > s)
				single = 0; /* trailing white space */
			break;
		}
		if ((w->n == 0 && i > s) || (w->n > 0 && (i - s != 1 || text[s] != ' ')))
			single = 0;
		size_t b = i;
		while (i < len && !is_space((unsigned char)text[i]))
			i++;
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 256;
			w->start = xrealloc(w->start, w->cap * sizeof *w->start);
			w->end = xrealloc(w->end, w->cap * sizeof *w->end);
		}
		w->start[w->n] = b;
		w->end[w->n] = i;
		w->n++;
	}
	if (single || w->n == 0)
		return;
	/* Joined by single spaces: never longer than the text. */
	w->copy = xrealloc(w->copy, len);
	size_t at = 0;
	for (size_t k = 0; k < w->n; k++) {
		size_t wl = w->end[k] - w->start[k];
		if (k)
			w->copy[at++] = ' ';
		memcpy(w->copy + at, text + w->start[k], wl);
		w->start[k] = at;
		w->end[k] = at += wl;
	}
	w->joined = w->copy;
}

static void words_free(struct words *w)
{
	free(w->start);
	free(w->end);
	free(w->copy);
}

/* The key of words [first, first + k). */
static XXH128_hash_t span_hash(const struct words *w, size_t first, size_t k)
{
	size_t b = w->start[first];
	return XXH3_128bits(w->joined + b, w->end[first + k - 1] - b);
}

/* ---- building ---------------------------------------------------------- */

struct build_slice {
	struct span_key *keys;
	size_t n, cap;
};

struct build_job {
	const struct decontam_text *texts;
	size_t ngram;
	struct build_slice *slices;
};

static void add_key(struct build_slice *sl, XXH128_hash_t h, uint64_t record)
{
	if (sl->n == sl->cap) {
		sl->cap = sl->cap ? 2 * sl->cap : 1024;
		sl->keys = xrealloc(sl->keys, sl->cap * sizeof *sl->keys);
	}
	sl->keys[sl->n++] = (struct span_key){h.low64, h.high64, record};
}

static void hash_slice(void *arg, size_t lo, size_t hi, int tid)
{
	struct build_job *job = arg;
	struct build_slice *sl = &job->slices[tid];
	struct words w = {0};
	for (size_t r = lo; r < hi; r++) {
		words_split(&w, job->texts[r].text, job->texts[r].len);
		if (w.n == 0)
			continue;
		if (w.n < job->ngram) {
			add_key(sl, span_hash(&w, 0, w.n), r);
			continue;
		}
		for (size_t i = 0; i + job->ngram <= w.n; i++)
			add_key(sl, span_hash(&w, i, job->ngram), r);
	}
	words_free(&w);
}

static size_t slot_of(const struct decontam *d, uint64_t lo) { return (size_t)(lo & d->mask); }

/* The table for d->nkeys keys, at most half full. */
static void table_alloc(struct decontam *d, size_t want)
{
	size_t cap = 16;
	while (cap / 2 < want)
		cap *= 2;
	free(d->slots);
	d->slots = xcalloc(cap, sizeof *d->slots);
	d->mask = cap - 1;
}

/* Puts key k (an index into d->keys) in the table; 0, or 1 when an equal
 * key is there already. */
static int table_insert(struct decontam *d, size_t k)
{
	const struct span_key *key = &d->keys[k];
	for (size_t i = slot_of(d, key->lo);; i = (i + 1) & d->mask) {
		uint32_t s = d->slots[i];
		if (s == 0) {
			d->slots[i] = (uint32_t)(k + 1);
			return 0;
		}
		const struct span_key *o = &d->keys[s - 1];
		if (o->lo == key->lo && o->hi == key->hi)
			return 1;
	}
}

static const struct span_key *table_find(const struct decontam *d, XXH128_hash_t h)
{
	for (size_t i = slot_of(d, h.low64);; i = (i + 1) & d->mask) {
		uint32_t s = d->slots[i];
		if (s == 0)
			return NULL;
		const struct span_key *o = &d->keys[s - 1];
		if (o->lo == h.low64 && o->hi == h.high64)
			return o;
	}
}

/* The span lengths of the texts, longest first, each once. */
static void collect_lengths(struct decontam *d, const struct decontam_text *texts, size_t n)
{
	/* Lengths run 1..ngram: a flag each. */
	unsigned char *seen = xcalloc((size_t)d->ngram + 1, 1);
	struct words w = {0};
	for (size_t r = 0; r < n; r++) {
		words_split(&w, texts[r].text, texts[r].len);
		if (w.n > 0)
			seen[w.n < (size_t)d->ngram ? w.n : (size_t)d->ngram] = 1;
	}
	words_free(&w);
	d->lengths = xmalloc(((size_t)d->ngram + 1) * sizeof *d->lengths);
	d->nlengths = 0;
	for (int k = d->ngram; k >= 1; k--)
		if (seen[k])
			d->lengths[d->nlengths++] = (uint32_t)k;
	free(seen);
}

struct decontam *decontam_build(const struct decontam_text *texts, size_t n, int ngram,
                                enum normalize_mode mode, int threads)
{
	if (ngram < 1 || ngram > DECONTAM_MAX_NGRAM)
		die(STATUS_USAGE, "decontamination n-gram length %d (1..%d)", ngram, DECONTAM_MAX_NGRAM);
	if (threads < 1)
		threads = 1;
	struct decontam *d = xcalloc(1, sizeof *d);
	d->ngram = ngram;
	d->mode = mode;
	d->texts = n;
	collect_lengths(d, texts, n);

	struct build_job job = {texts, (size_t)ngram, xcalloc((size_t)threads, sizeof *job.slices)};
	struct parfor *pool = parfor_new(threads);
	parfor_run(pool, n, hash_slice, &job);
	parfor_free(pool);

	/* The slices in order are the spans in record order. */
	size_t total = 0;
	for (int t = 0; t < threads; t++)
		total += job.slices[t].n;
	if (total >= UINT32_MAX)
		die(STATUS_FAIL, "decontamination index: %zu spans, more than it holds", total);
	d->keys = xmalloc((total ? total : 1) * sizeof *d->keys);
	table_alloc(d, total);
	for (int t = 0; t < threads; t++) {
		struct build_slice *sl = &job.slices[t];
		for (size_t i = 0; i < sl->n; i++) {
			d->keys[d->nkeys] = sl->keys[i];
			if (table_insert(d, d->nkeys) == 0)
				d->nkeys++;
		}
		free(sl->keys);
	}
	free(job.slices);
	return d;
}

/* ---- matching ---------------------------------------------------------- */

int64_t decontam_match(const struct decontam *d, const char *text, size_t len)
{
	struct words w = {0};
	words_split(&w, text, len);
	int64_t found = -1;
	for (size_t i = 0; i < w.n && found < 0; i++) {
		for (size_t l = 0; l < d->nlengths; l++) {
			size_t k = d->lengths[l];
			if (k > w.n - i)
				continue;
			const struct span_key *key = table_find(d, span_hash(&w, i, k));
			if (key) {
				found = (int64_t)key->record;
				break;
			}
		}
	}
	words_free(&w);
	return found;
}

uint64_t decontam_texts(const struct decontam *d) { return d->texts; }

uint64_t decontam_spans(const struct decontam *d) { return d->nkeys; }

void decontam_free(struct decontam *d)
{
	if (!d)
		return;
	free(d->lengths);
	free(d->keys);
	free(d->slots);
	free(d);
}

/* ---- the file ------------------------------------------------------------ */

static size_t lengths_bytes(size_t nlengths) { return (nlengths * 4 + 7) / 8 * 8; }

int decontam_save(const struct decontam *d, const char *path, char *err, size_t errn)
{
	size_t lb = lengths_bytes(d->nlengths);
	size_t size = DECONTAM_HEADER + lb + d->nkeys * DECONTAM_ENTRY;
	unsigned char *file = xcalloc(size, 1);
	unsigned char *p = file + DECONTAM_HEADER;
	for (size_t i = 0; i < d->nlengths; i++)
		le_put32(p + 4 * i, d->lengths[i]);
	p += lb;
	for (size_t i = 0; i < d->nkeys; i++, p += DECONTAM_ENTRY) {
		le_put64(p, d->keys[i].lo);
		le_put64(p + 8, d->keys[i].hi);
		le_put64(p + 16, d->keys[i].record);
	}
	memcpy(file, DECONTAM_MAGIC, 8);
	le_put32(file + 8, DECONTAM_VERSION);
	le_put32(file + 12, (uint32_t)d->ngram);
	le_put32(file + 16, (uint32_t)d->mode);
	le_put32(file + 20, (uint32_t)d->nlengths);
	le_put64(file + 24, d->texts);
	le_put64(file + 32, d->nkeys);
	le_put64(file + 40, XXH3_64bits(file + DECONTAM_HEADER, size - DECONTAM_HEADER));

	struct atomic_file a;
	if (atomic_open(&a, path) != 0) {
		free(file);
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	}
	const unsigned char *c = file;
	size_t left = size;
	while (left > 0) {
		ssize_t w = write(a.fd, c, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			atomic_abort(&a);
			free(file);
			return errorf(err, errn, "%s: write error: %s", path, strerror(e));
		}
		c += w;
		left -= (size_t)w;
	}
	free(file);
	if (atomic_commit(&a) != 0)
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	return 0;
}

/* The name of a normalisation, as the file's errors give it. */
static const char *mode_label(uint32_t mode)
{
	return mode <= NORMALIZE_LOWER_PUNCT ? normalize_name((enum normalize_mode)mode) : "unknown";
}

struct decontam *decontam_load(const char *path, int ngram, enum normalize_mode mode, char *err,
                               size_t errn)
{
	size_t size;
	unsigned char *file = io_read_file(path, &size);
	if (!file) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct decontam *d = NULL;
	if (size < 8 || memcmp(file, DECONTAM_MAGIC, 8) != 0) {
		errorf(err, errn, "%s: not a decontamination index", path);
		goto fail;
	}
	if (size < DECONTAM_HEADER) {
		errorf(err, errn, "%s: damaged decontamination index (truncated)", path);
		goto fail;
	}
	uint32_t version = le_get32(file + 8), file_ngram = le_get32(file + 12);
	uint32_t file_mode = le_get32(file + 16), nlengths = le_get32(file + 20);
	uint64_t texts = le_get64(file + 24), nkeys = le_get64(file + 32);
	if (version != DECONTAM_VERSION) {
		errorf(err, errn, "%s: decontamination index version %u, this program reads %d", path,
		       version, DECONTAM_VERSION);
		goto fail;
	}
	/* The sizes first, so that a damaged count cannot overflow them. */
	size_t body = size - DECONTAM_HEADER;
	if (nlengths > body / 4 || lengths_bytes(nlengths) > body ||
	    nkeys > (body - lengths_bytes(nlengths)) / DECONTAM_ENTRY) {
		errorf(err, errn, "%s: damaged decontamination index (truncated)", path);
		goto fail;
	}
	if (body != lengths_bytes(nlengths) + nkeys * DECONTAM_ENTRY) {
		errorf(err, errn, "%s: damaged decontamination index (bytes after its end)", path);
		goto fail;
	}
	if (XXH3_64bits(file + DECONTAM_HEADER, body) != le_get64(file + 40)) {
		errorf(err, errn, "%s: damaged decontamination index (checksum)", path);
		goto fail;
	}
	if (file_ngram != (uint32_t)ngram || file_mode != (uint32_t)mode) {
		errorf(err, errn,
		       "%s: the index was made with --decontam-ngram %u and --normalize %s, not "
		       "--decontam-ngram %d and --normalize %s",
		       path, file_ngram, mode_label(file_mode), ngram, mode_label((uint32_t)mode));
		goto fail;
	}
	if (nkeys >= UINT32_MAX) {
		errorf(err, errn, "%s: damaged decontamination index (%llu spans)", path,
		       (unsigned long long)nkeys);
		goto fail;
	}
	d = xcalloc(1, sizeof *d);
	d->ngram = ngram;
	d->mode = mode;
	d->texts = texts;
	d->nlengths = nlengths;
	d->lengths = xmalloc((nlengths ? nlengths : 1) * sizeof *d->lengths);
	const unsigned char *p = file + DECONTAM_HEADER;
	for (size_t i = 0; i < nlengths; i++) {
		uint32_t k = le_get32(p + 4 * i);
		/* Each 1..ngram, longest first, none twice. */
		if (k < 1 || k > (uint32_t)ngram || (i > 0 && k >= d->lengths[i - 1])) {
			errorf(err, errn, "%s: damaged decontamination index (span length %u)", path, k);
			goto fail;
		}
		d->lengths[i] = k;
	}
	p += lengths_bytes(nlengths);
	d->keys = xmalloc((nkeys ? nkeys : 1) * sizeof *d->keys);
	table_alloc(d, nkeys);
	for (size_t i = 0; i < nkeys; i++, p += DECONTAM_ENTRY) {
		d->keys[i] = (struct span_key){le_get64(p), le_get64(p + 8), le_get64(p + 16)};
		if (d->keys[i].record >= texts || table_insert(d, i) != 0) {
			errorf(err, errn, "%s: damaged decontamination index (span %zu)", path, i);
			goto fail;
		}
		d->nkeys++;
	}
	free(file);
	return d;
fail:
	decontam_free(d);
	free(file);
	return NULL;
}

int decontam_is_index(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char magic[8];
	ssize_t got = read_full(fd, magic, sizeof magic);
	close(fd);
	return got == (ssize_t)sizeof magic && memcmp(magic, DECONTAM_MAGIC, 8) == 0;
}
