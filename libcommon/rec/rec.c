/* rec.c - the record stream reader and writer; see rec.h and sluice-rec(5). */
#define _GNU_SOURCE
#include "rec/rec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/inbuf.h"
#include "base/io.h"
#include "base/le.h"
#include "base/source.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sluice records are little-endian and read in place; big-endian hosts are not supported"
#endif

static const char *const type_names[] = {
	[REC_HEADER] = "header", [REC_END] = "end",       [REC_TRAILER] = "trailer", [REC_TEXT] = "text",
	[REC_TOKENS] = "tokens", [REC_BATCH] = "batch",   [REC_VECTOR] = "vector",
	[REC_JSON] = "json",     [REC_SAMPLE] = "sample",
};

const char *rec_type_name(int type)
{
	if (type < 0 || (size_t)type >= sizeof type_names / sizeof *type_names)
		return NULL;
	return type_names[type];
}

int rec_type_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (type_names[i] && strcmp(type_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *rec_dtype_name(int dtype)
{
	switch (dtype) {
	case REC_DT_U8: return "u8";
	case REC_DT_U16: return "u16";
	case REC_DT_U32: return "u32";
	case REC_DT_F32: return "f32";
	case REC_DT_BF16: return "bf16";
	case REC_DT_F16: return "f16";
	default: return NULL;
	}
}

size_t rec_dtype_size(int dtype)
{
	switch (dtype) {
	case REC_DT_U8: return 1;
	case REC_DT_U16: case REC_DT_BF16: case REC_DT_F16: return 2;
	case REC_DT_U32: case REC_DT_F32: return 4;
	default: return 0;
	}
}

/* The fuzz build accepts any checksum so that the fuzzer reaches the layout
 * checks behind them; it is never installed. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CHECKSUM_BAD(stored, computed) ((void)(stored), (void)(computed), 0)
#else
#define CHECKSUM_BAD(stored, computed) ((stored) != (computed))
#endif

static inline uint32_t head_check(const unsigned char *head)
{
	return (uint32_t)XXH3_64bits(head, 12);
}

/* ---- payload views ---- */

size_t rec_tokens_count(const struct rec_frame *f)
{
	size_t w = rec_dtype_size(f->dtype);
	return w ? f->payload_len / w : 0;
}

uint32_t rec_token_at(const struct rec_frame *f, size_t i)
{
	if (f->dtype == REC_DT_U16)
		return ((const uint16_t *)(const void *)f->payload)[i];
	return ((const uint32_t *)(const void *)f->payload)[i];
}

void rec_tokens_copy(const struct rec_frame *f, uint32_t *out)
{
	size_t n = rec_tokens_count(f);
	if (f->dtype == REC_DT_U32) {
		memcpy(out, f->payload, n * sizeof *out);
		return;
	}
	const uint16_t *p = (const uint16_t *)(const void *)f->payload;
	for (size_t i = 0; i < n; i++)
		out[i] = p[i];
}

void rec_batch_view(const struct rec_frame *f, struct rec_batch *out)
{
	const unsigned char *p = f->payload;
	out->B = le_get32(p);
	out->T = le_get32(p + 4);
	out->dtype = f->dtype;
	out->tokens = p + REC_BATCH_HEAD;
	size_t n = (size_t)out->B * ((size_t)out->T + 1);
	out->mask = (le_get32(p + 8) & REC_BATCH_HAS_MASK)
	                    ? p + REC_BATCH_HEAD + rec_pad8(n * rec_dtype_size(f->dtype))
	                    : NULL;
}

void rec_vector_view(const struct rec_frame *f, struct rec_vector *out)
{
	out->dim = le_get32(f->payload);
	out->meta_len = le_get32(f->payload + 4);
	out->values = (const float *)(const void *)(f->payload + REC_VECTOR_HEAD);
	out->meta = (const char *)f->payload + REC_VECTOR_HEAD + (size_t)out->dim * 4;
}

uint32_t rec_sample_nparts(const struct rec_frame *f) { return le_get32(f->payload); }

int rec_sample_next(const struct rec_frame *f, size_t *cursor, struct rec_part *out)
{
	size_t at = *cursor ? *cursor : REC_SAMPLE_HEAD;
	if (at + 8 > f->payload_len)
		return 0;
	const unsigned char *p = f->payload + at;
	out->name_len = le_get32(p);
	out->data_len = le_get32(p + 4);
	out->name = (const char *)p + 8;
	out->data = p + 8 + rec_pad8(out->name_len);
	*cursor = at + 8 + rec_pad8(out->name_len) + rec_pad8(out->data_len);
	return 1;
}

/* Checks that a known frame type's payload is laid out as sluice-rec(5)
 * says, so the views above never read outside it.  Returns NULL or what is
 * wrong. */
static const char *check_layout(int type, int dtype, const unsigned char *p, size_t len,
                                 char *msg, size_t msgn)
{
	switch (type) {
	case REC_TOKENS:
		if (dtype != REC_DT_U16 && dtype != REC_DT_U32)
			return "tokens frame with a dtype other than u16 or u32";
		if (len % rec_dtype_size(dtype))
			return "tokens payload is not a whole number of tokens";
		return NULL;
	case REC_BATCH: {
		if (dtype != REC_DT_U16 && dtype != REC_DT_U32)
			return "batch frame with a dtype other than u16 or u32";
		if (len < REC_BATCH_HEAD)
			return "batch payload shorter than its 16-byte head";
		uint64_t B = le_get32(p), T = le_get32(p + 4), flags = le_get32(p + 8);
		if (flags & ~(uint64_t)REC_BATCH_HAS_MASK)
			return "batch frame with unknown flags";
		/* B and T are u32, so B*(T+1)*4 fits in 64 bits. */
		uint64_t n = B * (T + 1), bytes = n * rec_dtype_size(dtype);
		uint64_t want = REC_BATCH_HEAD + bytes;
		if (flags & REC_BATCH_HAS_MASK)
			want = REC_BATCH_HEAD + rec_pad8(bytes) + n;
		if (want != len) {
			snprintf(msg, msgn, "batch of %llu x %llu needs %llu payload bytes, frame has %zu",
			         (unsigned long long)B, (unsigned long long)(T + 1),
			         (unsigned long long)want, len);
			return msg;
		}
		return NULL;
	}
	case REC_VECTOR: {
		if (dtype != REC_DT_F32)
			return "vector frame with a dtype other than f32";
		if (len < REC_VECTOR_HEAD)
			return "vector payload shorter than its 8-byte head";
		uint64_t dim = le_get32(p), meta = le_get32(p + 4);
		if (REC_VECTOR_HEAD + dim * 4 + meta != len) {
			snprintf(msg, msgn, "vector of dim %llu with %llu metadata bytes does not fill its %zu-byte payload",
			         (unsigned long long)dim, (unsigned long long)meta, len);
			return msg;
		}
		return NULL;
	}
	case REC_SAMPLE: {
		if (len < REC_SAMPLE_HEAD)
			return "sample payload shorter than its 8-byte head";
		uint64_t nparts = le_get32(p), at = REC_SAMPLE_HEAD;
		for (uint64_t i = 0; i < nparts; i++) {
			if (at + 8 > len)
				return "sample part runs past the end of its frame";
			uint64_t name_len = le_get32(p + at), data_len = le_get32(p + at + 4);
			at += 8 + rec_pad8(name_len) + rec_pad8(data_len);
			if (at > len)
				return "sample part runs past the end of its frame";
		}
		if (at != len)
			return "sample payload has bytes after its last part";
		return NULL;
	}
	default:
		return NULL;
	}
}

uint64_t rec_max_frame(void)
{
	const char *env = getenv("SLUICE_MAX_FRAME");
	if (!env || !*env)
		return REC_DEFAULT_MAX_FRAME;
	uint64_t v = cli_parse_u64(env, "SLUICE_MAX_FRAME", 1);
	if (v == 0)
		cli_usage_error("SLUICE_MAX_FRAME: the frame limit must be positive");
	return v;
}

/* ---- reader ---- */

enum reader_state { ST_START, ST_IN_STREAM, ST_AFTER_END, ST_LINES };

struct rec_reader {
	/* Frames start at 8-aligned positions of the 64-aligned buffer: fill
	 * is only asked for bytes at a frame start (or in line mode). */
	struct inbuf in;
	int flags, delim;
	char *name;
	enum reader_state state;
	uint64_t count, skipped, size, max_frame;
	char *header;
	char *trailer; /* the current stream's, if it has one */
	char err[512];
};

struct rec_reader *rec_reader_source_open(struct source src, const char *name, int flags)
{
	struct rec_reader *r = xcalloc(1, sizeof *r);
	inbuf_init(&r->in, src);
	r->flags = flags;
	r->delim = '\n';
	if (flags & REC_READ_LINES_ONLY)
		r->state = ST_LINES;
	r->name = xstrdup(name);
	r->max_frame = rec_max_frame();
	r->size = src.size;
	return r;
}

struct rec_reader *rec_reader_fdopen(int fd, const char *name, int flags)
{
	return rec_reader_source_open(source_fd(fd, 0), name, flags);
}

struct rec_reader *rec_reader_open(const char *path, int flags)
{
	struct source src;
	if (source_open(&src, path) != 0)
		return NULL;
	return rec_reader_source_open(src, !path || strcmp(path, "-") == 0 ? "<stdin>" : path, flags);
}

void rec_reader_close(struct rec_reader *r)
{
	if (!r)
		return;
	inbuf_free(&r->in);
	free(r->name);
	free(r->header);
	free(r->trailer);
	free(r);
}

void rec_reader_set_delim(struct rec_reader *r, int delim) { r->delim = delim; }
const char *rec_reader_error(const struct rec_reader *r) { return r->err; }
const char *rec_reader_name(const struct rec_reader *r) { return r->name; }
int rec_reader_is_lines(const struct rec_reader *r) { return r->state == ST_LINES; }
const char *rec_reader_header(const struct rec_reader *r) { return r->header; }
const char *rec_reader_trailer(const struct rec_reader *r) { return r->trailer; }
uint64_t rec_reader_offset(const struct rec_reader *r) { return inbuf_offset(&r->in); }
uint64_t rec_reader_skipped(const struct rec_reader *r) { return r->skipped; }
uint64_t rec_reader_size(const struct rec_reader *r) { return r->size; }

static int fail(struct rec_reader *r, int status, uint64_t offset, const char *fmt, ...)
	SLUICE_PRINTF(4, 5);
static int fail(struct rec_reader *r, int status, uint64_t offset, const char *fmt, ...)
{
	int n = snprintf(r->err, sizeof r->err, "%s:%llu: ", r->name, (unsigned long long)offset);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof r->err)
		vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -status;
}

/* Makes at least `need` unread bytes available if the input has them
 * (inbuf_fill).  Returns the number available (less than need only at end
 * of input), or (size_t)-1 on a read error. */
static size_t fill(struct rec_reader *r, size_t need)
{
	return inbuf_fill(&r->in, need) < 0 ? (size_t)-1 : inbuf_avail(&r->in);
}

static int looks_like_text(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			return 0;
	return n > 0;
}

static int bad_magic(struct rec_reader *r, size_t avail)
{
	uint64_t off = rec_reader_offset(r);
	if (r->state != ST_START)
		return fail(r, STATUS_MAGIC, off, "bad frame magic: the stream is corrupt here");
	const unsigned char *p = inbuf_ptr(&r->in);
	size_t n = avail < 256 ? avail : 256;
	size_t i = 0;
	while (i < n && isspace(p[i]))
		i++;
	if (i < n && (p[i] == '{' || p[i] == '['))
		return fail(r, STATUS_MAGIC, off,
		            "not a sluice record stream (it looks like JSON lines; convert with rec-pack --jsonl)");
	if (looks_like_text(p, n))
		return fail(r, STATUS_MAGIC, off,
		            "not a sluice record stream (it looks like plain text; convert with rec-pack)");
	return fail(r, STATUS_MAGIC, off, "not a sluice record stream (bad magic)");
}

static int next_line(struct rec_reader *r, struct rec_frame *f)
{
	size_t scanned = 0;
	for (;;) {
		unsigned char *s = inbuf_ptr(&r->in);
		size_t avail = inbuf_avail(&r->in);
		unsigned char *nl = memchr(s + scanned, r->delim, avail - scanned);
		if (nl || (r->in.eof && avail > 0)) {
			size_t len = nl ? (size_t)(nl - s) : avail;
			if (len > r->max_frame)
				return fail(r, STATUS_TOO_LARGE, rec_reader_offset(r),
				            "line longer than the %llu-byte frame limit (set SLUICE_MAX_FRAME)",
				            (unsigned long long)r->max_frame);
			f->type = REC_TEXT;
			f->dtype = REC_DT_NONE;
			f->key = NULL;
			f->key_len = 0;
			f->payload = s;
			f->payload_len = len;
			f->offset = rec_reader_offset(r);
			inbuf_consume(&r->in, nl ? len + 1 : len);
			return 1;
		}
		if (r->in.eof)
			return 0;
		if (avail > r->max_frame)
			return fail(r, STATUS_TOO_LARGE, rec_reader_offset(r),
			            "line longer than the %llu-byte frame limit (set SLUICE_MAX_FRAME)",
			            (unsigned long long)r->max_frame);
		scanned = avail;
		if (fill(r, avail + 1) == (size_t)-1)
			return fail(r, STATUS_FAIL, rec_reader_offset(r), "read error: %s", inbuf_error(&r->in));
	}
}

/* Keeps a header's or trailer's JSON object text in *slot. */
static int take_json(struct rec_reader *r, const struct rec_frame *f, char **slot, const char *what)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)f->payload, f->payload_len, 0, &jerr);
	int ok = j && json_is_object(j);
	json_decref(j);
	if (!ok)
		return fail(r, STATUS_MALFORMED, f->offset, "%s frame is not a JSON object", what);
	free(*slot);
	*slot = xstrndup((const char *)f->payload, f->payload_len);
	return 0;
}

