/* thrift.c - see thrift.h */
#include "formats/thrift.h"

#include <string.h>

/* Parquet metadata nests a handful of levels; this leaves room for any
 * real writer and stops a hostile footer from recursing the stack away. */
#define THR_MAX_DEPTH 64

static void fail(struct thr *t, const char *why)
{
	if (!t->error)
		t->error = why;
	t->p = t->end; /* everything after an error reads as exhausted */
}

int thr_enter(struct thr *t)
{
	if (++t->depth > THR_MAX_DEPTH) {
		fail(t, "Thrift structures nested too deeply");
		return -1;
	}
	return 0;
}

void thr_leave(struct thr *t) { t->depth--; }

uint64_t thr_varint(struct thr *t)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (t->p >= t->end) {
			fail(t, "Thrift data ends inside a number");
			return 0;
		}
		uint8_t c = *t->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	fail(t, "Thrift number longer than 64 bits");
	return 0;
}

int64_t thr_varint_zz(struct thr *t)
{
	uint64_t v = thr_varint(t);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int8_t thr_i8(struct thr *t)
{
	if (t->p >= t->end) {
		fail(t, "Thrift data ends inside a byte");
		return 0;
	}
	return (int8_t)*t->p++;
}

int thr_field(struct thr *t, int16_t *last, int *id, int *type)
{
	if (t->error)
		return 0;
	if (t->p >= t->end) {
		fail(t, "Thrift struct has no end");
		return 0;
	}
	uint8_t c = *t->p++;
	*type = c & 0x0f;
	if (*type == THR_STOP)
		return 0;
	int delta = c >> 4;
	if (delta)
		*id = *last + delta;
	else
		*id = (int)thr_varint_zz(t);
	if (*id < -32768 || *id > 32767) {
		fail(t, "Thrift field id out of range");
		return 0;
	}
	*last = (int16_t)*id;
	return t->error ? 0 : 1;
}

const uint8_t *thr_binary(struct thr *t, size_t *len)
{
	uint64_t n = thr_varint(t);
	if (n > (uint64_t)(t->end - t->p)) {
		fail(t, "Thrift string longer than its data");
		*len = 0;
		return t->p;
	}
	const uint8_t *s = t->p;
	t->p += n;
	*len = (size_t)n;
	return s;
}

size_t thr_list(struct thr *t, int *elem_type)
{
	if (t->p >= t->end) {
		fail(t, "Thrift data ends inside a list header");
		*elem_type = 0;
		return 0;
	}
	uint8_t c = *t->p++;
	*elem_type = c & 0x0f;
	uint64_t n = c >> 4;
	if (n == 15)
		n = thr_varint(t);
	if (n > (uint64_t)(t->end - t->p)) {
		fail(t, "Thrift list longer than its data");
		return 0;
	}
	return (size_t)n;
}

int thr_bool_elem(struct thr *t)
{
	if (t->p >= t->end) {
		fail(t, "Thrift data ends inside a bool");
		return 0;
	}
	return *t->p++ == 1;
}

void thr_skip(struct thr *t, int type)
{
	if (t->error)
		return;
	switch (type) {
	case THR_TRUE:
	case THR_FALSE:
		/* A bool field's value is in its type; as a list or map element it is
		 * a byte, which the list and map cases read themselves. */
		break;
	case THR_I8:
		thr_i8(t);
		break;
	case THR_I16:
	case THR_I32:
	case THR_I64:
		thr_varint(t);
		break;
	case THR_DOUBLE:
		if (t->end - t->p < 8)
			fail(t, "Thrift data ends inside a double");
		else
			t->p += 8;
		break;
	case THR_BINARY: {
		size_t n;
		thr_binary(t, &n);
		break;
	}
	case THR_LIST:
	case THR_SET: {
		int et;
		size_t n = thr_list(t, &et);
		if (thr_enter(t))
			return;
		for (size_t i = 0; i < n && !t->error; i++) {
			if (et == THR_TRUE || et == THR_FALSE)
				thr_bool_elem(t);
			else
				thr_skip(t, et);
		}
		thr_leave(t);
		break;
	}
	case THR_MAP: {
		uint64_t n = thr_varint(t);
		if (n == 0)
			break;
		if (n > (uint64_t)(t->end - t->p)) {
			fail(t, "Thrift map longer than its data");
			return;
		}
		int kv = thr_i8(t) & 0xff;
		int kt = kv >> 4, vt = kv & 0x0f;
		if (thr_enter(t))
			return;
		for (uint64_t i = 0; i < n && !t->error; i++) {
			if (kt == THR_TRUE || kt == THR_FALSE)
				thr_bool_elem(t);
			else
				thr_skip(t, kt);
			if (vt == THR_TRUE || vt == THR_FALSE)
				thr_bool_elem(t);
			else
				thr_skip(t, vt);
		}
		thr_leave(t);
		break;
	}
	case THR_STRUCT: {
		if (thr_enter(t))
			return;
		int16_t last = 0;
		int id, ft;
		while (thr_field(t, &last, &id, &ft))
			thr_skip(t, ft);
		thr_leave(t);
		break;
	}
	default:
		fail(t, "unknown Thrift type");
		break;
	}
}
