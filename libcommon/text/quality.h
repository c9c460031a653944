/* quality.h - datatrove's four quality filters (GopherRepetitionFilter,
 * GopherQualityFilter, C4QualityFilter, FineWebQualityFilter), with its
 * defaults, parameter names, reason strings and exact rules: lengths are
 * counted in code points, lines split as Python's str.splitlines() and
 * str.split("\n") do, whitespace and letters are Python's str.isspace()
 * and str.isalpha(), and words and sentences come from text/wordtok.h
 * where datatrove calls its word tokenizer.  English only: datatrove's
 * `language` parameter has no counterpart here.
 *
 * The filters run in the order of datatrove's FineWeb pipeline:
 * gopher-repetition, gopher-quality, c4, fineweb; the first that drops a
 * document names the reason.  C4 may rewrite the text (it keeps only some
 * lines and removes citations); the filters after it see the new text.
 *
 * Where datatrove would divide by zero (and raise ZeroDivisionError: an
 * empty text in gopher-repetition, a text with no words in gopher-quality
 * with min_doc_words=0 or in fineweb's list_ratio), the check is taken as
 * passed, as a comparison with NaN would be.
 *
 * Text must be valid UTF-8: on anything else the decisions are unspecified
 * (but nothing crashes or overruns). */
#ifndef SLUICE_QUALITY_H
#define SLUICE_QUALITY_H

#include <stddef.h>

enum quality_filter {
	QUALITY_GOPHER_REPETITION,
	QUALITY_GOPHER_QUALITY,
	QUALITY_C4,
	QUALITY_FINEWEB,
	QUALITY_NFILTERS
};

#define QUALITY_NGRAM_MAX 32 /* largest n of top_n_grams and dup_n_grams */
#define QUALITY_NGRAM_LISTS 16 /* most (n, fraction) pairs in one list */
#define QUALITY_LIST_BYTES 1024 /* stop_words, stop_chars: bytes in all */

struct quality_ngram {
	int n;
	double frac;
};

/* Every parameter under datatrove's name.  A number 0 disables a check
 * where datatrove tests the parameter for truth (`if self.x and ...`), as
 * None does; C4's -1 disables as in datatrove. */
struct quality_opts {
	int enabled[QUALITY_NFILTERS];
	struct {
		double dup_line_frac, dup_para_frac, dup_line_char_frac, dup_para_char_frac;
		struct quality_ngram top_n_grams[QUALITY_NGRAM_LISTS], dup_n_grams[QUALITY_NGRAM_LISTS];
		int n_top_n_grams, n_dup_n_grams;
	} rep;
	struct {
		double min_doc_words, max_doc_words, min_avg_word_length, max_avg_word_length,
		       max_symbol_word_ratio, max_bullet_lines_ratio, max_ellipsis_lines_ratio,
		       max_non_alpha_words_ratio, min_stop_words;
		/* The distinct stop words (at most 64), each NUL-terminated, one
		 * after another. */
		char stop_words[QUALITY_LIST_BYTES];
		int n_stop_words;
	} gq;
	struct {
		int split_paragraph, remove_citations, filter_no_terminal_punct, filter_lorem_ipsum,
		    filter_javascript, filter_curly_bracket, filter_policy;
		double min_num_sentences, min_words_per_line, max_word_length;
	} c4;
	struct {
		double line_punct_thr, short_line_thr, short_line_length, char_duplicates_ratio,
		       new_line_ratio;
		int line_punct_exclude_zero;
		/* stop_chars: -1 for datatrove's default (its TERMINAL_PUNCTUATION
		 * set), else the count of strings in stop_chars, each
		 * NUL-terminated, one after another. */
		int n_stop_chars;
		char stop_chars[QUALITY_LIST_BYTES];
	} fw;
};

/* All filters off, every parameter at datatrove's default. */
void quality_opts_init(struct quality_opts *o);

/* Enables filter ("gopher-repetition", "gopher-quality", "c4", "fineweb")
 * and applies params (NULL or "" for none): "name=value,name=value" with
 * datatrove's parameter names.  Values: numbers; "none" where datatrove
 * takes None (Gopher's); true/false for booleans; lists separated by ':'
 * (stop_words=the:be:to, stop_chars=.:!:?), with (n, fraction) pairs as
 * N@FRACTION (top_n_grams=2@0.2:3@0.18:4@0.16; empty for none).  A
 * backslash takes the next character literally (\, \: \\).  Returns 0, or
 * -1 with one line in err for an unknown filter or parameter or a bad
 * value. */
int quality_enable(struct quality_opts *o, const char *filter, const char *params, char *err,
                   size_t errn);

/* Scratch for one thread: reuse it for every document. */
struct quality_scratch;
struct quality_scratch *quality_scratch_new(void); /* NULL when out of memory */
void quality_scratch_free(struct quality_scratch *s);

/* Runs the enabled filters on text[0..len).  Sets *reason to NULL when the
 * document is kept, else to a static "FILTER/REASON" string naming the
 * first filter that dropped it and datatrove's reason, e.g.
 * "gopher-quality/gopher_short_doc" or "fineweb/line_punct_ratio".  Sets
 * *text_out, *len_out to the text as kept: C4's rewrite (held in s until
 * its next use) when C4 ran, kept the document and changed the text, else
 * the input itself (also when dropped).  Returns 0, or -1 when out of
 * memory or the text is 4 GiB or more. */
int quality_check(const struct quality_opts *o, struct quality_scratch *s, const char *text,
                  size_t len, const char **reason, const char **text_out, size_t *len_out);

/* Every reason quality_check can give under o, in filter order: fills
 * names[0..max) and returns the count (which may exceed max). */
size_t quality_reasons(const struct quality_opts *o, const char **names, size_t max);

#endif
