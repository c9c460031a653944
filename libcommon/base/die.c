/* die.c - see die.h */
#define _GNU_SOURCE
#include "base/die.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


const char *prog_name(void) { return program_invocation_short_name; }

static void vmessage(const char *fmt, va_list ap, int saved_errno)
{
	size_t n = strlen(fmt);
	fprintf(stderr, "%s: ", prog_name());
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved_errno));
	fputc('\n', stderr);
}

void die(int status, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, e);
	va_end(ap);
	exit(status);
}

void die_at(int status, const char *input, uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: %s:%llu: ", prog_name(), input, (unsigned long long)offset);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, e);
	va_end(ap);
}

int errorf(char *err, size_t errn, const char *fmt, ...)
{
	if (!err || !errn)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errn, fmt, ap);
	va_end(ap);
	return -1;
}

static void *checked(void *p, size_t n)
{
	if (!p && n)
		die(STATUS_FAIL, "out of memory allocating %zu bytes", n);
	return p;
}

void *xmalloc(size_t n) { return checked(malloc(n ? n : 1), n); }
void *xcalloc(size_t n, size_t size) { return checked(calloc(n ? n : 1, size ? size : 1), n * size); }
void *xrealloc(void *p, size_t n) { return checked(realloc(p, n ? n : 1), n); }
char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void *xmalloc_aligned(size_t n)
{
	void *p = NULL;
	size_t rounded = (n + 63) & ~(size_t)63;
	if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0)
		die(STATUS_FAIL, "out of memory allocating %zu bytes", n);
	return p;
}
