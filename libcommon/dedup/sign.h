/* sign.h - rec-dedup's first stage: the signature file (sigfile.h) of
 * text or JSON-row records, one entry a record in input order, computed
 * on several threads.
 *
 * For each record: its text (a JSON row's --field; null counts as empty),
 * normalised (normalize.h); the exact key, XXH3-128 of that text, or with
 * `by` of the JSON field named so (a string normalised the same way, any
 * other value its JSON text, a missing field the JSON text null); whether
 * it shares an n-gram with an evaluation text (decontam.h), and when near
 * and not contaminated its MinHash band keys (minhash.h) and, with sets,
 * its shingle set. */
#ifndef SLUICE_SIGN_H
#define SLUICE_SIGN_H

#include <stdint.h>

#include "base/progress.h"
#include "dedup/decontam.h"
#include "dedup/minhash.h"
#include "dedup/sigfile.h"

struct sign_opts {
	struct sig_params p;
	const struct minhash_params *minhash; /* near only */
	const char *field;                    /* JSON rows' text */
	const char *by;                       /* the exact key from this field; NULL: the text */
	const struct decontam *eval;          /* NULL: no decontamination */
	int threads;
	const char *tmpdir;
};

/* Signs the records of the inputs, open descriptors named names[i], read
 * in order as one stream, into fd_out (named out_name); returns how many
 * records there were.  A record of another kind, a JSON row that is not an
 * object or lacks the text field: die_at naming it. */
uint64_t sign_inputs(const struct sign_opts *o, int n, const int *fds, char **names, int fd_out,
                     const char *out_name, struct progress *progress);

#endif
