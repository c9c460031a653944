/* batchify.h - the batchify pipeline: token records (or llm.c shards) as
 * documents, split by a hash of their key into training and validation,
 * shuffled through a bounded buffer, and written as [B, T+1] batch records
 * (batcher.h) or as llm.c shards, each output with its stream header.
 *
 * The token ids are checked against the vocabulary; eot, vocab_size and the
 * output's dtype, unless given, come from the first input's stream header.
 * Errors end the program (die, with the exit codes of sluice-rec(5)). */
#ifndef SLUICE_BATCHIFY_H
#define SLUICE_BATCHIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cli.h"
#include "base/shard.h"

struct batchify_opts {
	uint32_t B, T;               /* the batch shape: B rows of T+1 ids */
	uint32_t eot, vocab_size;    /* valid when have_eot, have_vocab */
	bool have_eot, have_vocab;
	bool pad, drop_last;         /* batcher.h */
	uint64_t epochs;             /* passes over the inputs (files only) */
	uint64_t shuffle, seed;      /* the shuffle buffer's size (0: none) */
	uint64_t shard_tokens;       /* ids a shard with to_bin */
	double val_frac;             /* share of the documents to validation */
	const char *val_out, *output; /* NULL: stdout (output only) */
	const char *to_bin;          /* a directory: write llm.c shards there */
	int dtype;                   /* of the output (REC_DT_U16/U32); 0: the input's */
	unsigned raw_width;          /* of raw .bin shards: 2 or 4 */
	char **from_bin;             /* shards to read instead of records */
	size_t n_from_bin;
	struct shard shard;          /* the part of the inputs to read (base/shard.h) */
	enum cli_progress progress;
	int argc;                    /* the command line, for the stream headers */
	char **argv;
};

/* Opens an llm.c shard for --from-bin: a path, or an s3:// or http(s)://
 * URL fetched into a temporary copy (net/localcopy.h; a fetch that fails
 * ends the program, status 1).  As llmc_open. */
struct llmc_shard;
int batchify_open_shard(struct llmc_shard *sh, const char *path, unsigned raw_width, char *err, size_t errn);

/* Reads inputs[nin] (record files, "-" for stdin), or o->from_bin when
 * there are shards, and writes the outputs.  With o->shard, only that part
 * of the files (when there are enough), else of the documents. */
void batchify(const struct batchify_opts *o, char **inputs, int nin);

#endif
