/* rows.h - one row interface over every data file format hf-stream reads
 * (parquet, JSON lines, JSON, CSV/TSV, text), so that field selection,
 * filters and output are written once.  A row is a list of named cells;
 * cells point into the reader's buffers and stay valid until the next
 * rows_next(). */
#ifndef SLUICE_ROWS_H
#define SLUICE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"
#include "formats/parquet.h"

enum rows_format { FMT_UNKNOWN, FMT_PARQUET, FMT_JSONL, FMT_JSON, FMT_CSV, FMT_TSV, FMT_TXT };

const char *rows_format_name(enum rows_format f);
enum rows_format rows_format_from_name(const char *name); /* FMT_UNKNOWN if none */
/* By extension, looking through a compression suffix (.jsonl.gz is JSONL). */
enum rows_format rows_format_of_path(const char *path);

enum cell_kind {
	CELL_NULL,
	CELL_STRING, /* text bytes, UTF-8 as stored */
	CELL_BINARY, /* bytes that are not text */
	CELL_JSON,   /* a JSON value's text: number, boolean, object, array, quoted string */
};

struct cell {
	enum cell_kind kind;
	const char *data;
	size_t len;
};

struct row {
	int n;
	const char *const *names;
	const struct cell *cells;
};

struct rows_options {
	int paragraphs;          /* text: a record per blank-line separated paragraph */
	const char *json_field;  /* json: the list field holding the rows (NULL: find it) */
	const char *name;        /* what messages call the input (NULL: path) */
	/* An input that is not a local file (a file of a Hub dataset): when
	 * set, the readers take its bytes from these instead of opening path,
	 * a byte-range source for parquet, a stream for the other formats. */
	int (*open_random)(void *ctx, const char *path, struct pq_source *out, char *err, size_t errn);
	int (*open_stream)(void *ctx, const char *path, struct source *out, char *err, size_t errn);
	void *open_ctx;
};

struct rows;

/* Opens path ("-" for stdin) as fmt; decompresses text formats by magic.
 * NULL on failure, with a one-line message in err and in *status the exit
 * status it means (base/status.h): STATUS_FAIL when the input could not be
 * opened or read, STATUS_MALFORMED when it is not what fmt says. */
struct rows *rows_open(const char *path, enum rows_format fmt, const struct rows_options *opt, int *status,
                       char *err, size_t errn);
void rows_close(struct rows *r);

/* Row groups for parquet, 1 for the other formats: the unit of sharding
 * below the file.  rows_skip_unit() marks a unit not to be read. */
int rows_units(const struct rows *r);
void rows_skip_unit(struct rows *r, int unit);

/* Reads only these fields from now on (parquet decodes no other column;
 * other formats may still hand out more).  Unknown names are ignored. */
void rows_select(struct rows *r, const char *const *names, int n);

/* The next row: 1, 0 at the end, or -1 with a message in err. */
int rows_next(struct rows *r, struct row *out, char *err, size_t errn);
/* After rows_next returned -1: STATUS_FAIL when a read of the input failed
 * (an I/O error), STATUS_MALFORMED when the bytes were wrong. */
int rows_error_status(const struct rows *r);

/* Column names and types as far as known before reading (parquet and CSV
 * know them; JSON lines learn them from the first row), for --info and
 * for picking the default text field. */
int rows_schema(struct rows *r, const char *const **names, const char *const **types);
/* Whether every row has exactly the schema's fields (parquet, CSV, text);
 * JSON rows may each have their own. */
int rows_schema_fixed(const struct rows *r);
/* Row count if the format records it (parquet), else -1. */
int64_t rows_count(const struct rows *r);

#endif