int rec_next(struct rec_reader *r, struct rec_frame *f)
{
	if (r->state == ST_LINES)
		return next_line(r, f);
	for (;;) {
		size_t avail = fill(r, REC_FRAME_HEAD);
		uint64_t off = rec_reader_offset(r);
		if (avail == (size_t)-1)
			return fail(r, STATUS_FAIL, off, "read error: %s", inbuf_error(&r->in));
		if (avail == 0) {
			if (r->state == ST_AFTER_END)
				return 0;
			if (r->state == ST_START) {
				if (r->flags & REC_READ_LINES) {
					r->state = ST_LINES;
					return 0;
				}
				return fail(r, STATUS_NO_END, off,
				            "empty input: no record stream (did the producer fail?)");
			}
			return fail(r, STATUS_NO_END, off,
			            "missing end marker after %llu records (the producer stopped early?)",
			            (unsigned long long)r->count);
		}
		const unsigned char *h = inbuf_ptr(&r->in);
		if (memcmp(h, REC_MAGIC, avail < 4 ? avail : 4) != 0) {
			if (r->state == ST_START && (r->flags & REC_READ_LINES)) {
				r->state = ST_LINES;
				return next_line(r, f);
			}
			return bad_magic(r, avail);
		}
		if (avail < REC_FRAME_HEAD)
			return fail(r, STATUS_TRUNCATED, off,
			            "truncated frame: input ends %zu bytes into a 24-byte frame head", avail);
		if (CHECKSUM_BAD(le_get32(h + 12), head_check(h)))
			return fail(r, STATUS_CHECKSUM, off, "frame head checksum mismatch");
		int type = h[4], dtype = h[5];
		size_t key_len = le_get16(h + 6);
		uint64_t payload_len = le_get32(h + 8);
		if (payload_len > r->max_frame)
			return fail(r, STATUS_TOO_LARGE, off,
			            "frame of %llu bytes is over the %llu-byte limit (set SLUICE_MAX_FRAME to raise it)",
			            (unsigned long long)payload_len, (unsigned long long)r->max_frame);
		size_t body = rec_pad8(key_len) + rec_pad8((size_t)payload_len);
		size_t total = REC_FRAME_HEAD + body;
		avail = fill(r, total);
		if (avail == (size_t)-1)
			return fail(r, STATUS_FAIL, off, "read error: %s", inbuf_error(&r->in));
		if (avail < total)
			return fail(r, STATUS_TRUNCATED, off,
			            "truncated frame: its head promises %zu bytes, the input ends after %zu",
			            total, avail);
		h = inbuf_ptr(&r->in);
		if (CHECKSUM_BAD(le_get64(h + 16), XXH3_64bits(h + REC_FRAME_HEAD, body)))
			return fail(r, STATUS_CHECKSUM, off, "frame checksum mismatch");
		f->type = type;
		f->dtype = dtype;
		f->key = key_len ? (const char *)h + REC_FRAME_HEAD : NULL;
		f->key_len = key_len;
		f->payload = h + REC_FRAME_HEAD + rec_pad8(key_len);
		f->payload_len = (size_t)payload_len;
		f->offset = off;
		inbuf_consume(&r->in, total);

		if (type == REC_HEADER) {
			if (r->state == ST_IN_STREAM)
				return fail(r, STATUS_MALFORMED, off,
				            "header frame inside a stream (the previous stream has no end marker)");
			int e = take_json(r, f, &r->header, "header");
			if (e)
				return e;
			free(r->trailer);
			r->trailer = NULL;
			r->state = ST_IN_STREAM;
			r->count = 0;
			return 1;
		}
		if (r->state == ST_START)
			return fail(r, STATUS_MALFORMED, off, "stream does not begin with a header frame");
		if (r->state == ST_AFTER_END)
			return fail(r, STATUS_MALFORMED, off, "%s frame after the end marker",
			            rec_type_name(type) ? rec_type_name(type) : "unknown");
		if (type == REC_END) {
			if (payload_len != 8)
				return fail(r, STATUS_MALFORMED, off, "end marker payload is not 8 bytes");
			uint64_t said = le_get64(f->payload);
			if (said != r->count)
				return fail(r, STATUS_MALFORMED, off,
				            "end marker counts %llu records but the stream has %llu (frames lost?)",
				            (unsigned long long)said, (unsigned long long)r->count);
			r->state = ST_AFTER_END;
			return 1;
		}
		r->count++;
		if (type == REC_TRAILER) {
			/* Kept for rec_reader_trailer, not handed out: to a program
			 * that reads data it is as if it were not there. */
			int e = take_json(r, f, &r->trailer, "trailer");
			if (e)
				return e;
			continue;
		}
		if (!rec_type_name(type)) {
			r->skipped++;
			continue;
		}
		char msg[160];
		const char *bad = check_layout(type, dtype, f->payload, f->payload_len, msg, sizeof msg);
		if (bad)
			return fail(r, STATUS_MALFORMED, off, "%s", bad);
		return 1;
	}
}

