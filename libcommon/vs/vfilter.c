/* vfilter.c - see vfilter.h */
#include "vs/vfilter.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"

/* Filters deeper than this are refused: recursion stays shallow, whatever
 * the caller built. */
enum { MAX_DEPTH = 64 };

/* ---- an arena: a compiled filter is many small pieces freed together ---- */

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct block *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct block *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 4096 ? n : 4096;
		b = xmalloc(sizeof *b + cap);
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n ? n : 1);
	memset(p, 0, n);
	return p;
}

/* A NUL-terminated copy (keys and ids may hold NULs; len says where they end). */
static char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

static void arena_free(struct arena *a)
{
	for (struct block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* ---- the compiled form ---- */

struct str {
	const char *s;
	size_t len;
};

enum seg_kind { SEG_KEY, SEG_INDEX, SEG_EACH };

struct seg {
	enum seg_kind kind;
	size_t index;     /* SEG_INDEX */
	struct str key;   /* SEG_KEY */
};

struct path {
	struct seg *segs; /* segs[0] is always a key of the payload object */
	size_t n;
};

/* A sorted set of strings or of integers: match any / except, has_id. */
struct set {
	int ints;         /* integers, else strings */
	size_t n;
	long long *iv;
	struct str *sv;
};

enum cond_kind {
	C_FILTER,         /* a filter used as a condition */
	C_HAS_ID,
	/* The rest look at values found at a path. */
	C_MATCH_VALUE,
	C_MATCH_ANY,
	C_MATCH_EXCEPT,
	C_RANGE,
	C_COUNT,
	C_FIELD_EMPTY,    /* {key, is_empty: flag} */
	C_FIELD_NULL,     /* {key, is_null: flag} */
	C_IS_EMPTY,       /* {is_empty: {key}} */
	C_IS_NULL,        /* {is_null: {key}} */
	C_NESTED,
};

struct filter;

struct cond {
	enum cond_kind kind;
	struct path path;
	union {
		struct {
			int type; /* JSON_STRING, JSON_INTEGER, JSON_TRUE (booleans) */
			struct str s;
			long long i;
			int b;
		} value;
		struct set set;
		struct {
			/* Unset bounds are infinities, so a check is four compares. */
			double gt, gte, lt, lte;
		} range;
		struct {
			/* count in [lo, hi]; lo > hi never passes. */
			uint64_t lo, hi;
		} count;
		int flag;
		const struct filter *filter;
	} u;
};

struct clist {
	struct cond *c;
	size_t n;
};

struct filter {
	struct clist must, must_not, should, min;
	int has_should;   /* present, even empty: an empty should matches nothing */
	size_t min_count; /* 0: no min_should */
};

struct vfilter {
	struct arena arena;
	const struct filter *root;
	int needs_payload;
	long nids;        /* -1 unless the filter is one has_id */
	const char *const *ids;
};

/* ---- matching ---- */

static int filter_match(const struct filter *f, const char *id, size_t idlen, const json_t *p);

static int str_cmp(const struct str *a, const struct str *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->s, b->s, a->len);
}

static int str_cmp_q(const void *a, const void *b) { return str_cmp(a, b); }

static int ll_cmp_q(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int set_has_str(const struct set *s, const char *p, size_t len)
{
	struct str key = {p, len};
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = str_cmp(&s->sv[mid], &key);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int set_has_int(const struct set *s, long long v)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->iv[mid] == v)
			return 1;
		if (s->iv[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* One scalar (or an array nested inside the field's array) against match
 * or range. */
static int value_passes(const struct cond *c, const json_t *v)
{
	switch (c->kind) {
	case C_MATCH_VALUE:
		switch (c->u.value.type) {
		case JSON_STRING:
			return json_is_string(v) && json_string_length(v) == c->u.value.s.len &&
			       memcmp(json_string_value(v), c->u.value.s.s, c->u.value.s.len) == 0;
		case JSON_INTEGER:
			return json_is_integer(v) && json_integer_value(v) == c->u.value.i;
		default:
			return json_is_boolean(v) && json_is_true(v) == c->u.value.b;
		}
	case C_MATCH_ANY:
		if (c->u.set.ints)
			return json_is_integer(v) && set_has_int(&c->u.set, json_integer_value(v));
		return json_is_string(v) &&
		       set_has_str(&c->u.set, json_string_value(v), json_string_length(v));
	case C_MATCH_EXCEPT:
		/* A value of the other type is "not in the list"; null never passes. */
		if (json_is_null(v))
			return 0;
		if (c->u.set.ints)
			return !json_is_integer(v) || !set_has_int(&c->u.set, json_integer_value(v));
		return !json_is_string(v) ||
		       !set_has_str(&c->u.set, json_string_value(v), json_string_length(v));
	case C_RANGE: {
		double x;
		if (json_is_integer(v))
			x = (double)json_integer_value(v);
		else if (json_is_real(v))
			x = json_real_value(v);
		else
			return 0;
		return (x > c->u.range.gt) & (x >= c->u.range.gte) & (x < c->u.range.lt) &
		       (x <= c->u.range.lte);
	}
	default:
		return 0;
	}
}

static int count_passes(const struct cond *c, uint64_t n)
{
	return (n >= c->u.count.lo) & (n <= c->u.count.hi);
}

/* The test of one value found at the condition's path. */
static int found_passes(const struct cond *c, const json_t *v)
{
	switch (c->kind) {
	case C_MATCH_VALUE:
	case C_MATCH_ANY:
	case C_MATCH_EXCEPT:
	case C_RANGE:
		if (json_is_array(v)) {
			size_t n = json_array_size(v);
			for (size_t i = 0; i < n; i++)
				if (value_passes(c, json_array_get(v, i)))
					return 1;
			return 0;
		}
		return value_passes(c, v);
	case C_COUNT:
		return count_passes(c, json_is_array(v) ? json_array_size(v) : json_is_null(v) ? 0 : 1);
	case C_FIELD_EMPTY: {
		int empty = json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
		return empty == c->u.flag;
	}
	case C_FIELD_NULL: {
		int null = json_is_null(v);
		if (json_is_array(v)) {
			size_t n = json_array_size(v);
			for (size_t i = 0; i < n && !null; i++)
				null = json_is_null(json_array_get(v, i));
		}
		return null == c->u.flag;
	}
	case C_IS_EMPTY: /* the walk looks for a value that is not empty */
		return !(json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0));
	case C_IS_NULL:
		return json_is_null(v);
	case C_NESTED:
		return json_is_object(v) && filter_match(c->u.filter, NULL, 0, v);
	default:
		return 0;
	}
}

/* Whether some value at segs[0..n) below v passes c; *found is set when
 * any value is reached at all. */
static int walk(const struct cond *c, const struct seg *s, size_t n, const json_t *v, int *found)
{
	for (; n; s++, n--) {
		switch (s->kind) {
		case SEG_KEY:
			v = json_is_object(v) ? json_object_getn(v, s->key.s, s->key.len) : NULL;
			break;
		case SEG_INDEX:
			v = json_is_array(v) ? json_array_get(v, s->index) : NULL;
			break;
		case SEG_EACH:
			if (!json_is_array(v))
				return 0;
			for (size_t i = 0, k = json_array_size(v); i < k; i++)
				if (walk(c, s + 1, n - 1, json_array_get(v, i), found))
					return 1;
			return 0;
		}
		if (!v)
			return 0;
	}
	*found = 1;
	return found_passes(c, v);
}

static int cond_match(const struct cond *c, const char *id, size_t idlen, const json_t *p)
{
	if (c->kind == C_FILTER)
		return filter_match(c->u.filter, id, idlen, p);
	if (c->kind == C_HAS_ID)
		return id && set_has_str(&c->u.set, id, idlen);
	int found = 0;
	int any = p ? walk(c, c->path.segs, c->path.n, p, &found) : 0;
	switch (c->kind) {
	case C_IS_EMPTY:
		return !any; /* no value that is not empty */
	case C_COUNT:
		return any || (!found && count_passes(c, 0));
	case C_FIELD_EMPTY:
		return any || (!found && c->u.flag);
	case C_FIELD_NULL:
		return any || (!found && !c->u.flag);
	default:
		return any;
	}
}

static int filter_match(const struct filter *f, const char *id, size_t idlen, const json_t *p)
{
	for (size_t i = 0; i < f->must.n; i++)
		if (!cond_match(&f->must.c[i], id, idlen, p))
			return 0;
	for (size_t i = 0; i < f->must_not.n; i++)
		if (cond_match(&f->must_not.c[i], id, idlen, p))
			return 0;
	if (f->has_should) {
		size_t i = 0;
		while (i < f->should.n && !cond_match(&f->should.c[i], id, idlen, p))
			i++;
		if (i == f->should.n)
			return 0;
	}
	if (f->min_count) {
		size_t hits = 0;
		for (size_t i = 0; i < f->min.n && hits < f->min_count; i++)
			hits += (size_t)cond_match(&f->min.c[i], id, idlen, p);
		if (hits < f->min_count)
			return 0;
	}
	return 1;
}

int vfilter_match(const struct vfilter *f, const char *id, size_t id_len, const json_t *payload)
{
	if (payload && !json_is_object(payload))
		payload = NULL;
	return filter_match(f->root, id, id_len, payload);
}

int vfilter_needs_payload(const struct vfilter *f) { return f->needs_payload; }

long vfilter_only_ids(const struct vfilter *f, const char *const **ids)
{
	if (f->nids < 0)
		return -1;
	*ids = f->ids;
	return f->nids;
}

void vfilter_free(struct vfilter *f)
{
	if (!f)
		return;
	arena_free(&f->arena);
	free(f);
}

/* ---- compiling ---- */

struct cc {
	struct arena *arena;
	char *err;
	size_t errn;
	char where[256]; /* "must[1].nested.filter.should[0]": where an error is */
	size_t wlen;
	int depth;
	int in_nested;
	int needs_payload;
};

SLUICE_PRINTF(2, 3) static int fail(struct cc *c, const char *fmt, ...)
{
	if (!c->errn)
		return -1;
	int n = 0;
	if (c->wlen)
		n = snprintf(c->err, c->errn, "%s: ", c->where);
	if (n < 0 || (size_t)n >= c->errn)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errn - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Append a step to where; returns the length to restore with leave(). */
SLUICE_PRINTF(2, 3) static size_t enter(struct cc *c, const char *fmt, ...)
{
	size_t saved = c->wlen;
	size_t room = sizeof c->where - c->wlen;
	if (room > 1 && c->wlen && fmt[0] != '[') {
		c->where[c->wlen++] = '.';
		room--;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->where + c->wlen, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->wlen += (size_t)n < room ? (size_t)n : room - 1;
	c->where[c->wlen] = 0;
	return saved;
}

static void leave(struct cc *c, size_t saved)
{
	c->wlen = saved;
	c->where[saved] = 0;
}

/* A display form of a member name for messages: printable, bounded. */
static const char *shown(const char *name, char *out, size_t outn)
{
	size_t k = 0;
	for (const unsigned char *s = (const unsigned char *)name; *s && k + 4 < outn; s++)
		out[k++] = (*s >= 0x20 && *s < 0x7f) ? (char)*s : '?';
	if (name[k] && k + 4 >= outn) {
		out[k++] = '.';
		out[k++] = '.';
		out[k++] = '.';
	}
	out[k] = 0;
	return out;
}

static int member_is(const char *name, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(name, *allowed) == 0)
			return 1;
	return 0;
}

/* Every member of o is one of allowed, else an error naming the first that is not. */
static int only_members(struct cc *c, const json_t *o, const char *const *allowed, const char *what)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)o, name, v) {
		if (!member_is(name, allowed)) {
			char buf[64];
			return fail(c, "unknown member '%s' in %s", shown(name, buf, sizeof buf), what);
		}
	}
	return 0;
}

static int raw_key_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch >= 0x80;
}

/* Qdrant's key syntax: a key (plain or "quoted"), then .key, ."key",
 * [N] and [] steps. */
static int compile_path(struct cc *c, const json_t *key, struct path *out, int each_suffix)
{
	if (!json_is_string(key))
		return fail(c, "key is not a string");
	const char *s = json_string_value(key);
	size_t len = json_string_length(key);
	/* At most one segment per byte, plus the implied [] of nested. */
	struct seg *segs = arena_alloc(c->arena, (len + 2) * sizeof *segs);
	size_t n = 0, i = 0;
	while (i < len) {
		if (n > 0 && s[i] == '[') {
			/* [] or [N], N of at most 9 digits */
			size_t j = i + 1, index = 0;
			while (j < len && s[j] >= '0' && s[j] <= '9' && j - i <= 9)
				index = index * 10 + (size_t)(s[j++] - '0');
			if (j >= len || s[j] != ']')
				goto bad;
			if (j == i + 1)
				segs[n++] = (struct seg){.kind = SEG_EACH};
			else
				segs[n++] = (struct seg){.kind = SEG_INDEX, .index = index};
			i = j + 1;
			continue;
		}
		if (n > 0) {
			if (s[i] != '.')
				goto bad;
			i++;
		}
		size_t start, end;
		if (i < len && s[i] == '"') {
			start = ++i;
			while (i < len && s[i] != '"' && s[i] != '\\')
				i++;
			if (i >= len || s[i] != '"')
				goto bad;
			end = i++;
		} else {
			start = i;
			while (i < len && raw_key_byte((unsigned char)s[i]))
				i++;
			end = i;
			if (end == start)
				goto bad;
		}
		segs[n++] = (struct seg){.kind = SEG_KEY,
		                         .key = {arena_strndup(c->arena, s + start, end - start),
		                                 end - start}};
	}
	if (n == 0)
		goto bad;
	if (each_suffix && segs[n - 1].kind != SEG_EACH)
		segs[n++] = (struct seg){.kind = SEG_EACH};
	out->segs = segs;
	out->n = n;
	return 0;
bad:;
	char buf[64];
	return fail(c, "bad key '%s'", shown(s, buf, sizeof buf));
}

/* A value list of match any / except: all strings or all integers. */
static int compile_set(struct cc *c, const json_t *list, const char *name, struct set *set)
{
	size_t n = json_array_size(list);
	int ints = n > 0 && json_is_integer(json_array_get(list, 0));
	int ok = json_is_array(list);
	for (size_t i = 0; i < n && ok; i++) {
		json_t *v = json_array_get(list, i);
		ok = ints ? json_is_integer(v) : json_is_string(v);
	}
	if (!ok)
		return fail(c, "%s must be an array of strings or an array of integers", name);
	set->ints = ints;
	set->n = 0;
	if (ints) {
		set->iv = arena_alloc(c->arena, (n ? n : 1) * sizeof *set->iv);
		for (size_t i = 0; i < n; i++)
			set->iv[i] = json_integer_value(json_array_get(list, i));
		qsort(set->iv, n, sizeof *set->iv, ll_cmp_q);
		for (size_t i = 0; i < n; i++)
			if (set->n == 0 || set->iv[set->n - 1] != set->iv[i])
				set->iv[set->n++] = set->iv[i];
	} else {
		set->sv = arena_alloc(c->arena, (n ? n : 1) * sizeof *set->sv);
		for (size_t i = 0; i < n; i++) {
			json_t *v = json_array_get(list, i);
			size_t len = json_string_length(v);
			set->sv[i] = (struct str){arena_strndup(c->arena, json_string_value(v), len), len};
		}
		qsort(set->sv, n, sizeof *set->sv, str_cmp_q);
		for (size_t i = 0; i < n; i++)
			if (set->n == 0 || str_cmp(&set->sv[set->n - 1], &set->sv[i]) != 0)
				set->sv[set->n++] = set->sv[i];
	}
	return 0;
}

static int compile_match(struct cc *c, const json_t *m, struct cond *out)
{
	if (!json_is_object(m))
		return fail(c, "not an object");
	static const char *const unsupported[] = {"text", "text_any", "phrase", "prefix", NULL};
	static const char *const known[] = {"value", "any", "except", "text", "text_any", "phrase",
	                                    "prefix", NULL};
	if (only_members(c, m, known, "match") < 0)
		return -1;
	for (const char *const *u = unsupported; *u; u++)
		if (json_object_get(m, *u))
			return fail(c, "%s match is not supported (only value, any, except)", *u);
	if (json_object_size(m) != 1)
		return fail(c, "needs exactly one of value, any, except");
	json_t *v;
	if ((v = json_object_get(m, "value"))) {
		out->kind = C_MATCH_VALUE;
		if (json_is_string(v)) {
			size_t len = json_string_length(v);
			out->u.value.type = JSON_STRING;
			out->u.value.s = (struct str){arena_strndup(c->arena, json_string_value(v), len), len};
		} else if (json_is_integer(v)) {
			out->u.value.type = JSON_INTEGER;
			out->u.value.i = json_integer_value(v);
		} else if (json_is_boolean(v)) {
			out->u.value.type = JSON_TRUE;
			out->u.value.b = json_is_true(v);
		} else {
			return fail(c, "value must be a string, an integer or a boolean");
		}
		return 0;
	}
	if ((v = json_object_get(m, "any"))) {
		out->kind = C_MATCH_ANY;
		return compile_set(c, v, "any", &out->u.set);
	}
	out->kind = C_MATCH_EXCEPT;
	return compile_set(c, json_object_get(m, "except"), "except", &out->u.set);
}

static const char *const bound_names[] = {"gt", "gte", "lt", "lte", NULL};

static int compile_range(struct cc *c, const json_t *r, struct cond *out)
{
	if (!json_is_object(r))
		return fail(c, "not an object");
	if (only_members(c, r, bound_names, "range") < 0)
		return -1;
	double b[4] = {-INFINITY, -INFINITY, INFINITY, INFINITY};
	for (int i = 0; i < 4; i++) {
		json_t *v = json_object_get(r, bound_names[i]);
		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v))
			return fail(c, "datetime ranges are not supported (%s is a string)", bound_names[i]);
		if (!json_is_number(v))
			return fail(c, "%s is not a number", bound_names[i]);
		b[i] = json_number_value(v);
	}
	out->kind = C_RANGE;
	out->u.range.gt = b[0];
	out->u.range.gte = b[1];
	out->u.range.lt = b[2];
	out->u.range.lte = b[3];
	return 0;
}

