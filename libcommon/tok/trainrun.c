/* trainrun.c - tok-bpe train over its inputs (trainrun.h). */
#include "tok/trainrun.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "net/sink.h"
#include "tok/bpecorpus.h"
#include "tok/countfile.h"
#include "tok/pretok.h"

/* Learns the merges from counts and writes the tokenizer; tr is the
 * caller's to free. */
static void train_and_write(struct tokrun *r, const struct piece_counts *counts, const struct bpe_train_opts *opts,
                            const char *pattern, bool tiktoken, struct atomic_file *out_file, struct bpe_trained *tr)
{
	bpe_train(counts, opts, tr, NULL, NULL);
	struct buf out = {0};
	if (tiktoken)
		bpe_trained_tiktoken(tr, &out);
	else
		bpe_trained_json(tr, pattern, &out);
	write_all(out_file->fd, out.data, out.len, r->output);
	if (atomic_commit(out_file) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	buf_free(&out);
}

int tokrun_train(struct tokrun *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                 double holdout, struct atomic_file *out_file, int nin, char **inputs)
{
	char err[256];
	struct pretok *pt = pretok_new(pattern, 0, err, sizeof err);
	if (!pt)
		die(STATUS_FAIL, "--pattern: %s", err);
	if (sink_open(out_file, r->output) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	atomic_guard(out_file);

	struct bpe_corpus *corpus = bpe_corpus_new(pt, opts, r->threads, holdout);
	bpe_corpus_read(corpus, r, "train", (struct shard){0, 1}, nin, inputs);
	const struct piece_counts *counts = bpe_corpus_finish(corpus);
	progress_end(&r->progress);

	struct bpe_trained tr;
	train_and_write(r, counts, opts, pattern, tiktoken, out_file, &tr);
	if (bpe_corpus_held(corpus)) {
		/* How the trained tokenizer does on the documents held out of training. */
		struct bpe_holdout h;
		bpe_corpus_holdout(corpus, &tr, &h);
		fprintf(stderr,
		        "%s: holdout: %zu documents, %" PRIu64 " bytes: %.3f bytes/token, %.3f tokens/word, "
		        "%.1f%% of pieces a single token\n",
		        prog_name(), h.docs, h.bytes, h.tokens ? (double)h.bytes / (double)h.tokens : 0.0,
		        h.words ? (double)h.tokens / (double)h.words : 0.0,
		        h.pieces ? 100.0 * (double)h.single / (double)h.pieces : 0.0);
	} else if (bpe_corpus_holding_out(corpus)) {
		warn("holdout: no document was held out");
	}

	bpe_trained_free(&tr);
	bpe_corpus_free(corpus);
	pretok_free(pt);
	return 0;
}

/* Whether two lists of specials are the same, in the same order. */
static bool same_specials(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

int tokrun_train_counts(struct tokrun *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                        struct atomic_file *out_file, int nin, char **inputs)
{
	inputs = cli_inputs(inputs, &nin);
	struct countfile_merge *m = countfile_merge_open(nin, inputs);
	int status;
	const char *err = countfile_merge_error(m, &status);
	if (err)
		die(status, "%s", err);
	size_t n_specials;
	const char *const *specials = countfile_merge_specials(m, &n_specials);
	const char *counted = countfile_merge_pattern(m);
	if (!counted) /* every file empty of streams cannot be: a reader refuses empty input */
		die(STATUS_MALFORMED, "no count file header");
	if (pattern && strcmp(pattern, counted) != 0)
		cli_usage_error("--pattern: the count files were counted with another pattern; leave --pattern out to "
		                "train with theirs");
	struct bpe_train_opts o = *opts;
	if (o.specials) {
		if (!same_specials(o.specials, o.n_specials, specials, n_specials))
			cli_usage_error("--special: the count files cut out other special tokens; leave --special out to "
			                "train with theirs");
	} else {
		o.specials = specials, o.n_specials = n_specials;
	}
	if (o.vocab_size < 256 + o.n_specials && !o.bytes_only)
		cli_usage_error("--vocab-size must be at least %zu: the 256 bytes and the specials", 256 + o.n_specials);
	if (sink_open(out_file, r->output) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	atomic_guard(out_file);

	/* The trainer counts pairs in signed 64 bits: a word's count times
	 * its pairs, summed over the words, bounds every pair count. */
	struct piece_counts *counts = piece_counts_new();
	const uint8_t *word;
	size_t len;
	uint64_t count, pairs = 0;
	int got;
	while ((got = countfile_merge_next(m, &word, &len, &count)) > 0) {
		uint64_t w = len > 1 ? (uint64_t)(len - 1) : 0;
		if (w && (count > (uint64_t)INT64_MAX / w || pairs + count * w > (uint64_t)INT64_MAX))
			die(STATUS_MALFORMED, "the counts are too large: their pairs would count past 2^63 - 1");
		pairs += count * w;
		piece_counts_add(counts, word, len, count);
		progress_add(&r->progress, 0, 1);
	}
	if (got < 0) {
		err = countfile_merge_error(m, &status);
		die(status, "%s", err);
	}
	progress_end(&r->progress);

	struct bpe_trained tr;
	train_and_write(r, counts, &o, counted, tiktoken, out_file, &tr);
	bpe_trained_free(&tr);
	piece_counts_free(counts);
	countfile_merge_close(m);
	return 0;
}
