/* where.c - --where predicates on JSON rows (where.h). */
#include "formats/where.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"

/* A whole string as a finite number, as strtod reads it; false for
 * anything else ("", "1x", "nan"). */
static bool parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(v))
		return false;
	*out = v;
	return true;
}

int where_parse(const char *arg, struct where *w, char *err, size_t errn)
{
	memset(w, 0, sizeof *w);
	size_t at = strcspn(arg, "=!<>");
	if (!arg[at])
		return errorf(err, errn, "--where %s: no operator (=, !=, <, <=, >, >=)", arg);
	if (at == 0)
		return errorf(err, errn, "--where %s: no field before the operator", arg);
	const char *op = arg + at, *value;
	if (op[0] == '!' && op[1] == '=')
		w->op = WHERE_NE, value = op + 2;
	else if (op[0] == '!')
		return errorf(err, errn, "--where %s: '!' must be '!='", arg);
	else if (op[0] == '<' && op[1] == '=')
		w->op = WHERE_LE, value = op + 2;
	else if (op[0] == '>' && op[1] == '=')
		w->op = WHERE_GE, value = op + 2;
	else if (op[0] == '<')
		w->op = WHERE_LT, value = op + 1;
	else if (op[0] == '>')
		w->op = WHERE_GT, value = op + 1;
	else
		w->op = WHERE_EQ, value = op + 1;
	w->value_is_number = parse_number(value, &w->number);
	if (w->op != WHERE_EQ && w->op != WHERE_NE && !w->value_is_number)
		return errorf(err, errn, "--where %s: '%s' is not a number to compare with", arg, value);
	w->field = xstrndup(arg, at);
	w->value = xstrdup(value);
	w->text = xstrdup(arg);
	return 0;
}

/* FIELD=VALUE: see where.h. */
static bool equals(const struct where *w, const json_t *v)
{
	if (!v || json_is_null(v))
		return strcmp(w->value, "null") == 0;
	if (json_is_string(v))
		return json_string_length(v) == strlen(w->value) &&
		       memcmp(json_string_value(v), w->value, json_string_length(v)) == 0;
	if (json_is_number(v) && w->value_is_number)
		return json_number_value(v) == w->number;
	struct buf b = {0};
	jsonw_value(&b, v);
	bool same = b.len == strlen(w->value) && memcmp(b.data, w->value, b.len) == 0;
	buf_free(&b);
	return same;
}

bool where_match(const struct where *w, const json_t *row)
{
	const json_t *v = json_is_object(row) ? json_object_get(row, w->field) : NULL;
	switch (w->op) {
	case WHERE_EQ: return equals(w, v);
	case WHERE_NE: return !equals(w, v);
	default: break;
	}
	if (!json_is_number(v))
		return false;
	double x = json_number_value(v);
	switch (w->op) {
	case WHERE_LT: return x < w->number;
	case WHERE_LE: return x <= w->number;
	case WHERE_GT: return x > w->number;
	default: return x >= w->number;
	}
}

void where_free(struct where *w)
{
	free(w->field);
	free(w->value);
	free(w->text);
	memset(w, 0, sizeof *w);
}
