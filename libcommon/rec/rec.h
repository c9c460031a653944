/* rec.h - the sluice record stream: frame layout, a buffered reader with
 * zero-copy payload access and checksum verification, and a buffered writer.
 *
 * The format is specified in sluice-rec(5).  In short, every frame is
 *
 *   0  magic      89 53 4C 52 ("\x89SLR")
 *   4  type       u8  (enum rec_type)
 *   5  dtype      u8  (enum rec_dtype: element type of the payload, if any)
 *   6  key_len    u16 little-endian
 *   8  payload_len u32 little-endian
 *  12  head_check u32: low 32 bits of XXH3_64(bytes 0..11)
 *  16  body_check u64: XXH3_64(bytes 24..end of frame)
 *  24  key, zero-padded to a multiple of 8
 *      payload, zero-padded to a multiple of 8
 *
 * so every frame is a multiple of 8 bytes long and every payload starts
 * 8-aligned relative to the stream start: a file of records can be mmapped
 * and its token and vector arrays used in place.  A stream is a header frame
 * (JSON), data frames, and an end frame carrying the data frame count;
 * concatenated streams are a valid stream.
 */
#ifndef SLUICE_REC_H
#define SLUICE_REC_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"

#define REC_MAGIC "\x89SLR"
#define REC_FRAME_HEAD 24
#define REC_MAX_KEY 65535u
/* Default cap on one frame's payload; SLUICE_MAX_FRAME (bytes) overrides. */
#define REC_DEFAULT_MAX_FRAME (1u << 30)

enum rec_type {
	REC_HEADER = 0x01,
	REC_END = 0x02,
	REC_TRAILER = 0x03, /* JSON: the producer's account of the stream */
	REC_TEXT = 0x10,
	REC_TOKENS = 0x11,
	REC_BATCH = 0x12,
	REC_VECTOR = 0x13,
	REC_JSON = 0x14,
	REC_SAMPLE = 0x15,
};

enum rec_dtype {
	REC_DT_NONE = 0,
	REC_DT_U8 = 1,
	REC_DT_U16 = 2,
	REC_DT_U32 = 3,
	REC_DT_F32 = 4,
	REC_DT_BF16 = 5,
	REC_DT_F16 = 6,
};

/* The payload size limit readers and writers hold to: SLUICE_MAX_FRAME
 * (bytes, k/M/G suffixes) or 1 GiB.  A bad value is a usage error. */
uint64_t rec_max_frame(void);

const char *rec_type_name(int type);   /* "text", ...; NULL if unknown */
int rec_type_from_name(const char *name); /* -1 if unknown */
const char *rec_dtype_name(int dtype);  /* "u16", ...; NULL if unknown */
size_t rec_dtype_size(int dtype);       /* 0 if unknown or none */

static inline size_t rec_pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* A frame as handed out by the reader: pointers into the reader's buffer,
 * valid until the next rec_next() call. */
struct rec_frame {
	int type;
	int dtype;
	const char *key; /* NULL when the frame has no key */
	size_t key_len;
	const unsigned char *payload; /* 8-aligned */
	size_t payload_len;
	uint64_t offset; /* of the frame's first byte in its input */
};

/* Views that decode structured payloads.  The reader validates layouts
 * before handing a frame out, so these never fail on frames it returned. */
struct rec_batch {
	uint32_t B, T; /* rows are T+1 tokens: inputs and shifted targets */
	int dtype;
	const void *tokens; /* B*(T+1) elements of dtype */
	const uint8_t *mask; /* B*(T+1) bytes, 1 = real token; NULL if none */
};
struct rec_vector {
	uint32_t dim;
	const float *values;
	const char *meta; /* JSON object text; meta_len 0 when none */
	size_t meta_len;
};
struct rec_part {
	const char *name;
	size_t name_len;
	const unsigned char *data;
	size_t data_len;
};

#define REC_BATCH_HEAD 16
#define REC_BATCH_HAS_MASK 1u
#define REC_VECTOR_HEAD 8
#define REC_SAMPLE_HEAD 8

size_t rec_tokens_count(const struct rec_frame *f);
uint32_t rec_token_at(const struct rec_frame *f, size_t i);
/* All the ids of a tokens frame, widened to u32 (rec_tokens_count of them). */
void rec_tokens_copy(const struct rec_frame *f, uint32_t *out);
void rec_batch_view(const struct rec_frame *f, struct rec_batch *out);
void rec_vector_view(const struct rec_frame *f, struct rec_vector *out);
uint32_t rec_sample_nparts(const struct rec_frame *f);
/* Iterate parts: *cursor starts at 0; returns 0 after the last part. */
int rec_sample_next(const struct rec_frame *f, size_t *cursor, struct rec_part *out);

