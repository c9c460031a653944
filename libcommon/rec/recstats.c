/* recstats.c - what record streams hold (see recstats.h). */
#include "rec/recstats.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"

void rec_stats_count(struct rec_stats *st, const struct rec_frame *f)
{
	st->records++;
	st->by_type[f->type].records++;
	st->by_type[f->type].bytes += f->payload_len;
	if (f->type == REC_TOKENS) {
		st->tokens += rec_tokens_count(f);
	} else if (f->type == REC_BATCH) {
		struct rec_batch bt;
		rec_batch_view(f, &bt);
		st->tokens += (uint64_t)bt.B * ((uint64_t)bt.T + 1);
	}
}

/* A value that is not a number, object or array, met again: kept when it
 * agrees, else the list of distinct values (conflicts marks it a list). */
static json_t *merge_other(json_t *into, json_t *v, bool *conflicts)
{
	if (!*conflicts) {
		if (json_equal(into, v))
			return into;
		json_t *list = json_pack("[O,O]", into, v);
		json_decref(into);
		*conflicts = true;
		return list;
	}
	size_t i;
	json_t *seen;
	json_array_foreach(into, i, seen) if (json_equal(seen, v)) return into;
	json_array_append(into, v);
	return into;
}

/* into (owned, or NULL) merged with v (borrowed); returns the merged value
 * (owned).  The distinct-values lists of conflicting members are marked in
 * a side object so a list that was a list all along stays one. */
static json_t *merge_into(json_t *into, json_t *v, json_t *conflicts, const char *path)
{
	if (!into)
		return json_deep_copy(v);
	json_int_t whole;
	if (json_is_integer(into) && json_is_integer(v) &&
	    !__builtin_add_overflow(json_integer_value(into), json_integer_value(v), &whole)) {
		json_decref(into);
		return json_integer(whole);
	}
	/* Past what a JSON integer holds here, the sum is a real number, not
	 * a wrapped negative one. */
	if (json_is_number(into) && json_is_number(v)) {
		json_t *sum = json_real(json_number_value(into) + json_number_value(v));
		json_decref(into);
		return sum;
	}
	if (json_is_object(into) && json_is_object(v)) {
		const char *k;
		json_t *member;
		json_object_foreach(v, k, member)
		{
			char *sub = NULL;
			size_t n = strlen(path) + strlen(k) + 2;
			sub = xmalloc(n);
			snprintf(sub, n, "%s/%s", path, k);
			json_t *old = json_object_get(into, k);
			json_t *merged = merge_into(old ? json_incref(old) : NULL, member, conflicts, sub);
			json_object_set_new(into, k, merged);
			free(sub);
		}
		return into;
	}
	if (json_is_array(into) && json_is_array(v) && !json_object_get(conflicts, path)) {
		json_array_extend(into, v);
		return into;
	}
	bool conflicted = json_object_get(conflicts, path) != NULL;
	json_t *out = merge_other(into, v, &conflicted);
	if (conflicted)
		json_object_set_new(conflicts, path, json_true());
	return out;
}

void rec_stats_add_trailer(struct rec_stats *st, const char *trailer)
{
	st->trailers++;
	json_t *t = json_loads(trailer, 0, NULL);
	if (!json_is_object(t)) {
		json_decref(t);
		return;
	}
	if (!st->conflicts && !(st->conflicts = json_object()))
		die(STATUS_FAIL, "out of memory");
	st->trailer = merge_into(st->trailer, t, st->conflicts, "");
	json_decref(t);
}

char *rec_stats_dump(const struct rec_stats *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "inputs", json_integer((json_int_t)st->inputs));
	json_object_set_new(o, "streams", json_integer((json_int_t)st->streams));
	json_object_set_new(o, "records", json_integer((json_int_t)st->records));
	json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
	json_t *types = json_object();
	for (int t = 0; t < 256; t++) {
		if (!st->by_type[t].records || !rec_type_name(t))
			continue;
		json_t *one = json_object();
		json_object_set_new(one, "records", json_integer((json_int_t)st->by_type[t].records));
		json_object_set_new(one, "payload_bytes", json_integer((json_int_t)st->by_type[t].bytes));
		json_object_set_new(types, rec_type_name(t), one);
	}
	json_object_set_new(o, "types", types);
	json_object_set_new(o, "tokens", json_integer((json_int_t)st->tokens));
	json_object_set_new(o, "unknown_frames", json_integer((json_int_t)st->unknown));
	json_object_set_new(o, "header", st->first_header ? json_incref(st->first_header) : json_null());
	json_object_set_new(o, "trailers", json_integer((json_int_t)st->trailers));
	if (st->trailer)
		json_object_set_new(o, "trailer", json_incref(st->trailer));
	char *s = json_dumps(o, JSON_INDENT(2));
	if (!s)
		die(STATUS_FAIL, "out of memory");
	json_decref(o);
	return s;
}

void rec_stats_free(struct rec_stats *st)
{
	json_decref(st->first_header);
	json_decref(st->trailer);
	json_decref(st->conflicts);
}
