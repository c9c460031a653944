/* tok-bpe - byte-level BPE: text records into token records and back. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "base/utf8.h"
#include "hub/hfhub.h"
#include "rec/header.h"
#include "rec/rec.h"
#include "tok/bpe.h"
#include "tok/bpecorpus.h"
#include "tok/bpetrain.h"
#include "tok/parenc.h"
#include "tok/pretok.h"
#include "tok/tokenc.h"
#include "tok/tokfetch.h"
#include "tok/tokload.h"
#include "tok/tokstats.h"

static const char usage[] =
	"Usage: tok-bpe encode -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe decode -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe stats  -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe info   -t TOKENIZER\n"
	"       tok-bpe train  [OPTION]... -o OUT [FILE]...\n"
	"       tok-bpe fetch  [--offline] NAME...\n"
	"Byte-level BPE as tiktoken and HF tokenizers do it.  encode turns text\n"
	"records (or plain lines) into token records; decode turns token records\n"
	"(or lines of ids) into text records; stats reports how text tokenizes;\n"
	"info describes the tokenizer; train learns one from text; fetch fills the\n"
	"caches with named tokenizers ahead of a run without network and prints\n"
	"where each file went.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Tokenizer:\n"
	"  -t, --tokenizer SPEC         a tokenizer.json, encoder.json (with vocab.bpe\n"
	"                               beside it), a *.tiktoken rank file, a directory\n"
	"                               holding tokenizer.json or encoder.json, or a\n"
	"                               name: a tiktoken encoding (gpt2, r50k_base,\n"
	"                               p50k_base, p50k_edit, cl100k_base, o200k_base,\n"
	"                               o200k_harmony) or a Hub model ORG/NAME[@REV],\n"
	"                               from the tiktoken or Hub cache, the data\n"
	"                               directory, else downloaded into the cache\n"
	"      --offline                download nothing (also HF_HUB_OFFLINE=1)\n"
	"      --pattern gpt2|cl100k|o200k|REGEX\n"
	"                               pre-tokenizer pattern instead of the file's\n"
	"\n"
	"encode and stats:\n"
	"      --allowed-special all|none|LIST\n"
	"                               special tokens encoded as their ids (default none)\n"
	"      --disallowed-special all|none|LIST\n"
	"                               special tokens that are an error in the text\n"
	"                               (default all); others are encoded as text\n"
	"\n"
	"encode:\n"
	"      --eot                    append the end-of-text id to each document\n"
	"      --ids                    print each document's ids as a line of numbers\n"
	"                               instead of writing token records\n"
	"  -j, --threads N              threads (default: all cores)\n"
	"\n"
	"train:\n"
	"      --vocab-size N           vocabulary size, specials included (default 32000)\n"
	"      --min-frequency N        a pair must occur N times to merge (default 2)\n"
	"      --special TOKEN          a special token (repeatable; default <|endoftext|>)\n"
	"      --max-token-length N     no token longer than N bytes\n"
	"      --holdout FRAC           keep FRAC of the documents out of training and\n"
	"                               report coverage on them\n"
	"      --bytes-only             no merges: the 256 bytes and the specials\n"
	"      --format json|tiktoken   tokenizer.json or a tiktoken rank file (default:\n"
	"                               by OUT's extension, else json)\n"
	"  (--pattern sets the pre-tokenizer, default gpt2; -j the counting threads)\n"
	"\n"
	"decode:\n"
	"      --bytes                  keep the raw bytes; by default invalid UTF-8 is\n"
	"                               replaced with U+FFFD as Python's errors=\"replace\"\n"
	"      --text                   print plain text, one document a line, instead\n"
	"                               of text records\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE            write FILE atomically instead of stdout\n"
	"      --progress               show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                  no progress line\n"
	"  -h, --help                   show this help and exit\n"
	"      --version                show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or tokenizer not found, unreadable or not\n"
	"fetched, 2 usage,\n"
	"3-7 bad record input as in sluice-rec(5), 8 malformed input: a malformed\n"
	"stream, invalid UTF-8, a special token the text may not contain, an id outside\n"
	"the vocabulary, a record of the wrong type.  See tok-bpe(1).\n";

enum {
	OPT_PATTERN = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_ALLOWED,
	OPT_DISALLOWED,
	OPT_EOT,
	OPT_IDS,
	OPT_BYTES,
	OPT_TEXT,
	OPT_VOCAB_SIZE,
	OPT_MIN_FREQUENCY,
	OPT_SPECIAL,
	OPT_MAX_TOKEN_LENGTH,
	OPT_HOLDOUT,
	OPT_BYTES_ONLY,
	OPT_FORMAT,
	OPT_OFFLINE,
};

enum mode { MODE_ENCODE, MODE_DECODE, MODE_STATS, MODE_INFO, MODE_TRAIN, MODE_FETCH };

/* Everything main owns. */
struct run {
	enum mode mode;
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

/* The rest of the command line: what a mode's setup reads once. */
struct cmdline {
	enum cli_progress progress;
	const char *spec, *pattern, *allowed, *disallowed;
	bool specials_given;
	struct bpe_train_opts train;
	char **specials;
	size_t n_specials;
	int train_opts;
	double holdout;
	const char *format;
	struct tokfetch_opts fetch;
	char **opts; /* the options without the command, when a copy */
	int nin;
	char **inputs;
};

static void write_header(struct run *r, const char *kind)
{
	if (r->header_done || r->ids || r->plain_text || r->mode == MODE_STATS)
		return;
	r->header_done = true;
	json_t *h = header_new(r->input_header, kind, r->argc, r->argv);
	if (r->mode == MODE_ENCODE) {
		char hash[32];
		snprintf(hash, sizeof hash, "xxh3:%016" PRIx64, bpe_hash(r->tok.bpe));
		json_object_set_new(h, "dtype", json_string(rec_dtype_name(r->dtype)));
		json_object_set_new(h, "tokenizer", json_string(r->tok.name));
		json_object_set_new(h, "tokenizer_hash", json_string(hash));
		json_object_set_new(h, "vocab_size", json_integer(bpe_vocab_size(r->tok.bpe)));
		json_object_set_new(h, "eot", r->tok.eot == BPE_NO_ID ? json_null() : json_integer(r->tok.eot));
	} else {
		/* Text again: what described the tokens would mislead; the
		 * lineage still says where it came from. */
		static const char *const token_fields[] = {"dtype", "tokenizer", "tokenizer_hash", "vocab_size", "eot"};
		for (size_t i = 0; i < sizeof token_fields / sizeof *token_fields; i++)
			json_object_del(h, token_fields[i]);
	}
	header_write(r->w, h);
	json_decref(h);
}

static void decode_or_die(struct run *r, const uint32_t *ids, size_t n, struct buf *out, const char *input,
                          uint64_t offset)
{
	size_t bad;
	if (tok_decode_bytes(r->tok.bpe, ids, n, out, &bad) < 0)
		die_at(STATUS_MALFORMED, input, offset, "token id %u (number %zu) is not in %s (vocab size %u)", ids[bad],
		       bad + 1, r->tok.name, bpe_vocab_size(r->tok.bpe));
}

/* stats of token records: counted as they are, decoded for the text. */
static void stats_tokens(struct run *r, const struct rec_frame *f, const char *input)
{
	size_t n = rec_tokens_count(f);
	rec_tokens_copy(f, ids_resize(&r->ids_scratch, n));
	buf_clear(&r->scratch);
	decode_or_die(r, r->ids_scratch.v, n, &r->scratch, input, f->offset);
	tok_stats_add(&r->stats, &r->tok, r->scratch.data, r->scratch.len, r->ids_scratch.v, n);
}

static void print_ids(struct run *r, const uint32_t *ids, size_t n)
{
	char num[16];
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(num, sizeof num, i ? " %u" : "%u", ids[i]);
		outbuf_write(&r->plain, num, (size_t)k);
	}
	outbuf_putc(&r->plain, '\n');
}

