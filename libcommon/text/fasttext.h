/* STUB - replaced by the fasttext branch */
#ifndef SLUICE_FASTTEXT_H
#define SLUICE_FASTTEXT_H
#include <stddef.h>
struct ft_model;
struct ft_scratch;
struct ft_prediction { const char *label; float prob; };
struct ft_model *ft_load(const char *path, char *err, size_t errn);
void ft_free(struct ft_model *m);
struct ft_scratch *ft_scratch_new(const struct ft_model *m);
void ft_scratch_free(struct ft_scratch *s);
int ft_predict(const struct ft_model *m, struct ft_scratch *s, const char *text, size_t len, int k, float threshold, struct ft_prediction *out);
int ft_nlabels(const struct ft_model *m);
#endif
