/* shardsrc.h - a shard named as webdataset names them, opened as a byte
 * source: a local path, "-" for stdin, "pipe:COMMAND" (the standard output
 * of /bin/sh -c COMMAND), an http:// or https:// URL streamed through
 * http.h (resumed across drops, never downloaded whole), or an s3:// URL
 * streamed the same way with the request signed (net/s3.h).
 *
 * A pipe: command that exits non-zero, or dies of a signal, makes the
 * last read fail ("pipe:false: exited with status 1"), so a producer that
 * failed half way never passes for a short shard.  Closing a pipe source
 * before its end closes the pipe and reaps the command, which ends on
 * SIGPIPE as a shell pipeline's writer would. */
#ifndef SLUICE_SHARDSRC_H
#define SLUICE_SHARDSRC_H

#include <stddef.h>

#include "base/source.h"
#include "net/s3.h"

struct http;

enum shardsrc_kind { SHARDSRC_FILE, SHARDSRC_STDIN, SHARDSRC_PIPE, SHARDSRC_HTTP, SHARDSRC_S3 };

enum shardsrc_kind shardsrc_kind_of(const char *name);

/* Opens name into *out.  http may be NULL when no name is an http(s) URL,
 * s3 when none is an s3:// one (such a URL then fails).  0, or -1 with
 * "what went wrong" (without the name) in err. */
int shardsrc_open(struct source *out, const char *name, struct http *http, struct s3 *s3, char *err, size_t errn);

/* Replaces each s3:// name with a wildcard among the n names (allocated,
 * as braces_expand makes them) by the objects it matches, listed from
 * the bucket in key order (s3_expand); the other names stay.  0, or -1
 * with the message of the first listing that failed. */
int shardsrc_expand_s3(char ***names, size_t *n, const struct s3_opts *o, char *err, size_t errn);

#endif
