/* jsonid.h - a row's id as JSON data writes it, to the text the record
 * stream keys it by: a string as it is, a non-negative integer in decimal,
 * so 7 and "7" are one id.  vs-upsert and vs-query read points' ids so,
 * lm-embed documents' ids. */
#ifndef SLUICE_JSONID_H
#define SLUICE_JSONID_H

#include <jansson.h>

#include "base/buf.h"

/* The text of a JSON id (a string, or a non-negative integer in decimal)
 * into out; -1 if id is neither. */
int json_id_text(const json_t *id, struct buf *out);

#endif
