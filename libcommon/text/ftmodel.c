/* ftmodel.c - reading a fastText model file (see ftmodel.h, fasttext.h).
 *
 * The layout, all little-endian, as fastText's saveModel writes it:
 *
 *   int32 magic 793712314, int32 version (11 or 12)
 *   args: int32 dim ws epoch minCount neg wordNgrams loss model bucket
 *         minn maxn lrUpdateRate, double t
 *   dictionary: int32 size nwords nlabels, int64 ntokens pruneidx_size,
 *         size x (NUL-terminated name, int64 count, int8 type),
 *         pruneidx_size x (int32 bucket, int32 row)
 *   bool quant_input, input matrix, bool qout, output matrix
 *
 * A dense matrix is int64 rows, int64 cols, rows x cols float32.  A
 * quantized one is bool qnorm, int64 rows, int64 cols, int32 codesize,
 * codesize code bytes, a product quantizer (int32 dim nsubq dsub lastdsub,
 * dim x 256 float32 centroids), and with qnorm the rows' norm codes and
 * the norms' own quantizer (of dimension 1).  The output matrix is
 * quantized only when the input is and qout is set.
 *
 * fastText trusts all of it; this reader checks each size against the
 * bytes left before allocating, and each index the predictor will follow
 * against what it indexes. */
#include "text/ftmodel.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"

#define FT_MAGIC 793712314
#define FT_MODEL_SUP 3
#define FT_ENTRY_WORD 0
#define FT_ENTRY_LABEL 1
#define PRUNE_DIRECT_MAX (16 << 20)

/* A cursor over the file's bytes; the first error sticks. */
struct reader {
	const unsigned char *p;
	size_t len, pos;
	const char *name;
	char *err;
	size_t errn;
	int failed;
};