static int compile_count(struct cc *c, const json_t *r, struct cond *out)
{
	if (!json_is_object(r))
		return fail(c, "not an object");
	if (only_members(c, r, bound_names, "values_count") < 0)
		return -1;
	uint64_t lo = 0, hi = UINT64_MAX;
	for (int i = 0; i < 4; i++) {
		json_t *v = json_object_get(r, bound_names[i]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return fail(c, "%s is not a non-negative integer", bound_names[i]);
		uint64_t x = (uint64_t)json_integer_value(v);
		switch (i) {
		case 0: if (x + 1 > lo) lo = x + 1; break;  /* gt: x < LLONG_MAX, no overflow */
		case 1: if (x > lo) lo = x; break;
		case 2: if (x == 0) lo = 1, hi = 0; else if (x - 1 < hi) hi = x - 1; break;
		default: if (x < hi) hi = x; break;
		}
	}
	out->kind = C_COUNT;
	out->u.count.lo = lo;
	out->u.count.hi = hi;
	return 0;
}

static int compile_filter(struct cc *c, const json_t *j, const struct filter **out);

static int nonnull(const json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);
	return v && !json_is_null(v);
}

static int compile_field(struct cc *c, const json_t *j, struct cond *out)
{
	static const char *const known[] = {"key", "match", "range", "values_count", "is_empty",
	                                    "is_null", "geo_radius", "geo_bounding_box",
	                                    "geo_polygon", NULL};
	if (only_members(c, j, known, "field condition") < 0)
		return -1;
	static const char *const geo[] = {"geo_radius", "geo_bounding_box", "geo_polygon", NULL};
	for (const char *const *g = geo; *g; g++)
		if (nonnull(j, *g))
			return fail(c, "unsupported condition '%s'", *g);
	if (compile_path(c, json_object_get(j, "key"), &out->path, 0) < 0)
		return -1;
	static const char *const kinds[] = {"match", "range", "values_count", "is_empty", "is_null",
	                                    NULL};
	int nkinds = 0;
	const char *kind = NULL;
	for (const char *const *k = kinds; *k; k++)
		if (nonnull(j, *k))
			nkinds++, kind = *k;
	if (nkinds == 0)
		return fail(c, "no condition on the key (match, range, values_count, is_empty or is_null)");
	if (nkinds > 1)
		return fail(c, "more than one of match, range, values_count, is_empty, is_null "
		               "(join them with must or should)");
	json_t *v = json_object_get(j, kind);
	size_t saved = enter(c, "%s", kind);
	int rc;
	if (strcmp(kind, "match") == 0) {
		rc = compile_match(c, v, out);
	} else if (strcmp(kind, "range") == 0) {
		rc = compile_range(c, v, out);
	} else if (strcmp(kind, "values_count") == 0) {
		rc = compile_count(c, v, out);
	} else {
		rc = json_is_boolean(v) ? 0 : fail(c, "not a boolean");
		out->kind = strcmp(kind, "is_empty") == 0 ? C_FIELD_EMPTY : C_FIELD_NULL;
		out->u.flag = json_is_true(v);
	}
	leave(c, saved);
	c->needs_payload = 1;
	return rc;
}