/* ---- reading ---- */

enum {
	/* Input that does not start with the magic is read as lines, each one
	 * a keyless text frame; no header or end frame is produced. */
	REC_READ_LINES = 1,
	/* Always read lines, even if the input starts with the magic. */
	REC_READ_LINES_ONLY = 2,
};

struct rec_reader;

/* path "-" or NULL reads stdin.  Returns NULL with errno set if the file
 * cannot be opened. */
struct rec_reader *rec_reader_open(const char *path, int flags);
struct rec_reader *rec_reader_fdopen(int fd, const char *name, int flags);
/* Reads from any byte source (a decompressor, an HTTP body); the reader
 * owns src and closes it. */
struct rec_reader *rec_reader_source_open(struct source src, const char *name, int flags);
void rec_reader_close(struct rec_reader *r);

/* Next frame (header, data and end frames; unknown types are skipped).
 * Returns 1 with *f filled, 0 at a clean end of input, or a rec_status
 * error with a one-line description in rec_reader_error(). */
int rec_next(struct rec_reader *r, struct rec_frame *f);
/* As rec_next, but prints "prog: input:offset: what" and exits with the
 * status on error. */
int rec_next_or_die(struct rec_reader *r, struct rec_frame *f);

/* Line delimiter for line reading ('\n' unless set, e.g. '\0'). */
void rec_reader_set_delim(struct rec_reader *r, int delim);
const char *rec_reader_error(const struct rec_reader *r);
const char *rec_reader_name(const struct rec_reader *r);
int rec_reader_is_lines(const struct rec_reader *r); /* input was plain lines */
/* Header JSON of the current stream (NUL-terminated), or NULL. */
const char *rec_reader_header(const struct rec_reader *r);
/* Trailer JSON of the current stream, once read (rec_next does not hand
 * trailer frames out, but checks and keeps them), or NULL. */
const char *rec_reader_trailer(const struct rec_reader *r);
uint64_t rec_reader_offset(const struct rec_reader *r); /* bytes consumed */
uint64_t rec_reader_skipped(const struct rec_reader *r); /* unknown frames */
/* Input size if it is a regular file (for progress), else 0. */
uint64_t rec_reader_size(const struct rec_reader *r);

/* ---- writing ---- */

struct rec_writer;

struct rec_writer *rec_writer_fdopen(int fd, const char *name);
/* Writes the header frame; header_json must be a JSON object. */
void rec_write_header(struct rec_writer *w, const char *header_json, size_t len);
/* Writes one frame.  Dies on I/O errors (quietly on a closed pipe). */
void rec_write(struct rec_writer *w, int type, int dtype, const char *key,
               size_t key_len, const void *payload, size_t payload_len);
/* Writes a frame whose payload is the concatenation of n pieces, without
 * first joining them (pieces are not padded between each other). */
struct rec_piece {
	const void *data;
	size_t len;
};
void rec_writev(struct rec_writer *w, int type, int dtype, const char *key,
                size_t key_len, const struct rec_piece *pieces, int n);
void rec_write_vector(struct rec_writer *w, const char *key, size_t key_len,
                      const float *values, uint32_t dim, const char *meta,
                      size_t meta_len);
/* Writes a trailer frame (a JSON object: what the producer wants a reader
 * to know once the data is done, such as what it lost); just before the
 * end frame, which counts it as it counts any frame. */
void rec_write_trailer(struct rec_writer *w, const char *json, size_t len);
/* Writes the end frame (data frame count since the header). */
void rec_write_end(struct rec_writer *w);
void rec_writer_flush(struct rec_writer *w);
/* Flushes and frees; does not close the descriptor. */
void rec_writer_free(struct rec_writer *w);
uint64_t rec_writer_count(const struct rec_writer *w);
uint64_t rec_writer_bytes(const struct rec_writer *w);

/* ---- sample payload building ---- */

struct buf;
void rec_sample_begin(struct buf *b, uint32_t nparts);
void rec_sample_add(struct buf *b, const char *name, size_t name_len,
                    const void *data, size_t data_len);

#endif