int rec_next_or_die(struct rec_reader *r, struct rec_frame *f)
{
	int got = rec_next(r, f);
	if (got < 0) {
		fprintf(stderr, "%s: %s\n", prog_name(), r->err);
		exit(-got);
	}
	return got;
}

/* ---- writer ---- */

struct rec_writer {
	int fd;
	char *name;
	unsigned char *buf;
	size_t cap, len;
	uint64_t count, bytes, max_frame;
};

#define WRITER_BUF (1u << 20)

struct rec_writer *rec_writer_fdopen(int fd, const char *name)
{
	struct rec_writer *w = xcalloc(1, sizeof *w);
	w->fd = fd;
	w->name = xstrdup(name);
	io_grow_pipe(fd);
	w->max_frame = rec_max_frame();
	w->cap = WRITER_BUF;
	w->buf = xmalloc_aligned(w->cap);
	return w;
}

void rec_writer_flush(struct rec_writer *w)
{
	if (w->len)
		write_all(w->fd, w->buf, w->len, w->name);
	w->bytes += w->len;
	w->len = 0;
}

void rec_writer_free(struct rec_writer *w)
{
	if (!w)
		return;
	rec_writer_flush(w);
	free(w->buf);
	free(w->name);
	free(w);
}

uint64_t rec_writer_count(const struct rec_writer *w) { return w->count; }
uint64_t rec_writer_bytes(const struct rec_writer *w) { return w->bytes + w->len; }

