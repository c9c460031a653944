/* jsonw.c - see jsonw.h */
#include "base/jsonw.h"

#include "base/utf8.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_string(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	buf_reserve(b, n + 2);
	buf_addc(b, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		buf_add(b, s + i, run - i);
		i = run;
		if (i >= n)
			break;
		unsigned c = s[i];
		if (c >= 0x80) {
			size_t k = utf8_seq_len(s + i, n - i);
			if (k) {
				buf_add(b, s + i, k);
				i += k;
			} else {
				buf_adds(b, "\\ufffd");
				i++;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			buf_add(b, esc, 6);
		}
		}
	}
	buf_addc(b, '"');
}

void jsonw_float(struct buf *b, float v)
{
	if (!isfinite(v)) {
		buf_adds(b, "null");
		return;
	}
	char tmp[32];
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, (double)v);
		if (strtof(tmp, NULL) == v)
			break;
	}
	buf_adds(b, tmp);
}

void jsonw_uint(struct buf *b, uint64_t v)
{
	char digits[20];
	size_t n = sizeof digits;
	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	buf_add(b, digits + n, sizeof digits - n);
}

void jsonw_double(struct buf *b, double v)
{
	if (!isfinite(v)) {
		buf_adds(b, "null");
		return;
	}
	char tmp[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* Keep reals recognisably real, as JSON readers that type them expect. */
	if (!strpbrk(tmp, ".eE"))
		strcat(tmp, ".0");
	buf_adds(b, tmp);
}

void jsonw_value(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *item;
		int first = 1;
		buf_addc(b, '{');
		json_object_foreach((json_t *)v, k, item) {
			if (!first)
				buf_addc(b, ',');
			first = 0;
			jsonw_string(b, k, strlen(k));
			buf_addc(b, ':');
			jsonw_value(b, item);
		}
		buf_addc(b, '}');
		break;
	}
	case JSON_ARRAY: {
		buf_addc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_value(b, json_array_get(v, i));
		}
		buf_addc(b, ']');
		break;
	}
	case JSON_STRING:
		jsonw_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		jsonw_double(b, json_real_value(v));
		break;
	case JSON_TRUE: buf_adds(b, "true"); break;
	case JSON_FALSE: buf_adds(b, "false"); break;
	case JSON_NULL: buf_adds(b, "null"); break;
	}
}

void base64_encode(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	buf_reserve(b, (n + 2) / 3 * 4);
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
		buf_add(b, q, 4);
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=', '='};
		buf_add(b, q, 4);
	}
}

void jsonw_row_with(struct buf *out, const char *text, size_t len, json_t *row, const char *field,
                    const char *new_text, size_t new_len, struct jsonw_field *adds, int nadds)
{
	bool splice = !new_text;
	for (int i = 0; i < nadds && splice; i++)
		splice = !json_object_get(row, adds[i].name);
	size_t end = len;
	while (splice && end > 0 && strchr(" \t\r\n", text[end - 1]))
		end--;
	size_t before = end ? end - 1 : 0;
	while (splice && before > 0 && strchr(" \t\r\n", text[before - 1]))
		before--;
	if (splice && end > 0 && text[end - 1] == '}') {
		bool empty = before > 0 && text[before - 1] == '{';
		buf_add(out, text, end - 1);
		for (int i = 0; i < nadds; i++) {
			if (i > 0 || !empty)
				buf_addc(out, ',');
			jsonw_string(out, adds[i].name, strlen(adds[i].name));
			buf_addc(out, ':');
			jsonw_value(out, adds[i].value);
		}
		buf_addc(out, '}');
	} else {
		if (new_text)
			json_object_set_new(row, field, json_stringn(new_text, new_len));
		for (int i = 0; i < nadds; i++)
			json_object_set(row, adds[i].name, adds[i].value);
		jsonw_value(out, row);
	}
	for (int i = 0; i < nadds; i++)
		json_decref(adds[i].value);
}

void jsonw_text_row(struct buf *out, const char *text, size_t len, struct jsonw_field *adds, int nadds)
{
	buf_adds(out, "{\"text\":");
	jsonw_string(out, text, len);
	for (int i = 0; i < nadds; i++) {
		buf_addc(out, ',');
		jsonw_string(out, adds[i].name, strlen(adds[i].name));
		buf_addc(out, ':');
		jsonw_value(out, adds[i].value);
		json_decref(adds[i].value);
	}
	buf_addc(out, '}');
}
