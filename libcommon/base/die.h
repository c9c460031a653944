/* die.h - fatal and non-fatal diagnostics, and allocation that cannot fail.
 *
 * Messages go to stderr as "prog: message", one line, with the program name
 * taken from argv[0] by the C library, so no global state of our own.
 */
#ifndef SLUICE_DIE_H
#define SLUICE_DIE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#if defined(__GNUC__)
#define SLUICE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SLUICE_NORETURN __attribute__((noreturn))
#else
#define SLUICE_PRINTF(a, b)
#define SLUICE_NORETURN
#endif

const char *prog_name(void);

/* "prog: fmt\n" and exit(status).  A trailing ':' in fmt appends strerror(errno). */
SLUICE_NORETURN void die(int status, const char *fmt, ...) SLUICE_PRINTF(2, 3);
/* "prog: input:offset: fmt\n" and exit(status). */
SLUICE_NORETURN void die_at(int status, const char *input, uint64_t offset,
                            const char *fmt, ...) SLUICE_PRINTF(4, 5);
void warn(const char *fmt, ...) SLUICE_PRINTF(1, 2);
/* For functions that report instead of dying: formats the one-line
 * message into err (errn bytes; none when err is NULL) and returns -1. */
int errorf(char *err, size_t errn, const char *fmt, ...) SLUICE_PRINTF(3, 4);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Aligned (to 64 bytes) allocation; free with free(). */
void *xmalloc_aligned(size_t n);

#endif
