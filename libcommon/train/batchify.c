/* batchify.c - token records or llm.c shards into batches or shards (see batchify.h). */
#include "train/batchify.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "formats/llmc.h"
#include "net/localcopy.h"
#include "net/sink.h"
#include "rec/header.h"
#include "rec/rec.h"
#include "rec/shufbuf.h"
#include "tok/bpe.h"
#include "train/batcher.h"


/* Where the documents of one side (train or val) go. */
struct side {
	struct run *run;
	const char *name; /* "train" or "val" */
	struct batcher batcher;
	struct rec_writer *w;
	struct atomic_file file;
	/* --to-bin */
	struct atomic_file shard;
	struct buf shard_ids; /* the current shard's ids, in the output width */
	uint64_t shard_count, shard_index;
	bool prev_ends_eot; /* the last document ended with the eot id */
	uint64_t docs, ids;
};

struct run {
	struct batchify_opts o; /* eot, vocab_size and dtype filled in from the input's header */
	uint64_t val_cut;
	char *input_header;
	struct side train, val;
	struct shufbuf shuf;
	struct buf scratch;
	struct progress progress;
	struct rec_reader *in; /* the input being read: reachable when an error ends the program */
	struct ids ids; /* a document being widened or gathered from shards */
	bool opened; /* the outputs are open and their headers written */
	size_t shard_doc; /* ids of the document the shards read so far end in */
	struct shard_walk walk; /* o.shard's files and documents, anew each epoch */
};

static void write_batch(void *arg, const struct batch_view *b);

static void side_header(struct run *r, struct side *s)
{
	json_t *h = header_new(r->input_header, "batch", r->o.argc, r->o.argv);
	header_set_shard(h, r->o.shard);
	json_object_set_new(h, "dtype", json_string(rec_dtype_name(r->o.dtype)));
	json_object_set_new(h, "B", json_integer(r->o.B));
	json_object_set_new(h, "T", json_integer(r->o.T));
	json_object_set_new(h, "vocab_size", r->o.have_vocab ? json_integer(r->o.vocab_size) : json_null());
	json_object_set_new(h, "eot", r->o.have_eot ? json_integer(r->o.eot) : json_null());
	json_object_set_new(h, "packing", json_string(r->o.pad ? "pad" : "pack"));
	json_object_set_new(h, "seed", r->o.shuffle ? json_integer((json_int_t)r->o.seed) : json_null());
	json_object_set_new(h, "shuffle", json_integer((json_int_t)r->o.shuffle));
	json_object_set_new(h, "epochs", json_integer((json_int_t)(s == &r->val ? 1 : r->o.epochs)));
	json_object_set_new(h, "split", json_string(s->name));
	if (r->o.val_frac > 0) {
		json_object_set_new(h, "val_frac", json_real(r->o.val_frac));
		json_object_set_new(h, "split_by", json_string("xxh3 of the key, else of the ids as u32 LE"));
	}
	header_write(s->w, h);
	json_decref(h);
}

static void side_open(struct run *r, struct side *s, const char *path)
{
	s->run = r;
	s->file.fd = -1;
	s->shard.fd = -1;
	if (r->o.to_bin)
		return;
	int fd = 1;
	if (path) {
		if (sink_open(&s->file, path) != 0)
			die(STATUS_FAIL, "%s:", path);
		atomic_guard(&s->file);
		fd = s->file.fd;
	} else if (isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
	}
	s->w = rec_writer_fdopen(fd, path ? path : "<stdout>");
	batcher_init(&s->batcher, r->o.B, r->o.T, r->o.eot, r->o.pad, write_batch, s);
	side_header(r, s);
}

/* ---- batch records ---- */

