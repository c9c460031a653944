/* recpack.h - lines, JSON lines or whole files into a record stream, as
 * rec-pack makes it: a line a text record; a JSON line a text record (of
 * one string field), a json record (the object) or a vector record (an
 * array field, with an object field as its metadata), keyed by a field;
 * a file (directories walked in name order) a text record keyed by its
 * path.  A bad JSON line ends the program with STATUS_MALFORMED and
 * "input:offset: line N: why". */
#ifndef SLUICE_RECPACK_H
#define SLUICE_RECPACK_H

#include <stdint.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/progress.h"
#include "rec/rec.h"

enum recpack_input { RECPACK_IN_LINES, RECPACK_IN_JSONL, RECPACK_IN_FILES };
enum recpack_output { RECPACK_OUT_TEXT, RECPACK_OUT_JSON, RECPACK_OUT_VECTOR };

struct recpack {
	enum recpack_input in;
	enum recpack_output out;
	int delim;
	const char *field, *key_field, *vector_field, *metadata_field;
	int argc;
	char **argv;
	struct rec_writer *w;  /* where the records go */
	/* the rest is the packer's own, but output_ids and progress, the caller's */
	int header_written;
	uint32_t dim; /* of the first vector; every vector must match */
	struct buf scratch, key;
	float *vec;
	size_t vec_cap;
	/* The -o file and its temporary, kept out of --files walks. */
	struct stat output_ids[2];
	struct progress progress;
};

/* The stream header, unless vectors, whose header waits for the first
 * vector's dimension. */
void recpack_begin(struct recpack *p);
/* One input: a file of lines ("-": stdin), or with RECPACK_IN_FILES a
 * file or directory named on the command line. */
void recpack_input(struct recpack *p, const char *path);
/* The header if none was written, the end marker; frees the writer and p's
 * buffers. */
void recpack_end(struct recpack *p);

#endif
