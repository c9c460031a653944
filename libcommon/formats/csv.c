/* csv.c - see csv.h
 *
 * The parser is a four-state machine that can stop at the end of the
 * buffered bytes and resume after a refill without rescanning: its state
 * is kept as offsets from the row start, which survive the buffer being
 * compacted or grown.  Fields are recorded as (offset, length) and turned
 * into pointers only when the row is complete; quoted fields that need
 * unescaping ("" inside, or text after the closing quote) are rewritten in
 * place then, which only ever shortens them. */
#include "formats/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/decomp.h"
#include "base/die.h"
#include "base/inbuf.h"
#include "base/jsonw.h"
#include "base/utf8.h"

#define DEFAULT_MAX_ROW ((size_t)1 << 30)

enum { S_START, S_UNQ, S_Q, S_QQ };

/* A field starting at its opening quote whose raw bytes must be rewritten. */
#define F_REWRITE 1

struct fld {
	size_t off, len; /* from the row start */
	int flags;
};

struct csv_reader {
	struct inbuf in; /* in.start: the current row's first byte */
	char *name;
	unsigned char delim;
	int allow_bad_utf8;
	size_t max_row;

	int pending_lf, first;

	uint64_t line; /* physical line of the next row */
	uint64_t row_line, row_off;

	struct fld *f;
	size_t nf, fcap;
	struct csv_field *row;
	size_t ncols;
	struct csv_field *cols;
	char *colmem;

	int failed;
	char err[512];
};

static int fail(struct csv_reader *r, uint64_t off, uint64_t line, const char *fmt, ...)
	SLUICE_PRINTF(4, 5);
static int fail(struct csv_reader *r, uint64_t off, uint64_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	inbuf_vfmt_error(r->err, sizeof r->err, r->name, off, line, fmt, ap);
	va_end(ap);
	r->failed = 1;
	return -1;
}

/* At least n unread bytes unless the input ends first (in.eof set);
 * 0, or -1 on a read error. */
static int fill(struct csv_reader *r, size_t n)
{
	if (inbuf_fill(&r->in, n) < 0)
		return fail(r, inbuf_end_offset(&r->in), r->line, "%s", inbuf_error(&r->in));
	return 0;
}

static void push(struct csv_reader *r, size_t off, size_t len, int flags)
{
	if (r->nf == r->fcap) {
		r->fcap = r->fcap ? r->fcap * 2 : 64;
		r->f = xrealloc(r->f, r->fcap * sizeof *r->f);
	}
	r->f[r->nf++] = (struct fld){off, len, flags};
}

/* First delimiter, LF or CR at or after i (e if none). */
static inline size_t scan_unquoted(const unsigned char *p, size_t i, size_t e, unsigned char d)
{
#if defined(__SSE2__)
	const __m128i vd = _mm_set1_epi8((char)d), vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
	while (e - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vn)),
		                           _mm_cmpeq_epi8(v, vr));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < e && p[i] != d && p[i] != '\n' && p[i] != '\r')
		i++;
	return i;
}

/* Parses one row from r->in.start.  Returns 1 with the fields in r->f,
 * *rowlen its bytes before the line ending and *used its bytes with it;
 * 0 at the end of input; -1 on error.  *nl gets the line breaks inside
 * quoted fields. */