/* {is_empty: {key}} and {is_null: {key}} */
static int compile_keyed(struct cc *c, const json_t *j, const char *name, struct cond *out)
{
	static const char *const only_key[] = {"key", NULL};
	const char *const self[] = {name, NULL};
	if (only_members(c, j, self, name) < 0)
		return -1;
	json_t *f = json_object_get(j, name);
	size_t saved = enter(c, "%s", name);
	int rc = !json_is_object(f) ? fail(c, "not an object with a key")
	         : only_members(c, f, only_key, name) < 0 ? -1
	                                                   : compile_path(c, json_object_get(f, "key"),
	                                                                  &out->path, 0);
	leave(c, saved);
	out->kind = strcmp(name, "is_empty") == 0 ? C_IS_EMPTY : C_IS_NULL;
	c->needs_payload = 1;
	return rc;
}

static int compile_has_id(struct cc *c, const json_t *j, struct cond *out)
{
	static const char *const self[] = {"has_id", NULL};
	if (only_members(c, j, self, "has_id") < 0)
		return -1;
	if (c->in_nested)
		return fail(c, "has_id is not supported inside nested");
	json_t *list = json_object_get(j, "has_id");
	if (!json_is_array(list))
		return fail(c, "has_id must be an array of ids");
	size_t n = json_array_size(list);
	struct set *set = &out->u.set;
	set->sv = arena_alloc(c->arena, (n ? n : 1) * sizeof *set->sv);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(list, i);
		if (json_is_string(v)) {
			size_t len = json_string_length(v);
			set->sv[i] = (struct str){arena_strndup(c->arena, json_string_value(v), len), len};
		} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
			char num[24];
			int len = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			set->sv[i] = (struct str){arena_strndup(c->arena, num, (size_t)len), (size_t)len};
		} else {
			return fail(c, "has_id[%zu] is not a non-negative integer or a string", i);
		}
	}
	qsort(set->sv, n, sizeof *set->sv, str_cmp_q);
	set->n = 0;
	for (size_t i = 0; i < n; i++)
		if (set->n == 0 || str_cmp(&set->sv[set->n - 1], &set->sv[i]) != 0)
			set->sv[set->n++] = set->sv[i];
	out->kind = C_HAS_ID;
	return 0;
}

