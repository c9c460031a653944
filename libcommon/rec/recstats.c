/* recstats.c - what record streams hold (see recstats.h). */
#include "rec/recstats.h"

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
	if (st->last_trailer)
		json_object_set_new(o, "trailer", json_incref(st->last_trailer));
	char *s = json_dumps(o, JSON_INDENT(2));
	if (!s)
		die(STATUS_FAIL, "out of memory");
	json_decref(o);
	return s;
}

void rec_stats_free(struct rec_stats *st)
{
	json_decref(st->first_header);
	json_decref(st->last_trailer);
}
