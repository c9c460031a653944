/* braces.c - brace expansion of shard patterns (see braces.h). */
#include "base/braces.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"

struct list {
	char **v;
	size_t n, cap, bytes;
	bool over; /* more than BRACES_MAX names or BRACES_MAX_BYTES */
};

static void push(struct list *l, const char *s, size_t len)
{
	if (l->n >= BRACES_MAX || l->bytes + len > BRACES_MAX_BYTES) {
		l->over = true;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = xstrndup(s, len);
	l->bytes += len + 1;
}

/* Where the '}' closing the '{' at s[open] is, or -1 if none. */
static long closing(const char *s, size_t len, size_t open)
{
	int depth = 0;
	for (size_t i = open; i < len; i++) {
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && --depth == 0)
			return (long)i;
	}
	return -1;
}

/* The top-level comma-separated parts of s[0..len): their starts and
 * lengths into at/lens (n of them); 1 when there is no top-level comma. */
static size_t split_commas(const char *s, size_t len, size_t **at, size_t **lens)
{
	size_t n = 1;
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '{')
			depth++;
		else if (s[i] == '}')
			depth--;
		else if (s[i] == ',' && depth == 0)
			n++;
	}
	*at = xmalloc(n * sizeof **at);
	*lens = xmalloc(n * sizeof **lens);
	size_t k = 0, start = 0;
	depth = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '\\') {
			i++;
			continue;
		}
		if (i < len && s[i] == '{')
			depth++;
		else if (i < len && s[i] == '}')
			depth--;
		else if (i == len || (s[i] == ',' && depth == 0)) {
			(*at)[k] = start;
			(*lens)[k++] = (i < len ? i : len) - start;
			start = i + 1;
		}
	}
	return n;
}

/* A number of a range: digits only (and not too long). */
static bool number(const char *s, size_t len, uint64_t *v)
{
	if (!len || len > 18)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/* The items of a range "A..B" or "A..B..STEP" (numbers, or single
 * letters), as text into items; false if inner is not a range. */
static bool range_items(const char *inner, size_t len, struct list *items)
{
	const char *dots = NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (inner[i] == '.' && inner[i + 1] == '.') {
			dots = inner + i;
			break;
		}
	if (!dots)
		return false;
	const char *a = inner, *b = dots + 2, *end = inner + len;
	size_t alen = (size_t)(dots - a);
	const char *dots2 = NULL;
	for (const char *p = b; p + 1 < end; p++)
		if (p[0] == '.' && p[1] == '.') {
			dots2 = p;
			break;
		}
	size_t blen = (size_t)((dots2 ? dots2 : end) - b);
	uint64_t step = 1;
	if (dots2 && (!number(dots2 + 2, (size_t)(end - dots2 - 2), &step) || step == 0))
		return false;
	uint64_t x, y;
	if (number(a, alen, &x) && number(b, blen, &y)) {
		/* zero padding: a padded end pads all to the wider width */
		bool padded = (alen > 1 && a[0] == '0') || (blen > 1 && b[0] == '0');
		int width = padded ? (int)(alen > blen ? alen : blen) : 0;
		char num[32];
		for (uint64_t v = x;; v = x <= y ? v + step : v - step) {
			if (x <= y ? v > y : v < y)
				break;
			int k = snprintf(num, sizeof num, "%0*" PRIu64, width, v);
			push(items, num, (size_t)k);
			if (items->over || (x > y && v < step))
				break;
		}
		return true;
	}
	if (alen == 1 && blen == 1 && isalpha((unsigned char)a[0]) && isalpha((unsigned char)b[0])) {
		int from = (unsigned char)a[0], to = (unsigned char)b[0];
		for (int c = from; from <= to ? c <= to : c >= to; c = from <= to ? c + (int)step : c - (int)step) {
			char ch = (char)c;
			push(items, &ch, 1);
		}
		return true;
	}
	return false;
}

/* Appends to out every expansion of s[0..len), each after prefix. */
static void expand(const char *prefix, size_t plen, const char *s, size_t len, struct list *out)
{
	if (out->over)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] != '{')
			continue;
		long j = closing(s, len, i);
		if (j < 0)
			continue; /* checked for balance before */
		const char *inner = s + i + 1;
		size_t ilen = (size_t)j - i - 1;
		struct list alts = {0};
		size_t *at, *lens;
		size_t parts = split_commas(inner, ilen, &at, &lens);
		bool ok = parts > 1;
		if (ok)
			for (size_t k = 0; k < parts; k++)
				push(&alts, inner + at[k], lens[k]);
		else
			ok = range_items(inner, ilen, &alts);
		free(at);
		free(lens);
		if (!ok) {
			braces_free(alts.v, alts.n);
			continue; /* a literal pair: its '{' is text, scanning goes on inside */
		}
		struct buf head = {0};
		buf_add(&head, prefix, plen);
		buf_add(&head, s, i);
		const char *tail = s + j + 1;
		size_t tlen = len - (size_t)j - 1;
		for (size_t k = 0; k < alts.n && !out->over; k++) {
			struct buf rest = {0};
			buf_adds(&rest, alts.v[k]);
			buf_add(&rest, tail, tlen);
			expand(head.data ? head.data : "", head.len, rest.data ? rest.data : "", rest.len, out);
			buf_free(&rest);
		}
		out->over |= alts.over;
		buf_free(&head);
		braces_free(alts.v, alts.n);
		return;
	}
	/* no group left: the name, its escapes taken literally */
	struct buf name = {0};
	buf_add(&name, prefix, plen);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		buf_addc(&name, s[i]);
	}
	push(out, name.data ? name.data : "", name.len);
	buf_free(&name);
}

static bool balanced(const char *s, size_t len)
{
	long depth = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && --depth < 0)
			return false;
	}
	return depth == 0;
}

int braces_expand(const char *spec, char ***names, size_t *n, char *err, size_t errn)
{
	struct list out = {0};
	const char *p = spec;
	for (;;) {
		const char *sep = strstr(p, "::");
		size_t len = sep ? (size_t)(sep - p) : strlen(p);
		if (!balanced(p, len)) {
			errorf(err, errn, "%.*s: unbalanced braces", (int)len, p);
			braces_free(out.v, out.n);
			return -1;
		}
		if (len)
			expand("", 0, p, len, &out);
		if (out.over) {
			errorf(err, errn, "%s: expands to too many names (more than %d, or %u MB)", spec, BRACES_MAX,
			       BRACES_MAX_BYTES >> 20);
			braces_free(out.v, out.n);
			return -1;
		}
		if (!sep)
			break;
		p = sep + 2;
	}
	*names = out.v;
	*n = out.n;
	return 0;
}

void braces_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