static void write_batch(void *arg, const struct batch_view *b)
{
	struct side *s = arg;
	struct run *r = s->run;
	size_t n = (size_t)b->B * (b->T + 1), width = rec_dtype_size(r->o.dtype);
	uint32_t head[4] = {b->B, b->T, b->mask ? REC_BATCH_HAS_MASK : 0, 0};
	const void *ids = b->ids;
	if (width == 2) {
		buf_clear(&r->scratch);
		buf_reserve(&r->scratch, n * 2);
		uint16_t *p = (uint16_t *)r->scratch.data;
		for (size_t i = 0; i < n; i++)
			p[i] = (uint16_t)b->ids[i];
		ids = p;
	}
	static const char zeros[8];
	struct rec_piece pieces[4] = {{head, sizeof head}, {ids, n * width}, {zeros, 0}, {b->mask, 0}};
	int np = 2;
	if (b->mask) {
		pieces[2].len = rec_pad8(n * width) - n * width;
		pieces[3].len = n;
		np = 4;
	}
	rec_writev(s->w, REC_BATCH, r->o.dtype, NULL, 0, pieces, np);
}

/* ---- llm.c shards ---- */

static void shard_flush(struct run *r, struct side *s)
{
	if (!s->shard_count)
		return;
	struct buf path = {0};
	size_t dir_len = strlen(r->o.to_bin);
	while (dir_len > 1 && r->o.to_bin[dir_len - 1] == '/') /* s3://b/shards/ is a prefix */
		dir_len--;
	buf_printf(&path, "%.*s/%s_%06" PRIu64 ".bin", (int)dir_len, r->o.to_bin, s->name, s->shard_index++);
	buf_addc(&path, '\0');
	if (sink_open(&s->shard, path.data) != 0)
		die(STATUS_FAIL, "%s:", path.data);
	atomic_guard(&s->shard);
	int32_t header[LLMC_HEADER_INTS];
	llmc_header(header, (unsigned)rec_dtype_size(r->o.dtype), s->shard_count);
	write_all(s->shard.fd, header, sizeof header, path.data);
	write_all(s->shard.fd, s->shard_ids.data, s->shard_ids.len, path.data);
	if (atomic_commit(&s->shard) != 0)
		die(STATUS_FAIL, "%s:", path.data);
	buf_free(&path);
	buf_clear(&s->shard_ids);
	s->shard_count = 0;
}

static void shard_ids(struct run *r, struct side *s, const uint32_t *ids, size_t n)
{
	size_t width = rec_dtype_size(r->o.dtype);
	for (size_t i = 0; i < n; i++) {
		if (width == 2) {
			uint16_t v = (uint16_t)ids[i];
			buf_add(&s->shard_ids, &v, 2);
		} else {
			buf_add(&s->shard_ids, &ids[i], 4);
		}
		if (++s->shard_count == r->o.shard_tokens)
			shard_flush(r, s);
	}
}

/* ---- documents ---- */

static void side_doc(struct run *r, struct side *s, const uint32_t *ids, size_t n)
{
	s->docs++;
	s->ids += n;
	if (!r->o.to_bin) {
		batcher_doc(&s->batcher, ids, n);
		return;
	}
	if (batcher_lead(r->o.eot, s->prev_ends_eot, ids, n))
		shard_ids(r, s, &r->o.eot, 1);
	shard_ids(r, s, ids, n);
	s->prev_ends_eot = n && ids[n - 1] == r->o.eot;
}

/* Ids of a stream that is already packed. */
static void stream_ids(struct run *r, struct side *s, const uint32_t *ids, size_t n)
{
	s->ids += n;
	if (!r->o.to_bin) {
		batcher_ids(&s->batcher, ids, n);
		return;
	}
	shard_ids(r, s, ids, n);
	s->prev_ends_eot = n && ids[n - 1] == r->o.eot;
}

/* A document: to the validation side by its hash in the first epoch (and
 * dropped from later ones), else through the shuffle to training. */
