/* textrows.h - a text file as rows of one field, "text".
 *
 * Lines mode (the default): one row per line, without its line ending
 * (LF, or CRLF: the CR before an LF goes too; a lone CR is data).  Empty
 * lines are rows, as in `datasets`' text loader (keep_linebreaks=False);
 * the end of input after a final LF is not one more row.
 *
 * Paragraphs mode: rows are blocks of lines separated by one or more empty
 * lines (empty once a trailing CR is dropped; a line of spaces is text),
 * each joined with "\n" between its lines and no newline at its end.
 *
 * A UTF-8 byte order mark at the start is dropped.  Invalid UTF-8 is an
 * error naming its line unless allowed.  Errors are one line,
 * "NAME:OFFSET: line N: what".  The JSON lines reader (jsonrows.h) reads
 * through this one in lines mode. */
#ifndef SLUICE_TEXTROWS_H
#define SLUICE_TEXTROWS_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"

struct textrows_opts {
	int paragraphs;
	int allow_invalid_utf8;
	size_t max_row; /* longest line or paragraph in bytes; 0: 1 GiB */
};

struct textrows;

/* Takes over src (closed by textrows_close, or at once on failure).  opts
 * may be NULL.  Returns 0, or -1 with the message in err. */
int textrows_open(struct textrows **out, struct source src, const char *name,
                  const struct textrows_opts *opts, char *err, size_t errn);

/* Next row: 1 with *text and *len (valid until the next call; not
 * NUL-terminated), 0 at the end, -1 with the message in err (and every
 * later call repeats it). */
int textrows_next(struct textrows *t, const char **text, size_t *len, char *err, size_t errn);

/* The row last returned: its first physical line (from 1) and the byte
 * offset where it starts. */
uint64_t textrows_line(const struct textrows *t);
uint64_t textrows_offset(const struct textrows *t);
const char *textrows_name(const struct textrows *t);

void textrows_close(struct textrows *t);

#endif