/* "NAME: offset AT: what is wrong" (the first error only); returns -1. */
SLUICE_PRINTF(3, 4) static int fail_at(struct reader *r, size_t at, const char *fmt, ...)
{
	if (!r->failed) {
		char what[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		errorf(r->err, r->errn, "%s: offset %zu: %s", r->name, at, what);
	}
	r->failed = 1;
	return -1;
}

/* n bytes at the cursor, or NULL (and a truncation error naming what). */
static const unsigned char *take(struct reader *r, size_t n, const char *what)
{
	if (r->failed)
		return NULL;
	if (r->len - r->pos < n) {
		fail_at(r, r->pos, "truncated: %zu bytes of %s, %zu left", n, what, r->len - r->pos);
		return NULL;
	}
	const unsigned char *q = r->p + r->pos;
	r->pos += n;
	return q;
}

static int32_t read_i32(struct reader *r, const char *what)
{
	const unsigned char *q = take(r, 4, what);
	if (!q)
		return 0;
	uint32_t v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
	return (int32_t)v;
}

static int64_t read_i64(struct reader *r, const char *what)
{
	const unsigned char *q = take(r, 8, what);
	if (!q)
		return 0;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | q[i];
	return (int64_t)v;
}

static int read_u8(struct reader *r, const char *what)
{
	const unsigned char *q = take(r, 1, what);
	return q ? q[0] : 0;
}

/* n floats into dst (the file's floats are unaligned). */
static int read_floats(struct reader *r, float *dst, size_t n, const char *what)
{
	const unsigned char *q = take(r, n * sizeof(float), what);
	if (!q)
		return -1;
	memcpy(dst, q, n * sizeof(float));
	return 0;
}

static int oom(struct reader *r)
{
	return fail_at(r, r->pos, "out of memory");
}

static size_t left(const struct reader *r)
{
	return r->len - r->pos;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = FT_HASH_INIT;
	for (size_t i = 0; i < n; i++)
		h = ft_hash_step(h, (unsigned char)s[i]);
	return h;
}

int32_t ft_find_word(const struct ft_model *m, const char *word, uint32_t len, uint32_t h)
{
	for (uint32_t i = h & m->word_mask;; i = (i + 1) & m->word_mask) {
		uint32_t slot = m->word_slots[i];
		if (!slot)
			return -1;
		const struct ft_entry *e = &m->entries[slot - 1];
		if (e->hash == h && e->len == len && memcmp(m->names + e->off, word, len) == 0)
			return (int32_t)(slot - 1);
	}
}

static uint32_t prune_home(int32_t key, uint32_t mask)
{
	return ((uint32_t)key * 2654435761u) & mask;
}

int ft_rows_grow(struct ft_rows *r)
{
	size_t cap = r->cap ? 2 * r->cap : 256;
	if (cap > SIZE_MAX / sizeof *r->v)
		return -1;
	int32_t *v = realloc(r->v, cap * sizeof *v);
	if (!v)
		return -1;
	r->v = v, r->cap = cap;
	return 0;
}

int ft_push_bucket(const struct ft_model *m, struct ft_rows *r, uint32_t b)
{
	if (m->prune_size == 0)
		return 0;
	if (m->prune_size < 0)
		return ft_rows_push(r, m->nwords + (int32_t)b);
	if (m->prune_direct) {
		if (b >= (uint32_t)m->bucket || !(m->prune_kept[b / 64] >> (b % 64) & 1))
			return 0;
		return ft_rows_push(r, m->nwords + m->prune_direct[b]);
	}
	for (uint32_t i = prune_home((int32_t)b, m->prune_mask);; i = (i + 1) & m->prune_mask) {
		if (m->prune[i].key == (int32_t)b)
			return ft_rows_push(r, m->nwords + m->prune[i].row);
		if (m->prune[i].key == -1)
			return 0;
	}
}

static int is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* ft_push_subwords on w[0..n), "<token>" already framed. */
static int push_framed_subwords(const struct ft_model *m, struct ft_rows *r, const unsigned char *w, size_t n)
{
	uint32_t bucket = (uint32_t)m->bucket;
	/* FNV-1a goes a byte at a time, so one pass from each start hashes
	 * all the n-grams that begin there */
	for (size_t i = 0; i < n; i++) {
		if (is_continuation(w[i]))
			continue;
		uint32_t h = FT_HASH_INIT;
		size_t j = i;
		for (int32_t chars = 1; j < n && chars <= m->maxn; chars++) {
			h = ft_hash_step(h, w[j++]);
			while (j < n && is_continuation(w[j]))
				h = ft_hash_step(h, w[j++]);
			if (chars >= m->minn && !(chars == 1 && (i == 0 || j == n)) && ft_push_bucket(m, r, h % bucket) < 0)
				return -1;
		}
	}
	return 0;
}

int ft_push_subwords(const struct ft_model *m, struct ft_rows *r, const char *token, size_t len)
{
	if (m->maxn <= 0 || m->bucket == 0 || m->prune_size == 0)
		return 0;
	unsigned char frame[256];
	unsigned char *w = len + 2 <= sizeof frame ? frame : malloc(len + 2);
	if (!w)
		return -1;
	w[0] = '<';
	memcpy(w + 1, token, len);
	w[len + 1] = '>';
	int rc = push_framed_subwords(m, r, w, len + 2);
	if (w != frame)
		free(w);
	return rc;
}

/* A power of two at least twice n (n well under 2^31). */
static uint32_t table_size(uint64_t n)
{
	uint32_t size = 16;
	while (size < 2 * n)
		size *= 2;
	return size;
}

static int read_args(struct reader *r, struct ft_model *m)
{
	size_t at = r->pos;
	int32_t magic = read_i32(r, "the magic number");
	if (!r->failed && magic != FT_MAGIC)
		return fail_at(r, at, "not a fastText model (wrong magic number)");
	at = r->pos;
	int32_t version = read_i32(r, "the version");
	if (!r->failed && version != 11 && version != 12) {
		return fail_at(r, at, "fastText file version %d, not 11 or 12", (int)version);
	}
	size_t dim_at = r->pos;
	m->dim = read_i32(r, "the arguments");
	read_i32(r, "the arguments"); /* ws */
	read_i32(r, "the arguments"); /* epoch */
	read_i32(r, "the arguments"); /* minCount */
	read_i32(r, "the arguments"); /* neg */
	m->word_ngrams = read_i32(r, "the arguments");
	size_t loss_at = r->pos;
	m->loss = read_i32(r, "the arguments");
	size_t model_at = r->pos;
	int32_t model = read_i32(r, "the arguments");
	size_t bucket_at = r->pos;
	m->bucket = read_i32(r, "the arguments");
	m->minn = read_i32(r, "the arguments");
	m->maxn = read_i32(r, "the arguments");
	read_i32(r, "the arguments"); /* lrUpdateRate */
	take(r, 8, "the arguments");  /* t */
	if (r->failed)
		return -1;
	if (model != FT_MODEL_SUP) {
		const char *kind = model == 1 ? "cbow" : model == 2 ? "skipgram" : "unknown";
		return fail_at(r, model_at, "an unsupervised model (%s), not a classifier: nothing to predict", kind);
	}
	if (m->loss < FT_LOSS_HS || m->loss > FT_LOSS_OVA)
		return fail_at(r, loss_at, "unknown loss");
	if (m->dim <= 0)
		return fail_at(r, dim_at, "dimension not positive");
	if (m->bucket < 0)
		return fail_at(r, bucket_at, "negative bucket count");
	/* fastText's own backward compatibility: the supervised models of
	 * version 11 had no subwords. */
	if (version == 11)
		m->maxn = 0;
	if (m->word_ngrams > FT_MAX_GRAM)
		return fail_at(r, dim_at + 20, "word n-grams of %d words, more than the %d this reader takes",
		               (int)m->word_ngrams, FT_MAX_GRAM);
	if (m->maxn > FT_MAX_GRAM)
		return fail_at(r, bucket_at + 8, "subwords of %d characters, more than the %d this reader takes",
		               (int)m->maxn, FT_MAX_GRAM);
	return 0;
}

/* The dictionary, and into *label_counts (malloc'd) the labels' counts,
 * which the hierarchical softmax's tree is built from. */
static int read_dictionary(struct reader *r, struct ft_model *m, int64_t **label_counts)
{
	size_t at = r->pos;
	int32_t size = read_i32(r, "the dictionary");
	m->nwords = read_i32(r, "the dictionary");
	m->nlabels = read_i32(r, "the dictionary");
	read_i64(r, "the dictionary"); /* ntokens */
	size_t prune_at = r->pos;
	m->prune_size = read_i64(r, "the dictionary");
	if (r->failed)
		return -1;
	if (m->nwords < 0 || m->nlabels < 1 || (int64_t)m->nwords + m->nlabels != size)
		return fail_at(r, at, "dictionary sizes do not add up (size = words + labels, one label at least)");
	/* an entry takes 10 bytes at least: NUL, count, type */
	if ((uint64_t)size > left(r) / 10)
		return fail_at(r, r->pos, "truncated: fewer bytes left than the dictionary's entries need");
	m->entries = malloc((size_t)size * sizeof *m->entries);
	/* the names take no more than the bytes left */
	m->names = malloc(left(r));
	*label_counts = malloc((size_t)m->nlabels * sizeof **label_counts);
	if (!m->entries || !m->names || !*label_counts)
		return oom(r);
	size_t names_len = 0;
	for (int32_t i = 0; i < size; i++) {
		size_t name_at = r->pos;
		const unsigned char *start = r->p + r->pos;
		const unsigned char *nul = memchr(start, 0, left(r));
		if (!nul)
			return fail_at(r, name_at, "truncated: a dictionary entry's name has no end");
		size_t n = (size_t)(nul - start);
		if (n > UINT32_MAX / 2)
			return fail_at(r, name_at, "dictionary entry name too long");
		r->pos += n + 1;
		int64_t count = read_i64(r, "a dictionary entry");
		size_t type_at = r->pos;
		int type = read_u8(r, "a dictionary entry");
		if (r->failed)
			return -1;
		if (type != (i < m->nwords ? FT_ENTRY_WORD : FT_ENTRY_LABEL))
			return fail_at(r, type_at, "dictionary entry out of place: the words come first, then the labels");
		if (i >= m->nwords)
			(*label_counts)[i - m->nwords] = count;
		memcpy(m->names + names_len, start, n + 1);
		m->entries[i] = (struct ft_entry){(uint32_t)names_len, (uint32_t)n, hash_bytes((const char *)start, n)};
		names_len += n + 1;
	}
	char *fit = realloc(m->names, names_len + 1); /* it was sized for the whole rest */
	if (fit)
		m->names = fit;
	m->word_mask = table_size((uint64_t)size) - 1;
	m->word_slots = calloc((size_t)m->word_mask + 1, sizeof *m->word_slots);
	if (!m->word_slots)
		return oom(r);
	/* A name twice: the later entry wins, as in fastText's table. */
	for (int32_t i = 0; i < size; i++) {
		const struct ft_entry *e = &m->entries[i];
		uint32_t j = e->hash & m->word_mask;
		for (; m->word_slots[j]; j = (j + 1) & m->word_mask) {
			const struct ft_entry *o = &m->entries[m->word_slots[j] - 1];
			if (o->hash == e->hash && o->len == e->len && memcmp(m->names + o->off, m->names + e->off, e->len) == 0)
				break;
		}
		m->word_slots[j] = (uint32_t)i + 1;
	}
	if (m->prune_size > 0) {
		if ((uint64_t)m->prune_size > left(r) / 8)
			return fail_at(r, prune_at, "truncated: fewer bytes left than the pruned buckets need");
		m->prune_mask = table_size((uint64_t)m->prune_size) - 1;
		m->prune = malloc(((size_t)m->prune_mask + 1) * sizeof *m->prune);
		if (!m->prune)
			return oom(r);
		for (size_t i = 0; i <= m->prune_mask; i++)
			m->prune[i] = (struct ft_prune_slot){-1, -1};
		for (int64_t i = 0; i < m->prune_size; i++) {
			size_t pair_at = r->pos;
			int32_t key = read_i32(r, "the pruned buckets");
			int32_t row = read_i32(r, "the pruned buckets");
			/* the input row's range is checked when the matrix is read;
			 * fastText only ever looks up buckets 0 .. bucket-1 */
			if (key < 0 || row < 0)
				return fail_at(r, pair_at, "negative pruned bucket");
			uint32_t j = prune_home(key, m->prune_mask);
			while (m->prune[j].key != -1 && m->prune[j].key != key)
				j = (j + 1) & m->prune_mask;
			m->prune[j] = (struct ft_prune_slot){key, row}; /* the later pair wins */
		}
		/* Up to 64 MB, bucket -> row straight, not a probe sequence, and
		 * a bit a bucket to say which are kept: most subwords of a text
		 * are not, and the bits (256 KB for 2M buckets) stay in cache. */
		if (m->bucket <= PRUNE_DIRECT_MAX) {
			size_t words = ((size_t)m->bucket + 63) / 64 + 1;
			m->prune_direct = malloc((size_t)m->bucket * sizeof(int32_t) + 1);
			m->prune_kept = calloc(words, sizeof *m->prune_kept);
			if (!m->prune_direct || !m->prune_kept)
				return oom(r);
			for (size_t i = 0; i <= m->prune_mask; i++) {
				int32_t key = m->prune[i].key;
				if (key >= 0 && key < m->bucket) {
					m->prune_direct[key] = m->prune[i].row;
					m->prune_kept[key / 64] |= (uint64_t)1 << (key % 64);
				}
			}
		}
	}
	return r->failed ? -1 : 0;
}

static int read_dense(struct reader *r, struct ft_matrix *x, const char *what)
{
	size_t at = r->pos;
	int64_t rows = read_i64(r, what), cols = read_i64(r, what);
	if (r->failed)
		return -1;
	if (rows < 0 || cols <= 0 || cols > INT32_MAX)
		return fail_at(r, at, "matrix size out of range");
	if ((uint64_t)rows > left(r) / sizeof(float) / (uint64_t)cols)
		return fail_at(r, r->pos, "truncated: fewer bytes left than the matrix needs");
	x->rows = rows, x->cols = (int32_t)cols;
	x->dense = malloc((size_t)(rows * cols) * sizeof(float) + 1);
	if (!x->dense)
		return oom(r);
	return read_floats(r, x->dense, (size_t)(rows * cols), what);
}

/* A product quantizer of dimension dim: its shape (which must tile dim
 * exactly) and dim x FT_KSUB centroids into *centroids (or into fixed,
 * for the norms' quantizer of dimension 1). */
static int read_pq(struct reader *r, int32_t dim, struct ft_matrix *x, float **centroids, float *fixed)
{
	size_t at = r->pos;
	int32_t pq_dim = read_i32(r, "a product quantizer");
	int32_t nsubq = read_i32(r, "a product quantizer");
	int32_t dsub = read_i32(r, "a product quantizer");
	int32_t lastdsub = read_i32(r, "a product quantizer");
	if (r->failed)
		return -1;
	if (pq_dim != dim || nsubq <= 0 || dsub <= 0 || lastdsub <= 0 || lastdsub > dsub ||
	    (int64_t)(nsubq - 1) * dsub + lastdsub != dim)
		return fail_at(r, at, "product quantizer's shape does not fit the matrix");
	if ((uint64_t)dim > left(r) / sizeof(float) / FT_KSUB)
		return fail_at(r, r->pos, "truncated: fewer bytes left than the centroids need");
	if (x)
		x->nsubq = nsubq, x->dsub = dsub, x->lastdsub = lastdsub;
	if (fixed)
		return read_floats(r, fixed, FT_KSUB, "the norms' centroids");
	*centroids = malloc((size_t)dim * FT_KSUB * sizeof(float));
	if (!*centroids)
		return oom(r);
	return read_floats(r, *centroids, (size_t)dim * FT_KSUB, "the centroids");
}

static int read_quantized(struct reader *r, struct ft_matrix *x, const char *what)
{
	size_t at = r->pos;
	int qnorm = read_u8(r, what);
	int64_t rows = read_i64(r, what), cols = read_i64(r, what);
	size_t codes_at = r->pos;
	int32_t codesize = read_i32(r, what);
	if (r->failed)
		return -1;
	if (rows < 0 || rows > INT32_MAX || cols <= 0 || cols > INT32_MAX || qnorm > 1)
		return fail_at(r, at, "quantized matrix header out of range");
	if (codesize < 0 || (uint32_t)codesize > left(r))
		return fail_at(r, codes_at, "truncated: fewer bytes left than the codes need");
	x->rows = rows, x->cols = (int32_t)cols;
	x->codes = malloc((size_t)codesize + 1);
	if (!x->codes)
		return oom(r);
	memcpy(x->codes, take(r, (size_t)codesize, what), (size_t)codesize);
	if (read_pq(r, x->cols, x, &x->centroids, NULL) < 0)
		return -1;
	if ((int64_t)codesize != rows * x->nsubq)
		return fail_at(r, codes_at, "code count is not rows x sub-quantizers");
	if (qnorm) {
		const unsigned char *q = take(r, (size_t)rows, "the norm codes");
		if (!q)
			return -1;
		x->norm_codes = malloc((size_t)rows + 1);
		if (!x->norm_codes)
			return oom(r);
		memcpy(x->norm_codes, q, (size_t)rows);
		if (read_pq(r, 1, NULL, NULL, x->norm_centroids) < 0)
			return -1;
	}
	return 0;
}

/* The hierarchical softmax's tree, built as fastText builds it from the
 * label counts (a Huffman tree: the labels come sorted by count, most
 * frequent first).  Counts that are not so sorted (a damaged file) can
 * make fastText's construction pick a node not built yet; that is refused
 * here, and what is left is a proper tree under the root. */
static int build_tree(struct reader *r, struct ft_model *m, const int64_t *counts)
{
	int32_t osz = m->nlabels;
	size_t nodes = 2 * (size_t)osz - 1;
	int64_t *count = malloc(nodes * sizeof *count);
	m->hs_left = malloc((size_t)osz * sizeof *m->hs_left);
	m->hs_right = malloc((size_t)osz * sizeof *m->hs_right);
	if (!count || !m->hs_left || !m->hs_right) {
		free(count);
		return oom(r);
	}
	for (size_t i = 0; i < nodes; i++)
		count[i] = i < (size_t)osz ? counts[i] : (int64_t)1e15;
	int32_t leaf = osz - 1, node = osz;
	for (int32_t i = osz; i < 2 * osz - 1; i++) {
		int32_t pick[2];
		for (int j = 0; j < 2; j++) {
			pick[j] = leaf >= 0 && count[leaf] < count[node] ? leaf-- : node++;
			if (pick[j] >= i) {
				free(count);
				return fail_at(r, r->pos, "label counts out of order: no hierarchical softmax tree");
			}
		}
		m->hs_left[i - osz] = pick[0];
		m->hs_right[i - osz] = pick[1];
		/* int64 sums of damaged counts may overflow: wrap as fastText would */
		count[i] = (int64_t)((uint64_t)count[pick[0]] + (uint64_t)count[pick[1]]);
	}
	free(count);
	return 0;
}

static void sigmoid_table(float *t)
{
	for (int i = 0; i <= FT_SIGMOID_TABLE; i++) {
		float x = (float)(i * 2 * FT_SIGMOID_MAX) / FT_SIGMOID_TABLE - FT_SIGMOID_MAX;
		t[i] = (float)(1.0 / (1.0 + expf(-x)));
	}
}

static int read_matrices(struct reader *r, struct ft_model *m)
{
	size_t at = r->pos;
	int quant_input = read_u8(r, "the input matrix");
	if (r->failed)
		return -1;
	if (quant_input > 1)
		return fail_at(r, at, "quantization flag neither 0 nor 1");
	at = r->pos;
	if ((quant_input ? read_quantized(r, &m->input, "the input matrix") : read_dense(r, &m->input, "the input matrix")) < 0)
		return -1;
	if (m->input.cols != m->dim)
		return fail_at(r, at, "input matrix's width is not the dimension");
	if (m->input.rows < m->nwords)
		return fail_at(r, at, "input matrix has fewer rows than the dictionary has words");
	if (m->prune_size > 0 && !quant_input)
		return fail_at(r, at, "a pruned dictionary with an input matrix that is not quantized");
	if (m->prune_size < 0 && m->bucket > 0 && m->input.rows - m->nwords < m->bucket)
		return fail_at(r, at, "input matrix has fewer rows than the words and buckets need");
	for (uint64_t i = 0; m->prune_size > 0 && i <= m->prune_mask; i++)
		if (m->prune[i].key != -1 && m->prune[i].row >= m->input.rows - m->nwords)
			return fail_at(r, at, "a pruned bucket's row is past the input matrix");
	at = r->pos;
	int qout = read_u8(r, "the output matrix");
	if (r->failed)
		return -1;
	if (qout > 1)
		return fail_at(r, at, "quantization flag neither 0 nor 1");
	at = r->pos;
	if ((quant_input && qout ? read_quantized(r, &m->output, "the output matrix")
	                         : read_dense(r, &m->output, "the output matrix")) < 0)
		return -1;
	if (m->output.cols != m->dim)
		return fail_at(r, at, "output matrix's width is not the dimension");
	if (m->output.rows != m->nlabels)
		return fail_at(r, at, "output matrix's rows are not the labels");
	return 0;
}

/* Each word's input rows, as fastText's initNgrams works them out. */
static int word_rows(struct reader *r, struct ft_model *m)
{
	if (m->maxn <= 0 || m->bucket == 0 || m->prune_size == 0)
		return 0;
	struct ft_rows rows = {0};
	m->word_rows_at = malloc(((size_t)m->nwords + 1) * sizeof *m->word_rows_at);
	if (!m->word_rows_at)
		return oom(r);
	for (int32_t i = 0; i < m->nwords; i++) {
		const struct ft_entry *e = &m->entries[i];
		m->word_rows_at[i] = (uint32_t)rows.n;
		if (ft_rows_push(&rows, i) < 0)
			goto oom;
		if (!(e->len == 4 && memcmp(m->names + e->off, "</s>", 4) == 0) &&
		    ft_push_subwords(m, &rows, m->names + e->off, e->len) < 0)
			goto oom;
		if (rows.n > UINT32_MAX) {
			free(rows.v);
			return fail_at(r, r->pos, "the words have more subwords than this reader takes");
		}
	}
	m->word_rows_at[m->nwords] = (uint32_t)rows.n;
	m->word_rows = rows.v;
	return 0;
oom:
	free(rows.v);
	return oom(r);
}

static int read_model(struct reader *r, struct ft_model *m)
{
	int64_t *label_counts = NULL;
	int rc = read_args(r, m);
	if (rc == 0)
		rc = read_dictionary(r, m, &label_counts);
	if (rc == 0)
		rc = read_matrices(r, m);
	if (rc == 0)
		rc = word_rows(r, m);
	if (rc == 0 && m->loss == FT_LOSS_HS)
		rc = build_tree(r, m, label_counts);
	sigmoid_table(m->sigmoid);
	free(label_counts);
	return rc;
}

struct ft_model *ft_model_read(const void *data, size_t len, const char *name, char *err, size_t errn)
{
	struct reader r = {data, len, 0, name, err, errn, 0};
	struct ft_model *m = calloc(1, sizeof *m);
	if (!m) {
		errorf(err, errn, "%s: out of memory", name);
		return NULL;
	}
	if (read_model(&r, m) < 0) {
		ft_model_free(m);
		return NULL;
	}
	return m;
}

static void free_matrix(struct ft_matrix *x)
{
	free(x->dense);
	free(x->codes);
	free(x->centroids);
	free(x->norm_codes);
}

void ft_model_free(struct ft_model *m)
{
	if (!m)
		return;
	free(m->entries);
	free(m->names);
	free(m->word_slots);
	free(m->prune);
	free(m->prune_direct);
	free(m->prune_kept);
	free(m->word_rows_at);
	free(m->word_rows);
	free_matrix(&m->input);
	free_matrix(&m->output);
	free(m->hs_left);
	free(m->hs_right);
	free(m);
}
