/* shardsrc.h - a shard named as webdataset names them, opened as a byte
 * source: a local path, "-" for stdin, "pipe:COMMAND" (the standard output
 * of /bin/sh -c COMMAND), or an http:// or https:// URL streamed through
 * http.h (resumed across drops, never downloaded whole).
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

struct http;

enum shardsrc_kind { SHARDSRC_FILE, SHARDSRC_STDIN, SHARDSRC_PIPE, SHARDSRC_HTTP };

enum shardsrc_kind shardsrc_kind_of(const char *name);

/* Opens name into *out.  http may be NULL when no name is a URL (an URL
 * then fails).  0, or -1 with "what went wrong" (without the name) in
 * err. */
int shardsrc_open(struct source *out, const char *name, struct http *http, char *err, size_t errn);

#endif