static int parse_row(struct csv_reader *r, size_t *rowlen, size_t *used, uint64_t *nl)
{
	const unsigned char d = r->delim;
	int st = S_START, fl = 0;
	size_t i = 0, fs = 0;
	*nl = 0;
	r->nf = 0;
	for (;;) {
		const unsigned char *p = inbuf_ptr(&r->in);
		const size_t e = inbuf_avail(&r->in);
		for (;;) {
			if (st == S_START) {
				if (i == e)
					break;
				fs = i;
				if (p[i] == '"') {
					st = S_Q;
					fl = 0;
					i++;
				} else {
					st = S_UNQ;
					fl = 0;
				}
			}
			if (st == S_UNQ) {
				i = scan_unquoted(p, i, e, d);
				if (i == e)
					break;
				push(r, fs, i - fs, fl);
				unsigned char c = p[i++];
				if (c == d) {
					st = S_START;
					continue;
				}
				r->pending_lf = c == '\r';
				*rowlen = i - 1;
				*used = i;
				return 1;
			}
			if (st == S_Q) {
				const unsigned char *q = memchr(p + i, '"', e - i);
				size_t to = q ? (size_t)(q - p) : e;
				*nl += inbuf_count_newlines(p + i, to - i);
				i = to;
				if (!q)
					break;
				i++;
				st = S_QQ;
			}
			/* S_QQ: just past a quote inside a quoted field. */
			if (i == e)
				break;
			unsigned char c = p[i];
			if (c == '"') {
				fl |= F_REWRITE;
				i++;
				st = S_Q;
				continue;
			}
			if (c == d || c == '\n' || c == '\r') {
				if (fl & F_REWRITE)
					push(r, fs, i - fs, fl);
				else
					push(r, fs + 1, i - fs - 2, fl);
				i++;
				if (c == d) {
					st = S_START;
					continue;
				}
				r->pending_lf = c == '\r';
				*rowlen = i - 1;
				*used = i;
				return 1;
			}
			/* Text after the closing quote belongs to the field. */
			fl |= F_REWRITE;
			st = S_UNQ;
		}
		if (r->in.eof) {
			switch (st) {
			case S_START:
				if (r->nf == 0)
					return 0;
				push(r, i, 0, 0);
				break;
			case S_UNQ:
				push(r, fs, i - fs, fl);
				break;
			case S_Q:
				return fail(r, inbuf_offset(&r->in) + fs, r->line + (inbuf_count_newlines(p, fs)),
				            "quoted field not closed before the end of input");
			default:
				if (fl & F_REWRITE)
					push(r, fs, i - fs, fl);
				else
					push(r, fs + 1, i - fs - 2, fl);
			}
			*rowlen = *used = i;
			return 1;
		}
		if (e > r->max_row)
			return fail(r, inbuf_offset(&r->in), r->line, "row longer than %zu bytes", r->max_row);
		if (fill(r, e + 1) < 0)
			return -1;
	}
}

/* Unescapes a F_REWRITE field in place: its raw bytes start at the opening
 * quote; "" inside quotes is one quote; after the closing quote every byte
 * is literal. */
static size_t rewrite(unsigned char *s, size_t n)
{
	size_t j = 1, o = 0;
	int inq = 1;
	while (j < n) {
		unsigned char c = s[j];
		if (inq && c == '"') {
			if (j + 1 < n && s[j + 1] == '"') {
				s[o++] = '"';
				j += 2;
			} else {
				inq = 0;
				j++;
			}
			continue;
		}
		s[o++] = c;
		j++;
	}
	return o;
}

/* Next non-blank row, checked and unescaped, into r->row.  Returns 1, 0 at
 * the end, -1 on error. */
static int next_row(struct csv_reader *r)
{
	for (;;) {
		if (r->pending_lf) {
			if (fill(r, 1) < 0)
				return -1;
			if (inbuf_avail(&r->in) > 0 && *inbuf_ptr(&r->in) == '\n')
				inbuf_consume(&r->in, 1);
			r->pending_lf = 0;
		}
		if (r->first) {
			r->first = 0;
			if (inbuf_skip_bom(&r->in) < 0)
				return fail(r, inbuf_end_offset(&r->in), r->line, "%s",
				            inbuf_error(&r->in));
		}
		size_t rowlen = 0, used = 0;
		uint64_t nl;
		int rc = parse_row(r, &rowlen, &used, &nl);
		if (rc <= 0)
			return rc;
		unsigned char *p = inbuf_ptr(&r->in);
		r->row_line = r->line;
		r->row_off = inbuf_offset(&r->in);
		if (rowlen > r->max_row)
			return fail(r, r->row_off, r->row_line, "row longer than %zu bytes", r->max_row);
		r->line += 1 + nl;
		if (rowlen == 0) { /* an empty line */
			inbuf_consume(&r->in, used);
			continue;
		}
		if (!r->allow_bad_utf8) {
			size_t bad = utf8_valid_prefix(p, rowlen);
			if (bad < rowlen)
				return fail(r, r->row_off + bad, r->row_line + inbuf_count_newlines(p, bad),
				            "invalid UTF-8");
		}
		if (r->cols && r->nf != r->ncols)
			return fail(r, r->row_off, r->row_line,
			            "expected %zu fields (as in the header), found %zu", r->ncols, r->nf);
		for (size_t k = 0; k < r->nf; k++) {
			struct fld *f = &r->f[k];
			if (f->flags & F_REWRITE)
				f->len = rewrite(p + f->off, f->len);
		}
		inbuf_consume(&r->in, used);
		return 1;
	}
}

