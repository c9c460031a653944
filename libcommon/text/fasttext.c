/* STUB */
#include "text/fasttext.h"
#include <stdlib.h>
#include <string.h>
#include "base/die.h"
struct ft_model { int x; };
struct ft_scratch { int x; };
struct ft_model *ft_load(const char *path, char *err, size_t errn) { if (!strcmp(path, "stub")) return calloc(1, sizeof(struct ft_model)); errorf(err, errn, "%s: no model", path); return NULL; }
void ft_free(struct ft_model *m) { free(m); }
struct ft_scratch *ft_scratch_new(const struct ft_model *m) { (void)m; return calloc(1, sizeof(struct ft_scratch)); }
void ft_scratch_free(struct ft_scratch *s) { free(s); }
int ft_predict(const struct ft_model *m, struct ft_scratch *s, const char *text, size_t len, int k, float threshold, struct ft_prediction *out) { (void)m; (void)s; (void)k; (void)threshold; int en = len > 0 && text[0] == 'E'; out[0] = (struct ft_prediction){en ? "__label__en" : "__label__de", 0.9f}; out[1] = (struct ft_prediction){en ? "__label__de" : "__label__en", 0.1f}; return 2; }
int ft_nlabels(const struct ft_model *m) { (void)m; return 2; }
