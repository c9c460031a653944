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

static const char usage[] =
	"Usage: rec-cat [OPTION]... [FILE]...\n"
	"Print sluice record streams (sluice-rec(5)) as JSON lines, one object per\n"
	"record, checking every frame.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"  -t, --text        print text payloads only, one per line, byte for byte\n"
	"  -z, --null        with --text, end each payload with NUL instead of newline\n"
	"  -s, --stats       print counts per type, bytes, token totals, the header\n"
	"                    and the trailer\n"
	"  -c, --validate    check the streams and print nothing; the exit status tells\n"
	"  -n, --head N      stop after N records\n"
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

struct type_stats {
	uint64_t records, bytes;
};

struct stats {
	uint64_t inputs, streams, records, bytes, tokens, unknown;
	struct type_stats by_type[256];
	json_t *first_header;
	json_t *last_trailer;
};

struct cat {
	enum mode mode;
	char delim;
	uint64_t head, skip, seen;
	int limited;
	struct outbuf out;
	struct buf line;
	struct stats st;
	struct progress progress;
};

static void json_tokens(struct buf *b, const struct rec_frame *f)
{
	size_t n = rec_tokens_count(f);
	buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		buf_printf(b, "%u", rec_token_at(f, i));
	}
	buf_addc(b, ']');
}

