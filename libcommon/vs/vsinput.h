/* vsinput.h - points as vs-upsert and vs-query read them: vector records
 * (the key is the id, the metadata rides along) or JSON objects, as JSON
 * lines or JSON records: {"id": "a" or 7, "vector": [...], "metadata":
 * {...}} ("payload" is taken for "metadata", as Qdrant names it).  An
 * integer id is its decimal text, so 7 and "7" are one point. */
#ifndef SLUICE_VSINPUT_H
#define SLUICE_VSINPUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct rec_frame;

/* One point, its strings in the reader's buffers (valid until the next
 * call on the same vs_input). */
struct vs_input {
	struct buf id, meta;
	float *vec;
	size_t dim, cap;
};

enum vs_need {
	VS_NEED_VECTOR = 1, /* a point must have a vector */
	VS_NEED_ID = 2,     /* and an id */
};

/* Parses a frame (vector, JSON or text-as-a-JSON-line) into in: 0, or -1
 * with why in err ("not JSON: ...", "vector holds a string at 3", "no
 * id").  Frames of other types are refused. */
int vs_input_parse(struct vs_input *in, const struct rec_frame *f, int need, char *err, size_t errn);
void vs_input_free(struct vs_input *in);

#endif