/* Writes an encoded document (parenc_emit_fn). */
static void emit_doc(void *arg, const struct parenc_doc *d)
{
	struct run *r = arg;
	if (r->mode == MODE_STATS) {
		tok_stats_add(&r->stats, &r->tok, d->text, d->text_len, d->ids, d->n - (r->eot ? 1 : 0));
	} else if (r->ids) {
		print_ids(r, d->ids, d->n);
	} else if (r->dtype == REC_DT_U16) {
		buf_clear(&r->scratch);
		buf_reserve(&r->scratch, d->n * 2);
		uint16_t *p = (uint16_t *)r->scratch.data;
		for (size_t k = 0; k < d->n; k++)
			p[k] = (uint16_t)d->ids[k];
		rec_write(r->w, REC_TOKENS, REC_DT_U16, d->key, d->key_len, p, d->n * 2);
	} else {
		rec_write(r->w, REC_TOKENS, REC_DT_U32, d->key, d->key_len, d->ids, d->n * 4);
	}
}

/* Dies at the first document that failed, after what came before it. */
static void encode_failed(struct run *r, const struct parenc_failure *fail)
{
	if (r->w)
		rec_writer_flush(r->w);
	outbuf_flush(&r->plain);
	die_at(STATUS_MALFORMED, fail->input, fail->at, "record %" PRIu64 ": %s", fail->number, fail->why);
}