static void set_err(const struct csv_reader *r, char *err, size_t errn)
{
	if (err && errn)
		errorf(err, errn, "%s", r->err);
}

int csv_open(struct csv_reader **out, struct source src, const char *name,
             const struct csv_opts *opts, char *err, size_t errn)
{
	struct csv_reader *r = xcalloc(1, sizeof *r);
	inbuf_init(&r->in, src);
	r->name = xstrdup(name ? name : "<input>");
	r->delim = ',';
	if (opts && opts->delim) {
		r->delim = (unsigned char)opts->delim;
	} else {
		size_t n = decomp_stem_len(r->name);
		if ((n >= 4 && strncmp(r->name + n - 4, ".tsv", 4) == 0) ||
		    (n >= 4 && strncmp(r->name + n - 4, ".tab", 4) == 0))
			r->delim = '\t';
	}
	r->allow_bad_utf8 = opts && opts->allow_invalid_utf8;
	r->max_row = opts && opts->max_row ? opts->max_row : DEFAULT_MAX_ROW;
	r->line = 1;
	r->first = 1;
	int rc = next_row(r);
	if (rc < 0) {
		set_err(r, err, errn);
		csv_close(r);
		return -1;
	}
	if (rc > 0) {
		size_t total = 0;
		for (size_t k = 0; k < r->nf; k++)
			total += r->f[k].len + 1;
		r->ncols = r->nf;
		r->cols = xcalloc(r->ncols, sizeof *r->cols);
		r->colmem = xmalloc(total ? total : 1);
		char *w = r->colmem;
		const unsigned char *p = r->in.buf + r->row_off - r->in.base;
		for (size_t k = 0; k < r->nf; k++) {
			memcpy(w, p + r->f[k].off, r->f[k].len);
			w[r->f[k].len] = '\0';
			r->cols[k] = (struct csv_field){w, r->f[k].len};
			w += r->f[k].len + 1;
		}
		r->row = xcalloc(r->ncols, sizeof *r->row);
	}
	*out = r;
	return 0;
}

size_t csv_ncols(const struct csv_reader *r) { return r->ncols; }
const struct csv_field *csv_columns(const struct csv_reader *r) { return r->cols; }
uint64_t csv_row_line(const struct csv_reader *r) { return r->row_line; }
uint64_t csv_row_offset(const struct csv_reader *r) { return r->row_off; }

int csv_next(struct csv_reader *r, const struct csv_field **row, char *err, size_t errn)
{
	if (r->failed) {
		set_err(r, err, errn);
		return -1;
	}
	if (!r->cols)
		return 0;
	int rc = next_row(r);
	if (rc < 0) {
		set_err(r, err, errn);
		return -1;
	}
	if (rc == 0)
		return 0;
	const char *p = (const char *)r->in.buf + (r->row_off - r->in.base);
	for (size_t k = 0; k < r->nf; k++)
		r->row[k] = (struct csv_field){p + r->f[k].off, r->f[k].len};
	*row = r->row;
	return 1;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	inbuf_free(&r->in);
	free(r->name);
	free(r->f);
	free(r->row);
	free(r->cols);
	free(r->colmem);
	free(r);
}
