/* fasttext.h - fastText supervised models (.bin, and quantized .ftz) read
 * and run in C: the language identification datatrove's filters do with
 * lid.176 and its peers.  A prediction is what `fasttext predict-prob
 * MODEL - k threshold` (fastText 0.9.2) prints for the same line: the same
 * labels in the same order (ties too), with the same probabilities - the
 * float arithmetic follows fastText's step by step, including its quirks:
 * log(p + 1e-5) as the score, so a printed probability is p + 1e-5; the
 * table-driven sigmoid of the one-vs-all and negative-sampling losses; the
 * hierarchical softmax's tree search that drops a branch under log(1e-5 +
 * threshold); FNV-1a over signed chars for subwords and word n-grams.
 *
 * Every loss (softmax, hs, ns, ova), subwords and word n-grams, quantized
 * input with or without norms, quantized output, pruned dictionaries.  The
 * reader checks every count and size against the file, so a damaged or
 * hostile file gives one line "PATH: offset N: what is wrong", never a
 * crash or a huge allocation.
 *
 * A loaded model is read-only: threads share it, each with its own
 * ft_scratch. */
#ifndef SLUICE_FASTTEXT_H
#define SLUICE_FASTTEXT_H

#include <stddef.h>

/* What fastText takes a word beginning with to be a label, and what
 * ft_label strips from the label names. */
#define FT_LABEL_PREFIX "__label__"

struct ft_model;
struct ft_scratch;

struct ft_prediction {
	int label;  /* 0 .. ft_nlabels() - 1 */
	float prob; /* as predict-prob prints it: exp(log(p + 1e-5)) */
};

/* Loads a supervised model from a file; NULL (with one line in err) when
 * it cannot be read, is not a fastText model, is an unsupervised one
 * (cbow, skipgram: nothing to predict), or is damaged. */
struct ft_model *ft_load(const char *path, char *err, size_t errn);
/* The same from the file's bytes, which the caller may free afterwards;
 * name is what messages call the file. */
struct ft_model *ft_load_mem(const void *data, size_t len, const char *name, char *err, size_t errn);
void ft_free(struct ft_model *m);

int ft_dim(const struct ft_model *m);
int ft_nlabels(const struct ft_model *m);
/* Label i's name without FT_LABEL_PREFIX ("en" for "__label__en"); a
 * label that does not start with the prefix comes back whole. */
const char *ft_label(const struct ft_model *m, int i);
/* Label i's name as the model has it ("__label__en"). */
const char *ft_label_full(const struct ft_model *m, int i);

/* One thread's working memory; it grows to fit the models and texts it
 * meets.  NULL when out of memory. */
struct ft_scratch *ft_scratch_new(void);
void ft_scratch_free(struct ft_scratch *s);

/* Predicts the labels of one line of text, text[0..len): fastText's words
 * are the runs of bytes other than space, \t, \n, \r, \v, \f and NUL (so a
 * '\n' inside text reads as a space, what datatrove does before
 * predicting), then the end-of-line word "</s>" that fastText appends to
 * every line.  A word "</s>" inside the text ends the line there, as it
 * does in fastText's Python binding (predict-prob would go on with the
 * rest as another line).  A word that begins with FT_LABEL_PREFIX is a
 * label and not read.
 *
 * The k most probable labels (k = -1: all of them) whose probability is
 * at least threshold go to out, most probable first; out must have room
 * for k of them (k = -1: ft_nlabels).  Returns their count, 0 when the
 * text has no features the model knows or k is 0 or below -1, or -1 when
 * out of memory. */
int ft_predict(const struct ft_model *m, struct ft_scratch *s, const char *text, size_t len, int k,
               float threshold, struct ft_prediction *out);

#endif
