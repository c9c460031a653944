/* ftmodel.h - the inside of a fastText model (fasttext.h) as its reader,
 * ftmodel.c, leaves it for the predictor, fasttext.c: the saved
 * arguments, the dictionary with its hash table, the input and output
 * matrices (dense or product-quantized), and the hierarchical softmax's
 * tree.  Every index in it has been checked against the sizes it indexes,
 * so the predictor needs no checks of its own. */
#ifndef SLUICE_FTMODEL_H
#define SLUICE_FTMODEL_H

#include <stdint.h>

#include "text/fasttext.h"

enum ft_loss { FT_LOSS_HS = 1, FT_LOSS_NS = 2, FT_LOSS_SOFTMAX = 3, FT_LOSS_OVA = 4 };

/* fastText's sigmoid is a lookup in a table of 513 values over [-8, 8]. */
#define FT_SIGMOID_TABLE 512
#define FT_SIGMOID_MAX 8
/* A product quantizer's centroids per sub-quantizer (fastText's nbits 8). */
#define FT_KSUB 256

/* A matrix of rows x cols floats, or its product-quantized form: each row
 * is nsubq one-byte codes, code m naming one of FT_KSUB centroids of the
 * m-th slice of dsub columns (lastdsub for the last slice), and, with
 * norms, one more code naming the row's norm. */
struct ft_matrix {
	int64_t rows;
	int32_t cols;
	float *dense; /* rows * cols, or NULL when quantized */
	uint8_t *codes;       /* rows * nsubq */
	int32_t nsubq, dsub, lastdsub;
	float *centroids;     /* cols * FT_KSUB */
	uint8_t *norm_codes;  /* rows, or NULL without norms */
	float norm_centroids[FT_KSUB];
};

/* A dictionary entry: its name in ft_model.names, its FNV-1a hash. */
struct ft_entry {
	uint32_t off, len, hash;
};

struct ft_model {
	int32_t dim, word_ngrams, loss, bucket, minn, maxn;
	int32_t nwords, nlabels; /* entries [0, nwords) are words, then labels */
	struct ft_entry *entries;
	char *names;             /* the entries' names, each NUL-terminated */
	uint32_t *word_slots;    /* open addressing: entry index + 1, 0 = empty */
	uint32_t word_mask;
	/* A pruned (quantized with -cutoff) model keeps only some hash
	 * buckets: prune_size is -1 when not pruned, 0 when no bucket is kept,
	 * else the count of bucket -> row pairs in the table. */
	int64_t prune_size;
	int32_t *prune_keys, *prune_rows; /* open addressing, key -1 = empty */
	uint32_t prune_mask;
	struct ft_matrix input, output;
	/* Hierarchical softmax: node i < nlabels is label i's leaf; inner
	 * node i has children left[i - nlabels], right[i - nlabels] and the
	 * output row i - nlabels.  The root is 2 * nlabels - 2. */
	int32_t *hs_left, *hs_right;
	float sigmoid[FT_SIGMOID_TABLE + 1];
};

/* FNV-1a as fastText computes it: each byte sign-extended first. */
static inline uint32_t ft_hash_step(uint32_t h, unsigned char c)
{
	return (h ^ (uint32_t)(int32_t)(int8_t)c) * 16777619u;
}
#define FT_HASH_INIT 2166136261u

/* The entry named word[0..len) with hash h, or -1. */
int32_t ft_find_word(const struct ft_model *m, const char *word, uint32_t len, uint32_t h);
/* The input row of hash bucket b of a pruned model, or -1 when pruned away. */
int32_t ft_pruned_row(const struct ft_model *m, int32_t b);

#endif