static void fill_head(unsigned char *h, int type, int dtype, size_t key_len, size_t payload_len)
{
	memcpy(h, REC_MAGIC, 4);
	h[4] = (unsigned char)type;
	h[5] = (unsigned char)dtype;
	le_put16(h + 6, (uint16_t)key_len);
	le_put32(h + 8, (uint32_t)payload_len);
	le_put32(h + 12, head_check(h));
}

void rec_writev(struct rec_writer *w, int type, int dtype, const char *key, size_t key_len,
                const struct rec_piece *pieces, int n)
{
	static const unsigned char zeros[8];
	size_t payload_len = 0;
	for (int i = 0; i < n; i++)
		payload_len += pieces[i].len;
	if (key_len > REC_MAX_KEY)
		die(STATUS_FAIL, "record key of %zu bytes is over the %u-byte limit", key_len, REC_MAX_KEY);
	/* Never write what readers will refuse. */
	if (payload_len > UINT32_MAX || payload_len > w->max_frame)
		die(STATUS_TOO_LARGE, "record of %zu bytes is over the %llu-byte frame limit (set SLUICE_MAX_FRAME to raise it)",
		    payload_len, (unsigned long long)(w->max_frame < UINT32_MAX ? w->max_frame : UINT32_MAX));
	size_t body = rec_pad8(key_len) + rec_pad8(payload_len);
	size_t total = REC_FRAME_HEAD + body;
	if (type != REC_HEADER && type != REC_END)
		w->count++;
	if (total > w->cap - w->len)
		rec_writer_flush(w);
	if (total <= w->cap) {
		/* Build the whole frame in the buffer and hash it where it lies. */
		unsigned char *h = w->buf + w->len, *p = h + REC_FRAME_HEAD;
		if (key_len)
			memcpy(p, key, key_len);
		memset(p + key_len, 0, rec_pad8(key_len) - key_len);
		p += rec_pad8(key_len);
		for (int i = 0; i < n; i++) {
			if (pieces[i].len)
				memcpy(p, pieces[i].data, pieces[i].len);
			p += pieces[i].len;
		}
		memset(p, 0, rec_pad8(payload_len) - payload_len);
		fill_head(h, type, dtype, key_len, payload_len);
		le_put64(h + 16, XXH3_64bits(h + REC_FRAME_HEAD, body));
		w->len += total;
		return;
	}
	/* Too big to stage: hash the pieces in place and write them directly. */
	XXH3_state_t st;
	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, key, key_len);
	XXH3_64bits_update(&st, zeros, rec_pad8(key_len) - key_len);
	for (int i = 0; i < n; i++)
		XXH3_64bits_update(&st, pieces[i].data, pieces[i].len);
	XXH3_64bits_update(&st, zeros, rec_pad8(payload_len) - payload_len);
	unsigned char h[REC_FRAME_HEAD];
	fill_head(h, type, dtype, key_len, payload_len);
	le_put64(h + 16, XXH3_64bits_digest(&st));
	write_all(w->fd, h, sizeof h, w->name);
	write_all(w->fd, key, key_len, w->name);
	write_all(w->fd, zeros, rec_pad8(key_len) - key_len, w->name);
	for (int i = 0; i < n; i++)
		write_all(w->fd, pieces[i].data, pieces[i].len, w->name);
	write_all(w->fd, zeros, rec_pad8(payload_len) - payload_len, w->name);
	w->bytes += total;
}

