/* batchsrc.c - batches for training from batch records and llm.c shards. */
#include "train/batchsrc.h"

#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "formats/llmc.h"
#include "net/localcopy.h"
#include "rec/rec.h"

struct batchsrc {
	char **paths;
	int n;
	struct batchsrc_opts o;
	bool *is_shard;
	bool rereadable;
	/* a URL input's local copy (net/localcopy.h), fetched when first
	 * needed and kept for the passes after; -1 until then */
	int *copy_fd;

	int idx;                /* the input being read */
	uint64_t batch;         /* batches taken from it */
	uint64_t epoch;
	uint64_t offset;        /* just past the last batch taken */
	uint64_t epoch_batches; /* batches in this pass over the inputs */
	struct rec_reader *in;
	struct llmc_shard shard;
	bool shard_open;

	char *first_header;
	int64_t header_vocab;
	int vocab; /* 0 until set */
	uint32_t B, T; /* of the first batch */
	uint32_t rows;  /* of the current batch: B, or fewer for a short last batch */
	bool have_shape;
	uint32_t *inp, *tgt, *flat;
	const char *name;
	uint64_t batch_offset;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A descriptor of its own (its own offset, unlike dup's) of a copy. */
static int reopen(int copy)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", copy);
	return open(proc, O_RDONLY | O_CLOEXEC);
}

/* Input i's local copy, when it is a URL; -1 for a local path. */
static int local_copy(struct batchsrc *s, int i)
{
	if (!localcopy_is_url(s->paths[i]))
		return -1;
	if (s->copy_fd[i] < 0) {
		char err[1024];
		struct s3_opts so = {.retries = -1};
		s->copy_fd[i] = localcopy_fetch(s->paths[i], &so, err, sizeof err);
		if (s->copy_fd[i] < 0)
			die(STATUS_FAIL, "%s", err);
	}
	return s->copy_fd[i];
}

/* A shard by name, or by an llm.c magic in its first bytes. */
static bool looks_like_shard(struct batchsrc *s, int i)
{
	const char *path = s->paths[i];
	if (strcmp(path, "-") == 0)
		return false;
	if (ends_with(path, ".bin"))
		return true;
	int copy = local_copy(s, i);
	int fd = copy >= 0 ? reopen(copy) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false; /* the record reader reports it */
	unsigned char b[4];
	ssize_t got = read_full(fd, b, 4);
	close(fd);
	if (got != 4)
		return false;
	int32_t magic = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
	return magic == LLMC_MAGIC_U16 || magic == LLMC_MAGIC_U32;
}

struct batchsrc *batchsrc_new(char **paths, int n, const struct batchsrc_opts *o)
{
	struct batchsrc *s = xcalloc(1, sizeof *s);
	s->paths = paths;
	s->n = n;
	s->o = *o;
	if (!s->o.raw_width)
		s->o.raw_width = 2;
	if (!s->o.option)
		s->o.option = "--data";
	s->is_shard = xcalloc((size_t)n, sizeof *s->is_shard);
	s->copy_fd = xmalloc((size_t)n * sizeof *s->copy_fd);
	for (int i = 0; i < n; i++)
		s->copy_fd[i] = -1;
	s->rereadable = o->cycle;
	for (int i = 0; i < n; i++) {
		s->is_shard[i] = looks_like_shard(s, i);
		if (strcmp(paths[i], "-") == 0)
			s->rereadable = false;
	}
	s->header_vocab = -1;
	s->shard.fd = -1;
	return s;
}

static void close_input(struct batchsrc *s)
{
	if (s->in)
		rec_reader_close(s->in);
	s->in = NULL;
	if (s->shard_open)
		llmc_close(&s->shard);
	s->shard_open = false;
}

void batchsrc_free(struct batchsrc *s)
{
	if (!s)
		return;
	close_input(s);
	for (int i = 0; i < s->n; i++)
		if (s->copy_fd[i] >= 0)
			close(s->copy_fd[i]);
	free(s->copy_fd);
	free(s->is_shard);
	free(s->first_header);
	free(s->inp);
	free(s->tgt);
	free(s->flat);
	free(s);
}

uint32_t batchsrc_B(const struct batchsrc *s) { return s->rows; }
uint32_t batchsrc_T(const struct batchsrc *s) { return s->T; }
const uint32_t *batchsrc_inputs(const struct batchsrc *s) { return s->inp; }
const uint32_t *batchsrc_targets(const struct batchsrc *s) { return s->tgt; }
const char *batchsrc_name(const struct batchsrc *s) { return s->name; }
uint64_t batchsrc_offset(const struct batchsrc *s) { return s->batch_offset; }
const char *batchsrc_header(const struct batchsrc *s) { return s->first_header; }
int64_t batchsrc_header_vocab(const struct batchsrc *s) { return s->header_vocab; }

static int64_t vocab_of_header(const char *h)
{
	int64_t v = -1;
	json_t *j = h ? json_loads(h, 0, NULL) : NULL;
	json_t *x = json_object_get(j, "vocab_size");
	if (json_is_integer(x) && json_integer_value(x) > 0)
		v = json_integer_value(x);
	json_decref(j);
	return v;
}

static void check_header_vocab(const struct batchsrc *s, int64_t hv, const char *name, uint64_t offset)
{
	if (s->vocab && hv > s->vocab)
		die_at(STATUS_USAGE, name, offset, "the input's vocab_size %" PRId64 " does not fit the model's vocabulary of %d",
		       hv, s->vocab);
}

static void check_ids(const struct batchsrc *s)
{
	size_t n = (size_t)s->rows * s->T;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = s->inp[i];
		if (s->tgt[i] != BATCHSRC_IGNORE && s->tgt[i] > id)
			id = s->tgt[i];
		if (id >= (uint32_t)s->vocab)
			die_at(STATUS_MALFORMED, s->name, s->batch_offset,
			       "token id %u at or above the model's vocabulary of %d", id, s->vocab);
	}
}