static struct rec_reader *open_input(const char *path, int flags)
{
	struct rec_reader *in = rec_reader_open(path, flags);
	if (!in)
		die(STATUS_FAIL, "%s:", path);
	return in;
}

static void note_header(struct run *r, struct rec_reader *in)
{
	const char *h = rec_reader_header(in);
	if (h && !r->input_header)
		r->input_header = xstrdup(h);
}

static void run_encode(struct run *r, int nin, char **inputs)
{
	struct parenc *pe = parenc_new(&r->tok, &r->policy, r->eot ? r->tok.eot : BPE_NO_ID, r->threads, emit_doc, r);
	struct parenc_failure fail;
	inputs = cli_inputs(inputs, &nin);
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = open_input(inputs[i], REC_READ_LINES);
		const char *name = rec_reader_name(in);
		struct rec_frame f;
		uint64_t last = 0, number = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER) {
				note_header(r, in);
				continue;
			}
			if (f.type == REC_END)
				continue;
			if (f.type == REC_TOKENS && r->mode == MODE_STATS) {
				stats_tokens(r, &f, name);
				continue;
			}
			if (f.type != REC_TEXT)
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: tok-bpe %s reads text records",
				       rec_type_name(f.type), r->mode == MODE_STATS ? "stats" : "encode");
			write_header(r, "tokens");
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
			if (parenc_add(pe, &f, inputs[i], rec_reader_is_lines(in), ++number, &fail) < 0)
				encode_failed(r, &fail);
		}
		rec_reader_close(in);
	}
	write_header(r, "tokens");
	if (parenc_finish(pe, &fail) < 0)
		encode_failed(r, &fail);
	parenc_free(pe);
}

