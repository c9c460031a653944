/* metrics.c - train-step's metrics logs into loss curves (see metrics.h). */
#define _GNU_SOURCE
#include "train/metrics.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/die.h"

static void series_add(struct series *s, double x, double y)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->x = xrealloc(s->x, s->cap * sizeof *s->x);
		s->y = xrealloc(s->y, s->cap * sizeof *s->y);
	}
	s->x[s->n] = x;
	s->y[s->n] = y;
	s->n++;
}

static void series_free(struct series *s)
{
	free(s->x);
	free(s->y);
	*s = (struct series){0};
}

/* ---- reading a log ---- */

/* train-step prints a diverged loss with printf ("nan", "-inf"), Python's
 * json module as NaN or Infinity: neither is JSON.  Such bare words as
 * values (after a colon, outside strings) become the strings "nan" or
 * "inf" (with their sign), which number_of() reads as the non-finite
 * values they are.  Returns false when the line has none. */
static bool quote_nonfinite(const char *line, struct buf *out)
{
	static const char *const words[] = {"infinity", "nan", "inf"};
	bool in_string = false, found = false;
	char prev = 0; /* the last character outside strings but blanks */
	buf_clear(out);
	for (const char *p = line; *p;) {
		if (in_string) {
			if (*p == '\\' && p[1]) {
				buf_add(out, p, 2);
				p += 2;
				continue;
			}
			if (*p == '"')
				in_string = false;
			buf_addc(out, *p++);
			continue;
		}
		if (*p == '"') {
			in_string = true;
			prev = '"';
			buf_addc(out, *p++);
			continue;
		}
		/* only a value: the word follows a colon */
		bool at_word = prev == ':';
		if (!isspace((unsigned char)*p))
			prev = *p;
		const char *q = p;
		if (at_word && (*q == '-' || *q == '+'))
			q++;
		size_t len = 0;
		for (size_t i = 0; at_word && i < sizeof words / sizeof *words && !len; i++) {
			size_t n = strlen(words[i]);
			if (strncasecmp(q, words[i], n) == 0 && !isalnum((unsigned char)q[n]) && q[n] != '_')
				len = n;
		}
		if (!len) {
			buf_addc(out, *p++);
			continue;
		}
		buf_addc(out, '"');
		buf_add(out, p, (size_t)(q - p) + len);
		buf_addc(out, '"');
		p = q + len;
		found = true;
	}
	buf_addc(out, '\0');
	return found;
}

/* A JSON number, or a string that strtod reads whole as NaN or an
 * infinity; false for anything else. */
static bool number_of(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return false;
	char *end;
	double d = strtod(s, &end);
	if (*end || isfinite(d))
		return false;
	*out = d;
	return true;
}

static void nonfinite_point(struct metrics_log *r, const char *name, uint64_t line, const char *key, double v)
{
	if (r->nonfinite++ == 0)
		warn("%s:%llu: %s is %s: points with a NaN or infinite loss are left out", name, (unsigned long long)line,
		     key, isnan(v) ? "NaN" : v > 0 ? "infinite" : "minus infinity");
}

/* One record: a step record adds a training point, an eval record a
 * validation point; a record with neither is skipped. */
static void take_record(struct metrics_log *r, json_t *o, const char *name, uint64_t line)
{
	json_t *jstep = json_object_get(o, "step");
	if (!jstep)
		die_at(STATUS_MALFORMED, name, line, "a record without \"step\"");
	double step;
	if (!json_is_number(jstep) || !isfinite(step = json_number_value(jstep)))
		die_at(STATUS_MALFORMED, name, line, "\"step\" is not a number");
	static const char *const keys[] = {"loss", "val_loss"};
	for (int k = 0; k < 2; k++) {
		json_t *v = json_object_get(o, keys[k]);
		if (!v)
			continue;
		double loss;
		if (!number_of(v, &loss))
			die_at(STATUS_MALFORMED, name, line, "\"%s\" is not a number", keys[k]);
		if (k == 0)
			r->steps++;
		else
			r->evals++;
		if (!isfinite(loss))
			nonfinite_point(r, name, line, keys[k], loss);
		else
			series_add(k == 0 ? &r->train : &r->val, step, loss);
	}
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

void metrics_read(struct metrics_log *r, struct progress *progress)
{
	bool is_stdin = strcmp(r->path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : r->path;
	FILE *f = is_stdin ? stdin : fopen(r->path, "r");
	if (!f)
		die(STATUS_FAIL, "%s:", r->path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0;
	struct buf fixed = {0};
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		progress_add(progress, (uint64_t)len, 1);
		bool complete = line[len - 1] == '\n';
		if (complete)
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((size_t)len != strlen(line))
			die_at(STATUS_MALFORMED, name, lineno, "not a JSON object (a NUL byte)");
		if (blank(line))
			continue;
		json_t *o = json_loads(line, 0, NULL);
		if (!o && quote_nonfinite(line, &fixed))
			o = json_loads(fixed.data, 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			/* A run still writing its log may have left half a line. */
			if (!complete) {
				warn("%s:%llu: an incomplete last line, left out", name, (unsigned long long)lineno);
				break;
			}
			die_at(STATUS_MALFORMED, name, lineno, "not a JSON object");
		}
		take_record(r, o, name, lineno);
		json_decref(o);
	}
	if (ferror(f))
		die(STATUS_FAIL, "%s: read error:", name);
	free(line);
	buf_free(&fixed);
	if (!is_stdin)
		fclose(f);
	if (!r->steps)
		die(STATUS_MALFORMED, "%s: no step records (a \"step\" with a \"loss\"): nothing to plot", name);
	if (!r->train.n)
		die(STATUS_MALFORMED, "%s: every training loss is NaN or infinite: nothing to plot", name);
}

/* The trailing mean of the last n training losses (fewer at the start).
 * A running sum, summed afresh every n points so that rounding does not
 * build up over a long log. */
void metrics_smooth(struct metrics_log *r, uint64_t n)
{
	const struct series *t = &r->train;
	double sum = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t first = i + 1 > n ? i + 1 - (size_t)n : 0;
		if (i % n == 0) {
			sum = 0;
			for (size_t j = first; j <= i; j++)
				sum += t->y[j];
		} else {
			sum += t->y[i];
			if (i >= n)
				sum -= t->y[i - n];
		}
		series_add(&r->smooth, t->x[i], sum / (double)(i + 1 - first));
	}
}

void metrics_free(struct metrics_log *r)
{
	series_free(&r->train);
	series_free(&r->val);
	series_free(&r->smooth);
}
