/* embedrun.h - lm-embed's documents on their way to vectors: each one
 * checked (ids in the vocabulary, not empty, an id that fits a key) and
 * queued with its id and metadata (--keep-text's prefix of the text set
 * in it); a full group goes through the embedder (embed.h) at once and
 * its vectors are written in input order, as vector records after the
 * output header or as JSON lines.  A bad document ends the program
 * (die_at), naming the input and the offset, as sluice-rec(5) says. */
#ifndef SLUICE_EMBEDRUN_H
#define SLUICE_EMBEDRUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/io.h"
#include "base/progress.h"
#include "model/embed.h"
#include "model/lm.h"
#include "rec/rec.h"
#include "tok/bpe.h"
#include "tok/tokenc.h"

/* A document waiting for its vector; its strings and ids are in struct
 * embed_run's arrays. */
struct doc {
	size_t ids_off, nids;
	size_t key_off, key_len;
	size_t meta_off, meta_len; /* a JSON object, or none */
};

struct embed_run {
	const char *model_path;
	struct lm *m;
	struct embedder *emb;
	struct embed_opts eo;
	int dim, vocab;
	struct model_tokenizer mt;
	bool have_tok;
	const char *text_field, *id_field;
	bool skip_empty;
	int64_t keep_text; /* characters; -1: none */
	uint64_t take;     /* 0: all */
	bool jsonl;
	/* the group being gathered */
	struct doc *docs;
	size_t ndocs, group;
	struct ids ids;
	struct buf strs;
	float *vecs;
	/* output */
	struct rec_writer *w;
	struct outbuf out;
	char *input_header;
	bool header_done;
	int argc;
	char **argv;
	/* counts */
	uint64_t ordinal, written, tokens, skipped;
	struct progress progress;
	bool done;
	/* scratch */
	struct ids one;
	struct buf text, meta, id, line, scratch;
};

/* Once the model and tokenizer are open (lmopen.h, into r->m, r->mt,
 * r->have_tok) and the options set: the embedder, the output on fd (named
 * name in errors; vector records, or JSON lines with r->jsonl), room for a
 * group, and the progress line over total input bytes (0: unknown). */
void embed_run_start(struct embed_run *r, int fd, const char *name, enum cli_progress progress, uint64_t total);
/* Embeds and writes what is still gathered, writes the header if no vector
 * did, ends the progress line and the output (the caller commits or closes
 * fd). */
void embed_run_finish(struct embed_run *r);
/* The summary line on stderr: vectors, their dimension, tokens, and the
 * empty documents skipped. */
void embed_run_summary(const struct embed_run *r);
/* Frees the embedder, the tokenizer, the model and the session's memory. */
void embed_run_free(struct embed_run *r);

/* Embeds each of the n texts (--text: ids from 0, named --text in errors),
 * until --take is reached. */
void embed_run_texts(struct embed_run *r, char **texts, int n);
/* Embeds each document of path ("-": stdin), until --take is reached: a
 * text record or plain line; a JSON record, or JSON lines (plain lines
 * when the first starts with '{'), whose text and id come from
 * --text-field and --id-field, the rest being the metadata; a token
 * record.  The first input header is kept for the output's. */
void embed_run_input(struct embed_run *r, const char *path);

/* Queues the document whose ids are in r->one, with its id and metadata
 * (a JSON object, or NULL); name and offset say where it came from.
 * Embeds and writes the group once it is full or --take is reached. */
void embed_run_add(struct embed_run *r, const char *id, size_t id_len, json_t *meta, const char *text,
                   size_t text_len, const char *name, uint64_t offset);
/* Embeds the gathered documents and writes their vectors, in input order. */
void embed_run_flush(struct embed_run *r);
/* Writes the output header unless written already (or the output is JSON
 * lines): the first input's, with what described its text or tokens taken
 * out, and what a consumer of the vectors must know put in. */
void embed_run_header(struct embed_run *r);

#endif