static void run_decode(struct run *r, int nin, char **inputs)
{
	inputs = cli_inputs(inputs, &nin);
	struct ids ids = {0};
	struct buf raw = {0};
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = open_input(inputs[i], REC_READ_LINES);
		const char *name = rec_reader_name(in);
		struct rec_frame f;
		uint64_t last = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER) {
				note_header(r, in);
				continue;
			}
			if (f.type == REC_END)
				continue;
			ids.len = 0;
			if (f.type == REC_TOKENS) {
				rec_tokens_copy(&f, ids_resize(&ids, rec_tokens_count(&f)));
			} else if (f.type == REC_TEXT && rec_reader_is_lines(in)) {
				if (tok_parse_id_line((const char *)f.payload, f.payload_len, &ids) < 0)
					die_at(STATUS_MALFORMED, name, f.offset, "not a line of token ids");
			} else {
				die_at(STATUS_MALFORMED, name, f.offset, "a %s record: tok-bpe decode reads token records",
				       rec_type_name(f.type));
			}
			write_header(r, "text");
			buf_clear(&raw);
			decode_or_die(r, ids.v, ids.len, &raw, name, f.offset);
			const char *text = raw.data;
			size_t len = raw.len;
			if (!r->raw_bytes) {
				buf_clear(&r->scratch);
				utf8_append_replacing(&r->scratch, (const unsigned char *)raw.data, raw.len);
				text = r->scratch.data, len = r->scratch.len;
			}
			if (r->plain_text) {
				outbuf_write(&r->plain, text, len);
				outbuf_putc(&r->plain, '\n');
			} else {
				rec_write(r->w, REC_TEXT, REC_DT_NONE, f.key, f.key_len, text, len);
			}
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
		}
		rec_reader_close(in);
	}
	write_header(r, "text");
	ids_free(&ids);
	buf_free(&raw);
}

static void print_stats(struct run *r)
{
	struct buf b = {0};
	tok_stats_json(&r->stats, &r->tok, &b);
	outbuf_write(&r->plain, b.data, b.len);
	buf_free(&b);
}

static void print_info(struct run *r)
{
	struct buf b = {0};
	tok_info_json(&r->tok, &b);
	outbuf_write(&r->plain, b.data, b.len);
	buf_free(&b);
}

