/* localcopy.h - the bytes of an s3:// or http(s):// URL in a local file,
 * for readers that seek (llm.c shards, whose header is checked against
 * their size and which train-step reads from a saved position): the body
 * is streamed (retried and resumed as http.h does) into an unlinked
 * temporary file in $TMPDIR, gone when the last descriptor closes however
 * the program ends.  Readers that only stream take the URL itself
 * (hub/urlsrc.h, wds/shardsrc.h) and need no copy. */
#ifndef SLUICE_LOCALCOPY_H
#define SLUICE_LOCALCOPY_H

#include <stddef.h>

#include "net/s3.h"

/* Whether name is a URL this module fetches (s3://, http://, https://). */
int localcopy_is_url(const char *name);

/* The descriptor of a temporary file holding url's bytes, positioned at
 * its start; -1 with a one-line message naming url.  o configures S3
 * (NULL: the defaults). */
int localcopy_fetch(const char *url, const struct s3_opts *o, char *err, size_t errn);

#endif
