/* sigfile.h - rec-dedup's signature files: what `rec-dedup sign` keeps of
 * one shard for the later stages (buckets, clusters), so that they never
 * read the text again.
 *
 * A file is written front to back (it may go down a pipe) and read by
 * mapping it.  All numbers are little-endian 64-bit words:
 *
 *   entries    N entries of E words, one per record in input order:
 *              the exact key (XXH3-128 of the normalised text, high word
 *              first), the evaluation record it is contaminated by
 *              (SIG_CLEAN when none), then, when near, the band keys
 *   key index  N+1 byte offsets into the keys: record i's key (its frame
 *              key, often empty) is bytes [off[i], off[i+1])
 *   keys       the keys' bytes, padded with zeros to a multiple of 8
 *   set index  (only with sets) N+1 word offsets into the sets
 *   sets       (only with sets) each record's shingle set, sorted
 *   footer     SIG_FOOTER_WORDS words: magic "SLDDSIG1", version, flags,
 *              normalisation, ngram, bands, rows, seed, N, E, key bytes,
 *              set words, the decontamination n-gram (0: none), the
 *              shard's digest (records.h), then zeros
 *
 * Opening checks that the footer is one and that every size and offset
 * agrees with the file's length, so a truncated or foreign file is an
 * error, never a read out of bounds. */
#ifndef SLUICE_SIGFILE_H
#define SLUICE_SIGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/io.h"
#include "dedup/normalize.h"

#define SIG_CLEAN UINT64_MAX
#define SIG_FOOTER_WORDS 16
/* The words of an entry before the band keys. */
#define SIG_ENTRY_HEAD 3

/* What a signature file was made with; stages after sign check that all
 * their files agree. */
struct sig_params {
	bool near, sets;
	bool no_dedup; /* only decontamination: no bands at all */
	enum normalize_mode mode;
	int ngram, bands, rows; /* near only */
	uint64_t seed;
	int decontam_ngram; /* 0: not decontaminated */
};

static inline size_t sig_entry_words(const struct sig_params *p)
{
	return SIG_ENTRY_HEAD + (p->near ? (size_t)p->bands : 0);
}

/* Whether two files' parameters allow them in one run. */
bool sig_params_equal(const struct sig_params *a, const struct sig_params *b);

struct sig_writer;
/* Writes to fd (named name in messages); keys and sets wait in unlinked
 * temporary files in tmpdir (NULL: $TMPDIR) until the end. */
struct sig_writer *sig_writer_new(int fd, const char *name, const struct sig_params *p, const char *tmpdir);
/* One record's entry (sig_entry_words words), key and shingle set (only
 * kept with sets).  Dies on a write error. */
void sig_writer_add(struct sig_writer *w, const uint64_t *entry, const char *key, size_t key_len,
                    const uint64_t *set, size_t nset);
/* Writes the rest and the footer with the shard's digest (records.h),
 * and frees w (fd stays open). */
void sig_writer_finish(struct sig_writer *w, uint64_t digest);

struct sig_file {
	char *name;
	struct sig_params p;
	uint64_t n;         /* records */
	uint64_t digest;    /* of the shard's records (records.h) */
	size_t entry_words; /* E */
	const uint64_t *entries;
	const uint64_t *key_off;
	const char *keys;
	const uint64_t *set_off;
	const uint64_t *sets;
	void *map;
	size_t map_len;
};

/* Maps a signature file; 0, or with err set (the name, and what is
 * wrong) -1 when it is not a whole signature file, -2 when it cannot be
 * opened or mapped (an I/O error).  fd may be closed afterwards. */
int sig_open_fd(struct sig_file *s, int fd, const char *name, char *err, size_t errn);
int sig_open(struct sig_file *s, const char *path, char *err, size_t errn);
/* Whether path is a regular file that ends like a signature file. */
bool sig_is_sig_file(const char *path);
void sig_close(struct sig_file *s);

/* The bands of a run over such files: near, the LSH bands 0..bands-1 and
 * the exact key as band `bands`; exact, the exact key as band 0; none
 * when only decontaminating. */
static inline int sig_band_count(const struct sig_params *p)
{
	return p->no_dedup ? 0 : p->near ? p->bands + 1 : 1;
}
/* A hash of the files' parameters and record counts, in order: what the
 * later stages' files carry, so that a bucket file is never used with
 * other signature files than those it was made from. */
uint64_t sig_fingerprint(const struct sig_file *sigs, int n);
/* Checks that the files agree on their parameters; 0, or -1 with err set. */
int sig_check_same(const struct sig_file *sigs, int n, char *err, size_t errn);

static inline const uint64_t *sig_entry(const struct sig_file *s, uint64_t i)
{
	return s->entries + i * s->entry_words;
}
static inline const char *sig_key(const struct sig_file *s, uint64_t i, size_t *len)
{
	*len = (size_t)(s->key_off[i + 1] - s->key_off[i]);
	return s->keys + s->key_off[i];
}
static inline const uint64_t *sig_set(const struct sig_file *s, uint64_t i, size_t *n)
{
	*n = (size_t)(s->set_off[i + 1] - s->set_off[i]);
	return s->sets + s->set_off[i];
}

#endif
