/* trainrun.c - tok-bpe train over its inputs (trainrun.h). */
#include "tok/trainrun.h"

#include <inttypes.h>
#include <stdio.h>

#include "base/cli.h"
#include "base/die.h"
#include "tok/bpecorpus.h"
#include "tok/pretok.h"

int tokrun_train(struct tokrun *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                 double holdout, struct atomic_file *out_file, int nin, char **inputs)
{
	char err[256];
	struct pretok *pt = pretok_new(pattern, 0, err, sizeof err);
	if (!pt)
		die(STATUS_FAIL, "--pattern: %s", err);
	if (atomic_open(out_file, r->output) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	atomic_guard(out_file);

	struct bpe_corpus *corpus = bpe_corpus_new(pt, opts, r->threads, holdout);
	inputs = cli_inputs(inputs, &nin);
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = tokrun_open_input(inputs[i], REC_READ_LINES);
		struct rec_frame f;
		uint64_t last = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER || f.type == REC_END)
				continue;
			if (f.type != REC_TEXT)
				die_at(STATUS_MALFORMED, rec_reader_name(in), f.offset,
				       "a %s record: tok-bpe train reads text records", rec_type_name(f.type));
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
			bpe_corpus_add(corpus, &f, inputs[i], rec_reader_is_lines(in));
		}
		rec_reader_close(in);
	}
	const struct piece_counts *counts = bpe_corpus_finish(corpus);
	progress_end(&r->progress);

	struct bpe_trained tr;
	bpe_train(counts, opts, &tr, NULL, NULL);
	struct buf out = {0};
	if (tiktoken)
		bpe_trained_tiktoken(&tr, &out);
	else
		bpe_trained_json(&tr, pattern, &out);
	write_all(out_file->fd, out.data, out.len, r->output);
	if (atomic_commit(out_file) != 0)
		die(STATUS_FAIL, "%s:", r->output);
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

	buf_free(&out);
	bpe_trained_free(&tr);
	bpe_corpus_free(corpus);
	pretok_free(pt);
	return 0;
}
