/* jsonrows.c - see jsonrows.h
 *
 * JSON lines go through textrows (which finds lines, drops the BOM and CR
 * and checks UTF-8) and jansson parses each line.  A top-level array is
 * split into elements by a small bracket-and-string scanner, so jansson
 * only ever sees one row at a time; an object document is loaded whole. */
#include "formats/jsonrows.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/buf.h"
#include "base/decomp.h"
#include "base/die.h"
#include "base/inbuf.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "formats/textrows.h"

#define DEFAULT_MAX_ROW ((size_t)1 << 30)

enum kind { K_EMPTY, K_LINES, K_ARRAY, K_OBJECT };
/* Where an array reader stands between elements. */
enum { A_FIRST, A_AFTER, A_NEXT, A_DONE };

struct jsonrows {
	char *name;
	enum kind kind;
	size_t max_row;
	struct textrows *lines;

	/* A document's bytes (unused for JSON lines).  Unread bytes move to
	 * the front only when the buffer is full, so a small document keeps
	 * its first byte at buf[0]. */
	struct inbuf in;
	uint64_t line; /* physical line of in.buf[in.start] */
	int astate;
	size_t index; /* rows returned so far */

	json_t *doc, *list;
	json_t *cur; /* the row handed out; a reference we hold unless doc owns it */
	int cur_owned;
	uint64_t row_line, row_off;
	struct buf scratch; /* unescaped strings of the fast parser */
	int failed;
	char err[512];
};

static int fail(struct jsonrows *j, uint64_t off, uint64_t line, const char *fmt, ...)
	SLUICE_PRINTF(4, 5);
static int fail(struct jsonrows *j, uint64_t off, uint64_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	inbuf_vfmt_error(j->err, sizeof j->err, j->name, off, line, fmt, ap);
	va_end(ap);
	j->failed = 1;
	return -1;
}

/* Reads more, unless the input has ended; 0, or -1 on a read error. */
static int fill(struct jsonrows *j)
{
	if (inbuf_more(&j->in) < 0)
		return fail(j, inbuf_end_offset(&j->in), j->line, "%s", inbuf_error(&j->in));
	return 0;
}

/* Bytes from p up to the first quote, backslash or control byte. */
static size_t plain_run(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *s = p;
#if defined(__SSE2__)
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1f);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
		                           _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return (size_t)(p - s) + (size_t)__builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
		p++;
	return (size_t)(p - s);
}

/* Skips JSON whitespace; 1 with *c the next byte (not consumed), 0 at the
 * end of input, -1 on error. */
static int peek_token(struct jsonrows *j, unsigned char *c)
{
	for (;;) {
		while (j->in.start < j->in.end) {
			unsigned char b = j->in.buf[j->in.start];
			if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
				*c = b;
				return 1;
			}
			j->line += b == '\n';
			inbuf_consume(&j->in, 1);
		}
		if (j->in.eof)
			return 0;
		if (fill(j) < 0)
			return -1;
	}
}

/* Length of the object or array at buf[start] (through its closing
 * bracket), found by counting brackets outside strings; jansson checks
 * the rest.  Returns 1 with *len, or -1. */
static int scan_value(struct jsonrows *j, size_t *len)
{
	size_t i = 0;
	int instr = 0, esc = 0;
	size_t depth = 0;
	for (;;) {
		const unsigned char *p = inbuf_ptr(&j->in);
		size_t e = inbuf_avail(&j->in);
		while (i < e) {
			if (instr) {
				if (esc) {
					esc = 0;
					i++;
					continue;
				}
				/* Row text is mostly string bytes: skip them 16 at a time. */
				i += plain_run(p + i, p + e);
				if (i == e)
					break;
				unsigned char q = p[i++];
				if (q == '\\')
					esc = 1;
				else if (q == '"')
					instr = 0;
				continue;
			}
			unsigned char c = p[i++];
			if (c == '"') {
				instr = 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (--depth == 0) {
					if (i > j->max_row)
						break;
					*len = i;
					return 1;
				}
			}
		}
		if (i > j->max_row)
			return fail(j, inbuf_offset(&j->in), j->line, "array element longer than %zu bytes",
			            j->max_row);
		if (j->in.eof)
			return fail(j, inbuf_offset(&j->in), j->line,
			            "invalid JSON: input ends inside row %zu of the array", j->index + 1);
		if (e > j->max_row)
			return fail(j, inbuf_offset(&j->in), j->line, "array element longer than %zu bytes",
			            j->max_row);
		if (fill(j) < 0)
			return -1;
	}
}

