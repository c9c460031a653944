/* parquet.h - our own Parquet reader: the footer, the schema, and one
 * top-level field of one row group at a time, decoded into cells.
 *
 * It reads through a random-access source (struct pq_source), never a file
 * descriptor, so the same code reads a local file or HTTP byte ranges; each
 * column chunk is one read of one byte range, and pq_field_ranges() says
 * which ranges a field needs so a caller can prefetch them.  Memory is
 * bounded by what one row group's selected fields decode to; a field whose
 * row group would decode to more than 1 GiB, or a column chunk claiming
 * more than 2^25 values, is refused as an error rather than allocated.
 *
 * Cells.  A field whose values are strings (STRING/UTF8/ENUM/JSON, at the
 * top level and not repeated) comes out as PQ_CELLS_STRING: the bytes as
 * stored.  Unannotated BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY fields come out as
 * PQ_CELLS_BINARY.  Everything else is PQ_CELLS_JSON, one JSON text per cell:
 *   booleans and integers (any width and signedness) as JSON numbers;
 *   FLOAT/DOUBLE in their shortest round-trip form (always with a point or
 *     an exponent, so -0.0 keeps its sign), NaN and Inf as null;
 *   DECIMAL as an exact JSON number with `scale` digits after the point,
 *     of any precision (BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY up to 64 bytes);
 *   DATE as "YYYY-MM-DD", with ISO 8601's years: 0000 (1 BC) to 9999 as four
 *     digits, others signed ("+290000-12-30", "-0001-12-31"), so every day
 *     of the stored range has its true date;
 *   TIMESTAMP (millis/micros/nanos, and INT96) as "YYYY-MM-DD HH:MM:SS" with
 *     a fraction of as many digits as the unit has, trailing zeros dropped
 *     (DuckDB's style), the same years; a UTC-adjusted one ends in "+00";
 *     INT96 is read as nanoseconds, its Julian day and time of day apart, so
 *     no day overflows; a time of day outside one day is carried into the
 *     day, as DuckDB and arrow-rs read it (DuckDB cuts it to microseconds: the two agree
 *     whenever the writer, like Spark, stored whole microseconds);
 *   TIME as "HH:MM:SS" with the same fraction rule (24:00:00 included), and
 *     "+00" when UTC-adjusted;
 *   INTERVAL as {"months":M,"days":D,"milliseconds":S}, its three counts;
 *   UUID as its 8-4-4-4-12 hex form; FLOAT16 as a number;
 *   binary inside nested values as a base64 JSON string; strings as JSON
 *     strings (invalid UTF-8 becomes U+FFFD);
 *   LIST as an array, STRUCT as an object, MAP as an object when its keys
 *     are strings and as [{"key":..,"value":..},...] otherwise;
 *   nulls at any depth as null.
 * A null top-level cell has is_null set and an empty text.
 *
 * Never a plausible wrong value: a stored value its type cannot hold (an
 * INT_8 of 300, a TIME past the end of a day, a value in a column of the
 * null type) is an error naming the
 * column's path and the row, counted from 0 in the file: "data.parquet:
 * column ts, row 12: ..."; a column whose annotation we cannot honour (a
 * logical or converted type we do not know, a TIMESTAMP on INT32, a DATE on
 * INT64, an unknown time unit, a group of a logical type we do not read
 * such as VARIANT) is an error when it is read ("column c: TIMESTAMP on
 * INT32") and "unsupported" in pq_field_type.  So is damage that would put
 * values in other rows or lose them: leaves of one list that disagree on
 * its repetition levels, a v2 page whose null count is not its levels', a
 * string-keyed map (a JSON object) with a null key or a key twice.
 *
 * Pages that carry the optional CRC-32 are checked against it.
 *
 * Errors are one line naming the file, and where it applies the column and
 * the byte offset of the page: "data.parquet: column text: page at byte
 * 1234: snappy: damaged data". */
#ifndef SLUICE_PARQUET_H
#define SLUICE_PARQUET_H

#include <stddef.h>
#include <stdint.h>

struct pq_range {
	uint64_t offset, length;
};

struct pq_source {
	void *ctx;
	/* Reads exactly len bytes at offset into buf: 0, or -1 with a one-line message in err. */
	int (*read_at)(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errn);
	uint64_t size;    /* total bytes */
	const char *name; /* for messages */
	/* Frees ctx (for sources other than the path and memory ones); may be NULL. */
	void (*close)(void *ctx);
	/* A hint that these ranges will be read soon, so that a remote source
	 * can fetch them ahead, in parallel; may be NULL. */
	void (*will_need)(void *ctx, const struct pq_range *ranges, size_t n);
};

struct pq_file;

/* Reads and checks the footer and schema: NULL + message on failure.  The
 * source must outlive the pq_file. */
struct pq_file *pq_open(const struct pq_source *src, char *err, size_t errn);
/* A pread-backed source for a local file; pq_source_close() frees it. */
int pq_open_path(struct pq_source *out, const char *path, char *err, size_t errn);
/* The same, naming the source name (in messages) rather than path. */
int pq_open_path_as(struct pq_source *out, const char *path, const char *name, char *err, size_t errn);
/* A source over bytes in memory (not copied; they must outlive it). */
void pq_source_memory(struct pq_source *out, const void *data, size_t len, const char *name);
void pq_source_close(struct pq_source *src);
void pq_close(struct pq_file *f);

int64_t pq_num_rows(const struct pq_file *f);
int pq_num_row_groups(const struct pq_file *f);
int64_t pq_row_group_rows(const struct pq_file *f, int rg);
int pq_num_fields(const struct pq_file *f); /* top-level fields */
const char *pq_field_name(const struct pq_file *f, int i);
/* For --info: "string", "int64", "timestamp[us]", "decimal(10,2)",
 * "list<struct<role: string, content: string>>", "map<string, int32>", ... */
const char *pq_field_type(const struct pq_file *f, int i);
int pq_field_index(const struct pq_file *f, const char *name); /* -1 if none */
const char *pq_created_by(const struct pq_file *f);           /* "" if unknown */

/* Byte ranges of the field's column chunks in rg (one per leaf column);
 * returns the count, which may exceed max (only max are written), or -1
 * for a bad rg or field. */
int pq_field_ranges(const struct pq_file *f, int rg, int field, struct pq_range *out, int max);

enum pq_cell_kind { PQ_CELLS_STRING, PQ_CELLS_BINARY, PQ_CELLS_JSON };
struct pq_cells { /* one top-level field over one row group */
	int64_t n;
	enum pq_cell_kind kind;
	const uint8_t *is_null;  /* n bytes, 1 = null */
	const uint64_t *offsets; /* n + 1: cell i is data[offsets[i] .. offsets[i+1]) */
	const char *data;
};
/* The kind of cells pq_read_field gives for a field, without reading. */
enum pq_cell_kind pq_field_kind(const struct pq_file *f, int field);
/* Decodes field `field` of row group rg: 0, or -1 with a one-line message.
 * Cells stay valid until the next pq_read_field for that field or pq_close. */
int pq_read_field(struct pq_file *f, int rg, int field, struct pq_cells *out, char *err,
                  size_t errn);

#endif