static void json_batch(struct buf *b, const struct rec_frame *f)
{
	struct rec_batch bt;
	rec_batch_view(f, &bt);
	size_t row = (size_t)bt.T + 1;
	buf_printf(b, "{\"B\":%u,\"T\":%u,\"rows\":[", bt.B, bt.T);
	for (size_t r = 0; r < bt.B; r++) {
		buf_adds(b, r ? ",[" : "[");
		for (size_t i = 0; i < row; i++) {
			size_t at = r * row + i;
			uint32_t v = bt.dtype == REC_DT_U16 ? ((const uint16_t *)bt.tokens)[at]
			                                    : ((const uint32_t *)bt.tokens)[at];
			buf_printf(b, i ? ",%u" : "%u", v);
		}
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
	if (bt.mask) {
		buf_adds(b, ",\"mask\":[");
		for (size_t r = 0; r < bt.B; r++) {
			buf_adds(b, r ? ",[" : "[");
			for (size_t i = 0; i < row; i++)
				buf_adds(b, i ? (bt.mask[r * row + i] ? ",1" : ",0") : (bt.mask[r * row + i] ? "1" : "0"));
			buf_addc(b, ']');
		}
		buf_addc(b, ']');
	}
	buf_addc(b, '}');
}

/* Copies JSON text that the caller has validated, turning the newlines a
 * pretty-printer may have put between tokens into spaces (valid JSON has no
 * raw newline inside a string), so each record stays on one line. */
static void json_verbatim(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;
	buf_add(b, s, n);
	for (size_t i = start; i < b->len; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r')
			b->data[i] = ' ';
}

/* json records and vector metadata must hold one JSON object (sluice-rec(5)). */
static int json_object_text(const char *s, size_t n)
{
	json_error_t err;
	/* Only checked, never re-serialized: integers beyond int64 (a uint64
	 * column) are valid JSON, which jansson refuses unless read as reals. */
	json_t *v = json_loadb(s, n, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
	int ok = json_is_object(v);
	json_decref(v);
	return ok;
}

static void json_vector(struct buf *b, const struct rec_frame *f)
{
	struct rec_vector v;
	rec_vector_view(f, &v);
	buf_adds(b, ",\"vector\":[");
	for (uint32_t i = 0; i < v.dim; i++) {
		if (i)
			buf_addc(b, ',');
		float x;
		memcpy(&x, v.values + i, sizeof x);
		jsonw_float(b, x);
	}
	buf_addc(b, ']');
	if (v.meta_len) {
		buf_adds(b, ",\"metadata\":");
		json_verbatim(b, v.meta, v.meta_len);
	}
}

/* The reader checks layouts, not the JSON text inside json records and
 * vector metadata: that is checked here, before printing or validating. */
static void check_json(struct cat *c, const struct rec_frame *f, const char *input)
{
	if (f->type == REC_JSON) {
		if (!json_object_text((const char *)f->payload, f->payload_len)) {
			outbuf_flush(&c->out);
			die_at(STATUS_MALFORMED, input, f->offset, "json record is not a JSON object");
		}
	} else if (f->type == REC_VECTOR) {
		struct rec_vector v;
		rec_vector_view(f, &v);
		if (v.meta_len && !json_object_text(v.meta, v.meta_len)) {
			outbuf_flush(&c->out);
			die_at(STATUS_MALFORMED, input, f->offset, "vector metadata is not a JSON object");
		}
	}
}

static int printable_text(const unsigned char *p, size_t n)
{
	if (!utf8_valid(p, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			return 0;
	return 1;
}

static void json_sample(struct buf *b, const struct rec_frame *f)
{
	struct rec_part part;
	size_t cursor = 0;
	int first = 1;
	buf_adds(b, ",\"parts\":{");
	while (rec_sample_next(f, &cursor, &part)) {
		if (!first)
			buf_addc(b, ',');
		first = 0;
		jsonw_string(b, part.name, part.name_len);
		buf_addc(b, ':');
		if (printable_text(part.data, part.data_len)) {
			jsonw_string(b, (const char *)part.data, part.data_len);
		} else {
			buf_adds(b, "{\"base64\":\"");
			base64_encode(b, part.data, part.data_len);
			buf_adds(b, "\"}");
		}
	}
	buf_addc(b, '}');
}

static void print_jsonl(struct cat *c, const struct rec_frame *f, const char *input)
{
	struct buf *b = &c->line;
	check_json(c, f, input);
	buf_clear(b);
	buf_adds(b, "{\"type\":");
	jsonw_string(b, rec_type_name(f->type), strlen(rec_type_name(f->type)));
	if (f->key) {
		buf_adds(b, ",\"key\":");
		jsonw_string(b, f->key, f->key_len);
	}
	switch (f->type) {
	case REC_TEXT:
		buf_adds(b, ",\"text\":");
		jsonw_string(b, (const char *)f->payload, f->payload_len);
		break;
	case REC_TOKENS:
		buf_adds(b, ",\"tokens\":");
		json_tokens(b, f);
		break;
	case REC_BATCH:
		buf_adds(b, ",\"batch\":");
		json_batch(b, f);
		break;
	case REC_VECTOR:
		json_vector(b, f);
		break;
	case REC_JSON:
		buf_adds(b, ",\"json\":");
		json_verbatim(b, (const char *)f->payload, f->payload_len);
		break;
	case REC_SAMPLE:
		json_sample(b, f);
		break;
	default:
		break;
	}
	buf_adds(b, "}\n");
	outbuf_write(&c->out, b->data, b->len);
}

static void count(struct stats *st, const struct rec_frame *f)
{
	st->records++;
	st->by_type[f->type].records++;
	st->by_type[f->type].bytes += f->payload_len;
	if (f->type == REC_TOKENS) {
		st->tokens += rec_tokens_count(f);
	} else if (f->type == REC_BATCH) {
		struct rec_batch bt;
		rec_batch_view(f, &bt);
		st->tokens += (uint64_t)bt.B * ((uint64_t)bt.T + 1);
	}
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

/* Returns 0 when --head is satisfied and reading should stop. */
static int cat_input(struct cat *c, const char *path)
{
	if (c->limited && c->head == 0)
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
			if (c->mode == MODE_STATS && t) {
				json_decref(c->st.last_trailer);
				c->st.last_trailer = json_loads(t, 0, NULL);
			}
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
			count(&c->st, &f);
			break;
		case MODE_VALIDATE:
			check_json(c, &f, input);
			break;
		default:
			break;
		}
		if (c->limited && c->seen - c->skip >= c->head) {
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
	struct stats *st = &c->st;
	json_t *o = json_object();
	json_object_set_new(o, "inputs", json_integer((json_int_t)st->inputs));
	json_object_set_new(o, "streams", json_integer((json_int_t)st->streams));
	json_object_set_new(o, "records", json_integer((json_int_t)st->records));
	json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
	json_t *types = json_object();
	for (int t = 0; t < 256; t++) {
		if (!st->by_type[t].records || !rec_type_name(t))
			continue;
		json_t *one = json_object();
		json_object_set_new(one, "records", json_integer((json_int_t)st->by_type[t].records));
		json_object_set_new(one, "payload_bytes", json_integer((json_int_t)st->by_type[t].bytes));
		json_object_set_new(types, rec_type_name(t), one);
	}
	json_object_set_new(o, "types", types);
	json_object_set_new(o, "tokens", json_integer((json_int_t)st->tokens));
	json_object_set_new(o, "unknown_frames", json_integer((json_int_t)st->unknown));
	json_object_set_new(o, "header", st->first_header ? json_incref(st->first_header) : json_null());
	if (st->last_trailer)
		json_object_set_new(o, "trailer", json_incref(st->last_trailer));
	char *s = json_dumps(o, JSON_INDENT(2));
	if (!s)
		die(STATUS_FAIL, "out of memory");
	outbuf_write(&c->out, s, strlen(s));
	outbuf_putc(&c->out, '\n');
	free(s);
	json_decref(o);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"text", no_argument, 0, 't'},
		{"null", no_argument, 0, 'z'},
		{"stats", no_argument, 0, 's'},
		{"validate", no_argument, 0, 'c'},
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
	while ((opt = getopt_long(argc, argv, "tzscn:H" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 't': c.mode = MODE_TEXT; modes++; break;
		case 'z': c.delim = '\0'; break;
		case 's': c.mode = MODE_STATS; modes++; break;
		case 'c': c.mode = MODE_VALIDATE; modes++; break;
		case 'H': c.mode = MODE_HEADER; modes++; break;
		case 'n':
			c.head = cli_parse_u64(optarg, "--head", 0);
			c.limited = 1;
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
	json_decref(c.st.first_header);
	json_decref(c.st.last_trailer);
	buf_free(&c.line);
	return 0;
}
