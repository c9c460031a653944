/* rec-cat - print, inspect and validate sluice record streams. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/progress.h"
#include "rec/rec.h"
#include "rec/recjson.h"
#include "rec/recstats.h"

static const char usage[] =
	"Usage: rec-cat [OPTION]... [FILE]...\n"
	"Print sluice record streams (sluice-rec(5)) as JSON lines, one object per\n"
	"record, checking every frame.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"  -t, --text        print text payloads only, one per line, byte for byte\n"
	"  -z, --null        with --text, end each payload with NUL instead of newline\n"
	"  -s, --stats       print counts per type, bytes, token totals, the header\n"
	"                    and the trailers merged into one account\n"
	"  -c, --validate    check the streams and print nothing; the exit status tells\n"
	"  -n, --take N      stop after N records\n"
	"      --skip N      skip the first N records\n"
	"  -H, --header      print the header JSON of each input and stop\n"
	"      --progress    show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet       no progress line\n"
	"  -h, --help        show this help and exit\n"
	"      --version     show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 3 not a record stream, 4 truncated\n"
	"frame, 5 checksum mismatch, 6 missing end marker, 7 frame over the size limit,\n"
	"8 malformed stream.  See rec-cat(1) and sluice-rec(5).\n";

enum mode { MODE_JSONL, MODE_TEXT, MODE_STATS, MODE_VALIDATE, MODE_HEADER };
enum { OPT_SKIP = CLI_OPT_FIRST_PROGRAM_OPT };

struct cat {
	enum mode mode;
	char delim;
	uint64_t take, skip, seen;
	int limited;
	struct outbuf out;
	struct buf line;
	struct rec_stats st;
	struct progress progress;
};

/* f's JSON text checked; what was printed before it goes out before the error. */
static void check_json(struct cat *c, const struct rec_frame *f, const char *input)
{
	const char *problem = rec_json_problem(f);
	if (problem) {
		outbuf_flush(&c->out);
		die_at(STATUS_MALFORMED, input, f->offset, "%s", problem);
	}
}

static void print_jsonl(struct cat *c, const struct rec_frame *f, const char *input)
{
	check_json(c, f, input);
	rec_json_line(&c->line, f);
	outbuf_write(&c->out, c->line.data, c->line.len);
}

/* One line whatever the producer's layout, like every other rec-cat output;
 * the reader has checked that the header is a JSON object. */
static void print_header(struct cat *c, struct rec_reader *r)
{
	json_t *h = json_loads(rec_reader_header(r), JSON_ALLOW_NUL, NULL);
	buf_clear(&c->line);
	jsonw_value(&c->line, h);
	buf_addc(&c->line, '\n');
	outbuf_write(&c->out, c->line.data, c->line.len);
	json_decref(h);
}

/* rec_next_or_die, but what was printed before a bad frame (or a missing
 * file) goes out before the error, as cat prints what it read before one. */
static int next_frame(struct cat *c, struct rec_reader *r, struct rec_frame *f)
{
	int got = rec_next(r, f);
	if (got < 0) {
		outbuf_flush(&c->out);
		fprintf(stderr, "%s: %s\n", prog_name(), rec_reader_error(r));
		exit(-got);
	}
	return got;
}

/* Returns 0 when --take is satisfied and reading should stop. */
static int cat_input(struct cat *c, const char *path)
{
	if (c->limited && c->take == 0)
		return 0;
	struct rec_reader *r = rec_reader_open(path, 0);
	if (!r) {
		outbuf_flush(&c->out);
		die(STATUS_FAIL, "%s:", path);
	}
	struct rec_frame f;
	const char *input = rec_reader_name(r);
	uint64_t last = 0;
	int more = 1;
	c->st.inputs++;
	while (next_frame(c, r, &f)) {
		uint64_t now = rec_reader_offset(r);
		progress_add(&c->progress, now - last, f.type != REC_HEADER && f.type != REC_END);
		last = now;
		if (f.type == REC_HEADER) {
			c->st.streams++;
			if (!c->st.first_header)
				c->st.first_header = json_loads(rec_reader_header(r), 0, NULL);
			if (c->mode == MODE_HEADER) {
				print_header(c, r);
				break;
			}
			continue;
		}
		if (f.type == REC_END) {
			const char *t = rec_reader_trailer(r);
			if (c->mode == MODE_STATS && t)
				rec_stats_add_trailer(&c->st, t);
			continue;
		}
		if (c->seen++ < c->skip)
			continue;
		switch (c->mode) {
		case MODE_JSONL:
			print_jsonl(c, &f, input);
			break;
		case MODE_TEXT:
			if (f.type == REC_TEXT) {
				outbuf_write(&c->out, f.payload, f.payload_len);
				outbuf_putc(&c->out, c->delim);
			}
			break;
		case MODE_STATS:
			rec_stats_count(&c->st, &f);
			break;
		case MODE_VALIDATE:
			check_json(c, &f, input);
			break;
		default:
			break;
		}
		if (c->limited && c->seen - c->skip >= c->take) {
			more = 0;
			break;
		}
	}
	c->st.bytes += rec_reader_offset(r);
	c->st.unknown += rec_reader_skipped(r);
	rec_reader_close(r);
	return more;
}

static void print_stats(struct cat *c)
{
	char *s = rec_stats_dump(&c->st);
	outbuf_write(&c->out, s, strlen(s));
	outbuf_putc(&c->out, '\n');
	free(s);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"text", no_argument, 0, 't'},
		{"null", no_argument, 0, 'z'},
		{"stats", no_argument, 0, 's'},
		{"validate", no_argument, 0, 'c'},
		{"take", required_argument, 0, 'n'},
		/* Its name before --take was the flag for this in every program. */
		{"head", required_argument, 0, 'n'},
		{"skip", required_argument, 0, OPT_SKIP},
		{"header", no_argument, 0, 'H'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct cat c = {.mode = MODE_JSONL, .delim = '\n'};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	int opt, modes = 0;
	cli_init(argc, argv);
	int which = -1;
	while ((opt = getopt_long(argc, argv, "tzscn:H" CLI_COMMON_SHORT, longopts, &which)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 't': c.mode = MODE_TEXT; modes++; break;
		case 'z': c.delim = '\0'; break;
		case 's': c.mode = MODE_STATS; modes++; break;
		case 'c': c.mode = MODE_VALIDATE; modes++; break;
		case 'H': c.mode = MODE_HEADER; modes++; break;
		case 'n':
			/* (An error names the flag as it was given.) */
			c.take = cli_parse_u64(optarg, which >= 0 && !strcmp(longopts[which].name, "head") ? "--head" : "--take", 0);
			c.limited = 1;
			which = -1;
			break;
		case OPT_SKIP: c.skip = cli_parse_u64(optarg, "--skip", 0); break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (modes > 1)
		cli_usage_error("--text, --stats, --validate and --header exclude each other");
	if (c.delim == '\0' && c.mode != MODE_TEXT)
		cli_usage_error("--null goes with --text");

	outbuf_init(&c.out, 1, "<stdout>", 1 << 20);
	progress_init(&c.progress, progress, io_total_size(argc - optind, argv + optind));
	if (optind == argc) {
		cat_input(&c, "-");
	} else {
		for (int i = optind; i < argc; i++)
			if (!cat_input(&c, argv[i]))
				break;
	}
	progress_end(&c.progress);
	if (c.mode == MODE_STATS)
		print_stats(&c);
	outbuf_free(&c.out);
	rec_stats_free(&c.st);
	buf_free(&c.line);
	return 0;
}