static void take_doc(struct run *r, uint64_t epoch, const char *key, size_t key_len, const uint32_t *ids, size_t n)
{
	if (!shard_wants_record(&r->walk))
		return;
	if (r->val_cut) {
		uint64_t h = key_len ? XXH3_64bits(key, key_len) : XXH3_64bits(ids, n * sizeof *ids);
		if (h < r->val_cut) {
			if (epoch == 0)
				side_doc(r, &r->val, ids, n);
			return;
		}
	}
	if (!r->o.shuffle) {
		side_doc(r, &r->train, ids, n);
		return;
	}
	const struct shuf_item *it = shufbuf_push(&r->shuf, NULL, 0, (const char *)ids, n * sizeof *ids);
	if (it)
		side_doc(r, &r->train, (const uint32_t *)it->payload, it->payload_len / sizeof *ids);
}

static void check_ids(struct run *r, const uint32_t *ids, size_t n, const char *input, uint64_t offset)
{
	if (!r->o.have_vocab && rec_dtype_size(r->o.dtype) == 4)
		return;
	uint64_t limit = r->o.have_vocab ? r->o.vocab_size : 65536;
	/* One branch-free pass in eight lanes (the compiler keeps them in a
	 * vector register); the culprit is sought only on failure. */
	uint32_t lane[8] = {0};
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int k = 0; k < 8; k++)
			lane[k] = ids[i + k] > lane[k] ? ids[i + k] : lane[k];
	uint32_t max = 0;
	for (; i < n; i++)
		max = ids[i] > max ? ids[i] : max;
	for (int k = 0; k < 8; k++)
		max = lane[k] > max ? lane[k] : max;
	if (max < limit)
		return;
	for (i = 0; i < n; i++)
		if (ids[i] >= limit)
			die_at(STATUS_MALFORMED, input, offset, "token id %u at or above %s %" PRIu64, ids[i],
			       r->o.have_vocab ? "vocab_size" : "the u16 limit", limit);
}

/* Defaults from the first input's stream header: eot, vocab_size, dtype
 * (options given on the command line win). */
static void apply_header(struct run *r, const char *h, int frame_dtype)
{
	int dtype = frame_dtype == REC_DT_U16 || frame_dtype == REC_DT_U32 ? frame_dtype : 0;
	if (h) {
		r->input_header = xstrdup(h);
		json_t *j = json_loads(h, 0, NULL);
		json_t *eot = json_object_get(j, "eot"), *vocab = json_object_get(j, "vocab_size");
		const char *dt = json_string_value(json_object_get(j, "dtype"));
		if (!r->o.have_eot && json_is_integer(eot) && json_integer_value(eot) >= 0 &&
		    json_integer_value(eot) < BPE_NO_ID) {
			r->o.eot = (uint32_t)json_integer_value(eot);
			r->o.have_eot = true;
		}
		if (!r->o.have_vocab && json_is_integer(vocab) && json_integer_value(vocab) > 0 &&
		    json_integer_value(vocab) <= BPE_NO_ID) {
			r->o.vocab_size = (uint32_t)json_integer_value(vocab);
			r->o.have_vocab = true;
		}
		if (dt && (strcmp(dt, "u16") == 0 || strcmp(dt, "u32") == 0))
			dtype = strcmp(dt, "u16") == 0 ? REC_DT_U16 : REC_DT_U32;
		json_decref(j);
	}
	if (!r->o.dtype)
		r->o.dtype = dtype;
}

/* Once the defaults are known: the outputs, with their headers. */
static void ensure_open(struct run *r)
{
	if (r->opened)
		return;
	r->opened = true;
	if (!r->o.dtype)
		r->o.dtype = r->o.have_vocab && r->o.vocab_size > 65536 ? REC_DT_U32 : REC_DT_U16;
	if (r->o.have_vocab && r->o.vocab_size > 65536)
		r->o.dtype = REC_DT_U32;
	if (!r->o.have_eot && (r->o.pad || !r->o.to_bin)) {
		if (r->o.pad)
			die(STATUS_USAGE, "--pad pads with the end-of-text id: the input header has none; give --eot");
		die(STATUS_USAGE, "packing puts the end-of-text id between documents: the input header has none; give --eot");
	}
	if (!r->o.have_eot && r->o.to_bin)
		die(STATUS_USAGE, "--to-bin puts the end-of-text id between documents: the input header has none; give --eot");
	side_open(r, &r->train, r->o.output);
	if (r->o.val_frac > 0)
		side_open(r, &r->val, r->o.val_out);
}

