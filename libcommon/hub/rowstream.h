/* rowstream.h - the rows of hf-stream's resolved inputs as records: text
 * records of one field or whole rows as JSON, with the field selection,
 * filters (--where, ASCII, length), --skip and --take, --shard (by file,
 * else by row group, else by row) and --shuffle (the file order, then the
 * rows through a buffer), after a header that records all of it. */
#ifndef SLUICE_ROWSTREAM_H
#define SLUICE_ROWSTREAM_H

#include <stdint.h>

#include "base/progress.h"
#include "hub/resolve.h"
#include "rec/rec.h"

struct row_where {
	const char *field, *value;
};

struct row_stream_opts {
	const char *key_field;  /* the field that becomes each record's key, or NULL */
	const char *json_field; /* json: the list field that holds the rows */
	int paragraphs;         /* txt: a record per blank-line separated paragraph */
	int json_rows;          /* whole rows as JSON records, not text records */
	int quiet;              /* no warning about rows left out for a null text */
	char **fields; /* --field names; fields[0] is the text field in text mode */
	int nfields;
	int taking, sharded, shuffled; /* whether take, shard_i/shard_n, shuffle_buf apply */
	uint64_t take, skip, seed, shuffle_buf;
	uint32_t shard_i, shard_n;
	/* filters: on the text field (min_chars 0 and max_chars UINT64_MAX
	 * for none), and rows whose field is the value */
	int ascii_only;
	uint64_t min_chars, max_chars;
	struct row_where *wheres;
	int nwheres;
	/* for the header: the command line, and argv[first_source...] the sources */
	int argc, first_source;
	char **argv;
};

/* Writes the header and the records of src's inputs to w; not the end of
 * the stream.  A malformed input or a field that is not there ends the
 * program with die(). */
void row_stream_run(const struct row_stream_opts *o, const struct hub_sources *src, struct rec_writer *w,
                    struct progress *progress);

#endif
