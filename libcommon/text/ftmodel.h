/* ftmodel.h - the inside of a fastText model (fasttext.h) as its reader,
 * ftmodel.c, leaves it for the predictor, fasttext.c: the saved
 * arguments, the dictionary with its hash table, the input and output
 * matrices (dense or product-quantized), and the hierarchical softmax's
 * tree.  Every index in it has been checked against the sizes it indexes,
 * so the predictor needs no checks of its own. */
#ifndef SLUICE_FTMODEL_H
#define SLUICE_FTMODEL_H

#include <stddef.h>
#include <stdint.h>

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

/* The most characters in a subword, and the most words in a word n-gram,
 * this reader takes (fastText has no limit; its models use 6 and 5 at
 * most): they bound the rows a word can have. */
#define FT_MAX_GRAM 64

struct ft_prune_slot {
	int32_t key, row;
};

/* A growing list of input rows. */
struct ft_rows {
	int32_t *v;
	size_t n, cap;
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
	struct ft_prune_slot *prune; /* open addressing, key -1 = empty */
	uint32_t prune_mask;
	int32_t *prune_direct; /* the same by bucket, or NULL */
	uint64_t *prune_kept;  /* with prune_direct: bit b set if bucket b is kept */
	/* With subwords, word i's input rows (itself and its n-grams') are
	 * word_rows[word_rows_at[i] .. word_rows_at[i + 1]), worked out once
	 * at load as fastText does; NULL without subwords (a word is its own
	 * row then). */
	uint32_t *word_rows_at;
	int32_t *word_rows;
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

/* The model in data[0..len); NULL with "name: offset N: what is wrong"
 * in err when it is not a supervised fastText model or is damaged. */
struct ft_model *ft_model_read(const void *data, size_t len, const char *name, char *err, size_t errn);
void ft_model_free(struct ft_model *m);

/* The entry named word[0..len) with hash h, or -1. */
int32_t ft_find_word(const struct ft_model *m, const char *word, uint32_t len, uint32_t h);

/* Appends row to r; -1 when out of memory. */
int ft_rows_grow(struct ft_rows *r);
static inline int ft_rows_push(struct ft_rows *r, int32_t row)
{
	if (r->n == r->cap && ft_rows_grow(r) < 0)
		return -1;
	r->v[r->n++] = row;
	return 0;
}

/* Appends hash bucket b's input row, if the model keeps it (fastText's
 * pushHash); -1 when out of memory. */
int ft_push_bucket(const struct ft_model *m, struct ft_rows *r, uint32_t b);

/* Appends the rows of the character n-grams of "<token>" (fastText's
 * computeSubwords); -1 when out of memory. */
int ft_push_subwords(const struct ft_model *m, struct ft_rows *r, const char *token, size_t len);

#endif