static int compile_nested(struct cc *c, const json_t *j, struct cond *out)
{
	static const char *const self[] = {"nested", NULL};
	static const char *const inner[] = {"key", "filter", NULL};
	if (only_members(c, j, self, "nested condition") < 0)
		return -1;
	json_t *n = json_object_get(j, "nested");
	size_t saved = enter(c, "nested");
	int rc = -1;
	if (!json_is_object(n) || !json_object_get(n, "filter"))
		fail(c, "not an object with key and filter");
	else if (only_members(c, n, inner, "nested") == 0 &&
	         compile_path(c, json_object_get(n, "key"), &out->path, 1) == 0) {
		size_t s2 = enter(c, "filter");
		int was = c->in_nested;
		c->in_nested = 1;
		rc = compile_filter(c, json_object_get(n, "filter"), &out->u.filter);
		c->in_nested = was;
		leave(c, s2);
	}
	leave(c, saved);
	out->kind = C_NESTED;
	c->needs_payload = 1;
	return rc;
}

static int is_filter_member(const char *name)
{
	static const char *const members[] = {"must", "should", "must_not", "min_should", NULL};
	return member_is(name, members);
}

static int compile_cond(struct cc *c, const json_t *j, struct cond *out)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(j))
		return fail(c, "condition is not an object");
	if (json_object_get(j, "key"))
		return compile_field(c, j, out);
	if (json_object_get(j, "is_empty"))
		return compile_keyed(c, j, "is_empty", out);
	if (json_object_get(j, "is_null"))
		return compile_keyed(c, j, "is_null", out);
	if (json_object_get(j, "has_id"))
		return compile_has_id(c, j, out);
	if (json_object_get(j, "nested"))
		return compile_nested(c, j, out);
	const char *name;
	json_t *v;
	int filterish = json_object_size(j) == 0;
	json_object_foreach((json_t *)j, name, v) {
		filterish |= is_filter_member(name);
	}
	if (!filterish) {
		char buf[64];
		name = json_object_iter_key(json_object_iter((json_t *)j));
		if (strcmp(name, "has_vector") == 0 || strcmp(name, "slice") == 0)
			return fail(c, "unsupported condition '%s'", name);
		return fail(c, "unknown condition '%s'", shown(name, buf, sizeof buf));
	}
	out->kind = C_FILTER;
	return compile_filter(c, j, &out->u.filter);
}

