/* recmix.h - several record streams interleaved into one, in the order
 * Hugging Face datasets.interleave_datasets gives iterable datasets:
 *
 * - without probabilities the inputs take turns, 0, 1, ..., n-1, 0, ...;
 *   with them each turn goes to the input numpy's default_rng(seed)
 *   .choice(n, p=probabilities) names (base/nprandom.h);
 * - an input is exhausted on the turn that takes its last record (or, if
 *   it has none, on its first turn); first_exhausted ends the stream
 *   before the turn after the first exhaustion, all_exhausted once every
 *   input has been exhausted at least once, reading an exhausted input
 *   again from its start when its next turn comes.  A turn of an empty
 *   input takes nothing.
 *
 * Frames are moved as they are (type, dtype, key, payload).  Every input
 * must hold the same kind of data (kind, dtype, tokenizer, vocabulary,
 * batch shape, vector dimension); the output header keeps the header
 * fields all inputs agree on and lists every input's header under
 * "inputs", lineage and all; the trailer counts the records taken from
 * each input. */
#ifndef SLUICE_RECMIX_H
#define SLUICE_RECMIX_H

#include <stddef.h>
#include <stdint.h>

#include "base/progress.h"
#include "rec/rec.h"

enum recmix_stop { RECMIX_FIRST_EXHAUSTED, RECMIX_ALL_EXHAUSTED };

struct recmix_options {
	const double *probabilities; /* one per input, or NULL: turns in order */
	uint64_t seed;
	enum recmix_stop stop;
	uint64_t take; /* stop after this many records, when taking */
	int taking;
	int argc; /* the command line, for the lineage */
	char **argv;
	struct progress *progress; /* NULL: none */
};

/* Whether the options can work for n inputs: probabilities as numpy's
 * choice accepts them (one per input, none negative, summing to 1), and
 * no zero probability under all_exhausted without a --take, since an
 * input never drawn is never exhausted and the stream would not end.
 * Returns 0, or -1 with the reason in err. */
int recmix_check(const struct recmix_options *o, int n, char *err, size_t errn);

/* Mixes the n inputs (paths; "-" is stdin) onto w: header, records,
 * trailer and end marker.  all_exhausted needs inputs it can read again
 * (regular files), checked before anything is written.  Returns 0, or an
 * exit status (base/status.h) with one line in err: "input:offset: what"
 * for a damaged input.  Output written before an error has no end
 * marker, so no reader takes it for a whole stream. */
int recmix_run(struct rec_writer *w, char **paths, int n, const struct recmix_options *o,
               char *err, size_t errn);

#endif
