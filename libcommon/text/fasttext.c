/* fasttext.c - predicting with a fastText model (see fasttext.h): the
 * file mapped and handed to the reader, ftmodel.c, then the prediction.
 *
 * A prediction, as fastText's Dictionary::getLine, Model::predict and the
 * losses do it:
 *   1. the line's words, each to input rows: a known word its own row and
 *      (with subwords) the rows of its character n-grams of "<word>"; an
 *      unknown word only the n-gram rows; then one row per word n-gram;
 *   2. the hidden vector, the mean of those rows;
 *   3. scores: softmax over hidden . output rows; or one sigmoid per label
 *      (ns, ova); or the hierarchical softmax's tree, searched depth first;
 *   4. the k best by log(p + 1e-5) kept in a heap, which decides the order
 *      of equal scores; so the heap is libstdc++'s (std::push_heap,
 *      pop_heap, sort_heap) step for step.
 * The float operations follow fastText's in kind and order (float sums,
 * double where its C++ promotes to double), so the scores come out the
 * same, equal ones included. */
#include "text/fasttext.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"
#include "text/ftmodel.h"

#define EOS "</s>"
#define EOS_LEN 4

struct ft_model *ft_load_mem(const void *data, size_t len, const char *name, char *err, size_t errn)
{
	return ft_model_read(data, len, name, err, errn);
}

struct ft_model *ft_load(const char *path, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		errorf(err, errn, "%s: %s", path, S_ISDIR(st.st_mode) ? "a directory, not a model file" : "not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size == 0) {
		errorf(err, errn, "%s: empty file, not a model", path);
		close(fd);
		return NULL;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct ft_model *m = ft_load_mem(p, (size_t)st.st_size, path, err, errn);
	munmap(p, (size_t)st.st_size);
	return m;
}

void ft_free(struct ft_model *m)
{
	ft_model_free(m);
}

int ft_dim(const struct ft_model *m)
{
	return m->dim;
}

int ft_nlabels(const struct ft_model *m)
{
	return m->nlabels;
}

const char *ft_label_full(const struct ft_model *m, int i)
{
	return m->names + m->entries[m->nwords + i].off;
}

const char *ft_label(const struct ft_model *m, int i)
{
	const char *name = ft_label_full(m, i);
	size_t n = sizeof FT_LABEL_PREFIX - 1;
	return strncmp(name, FT_LABEL_PREFIX, n) == 0 ? name + n : name;
}

struct scored {
	float score; /* log(p + 1e-5) */
	int32_t label;
};

/* A node of the tree search still to visit. */
struct hs_visit {
	int32_t node;
	float score;
};

struct ft_scratch {
	struct ft_rows rows; /* the line's input rows */
	uint32_t *hashes;  /* the line's word hashes, for word n-grams */
	size_t nhashes, hashes_cap;
	float *hidden, *output;
	size_t hidden_cap, output_cap;
	struct scored *heap;
	size_t heap_cap;
	struct hs_visit *stack;
	size_t stack_cap;
};

struct ft_scratch *ft_scratch_new(void)
{
	return calloc(1, sizeof(struct ft_scratch));
}

void ft_scratch_free(struct ft_scratch *s)
{
	if (!s)
		return;
	free(s->rows.v);
	free(s->hashes);
	free(s->hidden);
	free(s->output);
	free(s->heap);
	free(s->stack);
	free(s);
}

/* p (capacity *cap elements of size bytes) with room for n: p itself, or
 * its reallocation (*cap updated), or NULL when out of memory (p kept). */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return p;
	size_t want = *cap ? *cap : 64;
	while (want < n)
		want *= 2;
	if (want > SIZE_MAX / size)
		return NULL;
	void *q = realloc(p, want * size);
	if (q)
		*cap = want;
	return q;
}

/* Makes room for n elements in the array ptr of capacity cap, or returns
 * -1 from the function using it. */
#define RESERVE(ptr, cap, n)                                            \
	do {                                                            \
		void *grown_ = grow((ptr), &(cap), (n), sizeof *(ptr)); \
		if (!grown_)                                            \
			return -1;                                      \
		(ptr) = grown_;                                         \
	} while (0)

