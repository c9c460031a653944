/* textrows.c - see textrows.h */
#include "formats/textrows.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/inbuf.h"
#include "base/jsonw.h"
#include "base/utf8.h"

#define DEFAULT_MAX_ROW ((size_t)1 << 30)

struct textrows {
	struct inbuf in;
	char *name;
	int paragraphs, allow_bad_utf8;
	size_t max_row;
	int first;
	uint64_t line; /* of the next line */
	uint64_t row_line, row_off;
	struct buf para;
	int failed;
	char err[512];
};

static int fail(struct textrows *t, uint64_t off, uint64_t line, const char *fmt, ...)
	SLUICE_PRINTF(4, 5);
static int fail(struct textrows *t, uint64_t off, uint64_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	inbuf_vfmt_error(t->err, sizeof t->err, t->name, off, line, fmt, ap);
	va_end(ap);
	t->failed = 1;
	return -1;
}

static int read_failed(struct textrows *t)
{
	return fail(t, inbuf_end_offset(&t->in), t->line, "%s", inbuf_error(&t->in));
}

/* Next physical line: 1 with *p and *n (line ending stripped) and *off, 0 at
 * the end, -1 on error.  The view is valid until the next call. */
static int next_line(struct textrows *t, const unsigned char **p, size_t *n, uint64_t *off)
{
	if (t->first) {
		t->first = 0;
		if (inbuf_skip_bom(&t->in) < 0)
			return read_failed(t);
	}
	size_t scanned = 0;
	for (;;) {
		unsigned char *s = inbuf_ptr(&t->in);
		size_t avail = inbuf_avail(&t->in);
		unsigned char *nl = memchr(s + scanned, '\n', avail - scanned);
		if (nl || (t->in.eof && avail > 0)) {
			size_t len = nl ? (size_t)(nl - s) : avail;
			if (len > t->max_row)
				return fail(t, inbuf_offset(&t->in), t->line, "line longer than %zu bytes",
				            t->max_row);
			*p = s;
			*off = inbuf_offset(&t->in);
			inbuf_consume(&t->in, nl ? len + 1 : len);
			if (nl && len > 0 && s[len - 1] == '\r')
				len--;
			*n = len;
			if (!t->allow_bad_utf8) {
				size_t bad = utf8_valid_prefix(s, len);
				if (bad < len)
					return fail(t, *off + bad, t->line, "invalid UTF-8");
			}
			t->line++;
			return 1;
		}
		if (t->in.eof)
			return 0;
		if (avail > t->max_row)
			return fail(t, inbuf_offset(&t->in), t->line, "line longer than %zu bytes", t->max_row);
		scanned = avail;
		if (inbuf_more(&t->in) < 0)
			return read_failed(t);
	}
}

int textrows_open(struct textrows **out, struct source src, const char *name,
                  const struct textrows_opts *opts, char *err, size_t errn)
{
	struct textrows *t = xcalloc(1, sizeof *t);
	inbuf_init(&t->in, src);
	t->name = xstrdup(name ? name : "<input>");
	t->paragraphs = opts && opts->paragraphs;
	t->allow_bad_utf8 = opts && opts->allow_invalid_utf8;
	t->max_row = opts && opts->max_row ? opts->max_row : DEFAULT_MAX_ROW;
	t->line = 1;
	t->first = 1;
	(void)err;
	(void)errn;
	*out = t;
	return 0;
}

static int paragraph(struct textrows *t, const char **text, size_t *len)
{
	const unsigned char *p;
	size_t n;
	uint64_t off;
	int rc;
	buf_clear(&t->para);
	int have = 0;
	for (;;) {
		uint64_t line = t->line;
		rc = next_line(t, &p, &n, &off);
		if (rc < 0)
			return -1;
		if (rc == 0 || n == 0) {
			if (rc == 0 || have)
				break;
			continue; /* blank lines before a paragraph */
		}
		if (!have) {
			have = 1;
			t->row_line = line;
			t->row_off = off;
		} else {
			if (t->para.len + 1 + n > t->max_row)
				return fail(t, t->row_off, t->row_line, "paragraph longer than %zu bytes",
				            t->max_row);
			buf_addc(&t->para, '\n');
		}
		buf_add(&t->para, p, n);
	}
	if (!have)
		return 0;
	*text = t->para.data ? t->para.data : "";
	*len = t->para.len;
	return 1;
}

int textrows_next(struct textrows *t, const char **text, size_t *len, char *err, size_t errn)
{
	int rc;
	if (t->failed) {
		rc = -1;
	} else if (t->paragraphs) {
		rc = paragraph(t, text, len);
	} else {
		const unsigned char *p;
		uint64_t line = t->line;
		rc = next_line(t, &p, len, &t->row_off);
		if (rc > 0) {
			*text = (const char *)p;
			t->row_line = line;
		}
	}
	if (rc < 0 && err && errn)
		errorf(err, errn, "%s", t->err);
	return rc;
}

uint64_t textrows_line(const struct textrows *t) { return t->row_line; }
uint64_t textrows_offset(const struct textrows *t) { return t->row_off; }
const char *textrows_name(const struct textrows *t) { return t->name; }

void textrows_close(struct textrows *t)
{
	if (!t)
		return;
	inbuf_free(&t->in);
	buf_free(&t->para);
	free(t->name);
	free(t);
}
