/* tokrun.h - what tok-bpe's encode, decode, stats and info do once the
 * command line is read: the tokenizer and its special-token policy
 * opened; each text record (or plain line) encoded on several threads
 * (parenc.h) and written as a token record or a line of ids, or counted
 * for stats (tokstats.h); each token record (or line of ids) decoded and
 * written as a text record or a plain line; the output header made from
 * the first input's.  The session holds the tokenizer, the options, the
 * output and the input being read; tok-bpe fills it from its command line.
 * Bad input ends the program (die_at), naming the input and the offset,
 * as sluice-rec(5) says. */
#ifndef SLUICE_TOKRUN_H
#define SLUICE_TOKRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/io.h"
#include "base/progress.h"
#include "rec/rec.h"
#include "tok/tokenc.h"
#include "tok/tokfetch.h"
#include "tok/tokload.h"
#include "tok/tokstats.h"

enum tokrun_mode { TOKRUN_ENCODE, TOKRUN_DECODE, TOKRUN_STATS, TOKRUN_INFO, TOKRUN_TRAIN, TOKRUN_FETCH, TOKRUN_COUNT };

/* One tok-bpe run: the caller sets mode, the flags, threads, argc and
 * argv (for the output header), output and the progress line. */
struct tokrun {
	enum tokrun_mode mode;
	struct tokenizer tok;
	struct tok_policy policy;
	bool eot, ids, raw_bytes, plain_text;
	int threads;
	int argc;
	char **argv;
	const char *output;
	int out_fd;
	struct rec_writer *w;
	struct outbuf plain;
	bool header_done;
	char *input_header;
	struct progress progress;
	int dtype;
	struct buf scratch;
	struct ids ids_scratch;
	/* The input being read, held here so that what it owns is still
	 * reachable when an error ends the program. */
	struct rec_reader *in;
	struct tok_stats stats;
};

/* The tokenizer of spec (pattern: --pattern, or NULL), the specials that
 * allowed and disallowed name (--allowed-special's and
 * --disallowed-special's words), and the token dtype its vocabulary
 * needs.  A tokenizer that cannot be had is a failure, a bad list or
 * --eot without an end-of-text token a usage error. */
void tokrun_open_tokenizer(struct tokrun *r, const char *spec, const char *pattern, const char *allowed,
                           const char *disallowed, const struct tokfetch_opts *fetch);
/* Whether the mode writes records (then stdout must not be a terminal). */
bool tokrun_writes_records(const struct tokrun *r);
/* Writes to fd, named name in errors. */
void tokrun_open_output(struct tokrun *r, int fd, const char *name);
/* Ends the records, flushes the output and ends the progress line; the
 * caller commits or closes the file. */
void tokrun_close_output(struct tokrun *r);
void tokrun_free(struct tokrun *r);

/* An input (path "-": stdin) opened with rec_reader_open's flags, or the
 * program ends. */
struct rec_reader *tokrun_open_input(const char *path, int flags);

/* encode: the documents of the nin inputs ("-" when none) as token
 * records, or lines of ids with r->ids; --eot's id after each. */
void tokrun_encode(struct tokrun *r, int nin, char **inputs);
/* decode: the token records (or lines of ids) of the inputs as text
 * records, or plain lines with r->plain_text. */
void tokrun_decode(struct tokrun *r, int nin, char **inputs);
/* stats: the inputs' text (or token records) counted, written as JSON. */
void tokrun_stats(struct tokrun *r, int nin, char **inputs);
/* info: the tokenizer described, as JSON. */
void tokrun_info(struct tokrun *r);

#endif