void batchsrc_set_vocab(struct batchsrc *s, int vocab)
{
	s->vocab = vocab;
	check_header_vocab(s, s->header_vocab, s->paths[0], 0);
	if (s->have_shape && s->name)
		check_ids(s);
}

static void open_input(struct batchsrc *s)
{
	const char *path = s->paths[s->idx];
	int copy = local_copy(s, s->idx), fd = -1;
	if (copy >= 0 && (fd = reopen(copy)) < 0)
		die(STATUS_FAIL, "%s: its local copy:", path);
	if (s->is_shard[s->idx]) {
		char err[1024];
		if ((fd >= 0 ? llmc_fdopen(&s->shard, fd, path, s->o.raw_width, err, sizeof err)
		             : llmc_open(&s->shard, path, s->o.raw_width, err, sizeof err)) != 0)
			die(STATUS_MALFORMED, "%s", err);
		s->shard_open = true;
	} else {
		s->in = fd >= 0 ? rec_reader_source_open(source_fd(fd, 1), path, 0) : rec_reader_open(path, 0);
		if (!s->in)
			die(STATUS_FAIL, "%s:", path);
	}
	s->batch = 0;
	s->offset = 0;
}

static void set_shape(struct batchsrc *s, uint32_t B, uint32_t T, const char *name, uint64_t offset)
{
	if (B < 1 || T < 1)
		die_at(STATUS_MALFORMED, name, offset, "an empty batch (%u x %u)", B, T);
	if (!s->have_shape) {
		s->B = B, s->T = T, s->have_shape = true;
		s->inp = xmalloc((size_t)B * T * sizeof *s->inp);
		s->tgt = xmalloc((size_t)B * T * sizeof *s->tgt);
	} else if (B > s->B || T != s->T) {
		die_at(STATUS_MALFORMED, name, offset, "a %u x %u batch after batches of %u x %u", B, T, s->B, s->T);
	}
	s->rows = B;
}

/* A batch record from the current record input: 1, or 0 at its end. */
static int next_record_batch(struct batchsrc *s)
{
	const char *name = rec_reader_name(s->in);
	struct rec_frame f;
	while (rec_next_or_die(s->in, &f) > 0) {
		if (f.type == REC_HEADER) {
			const char *h = rec_reader_header(s->in);
			if (!s->first_header && h) {
				s->first_header = xstrdup(h);
				s->header_vocab = vocab_of_header(h);
			}
			check_header_vocab(s, vocab_of_header(h), name, f.offset);
			continue;
		}
		if (f.type == REC_END)
			continue;
		if (f.type != REC_BATCH)
			die_at(STATUS_MALFORMED, name, f.offset,
			       "a %s record where a batch record was expected (batchify makes them)",
			       rec_type_name(f.type));
		struct rec_batch b;
		rec_batch_view(&f, &b);
		s->name = name;
		s->batch_offset = f.offset;
		set_shape(s, b.B, b.T, name, f.offset);
		for (uint32_t r = 0; r < b.B; r++)
			for (uint32_t t = 0; t < b.T; t++) {
				size_t at = (size_t)r * (b.T + 1) + t;
				uint32_t a, c;
				if (b.dtype == REC_DT_U16) {
					const uint16_t *p = b.tokens;
					a = p[at], c = p[at + 1];
				} else {
					const uint32_t *p = b.tokens;
					a = p[at], c = p[at + 1];
				}
				s->inp[(size_t)r * b.T + t] = a;
				s->tgt[(size_t)r * b.T + t] = b.mask && !b.mask[at + 1] ? BATCHSRC_IGNORE : c;
			}
		s->offset = rec_reader_offset(s->in);
		return 1;
	}
	return 0;
}