static int train_main(struct run *r, const struct bpe_train_opts *opts, const char *pattern, bool tiktoken,
                      double holdout, int nin, char **inputs)
{
	char err[256];
	struct pretok *pt = pretok_new(pattern, 0, err, sizeof err);
	if (!pt)
		die(STATUS_FAIL, "--pattern: %s", err);
	static struct atomic_file out_file = {.fd = -1}; /* lives until exit: atomic_guard */
	if (atomic_open(&out_file, r->output) != 0)
		die(STATUS_FAIL, "%s:", r->output);
	atomic_guard(&out_file);

	struct bpe_corpus *corpus = bpe_corpus_new(pt, opts, r->threads, holdout);
	inputs = cli_inputs(inputs, &nin);
	for (int i = 0; i < nin; i++) {
		struct rec_reader *in = r->in = open_input(inputs[i], REC_READ_LINES);
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
	write_all(out_file.fd, out.data, out.len, r->output);
	if (atomic_commit(&out_file) != 0)
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

/* tok-bpe fetch: each name's files into the caches, their paths on
 * stdout, one a line; a name that fails does not stop the others. */
static int fetch_names(const struct tokfetch_opts *o, int n, char **names)
{
	int status = 0;
	struct outbuf out;
	outbuf_init(&out, 1, "<stdout>", 4096);
	for (int i = 0; i < n; i++) {
		char *paths[2], err[1024];
		if (tokfetch_name(names[i], o, paths, err, sizeof err) != 0) {
			warn("%s", err);
			status = STATUS_FAIL;
			continue;
		}
		for (int k = 0; k < 2; k++) {
			if (!paths[k])
				continue;
			outbuf_write(&out, paths[k], strlen(paths[k]));
			outbuf_putc(&out, '\n');
			free(paths[k]);
		}
	}
	outbuf_free(&out);
	return status;
}

static enum mode parse_mode(const char *s)
{
	if (strcmp(s, "encode") == 0)
		return MODE_ENCODE;
	if (strcmp(s, "decode") == 0)
		return MODE_DECODE;
	if (strcmp(s, "stats") == 0)
		return MODE_STATS;
	if (strcmp(s, "info") == 0)
		return MODE_INFO;
	if (strcmp(s, "train") == 0)
		return MODE_TRAIN;
	if (strcmp(s, "fetch") == 0)
		return MODE_FETCH;
	cli_usage_error("unknown command '%s' (encode, decode, stats, info, train or fetch)", s);
}

static void parse_args(int argc, char **argv, struct run *r, struct cmdline *cl)
{
	static const struct option longopts[] = {
		{"tokenizer", required_argument, 0, 't'},
		{"pattern", required_argument, 0, OPT_PATTERN},
		{"allowed-special", required_argument, 0, OPT_ALLOWED},
		{"disallowed-special", required_argument, 0, OPT_DISALLOWED},
		{"eot", no_argument, 0, OPT_EOT},
		{"ids", no_argument, 0, OPT_IDS},
		{"threads", required_argument, 0, 'j'},
		{"bytes", no_argument, 0, OPT_BYTES},
		{"text", no_argument, 0, OPT_TEXT},
		{"vocab-size", required_argument, 0, OPT_VOCAB_SIZE},
		{"min-frequency", required_argument, 0, OPT_MIN_FREQUENCY},
		{"special", required_argument, 0, OPT_SPECIAL},
		{"max-token-length", required_argument, 0, OPT_MAX_TOKEN_LENGTH},
		{"holdout", required_argument, 0, OPT_HOLDOUT},
		{"bytes-only", no_argument, 0, OPT_BYTES_ONLY},
		{"format", required_argument, 0, OPT_FORMAT},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	*cl = (struct cmdline){
		.progress = CLI_PROGRESS_AUTO,
		.allowed = "none",
		.disallowed = "all",
		.train = {.vocab_size = 32000, .min_frequency = 2},
		.fetch = {.offline = hfhub_env_offline()},
	};
	int threads = cli_cpu_count();
	int opt;
	/* The command comes first, before any option; options are parsed
	 * from a copy without it, and the lineage keeps the whole line. */
	bool have_mode = argc > 1 && argv[1][0] != '-';
	char **opts = argv;
	if (have_mode) {
		r->mode = parse_mode(argv[1]);
		opts = xmalloc((size_t)argc * sizeof *opts);
		opts[0] = argv[0];
		memcpy(opts + 1, argv + 2, (size_t)(argc - 2) * sizeof *opts);
		opts[argc - 1] = NULL;
		argc--;
	}
	argv = cl->opts = opts;
	while ((opt = getopt_long(argc, argv, "t:j:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &cl->progress))
			continue;
		switch (opt) {
		case 't': cl->spec = optarg; break;
		case OPT_PATTERN: cl->pattern = optarg; break;
		case OPT_ALLOWED: cl->allowed = optarg; cl->specials_given = true; break;
		case OPT_DISALLOWED: cl->disallowed = optarg; cl->specials_given = true; break;
		case OPT_EOT: r->eot = true; break;
		case OPT_IDS: r->ids = true; break;
		case 'j': threads = cli_parse_threads(optarg); break;
		case OPT_BYTES: r->raw_bytes = true; break;
		case OPT_TEXT: r->plain_text = true; break;
		case 'o': r->output = optarg; break;
		case OPT_VOCAB_SIZE: cl->train.vocab_size = (uint32_t)cli_parse_u64(optarg, "--vocab-size", 1); cl->train_opts++; break;
		case OPT_MIN_FREQUENCY: cl->train.min_frequency = cli_parse_u64(optarg, "--min-frequency", 1); cl->train_opts++; break;
		case OPT_SPECIAL:
			cl->specials = xrealloc(cl->specials, (cl->n_specials + 1) * sizeof *cl->specials);
			cl->specials[cl->n_specials++] = optarg;
			cl->train_opts++;
			break;
		case OPT_MAX_TOKEN_LENGTH: cl->train.max_token_length = cli_parse_u64(optarg, "--max-token-length", 0); cl->train_opts++; break;
		case OPT_HOLDOUT: cl->holdout = cli_parse_fraction(optarg, "--holdout"); cl->train_opts++; break;
		case OPT_BYTES_ONLY: cl->train.bytes_only = true; cl->train_opts++; break;
		case OPT_FORMAT: cl->format = optarg; cl->train_opts++; break;
		case OPT_OFFLINE: cl->fetch.offline = true; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (!have_mode)
		cli_usage_error("no command (encode, decode, stats, info, train or fetch)");
	r->threads = threads;
	if (r->mode != MODE_TRAIN && cl->train_opts)
		cli_usage_error("--vocab-size, --min-frequency, --special, --max-token-length, --holdout, "
		                "--bytes-only and --format are for train");
	cl->nin = argc - optind;
	cl->inputs = argv + optind;
}

static int train_cmd(struct run *r, struct cmdline *cl)
{
	struct bpe_train_opts *train = &cl->train;
	if (cl->spec)
		cli_usage_error("train makes a tokenizer: -t does not apply");
	if (!r->output)
		cli_usage_error("train needs -o OUT");
	if (r->eot || r->ids || cl->specials_given || r->raw_bytes || r->plain_text)
		cli_usage_error("train takes none of --eot, --ids, --allowed-special, --disallowed-special, --bytes, --text");
	if (cl->format && strcmp(cl->format, "json") != 0 && strcmp(cl->format, "tiktoken") != 0)
		cli_usage_error("--format must be json or tiktoken");
	if (!cl->n_specials) {
		static const char *const eot[] = {"<|endoftext|>"};
		train->specials = eot, train->n_specials = 1;
	} else {
		train->specials = (const char *const *)cl->specials, train->n_specials = cl->n_specials;
	}
	for (size_t i = 0; i < train->n_specials; i++)
		if (!*train->specials[i])
			cli_usage_error("--special: an empty token");
	if (train->vocab_size < 256 + train->n_specials && !train->bytes_only)
		cli_usage_error("--vocab-size must be at least %zu: the 256 bytes and the specials",
		                256 + train->n_specials);
	bool tiktoken = cl->format ? strcmp(cl->format, "tiktoken") == 0
	                           : strlen(r->output) > 9 && strcmp(r->output + strlen(r->output) - 9, ".tiktoken") == 0;
	progress_init(&r->progress, cl->progress, io_total_size(cl->nin, cl->inputs));
	return train_main(r, train, tokload_pattern_by_name(cl->pattern ? cl->pattern : "gpt2"), tiktoken, cl->holdout,
	                  cl->nin, cl->inputs);
}

static int fetch_cmd(struct run *r, struct cmdline *cl)
{
	if (cl->spec || cl->pattern || cl->specials_given || r->eot || r->ids || r->raw_bytes || r->plain_text ||
	    r->output)
		cli_usage_error("fetch takes only names (and --offline)");
	if (!cl->nin)
		cli_usage_error("fetch: no NAME (a tiktoken encoding or ORG/NAME[@REVISION])");
	return fetch_names(&cl->fetch, cl->nin, cl->inputs);
}

/* encode, decode, stats and info: the tokenizer, its special-token
 * policy and the output, ready for the mode. */
static void open_tokenizer(struct run *r, struct cmdline *cl, struct atomic_file *output_file)
{
	if (!cl->spec)
		cli_usage_error("no tokenizer (-t)");
	if (r->mode != MODE_ENCODE && (r->eot || r->ids))
		cli_usage_error("--eot and --ids are for encode");
	if (r->mode != MODE_ENCODE && r->mode != MODE_STATS && cl->specials_given)
		cli_usage_error("--allowed-special and --disallowed-special are for encode and stats");
	if (r->mode != MODE_DECODE && (r->raw_bytes || r->plain_text))
		cli_usage_error("--bytes and --text are for decode");
	if (r->mode == MODE_INFO && cl->nin)
		cli_usage_error("info takes no FILE");

	char err[512];
	if (tokenizer_open(&r->tok, cl->spec, cl->pattern, &cl->fetch, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	size_t nspecial = bpe_special_count(r->tok.bpe);
	r->policy.allowed = xcalloc(nspecial + 1, sizeof *r->policy.allowed);
	r->policy.disallowed = xcalloc(nspecial + 1, sizeof *r->policy.disallowed);
	if (tok_parse_specials(&r->tok, cl->allowed, r->policy.allowed, err, sizeof err) < 0)
		cli_usage_error("--allowed-special: %s", err);
	if (tok_parse_specials(&r->tok, cl->disallowed, r->policy.disallowed, err, sizeof err) < 0)
		cli_usage_error("--disallowed-special: %s", err);
	/* As in tiktoken: what is allowed is never also disallowed. */
	for (size_t i = 0; i < nspecial; i++)
		if (r->policy.allowed[i])
			r->policy.disallowed[i] = false;
	if (r->eot && r->tok.eot == BPE_NO_ID)
		cli_usage_error("--eot: %s has no end-of-text token", r->tok.name);
	r->dtype = bpe_vocab_size(r->tok.bpe) <= 65536 ? REC_DT_U16 : REC_DT_U32;

	bool records_out = (r->mode == MODE_ENCODE && !r->ids) || (r->mode == MODE_DECODE && !r->plain_text);
	if (r->output) {
		if (atomic_open(output_file, r->output) != 0)
			die(STATUS_FAIL, "%s:", r->output);
		atomic_guard(output_file);
		r->out_fd = output_file->fd;
	} else if (records_out && isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, use -o, or %s)",
		                r->mode == MODE_ENCODE ? "--ids" : "--text");
	}
	const char *out_name = r->output ? r->output : "<stdout>";
	if (records_out)
		r->w = rec_writer_fdopen(r->out_fd, out_name);
	outbuf_init(&r->plain, r->out_fd, out_name, 1 << 16);
	progress_init(&r->progress, cl->progress, r->mode == MODE_INFO ? 0 : io_total_size(cl->nin, cl->inputs));
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	struct run r = {.argc = argc, .argv = argv, .out_fd = 1};
	struct cmdline cl;
	parse_args(argc, argv, &r, &cl);
	if (r.mode == MODE_TRAIN || r.mode == MODE_FETCH) {
		int status = r.mode == MODE_TRAIN ? train_cmd(&r, &cl) : fetch_cmd(&r, &cl);
		free(cl.specials);
		if (cl.opts != r.argv)
			free(cl.opts);
		return status;
	}
	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	open_tokenizer(&r, &cl, &output_file);

	switch (r.mode) {
	case MODE_TRAIN: /* handled above */
	case MODE_FETCH:
	case MODE_INFO:
		print_info(&r);
		break;
	case MODE_ENCODE:
		run_encode(&r, cl.nin, cl.inputs);
		break;
	case MODE_DECODE:
		run_decode(&r, cl.nin, cl.inputs);
		break;
	case MODE_STATS:
		tok_stats_init(&r.stats, &r.tok);
		run_encode(&r, cl.nin, cl.inputs);
		print_stats(&r);
		break;
	}
	if (r.w) {
		rec_write_end(r.w);
		rec_writer_free(r.w);
	}
	outbuf_free(&r.plain);
	progress_end(&r.progress);
	if (r.output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", r.output);
	free(r.policy.allowed);
	free(r.policy.disallowed);
	tok_stats_free(&r.stats);
	free(r.input_header);
	buf_free(&r.scratch);
	ids_free(&r.ids_scratch);
	tokenizer_free(&r.tok);
	free(cl.specials);
	if (cl.opts != r.argv)
		free(cl.opts);
	return 0;
}
