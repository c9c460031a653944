/* recfilter.h - rec-filter's run: text records or JSON-row records in,
 * the records that pass every enabled filter out, unchanged and in input
 * order, on as many threads as asked.
 *
 * The filters run in the order of FineWeb's pipeline, and the first that
 * drops a record names it:
 *
 *   where        --where predicates on JSON rows (formats/where.h)
 *   lang         fastText language identification, as datatrove's
 *                LanguageFilter: kept when one of the wanted languages
 *                (or, with none named, the best one) scores above the
 *                threshold
 *   quality      Gopher repetition, Gopher quality, C4, FineWeb
 *                (text/quality.h); C4 may rewrite the text, and then the
 *                kept record carries the new text
 *
 * Dropped records go, when asked, to a rejects stream as JSON rows with a
 * "rejected_by" field.  The output ends with a trailer counting the records
 * read, kept and dropped by each filter and rule, which rec-cat --stats
 * shows.  Bad input (a malformed record, a JSON row without its text field,
 * a record of another kind) ends the program with die_at, after the records
 * before it. */
#ifndef SLUICE_RECFILTER_H
#define SLUICE_RECFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/progress.h"
#include "base/shard.h"
#include "formats/where.h"
#include "rec/rec.h"
#include "text/fasttext.h"
#include "text/quality.h"

struct recfilter_opts {
	const char *field; /* the text of a JSON row */
	struct where *wheres;
	int nwheres;
	const struct quality_opts *quality; /* NULL: no quality filter */
	const struct ft_model *lang_model;  /* NULL: no language identification */
	char **langs;                       /* the languages to keep; none: any */
	int nlangs;
	float lang_threshold;
	bool annotate; /* "language" and "language_score" into JSON rows */
	int threads;
	bool taking;
	uint64_t take;      /* stop after this many kept records, when taking */
	struct shard shard; /* the part of the inputs to read (base/shard.h) */
	int argc;      /* the command line, for the header's lineage */
	char **argv;
};

/* Filters the inputs (paths, "-" for stdin) into out, with the header
 * first and the trailer and end frame last; rejects may be NULL. */
void recfilter_run(const struct recfilter_opts *o, int nin, char **inputs, struct rec_writer *out,
                   struct rec_writer *rejects, struct progress *progress);

#endif
