/* recjson.h - a record as one line of JSON: rec-cat's output, one object a
 * record with its type, key and payload (token ids, batch rows and mask,
 * vector values and metadata, text, json records verbatim, sample parts
 * as text or base64), and the check of the JSON text inside json records
 * and vector metadata that the reader leaves to its users. */
#ifndef SLUICE_RECJSON_H
#define SLUICE_RECJSON_H

#include "base/buf.h"
#include "rec/rec.h"

/* NULL when f's JSON text (a json record, vector metadata) is one JSON
 * object, as sluice-rec(5) wants, else what is wrong with it. */
const char *rec_json_problem(const struct rec_frame *f);

/* f as one line of JSON, newline included, in b (cleared first).  f's JSON
 * text must have passed rec_json_problem. */
void rec_json_line(struct buf *b, const struct rec_frame *f);

#endif