static int json_fail(struct jsonrows *j, uint64_t off, uint64_t line, const json_error_t *e)
{
	return fail(j, off + (uint64_t)(e->position > 0 ? e->position - 1 : 0),
	            line + (uint64_t)(e->line > 1 ? e->line - 1 : 0), "invalid JSON: %s", e->text);
}


/* ---- a fast path for rows -------------------------------------------------
 *
 * jansson's lexer reads one byte at a time through a callback and runs at
 * about 70 MB/s, a sixth of what DuckDB reads JSON lines at.  Rows are
 * therefore parsed here first, straight into jansson values; anything
 * unusual (a surrogate escape, a huge integer, NUL in a key, deep nesting,
 * any error at all) makes this parser give up, and jansson parses the row
 * instead, so its values and its error messages are the reference.  The
 * fuzz target checks that whatever this accepts, jansson accepts as an
 * equal value.  Input is valid UTF-8 already (checked by the caller). */

#define FAST_MAX_DEPTH 256

struct fastp {
	const unsigned char *p, *end;
	struct buf *scratch;
};

static void fast_ws(struct fastp *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
		f->p++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string after its opening quote: *s and *n view either the input or
 * f->scratch.  Returns 0, or -1 to give up. */
static int fast_string(struct fastp *f, const char **s, size_t *n)
{
	size_t run = plain_run(f->p, f->end);
	if (f->p + run < f->end && f->p[run] == '"') {
		*s = (const char *)f->p;
		*n = run;
		f->p += run + 1;
		return 0;
	}
	struct buf *b = f->scratch;
	buf_clear(b);
	for (;;) {
		buf_add(b, f->p, run);
		f->p += run;
		if (f->p >= f->end || *f->p < 0x20)
			return -1;
		if (*f->p == '"') {
			f->p++;
			*s = b->data;
			*n = b->len;
			return 0;
		}
		/* a backslash */
		if (f->end - f->p < 2)
			return -1;
		unsigned char e = f->p[1];
		f->p += 2;
		switch (e) {
		case '"': buf_addc(b, '"'); break;
		case '\\': buf_addc(b, '\\'); break;
		case '/': buf_addc(b, '/'); break;
		case 'b': buf_addc(b, '\b'); break;
		case 'f': buf_addc(b, '\f'); break;
		case 'n': buf_addc(b, '\n'); break;
		case 'r': buf_addc(b, '\r'); break;
		case 't': buf_addc(b, '\t'); break;
		case 'u': {
			if (f->end - f->p < 4)
				return -1;
			int h0 = hexval(f->p[0]), h1 = hexval(f->p[1]), h2 = hexval(f->p[2]),
			    h3 = hexval(f->p[3]);
			if ((h0 | h1 | h2 | h3) < 0)
				return -1;
			unsigned cp = (unsigned)(h0 << 12 | h1 << 8 | h2 << 4 | h3);
			if (cp >= 0xD800 && cp <= 0xDFFF)
				return -1; /* surrogates: jansson's rules apply */
			f->p += 4;
			if (cp < 0x80) {
				buf_addc(b, (char)cp);
			} else if (cp < 0x800) {
				buf_addc(b, (char)(0xC0 | cp >> 6));
				buf_addc(b, (char)(0x80 | (cp & 0x3F)));
			} else {
				buf_addc(b, (char)(0xE0 | cp >> 12));
				buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
				buf_addc(b, (char)(0x80 | (cp & 0x3F)));
			}
			break;
		}
		default:
			return -1;
		}
		run = plain_run(f->p, f->end);
	}
}

static json_t *fast_number(struct fastp *f)
{
	const unsigned char *s = f->p, *p = s;
	int neg = 0, real = 0;
	if (p < f->end && *p == '-') {
		neg = 1;
		p++;
	}
	const unsigned char *digits = p;
	while (p < f->end && *p >= '0' && *p <= '9')
		p++;
	size_t nd = (size_t)(p - digits);
	if (nd == 0 || (nd > 1 && *digits == '0'))
		return NULL;
	if (p < f->end && *p == '.') {
		real = 1;
		const unsigned char *q = ++p;
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
		if (p == q)
			return NULL;
	}
	if (p < f->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < f->end && (*p == '+' || *p == '-'))
			p++;
		const unsigned char *q = p;
		while (p < f->end && *p >= '0' && *p <= '9')
			p++;
		if (p == q)
			return NULL;
	}
	f->p = p;
	if (!real) {
		if (nd > 18)
			return NULL; /* may not fit: jansson decides */
		long long v = 0;
		for (size_t i = 0; i < nd; i++)
			v = v * 10 + (digits[i] - '0');
		return json_integer(neg ? -v : v);
	}
	char tmp[64];
	size_t len = (size_t)(p - s);
	if (len >= sizeof tmp)
		return NULL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	double d = strtod(tmp, NULL);
	if (d == HUGE_VAL || d == -HUGE_VAL)
		return NULL;
	return json_real(d);
}