void rec_write(struct rec_writer *w, int type, int dtype, const char *key, size_t key_len,
               const void *payload, size_t payload_len)
{
	struct rec_piece piece = {payload, payload_len};
	rec_writev(w, type, dtype, key, key_len, &piece, 1);
}

void rec_write_header(struct rec_writer *w, const char *header_json, size_t len)
{
	rec_write(w, REC_HEADER, REC_DT_NONE, NULL, 0, header_json, len);
	w->count = 0;
}

void rec_write_trailer(struct rec_writer *w, const char *json, size_t len)
{
	rec_write(w, REC_TRAILER, REC_DT_NONE, NULL, 0, json, len);
}

void rec_write_end(struct rec_writer *w)
{
	unsigned char count[8];
	le_put64(count, w->count);
	rec_write(w, REC_END, REC_DT_NONE, NULL, 0, count, sizeof count);
	w->count = 0;
}

void rec_write_vector(struct rec_writer *w, const char *key, size_t key_len, const float *values,
                      uint32_t dim, const char *meta, size_t meta_len)
{
	unsigned char head[REC_VECTOR_HEAD];
	le_put32(head, dim);
	le_put32(head + 4, (uint32_t)meta_len);
	struct rec_piece pieces[3] = {
		{head, sizeof head}, {values, (size_t)dim * 4}, {meta, meta_len}};
	rec_writev(w, REC_VECTOR, REC_DT_F32, key, key_len, pieces, 3);
}

void rec_sample_begin(struct buf *b, uint32_t nparts)
{
	unsigned char head[REC_SAMPLE_HEAD] = {0};
	le_put32(head, nparts);
	buf_clear(b);
	buf_add(b, head, sizeof head);
}

void rec_sample_add(struct buf *b, const char *name, size_t name_len, const void *data,
                    size_t data_len)
{
	unsigned char head[8];
	le_put32(head, (uint32_t)name_len);
	le_put32(head + 4, (uint32_t)data_len);
	buf_add(b, head, sizeof head);
	buf_add(b, name, name_len);
	buf_pad8(b);
	buf_add(b, data, data_len);
	buf_pad8(b);
}
