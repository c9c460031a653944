/* thrift.h - a reader for the Thrift compact protocol, the encoding of
 * Parquet's footer and page headers.  It reads from a bounded byte range and
 * never trusts a length or count it has not checked against what is left;
 * any damage sets a sticky error flag, and every later call is a no-op that
 * returns zero, so callers test the flag once after a struct. */
#ifndef SLUICE_THRIFT_H
#define SLUICE_THRIFT_H

#include <stddef.h>
#include <stdint.h>

/* Compact protocol element types (the low nibble of a field header). */
enum {
	THR_STOP = 0,
	THR_TRUE = 1, /* a bool field carries its value in its type */
	THR_FALSE = 2,
	THR_I8 = 3,
	THR_I16 = 4,
	THR_I32 = 5,
	THR_I64 = 6,
	THR_DOUBLE = 7,
	THR_BINARY = 8,
	THR_LIST = 9,
	THR_SET = 10,
	THR_MAP = 11,
	THR_STRUCT = 12,
};

struct thr {
	const uint8_t *p, *end;
	const char *error; /* the first thing that went wrong, or NULL */
	int depth;         /* struct/list nesting, bounded so skipping cannot recurse without end */
};

static inline void thr_init(struct thr *t, const void *p, size_t n)
{
	t->p = p;
	t->end = t->p + n;
	t->error = NULL;
	t->depth = 0;
}

/* Enters a struct: fails (sets error) past the nesting limit.  Pair with thr_leave. */
int thr_enter(struct thr *t);
void thr_leave(struct thr *t);
/* Next field of the current struct: 1 with *id and *type set, 0 at its stop
 * byte (or on error).  *last is the previous field id (start it at 0). */
int thr_field(struct thr *t, int16_t *last, int *id, int *type);
int64_t thr_varint_zz(struct thr *t); /* i16, i32, i64 */
uint64_t thr_varint(struct thr *t);   /* unsigned: lengths and sizes */
int8_t thr_i8(struct thr *t);
/* A string or binary: a pointer into the input and its length. */
const uint8_t *thr_binary(struct thr *t, size_t *len);
/* A list or set header: the element type, and the count (checked: every
 * element takes at least one byte, so it is at most the bytes left). */
size_t thr_list(struct thr *t, int *elem_type);
/* Skips one value of the given type, nested structs, lists and maps included. */
void thr_skip(struct thr *t, int type);
/* Reads a bool list element (one byte) or a bool field's value from its type. */
int thr_bool_elem(struct thr *t);

#endif
