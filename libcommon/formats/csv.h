/* csv.h - CSV and TSV rows from a byte source (RFC 4180, read the way
 * Python's csv module and pandas read it).
 *
 * - The first row is the header: the column names.
 * - Fields may be quoted; a doubled quote inside is one quote, and quoted
 *   fields may hold delimiters and line breaks.  As in Python's csv module
 *   (strict=False), a quote inside an unquoted field is an ordinary
 *   character, and text after a closing quote is kept (`"ab"c` is `abc`).
 * - Rows end at LF, CRLF or a lone CR; a UTF-8 byte order mark at the very
 *   start is dropped; empty lines (including an empty last line) are
 *   skipped, as pandas does.
 * - Every row must have as many fields as the header; otherwise the row is
 *   an error naming its physical line and byte offset.  So are invalid
 *   UTF-8 (unless allowed), an unterminated quoted field, and a row over
 *   the size limit.
 *
 * Fields are (pointer, length) views into the reader's buffer, valid until
 * the next csv_next or csv_close; they are not NUL-terminated.  Nothing is
 * allocated per row or per field.  Errors are one line,
 * "NAME:OFFSET: line N: what", OFFSET counting bytes of the (decompressed)
 * input from 0 and N physical lines from 1. */
#ifndef SLUICE_CSV_H
#define SLUICE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"

struct csv_field {
	const char *ptr;
	size_t len;
};

struct csv_opts {
	/* ',' or '\t'; 0 picks '\t' when the name (less a compression
	 * extension) ends in .tsv or .tab, else ','. */
	char delim;
	int allow_invalid_utf8;
	/* Largest row in bytes (quotes and line breaks included); 0: 1 GiB. */
	size_t max_row;
};

struct csv_reader;

/* Takes over src (closed by csv_close, or at once on failure) and reads
 * the header row.  opts may be NULL for the defaults.  Returns 0, or -1
 * with the message in err.  An empty input has no columns and no rows. */
int csv_open(struct csv_reader **out, struct source src, const char *name,
             const struct csv_opts *opts, char *err, size_t errn);

size_t csv_ncols(const struct csv_reader *r);
/* The header's fields; valid until csv_close. */
const struct csv_field *csv_columns(const struct csv_reader *r);

/* Next row: 1 with *row pointing at csv_ncols() fields, 0 at the end of
 * input, -1 with the message in err.  After an error the reader only
 * repeats it. */
int csv_next(struct csv_reader *r, const struct csv_field **row, char *err, size_t errn);

/* Where the row last returned starts: physical line (from 1) and byte
 * offset. */
uint64_t csv_row_line(const struct csv_reader *r);
uint64_t csv_row_offset(const struct csv_reader *r);

void csv_close(struct csv_reader *r);

#endif