static void read_records(struct run *r, const char *path, uint64_t epoch)
{
	struct rec_reader *in = r->in = rec_reader_open(path, 0);
	if (!in)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(in);
	struct rec_frame f;
	uint64_t last = 0;
	while (rec_next_or_die(in, &f) > 0) {
		if (f.type == REC_HEADER || f.type == REC_END)
			continue;
		if (f.type != REC_TOKENS)
			die_at(STATUS_MALFORMED, name, f.offset, "a %s record: batchify reads token records",
			       rec_type_name(f.type));
		if (!r->opened) {
			apply_header(r, rec_reader_header(in), f.dtype);
			ensure_open(r);
		}
		size_t n = rec_tokens_count(&f);
		const uint32_t *ids;
		if (f.dtype == REC_DT_U32) {
			ids = (const uint32_t *)(const void *)f.payload; /* 8-aligned: used in place */
		} else {
			uint32_t *wide = ids_resize(&r->ids, n);
			rec_tokens_copy(&f, wide);
			ids = wide;
		}
		check_ids(r, ids, n, name, f.offset);
		take_doc(r, epoch, f.key, f.key_len, ids, n);
		uint64_t now = rec_reader_offset(in);
		if (epoch == 0)
			progress_add(&r->progress, now - last, 1);
		last = now;
	}
	if (!r->opened) { /* an input without documents still gives a stream */
		apply_header(r, rec_reader_header(in), 0);
		ensure_open(r);
	}
	rec_reader_close(in);
	r->in = NULL;
}

int batchify_open_shard(struct llmc_shard *sh, const char *path, unsigned raw_width, char *err, size_t errn)
{
	if (!localcopy_is_url(path))
		return llmc_open(sh, path, raw_width, err, errn);
	/* A shard is read once an epoch, front to back: a copy fetched for
	 * each read costs no more than keeping them all on disk would save. */
	struct s3_opts so = {.retries = -1};
	int fd = localcopy_fetch(path, &so, err, errn);
	if (fd < 0) {
		/* not a malformed shard: the status of an I/O failure */
		die(STATUS_FAIL, "%s", err);
	}
	return llmc_fdopen(sh, fd, path, raw_width, err, errn);
}

/* A shard's ids as documents, each starting at an end-of-text id (llm.c
 * writes [eot] + doc).  The shards are one stream, as llm.c reads them: a
 * document goes on into the next shard (r->shard_doc ids so far, in
 * r->ids); without an eot the whole stream is one document. */
static void read_shard(struct run *r, const char *path, uint64_t epoch)
{
	struct llmc_shard sh;
	char err[1024];
	if (batchify_open_shard(&sh, path, r->o.raw_width, err, sizeof err) != 0)
		die(STATUS_MALFORMED, "%s", err);
	if (!r->o.dtype) /* shards named by URL: the first one read decides */
		r->o.dtype = sh.width == 2 ? REC_DT_U16 : REC_DT_U32;
	enum { BLOCK = 1 << 20 };
	uint32_t *block = xmalloc(BLOCK * sizeof *block);
	size_t doc = r->shard_doc; /* a document may go on from the last shard */
	long got;
	uint64_t at = 0;
	while ((got = llmc_read(&sh, block, BLOCK)) > 0) {
		check_ids(r, block, (size_t)got, path, sh.data_off + at * sh.width);
		at += (uint64_t)got;
		if (epoch == 0)
			progress_add(&r->progress, (uint64_t)got * sh.width, 0);
		if (!r->o.pad && !r->o.shuffle && !r->val_cut) {
			/* Nothing needs the documents: the stream goes through as
			 * it is, in bounded memory. */
			stream_ids(r, &r->train, block, (size_t)got);
			continue;
		}
		for (long i = 0; i < got; i++) {
			if (r->o.have_eot && block[i] == r->o.eot && doc) {
				take_doc(r, epoch, NULL, 0, r->ids.v, doc);
				doc = 0;
			}
			ids_resize(&r->ids, doc + 1)[doc] = block[i];
			doc++;
		}
	}
	if (got < 0)
		die(STATUS_FAIL, "%s: read error:", path);
	r->shard_doc = doc;
	free(block);
	llmc_close(&sh);
}

