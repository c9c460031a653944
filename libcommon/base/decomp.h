/* decomp.h - a source that decompresses another: gzip (every member), zstd
 * (every frame), bzip2 (every stream), xz and lz4 frames, chosen by the
 * data's magic bytes; anything else passes through untouched.
 *
 * The file name's extension (.gz .zst .bz2 .xz .lz4) never overrides the
 * magic: it only lets a mismatch fail with a clear message (a ".gz" that is
 * zstd, or plain text) instead of rows of binary noise.
 *
 * Corrupt or truncated data makes read return -1, and error() says
 * "gzip: invalid compressed data at input byte N (why)" or
 * "xz: compressed data truncated at input byte N"; N counts compressed
 * bytes.  Memory is bounded (one input buffer and the codec's window, with
 * zstd windows capped at 2^27 and xz at 1 GiB), so a decompression bomb
 * costs time, not memory, and a truncated input ends, never hangs. */
#ifndef SLUICE_DECOMP_H
#define SLUICE_DECOMP_H

#include <stddef.h>

#include "base/source.h"

enum decomp_kind {
	DECOMP_NONE = 0,
	DECOMP_GZIP,
	DECOMP_ZSTD,
	DECOMP_BZIP2,
	DECOMP_XZ,
	DECOMP_LZ4,
};

/* Wraps in (taken over: it is closed with *out, or at once on failure).
 * name is used for the extension check and messages only.  Peeks the
 * first bytes (without losing them) to pick the codec; returns 0, or -1
 * with "NAME: what" in err (a read error, an extension/magic mismatch,
 * an unsupported variant such as legacy lz4).  *kind, if not NULL, gets
 * the codec chosen.  A passthrough keeps in.size; decompressed sources
 * report size 0 (unknown). */
int decomp_open(struct source *out, struct source in, const char *name, char *err,
                size_t errn);
int decomp_open_kind(struct source *out, struct source in, const char *name,
                     enum decomp_kind *kind, char *err, size_t errn);

/* The codec a name's extension promises (DECOMP_NONE if none). */
enum decomp_kind decomp_kind_of_name(const char *name);
/* Length of name without a compression extension: "a.csv.gz" -> 5, so the
 * caller can choose a row reader by the extension beneath. */
size_t decomp_stem_len(const char *name);
const char *decomp_kind_name(enum decomp_kind k); /* "gzip", ...; "none" */

#endif