/* One word of the line (fastText's getLine body): its rows, and its hash
 * for the word n-grams; a label is passed over. */
static int add_token(const struct ft_model *m, struct ft_scratch *s, const char *token, size_t len)
{
	uint32_t h = FT_HASH_INIT;
	for (size_t i = 0; i < len; i++)
		h = ft_hash_step(h, (unsigned char)token[i]);
	int32_t id = len <= UINT32_MAX ? ft_find_word(m, token, (uint32_t)len, h) : -1;
	int is_label = id >= 0 ? id >= m->nwords
	                       : len >= sizeof FT_LABEL_PREFIX - 1 &&
	                                 memcmp(token, FT_LABEL_PREFIX, sizeof FT_LABEL_PREFIX - 1) == 0;
	if (is_label)
		return 0;
	if (id < 0) {
		if (!(len == EOS_LEN && memcmp(token, EOS, EOS_LEN) == 0) && ft_push_subwords(m, &s->rows, token, len) < 0)
			return -1;
	} else if (m->word_rows) {
		uint32_t from = m->word_rows_at[id], to = m->word_rows_at[id + 1];
		for (uint32_t i = from; i < to; i++)
			if (ft_rows_push(&s->rows, m->word_rows[i]) < 0)
				return -1;
	} else if (ft_rows_push(&s->rows, id) < 0) {
		return -1;
	}
	RESERVE(s->hashes, s->hashes_cap, s->nhashes + 1);
	s->hashes[s->nhashes++] = h;
	return 0;
}

/* The word n-grams' rows (fastText's addWordNgrams): each run of up to n
 * words hashed together, the word hashes sign-extended to 64 bits as
 * fastText's int32 vector of them does. */
static int push_word_ngrams(const struct ft_model *m, struct ft_scratch *s)
{
	if (m->bucket == 0)
		return 0;
	uint64_t bucket = (uint64_t)m->bucket;
	for (size_t i = 0; i < s->nhashes; i++) {
		uint64_t h = (uint64_t)(int64_t)(int32_t)s->hashes[i];
		for (size_t j = i + 1; j < s->nhashes && j - i < (size_t)(m->word_ngrams > 0 ? m->word_ngrams : 0); j++) {
			h = h * 116049371u + (uint64_t)(int64_t)(int32_t)s->hashes[j];
			if (ft_push_bucket(m, &s->rows, (uint32_t)(h % bucket)) < 0)
				return -1;
		}
	}
	return 0;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

/* The line's input rows into s->rows. */
static int line_rows(const struct ft_model *m, struct ft_scratch *s, const char *text, size_t len)
{
	s->rows.n = s->nhashes = 0;
	size_t i = 0;
	for (;;) {
		while (i < len && is_space((unsigned char)text[i]))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && !is_space((unsigned char)text[i]))
			i++;
		if (add_token(m, s, text + start, i - start) < 0)
			return -1;
		if (i - start == EOS_LEN && memcmp(text + start, EOS, EOS_LEN) == 0)
			return push_word_ngrams(m, s);
	}
	if (add_token(m, s, EOS, EOS_LEN) < 0)
		return -1;
	return push_word_ngrams(m, s);
}

/* centroid code of sub-quantizer q of matrix x (fastText's get_centroids) */
static const float *centroid(const struct ft_matrix *x, int32_t q, uint8_t code)
{
	if (q == x->nsubq - 1)
		return x->centroids + (size_t)q * FT_KSUB * x->dsub + (size_t)code * x->lastdsub;
	return x->centroids + ((size_t)q * FT_KSUB + code) * x->dsub;
}

