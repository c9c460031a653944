/* header.h - the stream header JSON: what a consumer must know (kind,
 * dtype, tokenizer, vocab size, batch shape, vector dim, ...) and the
 * lineage, a list to which each program appends its name, version and
 * arguments, so a checkpoint can name the data that made it.  No timestamps:
 * the same command on the same input writes the same bytes. */
#ifndef SLUICE_HEADER_H
#define SLUICE_HEADER_H

#include <jansson.h>

#include "base/shard.h"

struct rec_writer;

/* A new header object: the fields of input_header (a JSON object text, or
 * NULL) with "format", "version" and "kind" set, and this program's lineage
 * entry appended.  Dies on an input header that is not a JSON object. */
json_t *header_new(const char *input_header, const char *kind, int argc, char **argv);
/* Sets h's "shard" to "I/N" when s is a part of its input (shard.h), so
 * the part a stream holds is in its header; the whole input leaves h as
 * it is (an input's own part, if any, stays). */
void header_set_shard(json_t *h, struct shard s);
/* Serializes h and writes it as the header frame; h is not freed. */
void header_write(struct rec_writer *w, const json_t *h);

#endif