/* must / should / must_not / min_should.conditions: one condition or an array. */
static int compile_list(struct cc *c, const json_t *j, const char *name, struct clist *out)
{
	int one = json_is_object(j);
	if (!one && !json_is_array(j))
		return fail(c, "%s is not a condition or an array of conditions", name);
	out->n = one ? 1 : json_array_size(j);
	out->c = arena_zalloc(c->arena, out->n * sizeof *out->c);
	for (size_t i = 0; i < out->n; i++) {
		size_t saved = one ? enter(c, "%s", name) : enter(c, "%s[%zu]", name, i);
		int rc = compile_cond(c, one ? j : json_array_get(j, i), &out->c[i]);
		leave(c, saved);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int compile_filter(struct cc *c, const json_t *j, const struct filter **out)
{
	if (!json_is_object(j))
		return fail(c, "filter is not an object");
	if (++c->depth > MAX_DEPTH) {
		c->depth--;
		return fail(c, "filter nested more than %d deep", MAX_DEPTH);
	}
	struct filter *f = arena_zalloc(c->arena, sizeof *f);
	*out = f;
	int rc = 0;
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)j, name, v) {
		if (!is_filter_member(name)) {
			/* A condition written where a filter goes is the usual slip. */
			static const char *const conds[] = {"key", "has_id", "is_empty", "is_null",
			                                    "nested", NULL};
			char buf[64];
			rc = fail(c, "unknown filter member '%s'%s", shown(name, buf, sizeof buf),
			          member_is(name, conds) ? " (conditions go in must, should or must_not)" : "");
			break;
		}
	}
	static const char *const lists[] = {"must", "should", "must_not"};
	struct clist *dest[] = {&f->must, &f->should, &f->must_not};
	for (int i = 0; i < 3 && rc == 0; i++) {
		v = json_object_get(j, lists[i]);
		if (v && !json_is_null(v))
			rc = compile_list(c, v, lists[i], dest[i]);
		if (i == 1)
			f->has_should = v && !json_is_null(v);
	}
	v = json_object_get(j, "min_should");
	if (rc == 0 && v && !json_is_null(v)) {
		static const char *const ms[] = {"conditions", "min_count", NULL};
		size_t saved = enter(c, "min_should");
		json_t *conds = json_object_get(v, "conditions");
		json_t *count = json_object_get(v, "min_count");
		if (!json_is_object(v))
			rc = fail(c, "not an object with conditions and min_count");
		else if (only_members(c, v, ms, "min_should") < 0)
			rc = -1;
		else if (!json_is_array(conds))
			rc = fail(c, "conditions is not an array");
		else if (!json_is_integer(count) || json_integer_value(count) < 1)
			rc = fail(c, "min_count is not a positive integer");
		else
			rc = compile_list(c, conds, "conditions", &f->min);
		if (rc == 0)
			f->min_count = (size_t)json_integer_value(count);
		leave(c, saved);
	}
	c->depth--;
	return rc;
}