/* v += row i (fastText's addRowToVector, dense or quantized). */
static void add_row(const struct ft_matrix *x, int64_t i, float *v)
{
	if (x->dense) {
		const float *row = x->dense + i * x->cols;
		for (int32_t j = 0; j < x->cols; j++)
			v[j] += row[j];
		return;
	}
	float alpha = x->norm_codes ? x->norm_centroids[x->norm_codes[i]] : 1.0f;
	const uint8_t *code = x->codes + i * x->nsubq;
	if (x->dsub == 2 && x->lastdsub == 2) { /* fastText's default, lid.176's */
		for (int32_t q = 0; q < x->nsubq; q++) {
			const float *c = x->centroids + ((size_t)q * FT_KSUB + code[q]) * 2;
			v[2 * q] += alpha * c[0];
			v[2 * q + 1] += alpha * c[1];
		}
		return;
	}
	for (int32_t q = 0; q < x->nsubq; q++) {
		int32_t d = q == x->nsubq - 1 ? x->lastdsub : x->dsub;
		const float *c = centroid(x, q, code[q]);
		float *out = v + (size_t)q * x->dsub;
		for (int32_t j = 0; j < d; j++)
			out[j] += alpha * c[j];
	}
}

/* row i . v (fastText's dotRow, dense or quantized). */
static float dot_row(const struct ft_matrix *x, int64_t i, const float *v)
{
	float d = 0.0f;
	if (x->dense) {
		const float *row = x->dense + i * x->cols;
		for (int32_t j = 0; j < x->cols; j++)
			d += row[j] * v[j];
		return d;
	}
	float alpha = x->norm_codes ? x->norm_centroids[x->norm_codes[i]] : 1.0f;
	const uint8_t *code = x->codes + i * x->nsubq;
	for (int32_t q = 0; q < x->nsubq; q++) {
		int32_t n = q == x->nsubq - 1 ? x->lastdsub : x->dsub;
		const float *c = centroid(x, q, code[q]);
		const float *in = v + (size_t)q * x->dsub;
		for (int32_t j = 0; j < n; j++)
			d += in[j] * c[j];
	}
	return d * alpha;
}

/* fastText's std_log: the log of a probability, kept finite for 0. */
static float std_log(float p)
{
	return (float)log((double)p + 1e-5);
}

static float table_sigmoid(const struct ft_model *m, float x)
{
	if (x < -FT_SIGMOID_MAX)
		return 0.0f;
	if (x > FT_SIGMOID_MAX)
		return 1.0f;
	if (x != x) /* NaN: fastText would index with it; any value is as good */
		return 0.0f;
	float at = (x + FT_SIGMOID_MAX) * FT_SIGMOID_TABLE / FT_SIGMOID_MAX / 2;
	return m->sigmoid[(int64_t)at];
}

/* The heap of the k best, a min-heap on score at heap[0], with
 * libstdc++'s std::push_heap / pop_heap / sort_heap moves exactly, since
 * they decide where equal scores end up. */
static int better(const struct scored *a, const struct scored *b)
{
	return a->score > b->score; /* fastText's comparePairs */
}

static void sift_up(struct scored *h, size_t hole, size_t top, struct scored v)
{
	size_t parent = (hole - 1) / 2;
	while (hole > top && better(&h[parent], &v)) {
		h[hole] = h[parent];
		hole = parent;
		parent = (hole - 1) / 2;
	}
	h[hole] = v;
}

static void heap_push(struct scored *h, size_t n) /* h[n-1] joins h[0..n-1) */
{
	sift_up(h, n - 1, 0, h[n - 1]);
}

/* Moves the top to h[n-1] and makes h[0..n-1) a heap again. */
static void heap_pop(struct scored *h, size_t n)
{
	if (n < 2)
		return;
	size_t len = n - 1;
	struct scored v = h[len];
	h[len] = h[0];
	size_t hole = 0, child = 0;
	while (child < (len - 1) / 2) {
		child = 2 * (child + 1);
		if (better(&h[child], &h[child - 1]))
			child--;
		h[hole] = h[child];
		hole = child;
	}
	if ((len & 1) == 0 && child == (len - 2) / 2) {
		child = 2 * (child + 1);
		h[hole] = h[child - 1];
		hole = child - 1;
	}
	sift_up(h, hole, 0, v);
}

