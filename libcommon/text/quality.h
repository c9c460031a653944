/* STUB - replaced by the quality branch */
#ifndef SLUICE_QUALITY_H
#define SLUICE_QUALITY_H
#include <stddef.h>
struct quality_opts { int enabled[4]; };
struct quality_scratch;
void quality_opts_init(struct quality_opts *o);
int quality_enable(struct quality_opts *o, const char *filter, const char *params, char *err, size_t errn);
struct quality_scratch *quality_scratch_new(void);
void quality_scratch_free(struct quality_scratch *s);
const char *quality_check(const struct quality_opts *o, struct quality_scratch *s, const char *text, size_t len, const char **text_out, size_t *len_out);
size_t quality_reasons(const struct quality_opts *o, const char **names, size_t max);
#include <stdbool.h>
bool quality_rewrites(const struct quality_opts *o);
#endif