/* The ids of a filter that is exactly one has_id condition, alone in a
 * must or a should (or a filter in one), else NULL. */
static const struct set *lone_has_id(const struct filter *f)
{
	const struct clist *only = NULL;
	if (f->min_count || f->must_not.n)
		return NULL;
	if (f->must.n == 1 && !f->has_should)
		only = &f->must;
	else if (f->should.n == 1 && f->must.n == 0)
		only = &f->should;
	if (!only)
		return NULL;
	const struct cond *c = &only->c[0];
	if (c->kind == C_HAS_ID)
		return &c->u.set;
	return c->kind == C_FILTER ? lone_has_id(c->u.filter) : NULL;
}

struct vfilter *vfilter_compile(const json_t *filter, char *err, size_t errn)
{
	struct vfilter *vf = xcalloc(1, sizeof *vf);
	struct cc c = {.arena = &vf->arena, .err = err, .errn = errn};
	if (errn)
		err[0] = 0;
	if (compile_filter(&c, filter, &vf->root) < 0) {
		vfilter_free(vf);
		return NULL;
	}
	vf->needs_payload = c.needs_payload;
	vf->nids = -1;
	const struct set *ids = lone_has_id(vf->root);
	if (ids) {
		const char **list = arena_alloc(&vf->arena, (ids->n ? ids->n : 1) * sizeof *list);
		for (size_t i = 0; i < ids->n; i++)
			list[i] = ids->sv[i].s;
		vf->ids = list;
		vf->nids = (long)ids->n;
	}
	return vf;
}

struct vfilter *vfilter_parse(const char *text, size_t len, char *err, size_t errn)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		if (errn)
			errorf(err, errn, "filter is not JSON: %s (line %d, column %d)", je.text,
			       je.line, je.column);
		return NULL;
	}
	struct vfilter *f = vfilter_compile(j, err, errn);
	json_decref(j);
	return f;
}