/* Offers a score to the heap of at most k (fastText's findKBest body). */
static void offer(struct scored *h, size_t *n, size_t k, float score, int32_t label)
{
	if (*n == k && score < h[0].score)
		return;
	h[(*n)++] = (struct scored){score, label};
	heap_push(h, *n);
	if (*n > k) {
		heap_pop(h, *n);
		(*n)--;
	}
}

/* The hierarchical softmax's depth-first search (fastText's dfs), with a
 * stack of its own so that no tree can exhaust the C stack: left child
 * first, each branch dropped once below the threshold or the k-th best. */
static int hs_search(const struct ft_model *m, struct ft_scratch *s, size_t k, float threshold, size_t *n)
{
	int32_t osz = m->nlabels;
	RESERVE(s->stack, s->stack_cap, (size_t)osz + 1);
	float floor = std_log(threshold);
	size_t depth = 0;
	s->stack[depth++] = (struct hs_visit){2 * osz - 2, 0.0f};
	while (depth) {
		struct hs_visit v = s->stack[--depth];
		if (v.score < floor)
			continue;
		if (*n == k && v.score < s->heap[0].score)
			continue;
		if (v.node < osz) {
			offer(s->heap, n, k, v.score, v.node);
			continue;
		}
		float f = dot_row(&m->output, v.node - osz, s->hidden);
		f = (float)(1. / (1.0f + expf(-f)));
		/* the right child waits below the left one */
		s->stack[depth++] = (struct hs_visit){m->hs_right[v.node - osz], v.score + std_log(f)};
		s->stack[depth++] = (struct hs_visit){m->hs_left[v.node - osz], v.score + std_log((float)(1.0 - f))};
	}
	return 0;
}

int ft_predict(const struct ft_model *m, struct ft_scratch *s, const char *text, size_t len, int k,
               float threshold, struct ft_prediction *out)
{
	/* more than all the labels is all of them: a full heap has no label
	 * left to let in */
	if (k == -1 || k > m->nlabels)
		k = m->nlabels;
	if (k <= 0)
		return 0;
	if (line_rows(m, s, text, len) < 0)
		return -1;
	if (s->rows.n == 0)
		return 0;
	size_t dim = (size_t)m->dim, osz = (size_t)m->nlabels;
	RESERVE(s->hidden, s->hidden_cap, dim);
	RESERVE(s->output, s->output_cap, osz);
	RESERVE(s->heap, s->heap_cap, (size_t)k + 1);

	float *hidden = s->hidden;
	memset(hidden, 0, dim * sizeof *hidden);
	for (size_t i = 0; i < s->rows.n; i++)
		add_row(&m->input, s->rows.v[i], hidden);
	float mean = (float)(1.0 / (double)s->rows.n);
	for (size_t j = 0; j < dim; j++)
		hidden[j] *= mean;

	size_t n = 0;
	if (m->loss == FT_LOSS_HS) {
		if (hs_search(m, s, (size_t)k, threshold, &n) < 0)
			return -1;
	} else {
		float *o = s->output;
		for (size_t i = 0; i < osz; i++)
			o[i] = dot_row(&m->output, (int64_t)i, hidden);
		if (m->loss == FT_LOSS_SOFTMAX) {
			float max = o[0], z = 0.0f;
			for (size_t i = 0; i < osz; i++)
				max = o[i] > max ? o[i] : max;
			for (size_t i = 0; i < osz; i++) {
				o[i] = (float)exp((double)(o[i] - max));
				z += o[i];
			}
			for (size_t i = 0; i < osz; i++)
				o[i] /= z;
		} else {
			for (size_t i = 0; i < osz; i++)
				o[i] = table_sigmoid(m, o[i]);
		}
		for (size_t i = 0; i < osz; i++) {
			if (o[i] < threshold)
				continue;
			offer(s->heap, &n, (size_t)k, std_log(o[i]), (int32_t)i);
		}
	}
	for (size_t i = n; i > 1; i--)
		heap_pop(s->heap, i);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct ft_prediction){s->heap[i].label, expf(s->heap[i].score)};
	return (int)n;
}
