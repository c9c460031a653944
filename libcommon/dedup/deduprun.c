/* deduprun.c - rec-dedup's one-shot run (deduprun.h). */
#include "dedup/deduprun.h"

#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "dedup/buckets.h"
#include "dedup/decontam.h"
#include "dedup/normalize.h"
#include "dedup/records.h"
#include "rec/rec.h"

/* The most bytes of memory the one-pass path spends for each record the
 * inputs can hold (most_records): table slots of 24 bytes, at most four
 * per record whether the table doubled or was sized from the first
 * records' length (96), and 16 for where a kept record and its key are,
 * in arrays that double (32); beside the kept records' keys. */
#define SEEN_BYTES_PER_RECORD 128

int *dedup_open_inputs(int n, char **inputs, const char *tmpdir)
{
	int *fds = xcalloc((size_t)(n ? n : 1), sizeof *fds);
	for (int i = 0; i < n; i++) {
		int fd = strcmp(inputs[i], "-") == 0 ? dup(0) : open(inputs[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(STATUS_FAIL, "%s:", inputs[i]);
		int seekable = io_seekable_in(fd, inputs[i], tmpdir);
		if (seekable != fd)
			close(fd);
		fds[i] = seekable;
	}
	return fds;
}

struct decontam *dedup_load_eval(const char *path, const struct sign_opts *s)
{
	char err[512];
	if (decontam_is_index(path)) {
		struct decontam *d = decontam_load(path, s->p.decontam_ngram, s->p.mode, err, sizeof err);
		if (!d)
			die(STATUS_USAGE, "%s", err);
		return d;
	}
	char *names[] = {(char *)path};
	int *fds = dedup_open_inputs(1, names, s->tmpdir);
	struct dedup_input in;
	dedup_input_init(&in, 1, fds, names, NULL);
	struct decontam_text *texts = NULL;
	char **norms = NULL;
	size_t n = 0, cap = 0;
	struct rec_frame f;
	const char *name;
	while (dedup_input_next(&in, &f, &name)) {
		const char *text;
		size_t len;
		json_t *row;
		if (dedup_record_text(f.type, (const char *)f.payload, f.payload_len, s->field, &text, &len, &row, err,
		                      sizeof err) < 0)
			die_at(STATUS_MALFORMED, name, f.offset, "%s", err);
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			texts = xrealloc(texts, cap * sizeof *texts);
			norms = xrealloc(norms, cap * sizeof *norms);
		}
		norms[n] = xmalloc(normalize_bound(len) + 1);
		texts[n] = (struct decontam_text){norms[n], normalize(s->p.mode, text, len, norms[n])};
		n++;
		json_decref(row);
	}
	dedup_input_close(&in);
	dedup_close_inputs(fds, 1);
	struct decontam *d = decontam_build(texts, n, s->p.decontam_ngram, s->p.mode, s->threads);
	for (size_t i = 0; i < n; i++)
		free(norms[i]);
	free(norms);
	free(texts);
	return d;
}

void dedup_close_inputs(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

/* ---- exact keys in memory, in one pass ----
 *
 * Without --near, a record is a copy exactly when an earlier record has
 * its key, so when a table of the keys seen fits in --mem the run needs no
 * stages: each record is kept or dropped as it comes, with the drop rows
 * the stages would have written.  Same output, one reading. */

struct seen_slot {
	uint64_t hi, lo; /* the exact key */
	uint64_t kept;   /* which kept record has it, plus one; 0: an empty slot */
};

struct one_pass {
	const struct dedup_opts *o;
	struct rec_writer *out, *removed;
	struct remove_opts ro;
	struct remove_counts *counts;
	bool header_done;
	struct seen_slot *slots;
	size_t cap, used;   /* cap is 2^bits */
	int bits;
	/* For sizing the table once, early, instead of doubling it a dozen
	 * times: the inputs' bytes, the most records they can hold, and the
	 * keys' and payloads' bytes seen so far. */
	uint64_t input_bytes, most_records, text_bytes;
	bool sized;
	uint64_t *kept_at;  /* each kept record's number */
	uint64_t *key_end;  /* where its frame key ends in keys (it starts where the last ended) */
	size_t kept_cap;
	struct buf keys;
	struct buf row, removed_row;
};

/* A key's home slot is the top bits of its high word (the keys are
 * hashes), so doubling the table moves every slot to about twice its
 * place: the rehash walks both tables in order instead of at random. */
static size_t home_slot(int bits, uint64_t hi)
{
	return (size_t)(hi >> (63 - bits) >> 1);
}

static struct seen_slot *slot_for(struct seen_slot *slots, size_t cap, int bits, uint64_t hi, uint64_t lo)
{
	size_t i = home_slot(bits, hi);
	while (slots[i].kept && (slots[i].hi != hi || slots[i].lo != lo))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static void grow(struct one_pass *p, int bits)
{
	size_t cap = (size_t)1 << bits;
	struct seen_slot *slots = xcalloc(cap, sizeof *slots);
	for (size_t i = 0; i < p->cap; i++)
		if (p->slots[i].kept)
			*slot_for(slots, cap, bits, p->slots[i].hi, p->slots[i].lo) = p->slots[i];
	free(p->slots);
	p->slots = slots;
	p->cap = cap;
	p->bits = bits;
}

/* Grows the table for one more key.  The first time, it is sized for the
 * records the inputs will hold if the rest are like those seen so far
 * (within the most there can be): every doubling rehashes the whole table
 * and faults in new pages, which was a fifth of a run on short records. */
static void make_room(struct one_pass *p)
{
	if (2 * (p->used + 1) <= p->cap)
		return;
	int bits = p->bits + 1;
	if (!p->sized) {
		p->sized = true;
		uint64_t seen = p->counts->read, expected = p->most_records;
		if (p->text_bytes && p->input_bytes / p->text_bytes < expected / seen)
			expected = seen * (p->input_bytes / p->text_bytes + 1);
		while (bits < 62 && ((uint64_t)1 << bits) < 2 * expected + 2)
			bits++;
	}
	grow(p, bits);
}

/* Writes r to --removed with the drop row in p->row. */
static void drop(struct one_pass *p, const struct signed_record *r)
{
	json_t *d = json_loadb(p->row.data, p->row.len, 0, NULL);
	if (!d)
		die(STATUS_FAIL, "out of memory");
	remove_row(&p->removed_row, r->type, r->payload, r->payload_len, d, "", 0);
	json_decref(d);
	rec_write(p->removed, REC_JSON, REC_DT_NONE, r->key, r->key_len, p->removed_row.data, p->removed_row.len);
}

static void one_record(void *arg, const struct signed_record *r)
{
	struct one_pass *p = arg;
	uint64_t i = p->counts->read++;
	p->text_bytes += r->key_len + r->payload_len;
	if (r->ahead)
		__builtin_prefetch(&p->slots[home_slot(p->bits, r->ahead[0])]);
	if (!p->header_done) {
		remove_write_header(&p->ro, r->input_header, r->kind, p->out, p->removed);
		p->header_done = true;
	}
	if (r->entry[2] != SIG_CLEAN) {
		p->counts->contaminated++;
		if (p->removed) {
			drop_row_contaminated(&p->row, i, r->entry[2]);
			drop(p, r);
		}
		return;
	}
	if (!p->o->sign.p.no_dedup) {
		make_room(p);
		struct seen_slot *s = slot_for(p->slots, p->cap, p->bits, r->entry[0], r->entry[1]);
		if (s->kept) {
			p->counts->duplicates++;
			if (p->removed) {
				size_t k = (size_t)s->kept - 1, start = k ? (size_t)p->key_end[k - 1] : 0;
				size_t key_len = (size_t)p->key_end[k] - start;
				drop_row_duplicate(&p->row, i, p->kept_at[k], key_len ? p->keys.data + start : "", key_len,
				                   NAN);
				drop(p, r);
			}
			return;
		}
		if (p->used == p->kept_cap) {
			p->kept_cap = p->kept_cap ? 2 * p->kept_cap : 4096;
			p->kept_at = xrealloc(p->kept_at, p->kept_cap * sizeof *p->kept_at);
			p->key_end = xrealloc(p->key_end, p->kept_cap * sizeof *p->key_end);
		}
		buf_add(&p->keys, r->key, r->key_len);
		p->kept_at[p->used] = i;
		p->key_end[p->used] = p->keys.len;
		*s = (struct seen_slot){r->entry[0], r->entry[1], ++p->used};
	}
	p->counts->kept++;
	rec_write(p->out, r->type, REC_DT_NONE, r->key, r->key_len, r->payload, r->payload_len);
}

static void one_pass_run(const struct dedup_opts *o, int nin, const int *fds, char **inputs, uint64_t most_records,
                         uint64_t input_bytes, struct rec_writer *out, struct rec_writer *removed,
                         struct progress *progress, struct remove_counts *counts)
{
	struct one_pass p = {.o = o,
	                     .out = out,
	                     .removed = removed,
	                     .counts = counts,
	                     .most_records = most_records,
	                     .input_bytes = input_bytes};
	/* Small at first, and sized once the first records say how long
	 * records are (make_room): sized for the most there could be (a frame
	 * per 32 bytes) it cost more in zeroed pages than rehashing saves. */
	grow(&p, 12);
	p.ro = (struct remove_opts){.field = o->sign.field, .argc = o->argc, .argv = o->argv};
	memset(counts, 0, sizeof *counts);
	uint64_t digest;
	sign_records(&o->sign, nin, fds, inputs, progress, one_record, &p, &digest);
	if (!p.header_done) {
		/* No record: the input's header, as the stages would write it. */
		struct dedup_input in;
		dedup_input_init(&in, nin, fds, inputs, NULL);
		struct rec_frame f;
		const char *name;
		while (dedup_input_next(&in, &f, &name))
			;
		remove_write_header(&p.ro, in.header, in.kind, out, removed);
		dedup_input_close(&in);
	}
	remove_write_trailer(out, removed, counts);
	free(p.slots);
	free(p.kept_at);
	free(p.key_end);
	buf_free(&p.keys);
	buf_free(&p.row);
	buf_free(&p.removed_row);
}

/* An upper bound on the records of the inputs (a frame takes 32 bytes at
 * least, a line one), and their bytes. */
static uint64_t most_records(int nin, const int *fds, uint64_t *bytes)
{
	uint64_t most = 0;
	*bytes = 0;
	for (int i = 0; i < nin; i++) {
		struct stat st;
		unsigned char magic[4] = {0};
		if (fstat(fds[i], &st) != 0)
			return UINT64_MAX;
		*bytes += (uint64_t)st.st_size;
		if (pread(fds[i], magic, 4, 0) == 4 && memcmp(magic, REC_MAGIC, 4) == 0) {
			most += (uint64_t)st.st_size / 32 + 1;
			continue;
		}
		char block[1 << 16];
		uint64_t lines = 1;
		for (off_t at = 0;;) {
			ssize_t n = pread(fds[i], block, sizeof block, at);
			if (n <= 0)
				break;
			for (char *c = block; (c = memchr(c, '\n', (size_t)(block + n - c))); c++)
				lines++;
			at += n;
		}
		most += lines;
	}
	return most;
}

void dedup_run(const struct dedup_opts *o, int nin, char **inputs, struct rec_writer *out,
               struct rec_writer *removed, struct progress *progress, struct remove_counts *counts)
{
	char err[512];
	const char *tmpdir = o->sign.tmpdir;
	int *fds = dedup_open_inputs(nin, inputs, tmpdir);
	if (!o->sign.p.near) {
		uint64_t bytes, records = most_records(nin, fds, &bytes);
		if (records <= o->mem / SEEN_BYTES_PER_RECORD && bytes <= o->mem - records * SEEN_BYTES_PER_RECORD) {
			one_pass_run(o, nin, fds, inputs, records, bytes, out, removed, progress, counts);
			dedup_close_inputs(fds, nin);
			return;
		}
	}

	int sig_fd = io_temp_file(tmpdir, "signatures");
	sign_inputs(&o->sign, nin, fds, inputs, sig_fd, "signatures", progress);
	struct sig_file sig;
	if (sig_open_fd(&sig, sig_fd, "signatures", err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	close(sig_fd);

	int bkt_fd = io_temp_file(tmpdir, "buckets");
	buckets_run(&sig, 1, 0, sig_band_count(&sig.p), o->mem, o->sign.threads, tmpdir, bkt_fd, "buckets");
	struct bkt_reader bkt;
	if (bkt_open_fd(&bkt, bkt_fd, "buckets", err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);

	int drop_fd = io_temp_file(tmpdir, "drop list");
	struct rec_writer *drops = rec_writer_fdopen(drop_fd, "drop list");
	struct clusters_opts co = {.verify = o->verify, .mem = o->mem, .tmpdir = tmpdir, .argc = o->argc, .argv = o->argv};
	struct clusters_counts cc;
	clusters_run(&co, &sig, 1, &bkt, 1, &drops, &cc);
	rec_writer_free(drops);
	bkt_close(&bkt);
	sig_close(&sig);

	struct remove_opts ro = {.field = o->sign.field, .argc = o->argc, .argv = o->argv};
	remove_run(&ro, nin, fds, inputs, drop_fd, "drop list", out, removed, NULL, counts);
	close(drop_fd);
	dedup_close_inputs(fds, nin);
}