static json_t *fast_value(struct fastp *f, int depth);

static json_t *fast_object(struct fastp *f, int depth)
{
	json_t *obj = json_object();
	if (!obj)
		return NULL;
	f->p++; /* { */
	fast_ws(f);
	if (f->p < f->end && *f->p == '}') {
		f->p++;
		return obj;
	}
	for (;;) {
		if (f->p >= f->end || *f->p != '"')
			goto bad;
		f->p++;
		const char *k;
		size_t kn;
		if (fast_string(f, &k, &kn) < 0 || memchr(k, '\0', kn))
			goto bad;
		/* The key may sit in the scratch buffer, which the value's own
		 * strings reuse: keep a copy on the stack when it is short. */
		char kbuf[256];
		char *kheap = NULL;
		if (kn < sizeof kbuf) {
			memcpy(kbuf, k, kn);
			k = kbuf;
		} else {
			kheap = malloc(kn);
			if (!kheap)
				goto bad;
			memcpy(kheap, k, kn);
			k = kheap;
		}
		fast_ws(f);
		json_t *v = NULL;
		if (f->p < f->end && *f->p == ':') {
			f->p++;
			fast_ws(f);
			v = fast_value(f, depth + 1);
		}
		if (!v || json_object_setn_new_nocheck(obj, k, kn, v) != 0) {
			free(kheap);
			goto bad;
		}
		free(kheap);
		fast_ws(f);
		if (f->p >= f->end)
			goto bad;
		if (*f->p == ',') {
			f->p++;
			fast_ws(f);
			continue;
		}
		if (*f->p == '}') {
			f->p++;
			return obj;
		}
		goto bad;
	}
bad:
	json_decref(obj);
	return NULL;
}

static json_t *fast_array(struct fastp *f, int depth)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	f->p++; /* [ */
	fast_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return arr;
	}
	for (;;) {
		json_t *v = fast_value(f, depth + 1);
		if (!v || json_array_append_new(arr, v) != 0)
			goto bad;
		fast_ws(f);
		if (f->p >= f->end)
			goto bad;
		if (*f->p == ',') {
			f->p++;
			fast_ws(f);
			continue;
		}
		if (*f->p == ']') {
			f->p++;
			return arr;
		}
		goto bad;
	}
bad:
	json_decref(arr);
	return NULL;
}

static json_t *fast_literal(struct fastp *f, const char *word, json_t *v)
{
	size_t n = strlen(word);
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
		return NULL;
	f->p += n;
	return v;
}

