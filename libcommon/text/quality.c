/* STUB */
#include "text/quality.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "base/die.h"
void quality_opts_init(struct quality_opts *o) { memset(o, 0, sizeof *o); }
int quality_enable(struct quality_opts *o, const char *filter, const char *params, char *err, size_t errn) { (void)params; if (!strcmp(filter, "gopher-quality")) { o->enabled[0] = 1; return 0; } return errorf(err, errn, "no filter %s", filter); }
struct quality_scratch *quality_scratch_new(void) { return malloc(1); }
void quality_scratch_free(struct quality_scratch *s) { free(s); }
const char *quality_check(const struct quality_opts *o, struct quality_scratch *s, const char *text, size_t len, const char **text_out, size_t *len_out) { (void)s; *text_out = text; *len_out = len; if (o->enabled[0] && len < 20) return "gopher-quality/gopher_short_doc"; return NULL; }
size_t quality_reasons(const struct quality_opts *o, const char **names, size_t max) { (void)o; (void)names; (void)max; return 0; }
bool quality_rewrites(const struct quality_opts *o) { (void)o; return 0; }
