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
#include "base/shard.h"
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
	struct shard records; /* only this part of the records (dedup_input_cut) */
};

/* One signed record, as the reading thread hands it over. */
struct signed_record {
	const uint64_t *entry; /* sig_entry_words(&o->p) words */
	int type;              /* REC_TEXT or REC_JSON */
	const char *key, *payload;
	size_t key_len, payload_len;
	const uint64_t *set; /* with sets */
	size_t nset;
	const char *input_header; /* the first input's header, or NULL */
	int kind;                 /* the records' kind */
	/* The entry of a record a few places further on, or NULL: a caller
	 * that looks each record up in a large table can prefetch the slot
	 * it will need, rather than wait on every lookup's cache miss. */
	const uint64_t *ahead;
};
typedef void (*sign_each)(void *arg, const struct signed_record *r);

/* Signs the records of the inputs, open descriptors named names[i], read
 * in order as one stream, handing each to each(arg, r) in input order,
 * one call at a time but not always on the calling thread (each may not
 * use thread-local state); returns how many there were, and their digest
 * (records.h).  Bad input as for sign_inputs. */
uint64_t sign_records(const struct sign_opts *o, int n, const int *fds, char **names, struct progress *progress,
                      sign_each each, void *arg, uint64_t *digest);

/* Signs the records of the inputs, open descriptors named names[i], read
 * in order as one stream, into fd_out (named out_name); returns how many
 * records there were.  A record of another kind, a JSON row that is not an
 * object or lacks the text field: die_at naming it. */
uint64_t sign_inputs(const struct sign_opts *o, int n, const int *fds, char **names, int fd_out,
                     const char *out_name, struct progress *progress);

#endif