static json_t *fast_value(struct fastp *f, int depth)
{
	if (f->p >= f->end || depth > FAST_MAX_DEPTH)
		return NULL;
	switch (*f->p) {
	case '{': return fast_object(f, depth);
	case '[': return fast_array(f, depth);
	case '"': {
		const char *s;
		size_t n;
		f->p++;
		if (fast_string(f, &s, &n) < 0)
			return NULL;
		return json_stringn_nocheck(s, n);
	}
	case 't': return fast_literal(f, "true", json_true());
	case 'f': return fast_literal(f, "false", json_false());
	case 'n': return fast_literal(f, "null", json_null());
	default: return fast_number(f);
	}
}

/* One JSON object filling s..s+n (whitespace around it allowed), or NULL
 * when this parser will not vouch for the text. */
static json_t *fast_row(const char *s, size_t n, struct buf *scratch)
{
	struct fastp f = {(const unsigned char *)s, (const unsigned char *)s + n, scratch};
	fast_ws(&f);
	if (f.p >= f.end || *f.p != '{')
		return NULL;
	json_t *v = fast_object(&f, 0);
	fast_ws(&f);
	if (v && f.p != f.end) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

json_t *jsonrows_fast_parse(const char *s, size_t n)
{
	struct buf scratch = {0};
	json_t *v = fast_row(s, n, &scratch);
	buf_free(&scratch);
	return v;
}

/* A row: the fast parser's, else jansson's (value or error). */
static json_t *parse_row(struct jsonrows *j, const char *s, size_t n, json_error_t *e)
{
	json_t *v = fast_row(s, n, &j->scratch);
	if (v)
		return v;
	return json_loadb(s, n, JSON_ALLOW_NUL, e);
}

static void drop_cur(struct jsonrows *j)
{
	if (j->cur && j->cur_owned)
		json_decref(j->cur);
	j->cur = NULL;
}

static int next_array(struct jsonrows *j)
{
	unsigned char c;
	for (;;) {
		int rc = peek_token(j, &c);
		if (rc < 0)
			return -1;
		uint64_t off = inbuf_offset(&j->in);
		if (j->astate == A_DONE) {
			if (rc == 0)
				return 0;
			return fail(j, off, j->line, "invalid JSON: data after the end of the array");
		}
		if (rc == 0)
			return fail(j, off, j->line, "invalid JSON: the array is not closed");
		if (j->astate == A_AFTER) {
			if (c == ',') {
				inbuf_consume(&j->in, 1);
				j->astate = A_NEXT;
				continue;
			}
			if (c == ']') {
				inbuf_consume(&j->in, 1);
				j->astate = A_DONE;
				continue;
			}
			return fail(j, off, j->line, "invalid JSON: expected ',' or ']' after row %zu",
			            j->index);
		}
		if (c == ']' && j->astate == A_FIRST) {
			inbuf_consume(&j->in, 1);
			j->astate = A_DONE;
			continue;
		}
		if (c != '{')
			return fail(j, off, j->line, "row %zu of the array is not a JSON object",
			            j->index + 1);
		size_t len = 0;
		if (scan_value(j, &len) < 0)
			return -1;
		const unsigned char *p = inbuf_ptr(&j->in);
		off = inbuf_offset(&j->in);
		size_t bad = utf8_valid_prefix(p, len);
		if (bad < len)
			return fail(j, off + bad, j->line + inbuf_count_newlines(p, bad), "invalid UTF-8");
		json_error_t e;
		json_t *v = parse_row(j, (const char *)p, len, &e);
		if (!v)
			return json_fail(j, off, j->line, &e);
		j->cur = v;
		j->cur_owned = 1;
		j->row_line = j->line;
		j->row_off = off;
		j->line += inbuf_count_newlines(p, len);
		inbuf_consume(&j->in, len);
		j->astate = A_AFTER;
		j->index++;
		return 1;
	}
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int next_line(struct jsonrows *j)
{
	const char *s;
	size_t n;
	for (;;) {
		int rc = textrows_next(j->lines, &s, &n, j->err, sizeof j->err);
		if (rc < 0) {
			j->failed = 1;
			return -1;
		}
		if (rc == 0)
			return 0;
		if (!blank(s, n))
			break;
	}
	uint64_t off = textrows_offset(j->lines), line = textrows_line(j->lines);
	json_error_t e;
	json_t *v = parse_row(j, s, n, &e);
	if (!v)
		return json_fail(j, off, line, &e);
	if (!json_is_object(v)) {
		json_decref(v);
		return fail(j, off, line, "not a JSON object (each line must hold one object)");
	}
	j->cur = v;
	j->cur_owned = 1;
	j->row_line = line;
	j->row_off = off;
	j->index++;
	return 1;
}

static int next_object(struct jsonrows *j)
{
	if (j->index >= json_array_size(j->list))
		return 0;
	json_t *v = json_array_get(j->list, j->index);
	if (!json_is_object(v))
		return fail(j, j->row_off, j->row_line, "element %zu of the list is not a JSON object",
		            j->index + 1);
	j->cur = v;
	j->cur_owned = 0;
	j->index++;
	return 1;
}

struct memsrc {
	unsigned char *data;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos < n ? m->len - m->pos : n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void mem_close(void *ctx)
{
	struct memsrc *m = ctx;
	free(m->data);
	free(m);
}

/* The list field of an object document: the one asked for, else the only
 * list-valued one. */
static int pick_list(struct jsonrows *j, const char *field)
{
	if (field) {
		json_t *v = json_object_get(j->doc, field);
		if (!v)
			return fail(j, j->row_off, j->row_line, "the JSON object has no field \"%s\"", field);
		if (!json_is_array(v))
			return fail(j, j->row_off, j->row_line, "field \"%s\" of the JSON object is not a list",
			            field);
		j->list = v;
		return 0;
	}
	const char *key;
	json_t *v;
	char names[256] = "";
	size_t nlists = 0, used = 0;
	json_object_foreach(j->doc, key, v) {
		if (!json_is_array(v))
			continue;
		if (nlists++ == 0)
			j->list = v;
		if (used < sizeof names) {
			int w = snprintf(names + used, sizeof names - used, "%s\"%s\"", used ? ", " : "", key);
			used = w < 0 ? sizeof names : used + (size_t)w;
		}
	}
	if (nlists == 0)
		return fail(j, j->row_off, j->row_line,
		            "the JSON object has no list field to take rows from");
	if (nlists > 1)
		return fail(j, j->row_off, j->row_line,
		            "the JSON object has %zu list fields (%s): name the one that holds the rows",
		            nlists, names);
	return 0;
}

/* A document that starts with '{': one object (rows from its list field)
 * or, with more values after it, JSON lines. */
static int open_object(struct jsonrows *j, const struct jsonrows_opts *opts)
{
	while (!j->in.eof) {
		if (inbuf_avail(&j->in) > j->max_row)
			return fail(j, inbuf_offset(&j->in), j->line, "JSON document longer than %zu bytes",
			            j->max_row);
		if (fill(j) < 0)
			return -1;
	}
	const unsigned char *p = inbuf_ptr(&j->in);
	size_t n = inbuf_avail(&j->in);
	if (n > j->max_row)
		return fail(j, inbuf_offset(&j->in), j->line, "JSON document longer than %zu bytes",
		            j->max_row);
	j->row_off = inbuf_offset(&j->in);
	j->row_line = j->line;
	json_error_t e;
	json_t *v = json_loadb((const char *)p, n, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &e);
	size_t used = v ? (size_t)e.position : 0;
	size_t k = used;
	while (v && k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n'))
		k++;
	if (v && k == n) {
		size_t bad = utf8_valid_prefix(p, n);
		if (bad < n) {
			json_decref(v);
			return fail(j, j->row_off + bad, j->row_line + inbuf_count_newlines(p, bad), "invalid UTF-8");
		}
		j->doc = v;
		j->kind = K_OBJECT;
		return pick_list(j, opts ? opts->field : NULL);
	}
	json_decref(v);
	/* Not a single document: hand the bytes, from the input's start where
	 * we still hold it (so line numbers count from there), to the JSON
	 * lines reader. */
	struct memsrc *m = xcalloc(1, sizeof *m);
	size_t from = j->in.base == 0 ? 0 : j->in.start;
	m->len = j->in.end - from;
	m->data = xmalloc(m->len ? m->len : 1);
	memcpy(m->data, j->in.buf + from, m->len);
	struct source s = {m, mem_read, NULL, mem_close, m->len};
	struct textrows_opts to = {0, 0, j->max_row};
	if (textrows_open(&j->lines, s, j->name, &to, j->err, sizeof j->err) < 0)
		return -1;
	j->kind = K_LINES;
	return 0;
}

int jsonrows_open(struct jsonrows **out, struct source src, const char *name,
                  const struct jsonrows_opts *opts, char *err, size_t errn)
{
	struct jsonrows *j = xcalloc(1, sizeof *j);
	j->name = xstrdup(name ? name : "<input>");
	j->max_row = opts && opts->max_row ? opts->max_row : DEFAULT_MAX_ROW;
	j->line = 1;
	enum jsonrows_mode mode = opts ? opts->mode : JSONROWS_AUTO;
	if (mode == JSONROWS_AUTO) {
		size_t n = decomp_stem_len(j->name);
		mode = n >= 5 && strncmp(j->name + n - 5, ".json", 5) == 0 ? JSONROWS_DOCUMENT
		                                                           : JSONROWS_LINES;
	}
	int rc = 0;
	if (mode == JSONROWS_LINES) {
		struct textrows_opts to = {0, 0, j->max_row};
		rc = textrows_open(&j->lines, src, j->name, &to, j->err, sizeof j->err);
		j->kind = K_LINES;
	} else {
		inbuf_init(&j->in, src);
		if (inbuf_skip_bom(&j->in) < 0)
			rc = fail(j, inbuf_end_offset(&j->in), j->line, "%s", inbuf_error(&j->in));
		unsigned char c = 0;
		int got = rc < 0 ? -1 : peek_token(j, &c);
		if (got < 0) {
			rc = -1;
		} else if (got == 0) {
			j->kind = K_EMPTY;
		} else if (c == '[') {
			j->kind = K_ARRAY;
			inbuf_consume(&j->in, 1);
		} else if (c == '{') {
			rc = open_object(j, opts);
		} else {
			rc = fail(j, inbuf_offset(&j->in), j->line,
			          "invalid JSON: a JSON file must hold an array or an object");
		}
	}
	if (rc < 0) {
		if (err && errn)
			errorf(err, errn, "%s", j->err);
		jsonrows_close(j);
		return -1;
	}
	*out = j;
	return 0;
}

int jsonrows_next(struct jsonrows *j, json_t **row, char *err, size_t errn)
{
	drop_cur(j);
	int rc;
	if (j->failed) {
		rc = -1;
	} else {
		switch (j->kind) {
		case K_LINES: rc = next_line(j); break;
		case K_ARRAY: rc = next_array(j); break;
		case K_OBJECT: rc = next_object(j); break;
		default: rc = 0;
		}
	}
	if (rc < 0 && err && errn)
		errorf(err, errn, "%s", j->err);
	if (rc > 0)
		*row = j->cur;
	return rc;
}

uint64_t jsonrows_line(const struct jsonrows *j) { return j->row_line; }
uint64_t jsonrows_offset(const struct jsonrows *j) { return j->row_off; }

void jsonrows_close(struct jsonrows *j)
{
	if (!j)
		return;
	drop_cur(j);
	textrows_close(j->lines);
	inbuf_free(&j->in);
	json_decref(j->doc);
	buf_free(&j->scratch);
	free(j->name);
	free(j);
}
