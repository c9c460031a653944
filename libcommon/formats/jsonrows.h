/* jsonrows.h - rows (JSON objects) from JSON data.
 *
 * JSON lines (.jsonl, .ndjson, and anything not named .json): one object
 * per line; lines of only spaces, tabs and CR are skipped; a byte order
 * mark at the start is dropped; CRLF is accepted.
 *
 * JSON documents (.json):
 * - a top-level array of objects, streamed element by element, so memory
 *   is bounded by the largest element, not the file;
 * - one object whose rows are the elements of one of its list fields: the
 *   field named in the options, else the only list-valued field (two or
 *   more is an error that names them).  The whole document is loaded.
 * - a .json file that holds several values one after another is read as
 *   JSON lines, as `datasets` does.
 *
 * Errors are one line "NAME:OFFSET: line N: what": invalid JSON (with
 * jansson's reason), invalid UTF-8, a row that is not an object.  For rows
 * of an object document, N and OFFSET name the document's start: jansson
 * keeps no positions for values inside a loaded document. */
#ifndef SLUICE_JSONROWS_H
#define SLUICE_JSONROWS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/source.h"

enum jsonrows_mode {
	JSONROWS_AUTO = 0, /* by name: .json (less a compression extension) is a document */
	JSONROWS_LINES,
	JSONROWS_DOCUMENT,
};

struct jsonrows_opts {
	enum jsonrows_mode mode;
	const char *field; /* the list field of an object document, or NULL */
	size_t max_row;    /* largest line/element (or object document) in bytes; 0: 1 GiB */
};

struct jsonrows;

/* Takes over src (closed by jsonrows_close, or at once on failure).  opts
 * may be NULL.  A document is checked as far as its first row here, so a
 * file that is not JSON fails at open.  Returns 0, or -1 with the message
 * in err. */
int jsonrows_open(struct jsonrows **out, struct source src, const char *name,
                  const struct jsonrows_opts *opts, char *err, size_t errn);

/* Next row: 1 with *row a JSON object that the reader owns until the next
 * call or jsonrows_close (json_incref it to keep it longer), 0 at the end,
 * -1 with the message in err (every later call repeats it).  Strings may
 * hold U+0000: use json_string_length, not strlen. */
int jsonrows_next(struct jsonrows *j, json_t **row, char *err, size_t errn);

/* The row last returned: physical line (from 1) and byte offset. */
uint64_t jsonrows_line(const struct jsonrows *j);
uint64_t jsonrows_offset(const struct jsonrows *j);

void jsonrows_close(struct jsonrows *j);

/* The readers' fast row parser alone: the JSON object that fills s..s+n
 * (valid UTF-8), or NULL when it declines and jansson must decide.  What
 * it accepts, jansson accepts as an equal value; exposed for the fuzz
 * target that checks exactly that.  The caller owns the result. */
json_t *jsonrows_fast_parse(const char *s, size_t n);

#endif
