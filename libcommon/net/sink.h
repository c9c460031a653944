/* sink.h - a program's output file, named by a local path or by an
 * s3://BUCKET/KEY URL, written through one struct atomic_file (base/io.h)
 * either way: a local file is renamed into place when complete; an S3
 * object is written to an unlinked temporary file ($TMPDIR) and uploaded
 * at the commit (net/s3.h's s3_put_file: one PUT, or a multipart upload
 * completed only when every part is stored), so a reader sees the old
 * object or the whole new one, and a writer that dies leaves neither a
 * partial object nor a temporary file behind.  The bucket is checked
 * when the output is opened, so that wrong credentials, a missing bucket
 * or another region fail before the work, not after it. */
#ifndef SLUICE_SINK_H
#define SLUICE_SINK_H

#include "base/io.h"

/* Whether path names an object store (s3://) rather than a local file. */
int sink_is_remote(const char *path);

/* atomic_open for path or URL: 0, or -1 with errno set for a local path.
 * For an s3:// URL a configuration or bucket that cannot be used ends the
 * program (status 1) with the one line that says why. */
int sink_open(struct atomic_file *a, const char *path);

#endif