/* The next B*T+1 tokens of the current shard: 1, or 0 when too few are left. */
static int next_shard_batch(struct batchsrc *s)
{
	struct llmc_shard *sh = &s->shard;
	if (!s->o.B || !s->o.T)
		die(STATUS_USAGE, "%s: an llm.c shard needs the batch shape: give -B and -T", sh->path);
	set_shape(s, s->o.B, s->o.T, sh->path, 0);
	size_t need = (size_t)s->B * s->T + 1;
	if (sh->ntokens - sh->next < need)
		return 0;
	if (!s->flat)
		s->flat = xmalloc(need * sizeof *s->flat);
	uint64_t start = sh->next;
	long got = llmc_read(sh, s->flat, need);
	if (got != (long)need)
		die(STATUS_FAIL, "%s: read error:", sh->path);
	memcpy(s->inp, s->flat, (need - 1) * sizeof *s->inp);
	memcpy(s->tgt, s->flat + 1, (need - 1) * sizeof *s->tgt);
	/* the last target is the next batch's first input */
	if (llmc_seek(sh, sh->next - 1) != 0)
		die(STATUS_FAIL, "%s:", sh->path);
	s->name = sh->path;
	s->batch_offset = sh->data_off + start * sh->width;
	s->offset = sh->next;
	return 1;
}

int batchsrc_next(struct batchsrc *s)
{
	for (;;) {
		if (!s->in && !s->shard_open) {
			if (s->idx >= s->n) {
				if (!s->rereadable || !s->epoch_batches)
					return 0;
				s->idx = 0;
				s->epoch++;
				s->epoch_batches = 0;
			}
			open_input(s);
		}
		int got = s->in ? next_record_batch(s) : next_shard_batch(s);
		if (got) {
			if (s->vocab)
				check_ids(s);
			s->batch++;
			s->epoch_batches++;
			return 1;
		}
		close_input(s);
		s->idx++;
	}
}

void batchsrc_pos(const struct batchsrc *s, struct batchsrc_pos *pos)
{
	int idx = s->idx < s->n ? s->idx : s->n - 1;
	*pos = (struct batchsrc_pos){.input = idx, .batch = s->batch, .offset = s->offset, .epoch = s->epoch};
}

void batchsrc_seek(struct batchsrc *s, const struct batchsrc_pos *pos)
{
	if (pos->input < 0 || pos->input >= s->n)
		die(STATUS_MALFORMED, "the checkpoint's data position (input %d) is not among the %d inputs", pos->input,
		    s->n);
	close_input(s);
	s->idx = pos->input;
	s->epoch = pos->epoch;
	open_input(s);
	s->epoch_batches = 1; /* the inputs held batches when the checkpoint was made */
	const char *path = s->paths[s->idx];
	if (s->shard_open) {
		uint64_t bt = (uint64_t)s->o.B * s->o.T;
		if (pos->offset != pos->batch * bt || pos->offset > s->shard.ntokens)
			die(STATUS_MALFORMED, "%s: the checkpoint's position (batch %" PRIu64 " at token %" PRIu64 ") is not "
			    "one of this shard with -B %u -T %u", path, pos->batch, pos->offset, s->o.B, s->o.T);
		if (llmc_seek(&s->shard, pos->offset) != 0)
			die(STATUS_FAIL, "%s:", path);
		s->batch = pos->batch;
		s->offset = pos->offset;
		return;
	}
	for (uint64_t i = 0; i < pos->batch; i++)
		if (!next_record_batch(s))
			die(STATUS_MALFORMED, "%s: ended before batch %" PRIu64 ", where the checkpoint stopped", path,
			    pos->batch);
	s->batch = pos->batch;
	s->offset = pos->batch ? rec_reader_offset(s->in) : 0;
	if (pos->batch && s->offset != pos->offset)
		die(STATUS_MALFORMED, "%s: batch %" PRIu64 " ends at byte %" PRIu64 ", the checkpoint says %" PRIu64
		    ": not the input it was trained on", path, pos->batch, s->offset, pos->offset);
}

void batchsrc_rewind(struct batchsrc *s)
{
	close_input(s);
	s->idx = 0;
	s->batch = 0;
	s->offset = 0;
	s->epoch = 0;
	s->epoch_batches = 0;
}
