/* resolve.h - what hf-stream's SOURCE operands name, as the files to read:
 * a file, - (stdin), a glob, a directory laid out like a Hugging Face
 * dataset repository, a URL (s3://BUCKET/KEY-OR-GLOB, http(s)://, with
 * braces: hub/urlsrc.h), or a Hub dataset (ORG/NAME[:CONFIG[:SPLIT]],
 * hf://datasets/ORG/NAME[@REVISION][/PATH-OR-GLOB]), its config and split
 * resolved like `datasets` (dataset.h's rules) or read from the Hub's
 * parquet export (a script dataset, --parquet-export, a repository without
 * a data file sluice reads).
 *
 * Resolution is the command line's: a source that names nothing readable
 * ends the program with die() and the status and message hf-stream(1)
 * documents, and --list-configs and --list-splits of a repository are
 * answered on stdout, ending the program, as soon as its layout is known. */
#ifndef SLUICE_RESOLVE_H
#define SLUICE_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/rows.h"
#include "hub/hfhub.h"

struct urlsrc;

/* One file to read. */
struct hub_input {
	char *path;
	char *open_path; /* where it is read from, when not path: stdin's copy, a Hub file's repo path */
	enum rows_format fmt;
	uint64_t size;
	struct hfhub *hub; /* the Hub dataset it is a file of, or NULL */
	struct urlsrc *remote; /* the reader of its URL (s3://, http(s)://), or NULL */
	char *etag;            /* a URL's ETag, when its server gave one */
};

/* What a repository source answers instead of resolving to files. */
enum hub_listing { HUB_LIST_NONE, HUB_LIST_CONFIGS, HUB_LIST_SPLITS };

struct hub_sources {
	/* what to resolve, set before the first hub_sources_add; a Hub source's
	 * own :CONFIG:SPLIT replaces config and split for it and those after */
	const char *config, *split; /* config NULL: the repository's default */
	int split_given;            /* split was asked for, not the default */
	enum rows_format type;      /* FMT_UNKNOWN: by each file's name */
	const char *revision;       /* NULL: main */
	int parquet_export, quiet;
	int no_sign; /* s3:// requests unsigned (--no-sign) */
	enum hub_listing listing;
	struct hfhub_opts hub_opts;
	/* what the sources resolved to */
	struct hub_input *inputs;
	size_t ninputs;
	struct hfhub **hubs; /* the Hub datasets opened, for hub_sources_report */
	size_t nhubs;
	struct urlsrc *urls; /* the reader of URL sources, once one is given */
	const char *config_used, *split_used; /* those of the last repository, or NULL */
	char *config_owned, *split_owned;     /* what the above point to */
	/* With listing, once a repository source gave its configs or splits
	 * (one a line, as --list-configs and --list-splits print them):
	 * answered is set, and the sources after it are not to be added. */
	struct buf answer;
	int answered;
};

/* Adds the files one SOURCE names, in reading order. */
void hub_sources_add(struct hub_sources *s, const char *src);
void hub_sources_free(struct hub_sources *s);

/* Opens an input's rows, from stdin's copy, the Hub or its URL when it
 * comes from there, named as given.  NULL with a message in err and in
 * *status the exit status it calls for: STATUS_FAIL when the file could
 * not be fetched, STATUS_MALFORMED when its bytes are not the format. */
struct rows *hub_input_rows(const struct hub_input *in, struct rows_options *ropt, int *status, char *err,
                            size_t errn);

/* --info: a JSON line per input on stdout (columns and types, rows and
 * row groups). */
void hub_sources_info(const struct hub_sources *s, int paragraphs, const char *json_field);
/* --verbose: the requests made for each Hub dataset, on stderr. */
void hub_sources_report(const struct hub_sources *s);

#endif