static void side_close(struct run *r, struct side *s)
{
	if (r->o.to_bin) {
		shard_flush(r, s);
		buf_free(&s->shard_ids);
		return;
	}
	batcher_finish(&s->batcher, r->o.drop_last);
	batcher_free(&s->batcher);
	rec_write_end(s->w);
	rec_writer_free(s->w);
	if (s->file.fd >= 0 && atomic_commit(&s->file) != 0)
		die(STATUS_FAIL, "%s:", s == &r->val ? r->o.val_out : r->o.output);
}

void batchify(const struct batchify_opts *o, char **inputs, int nin)
{
	struct run run = {.o = *o, .train.name = "train", .val.name = "val"}, *r = &run;
	r->val_cut = r->o.val_frac > 0 ? (uint64_t)(r->o.val_frac * 18446744073709551616.0) : 0;
	if (r->o.to_bin && !sink_is_remote(r->o.to_bin) && mkdir(r->o.to_bin, 0777) != 0 && errno != EEXIST)
		die(STATUS_FAIL, "%s:", r->o.to_bin);
	progress_init(&r->progress, r->o.progress, r->o.n_from_bin ? 0 : io_total_size(nin, inputs));

	for (uint64_t epoch = 0; epoch < r->o.epochs; epoch++) {
		/* Each epoch its own order, the same for the same seed. */
		if (r->o.shuffle)
			shufbuf_init(&r->shuf, r->o.shuffle, r->o.seed + epoch * 0x9E3779B97F4A7C15ull);
		r->walk = shard_walk_start(r->o.shard, r->o.n_from_bin ? r->o.n_from_bin : (size_t)nin);
		if (r->o.n_from_bin) {
			ensure_open(r);
			for (size_t i = 0; i < r->o.n_from_bin; i++)
				if (shard_wants_file(&r->walk, i))
					read_shard(r, r->o.from_bin[i], epoch);
			if (r->shard_doc)
				take_doc(r, epoch, NULL, 0, r->ids.v, r->shard_doc);
			r->shard_doc = 0;
		} else {
			for (int i = 0; i < nin; i++)
				if (shard_wants_file(&r->walk, (size_t)i))
					read_records(r, inputs[i], epoch);
		}
		if (r->o.shuffle) {
			const struct shuf_item *it;
			while ((it = shufbuf_drain(&r->shuf)))
				side_doc(r, &r->train, (const uint32_t *)it->payload, it->payload_len / sizeof(uint32_t));
			shufbuf_free(&r->shuf);
		}
	}
	progress_end(&r->progress);
	uint64_t longest = r->train.batcher.longest > r->val.batcher.longest ? r->train.batcher.longest : r->val.batcher.longest;
	if (r->o.pad && r->train.docs + r->val.docs && longest < r->o.T)
		die(STATUS_USAGE, "-T %u with --pad is longer than every document (the longest has %" PRIu64 " ids)", r->o.T,
		    longest);
	side_close(r, &r->train);
	if (r->o.val_frac > 0)
		side_close(r, &r->val);
	ids_free(&r->ids);
	free(r->input_header);
	buf_free(&r->scratch);
}
