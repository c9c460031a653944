/* braces.h - shard patterns as webdataset writes them, expanded the way its
 * braceexpand (and the shell) does:
 *
 *   shard-{000000..000099}.tar   a numeric range; a zero-padded end pads
 *                                every number to the wider end's width
 *   {0..10..2} {a..e}            a step; a range of single letters
 *   {train,val}/part-{0..3}.tar  a comma list; groups multiply, left to
 *                                right, and nest
 *   a.tar::b-{0..1}.tar          several patterns joined into one list
 *
 * A brace pair holding neither a top-level comma nor a range stays as it
 * is, as in the shell; a backslash takes the next character literally.
 * Unbalanced braces are an error, and so is a pattern that expands to
 * more than BRACES_MAX names or BRACES_MAX_BYTES of them (a typo must not
 * exhaust memory). */
#ifndef SLUICE_BRACES_H
#define SLUICE_BRACES_H

#include <stddef.h>

/* The fuzz build sets a lower BRACES_MAX: near a million names, which are
 * legal, ASan's allocator takes longer than the fuzzer's timeout. */
#ifndef BRACES_MAX
#define BRACES_MAX 1000000
#endif
#define BRACES_MAX_BYTES (256u << 20)

/* The names of spec, in order, into *names (n of them; free with
 * braces_free).  0, or -1 with a one-line message in err. */
int braces_expand(const char *spec, char ***names, size_t *n, char *err, size_t errn);
void braces_free(char **names, size_t n);

#endif
