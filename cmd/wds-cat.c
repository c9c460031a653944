/* wds-cat - read WebDataset tar shards and write their samples as records. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/progress.h"
#include "base/utf8.h"
#include "hub/hfhub.h"
#include "net/http.h"
#include "rec/header.h"
#include "rec/rec.h"
#include "rec/shufbuf.h"
#include "wds/braces.h"
#include "wds/shardorder.h"
#include "wds/shardsrc.h"
#include "wds/wds.h"

static const char usage[] =
	"Usage: wds-cat [OPTION]... PATTERN...\n"
	"Read WebDataset tar shards and write their samples as sluice records\n"
	"(sluice-rec(5)).  A PATTERN names shards: a path, an http:// or https://\n"
	"URL (streamed, never downloaded whole), pipe:COMMAND (the command's\n"
	"output), or - (stdin); brace ranges and lists expand as webdataset's do\n"
	"(shard-{000000..000099}.tar, {train,val}-{0..3}.tar) and :: joins lists.\n"
	"Shards are tar files, plain or compressed with gzip, zstd, bzip2 or xz.\n"
	"\n"
	"Samples are consecutive members that share a key: the member's path up to\n"
	"the first dot of its base name.  The rest of the name, lower-cased, names\n"
	"the part.  Members without a dot in the base name, hidden files, __*__\n"
	"names and entries that are not regular files are skipped.\n"
	"\n"
	"Selecting and output:\n"
	"  -k, --key EXTS         keep only these parts: a comma list of extensions,\n"
	"                         each possibly a;b alternatives (the first present\n"
	"                         wins); a sample that lacks one is an error\n"
	"  -d, --decode MODE      auto (default): one selected part gives text\n"
	"                         records, several give sample records; text: as auto,\n"
	"                         and every selected part must be UTF-8; bytes: sample\n"
	"                         records always, parts untouched\n"
	"  -f, --format FORMAT    records (default), or json: one JSON row per sample\n"
	"                         holding __key__, __url__, the members of its .json\n"
	"                         part, and each other part under its extension\n"
	"  -n, --take N           stop after N samples (all epochs together)\n"
	"  -o, --output FILE      write FILE atomically instead of stdout\n"
	"\n"
	"Order and sharding:\n"
	"      --shard I/N        only shards I, I+N, I+2N... (0-based) of the list,\n"
	"                         after --shard-shuffle\n"
	"      --shard-shuffle    shuffle the shard list, anew each epoch\n"
	"      --shuffle N        shuffle samples through a buffer of N\n"
	"      --shuffle-initial N  start once the buffer holds N samples (default\n"
	"                         100, or N of --shuffle if smaller)\n"
	"      --seed S           seed of every shuffle and of --resampled (default 0)\n"
	"      --resampled        draw shards at random with replacement, forever\n"
	"                         (pair it with --take)\n"
	"      --epochs N         read the shards N times (default 1)\n"
	"      --list             print the shards in the order they would be read\n"
	"                         and exit (with --resampled, --take of them)\n"
	"\n"
	"Errors and the network:\n"
	"      --on-error MODE    fail (default): stop at a bad shard or sample,\n"
	"                         naming shard, member and offset; warn: report it,\n"
	"                         drop what was lost and go on with the next shard;\n"
	"                         skip: the same without the report\n"
	"      --timeout SECONDS  HTTP: a request without progress for this long is\n"
	"                         retried (default 30)\n"
	"      --retries N        HTTP: retries of a failed request (default 5)\n"
	"  -v, --verbose          a summary on stderr at the end: shards, samples,\n"
	"                         bytes, losses, HTTP requests\n"
	"\n"
	"      --progress         show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet            no progress line\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or bad shard, 2 usage.  See wds-cat(1).\n";

enum output { OUT_SAMPLE, OUT_TEXT, OUT_JSON };
enum on_error { ON_ERROR_FAIL, ON_ERROR_WARN, ON_ERROR_SKIP };
enum decode { DECODE_AUTO, DECODE_TEXT, DECODE_BYTES };

/* One --key element: its alternatives, the first present wins. */
struct key_choice {
	char **alts;
	size_t nalts;
};

struct cat {
	char **shards;
	size_t nshards;
	struct key_choice *keys;
	size_t nkeys;
	char **want; /* every alternative, for wds_opts */
	size_t nwant;
	enum output output;
	enum decode decode;
	enum on_error on_error;
	uint64_t take, epochs, seed, shuffle_buf, shuffle_initial;
	uint32_t rank, nranks;
	int taking, shard_shuffle, resampled, list, verbose;
	struct http_opts http_opts;
	struct http *http;
	char *token;
	char auth_host[256];

	struct rec_writer *w;
	struct shufbuf shuf;
	int shuffling;
	struct progress progress;
	struct buf payload, url_part;
	const struct wds_part **chosen;

	uint64_t bytes; /* read from shards, before decompression */
	uint64_t written, shards_read, bad_shards, bad_samples, lost_samples;
};

/* ---- command line ---- */


static char **split(const char *s, char sep, size_t *n)
{
	char **out = NULL;
	*n = 0;
	for (const char *p = s;;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		out = xrealloc(out, (*n + 1) * sizeof *out);
		out[(*n)++] = xstrndup(p, len);
		if (!end)
			break;
		p = end + 1;
	}
	return out;
}

static void parse_keys(struct cat *c, const char *arg)
{
	size_t n;
	char **elems = split(arg, ',', &n);
	c->keys = xcalloc(n, sizeof *c->keys);
	c->nkeys = n;
	for (size_t i = 0; i < n; i++) {
		struct key_choice *k = &c->keys[i];
		k->alts = split(elems[i], ';', &k->nalts);
		for (size_t j = 0; j < k->nalts; j++) {
			char *e = k->alts[j];
			if (!*e || strchr(e, '/'))
				cli_usage_error("--key: '%s' is not a list of extensions", arg);
			for (char *q = e; *q; q++) /* parts are named lower-case */
				if (*q >= 'A' && *q <= 'Z')
					*q = (char)(*q - 'A' + 'a');
			c->want = xrealloc(c->want, (c->nwant + 1) * sizeof *c->want);
			c->want[c->nwant++] = e;
		}
		free(elems[i]);
	}
	free(elems);
}

static void add_pattern(struct cat *c, const char *pattern)
{
	char **names, err[256];
	size_t n;
	if (braces_expand(pattern, &names, &n, err, sizeof err) < 0)
		cli_usage_error("'%s': %s", pattern, err);
	if (c->nshards + n > BRACES_MAX)
		cli_usage_error("over %d shards", BRACES_MAX);
	c->shards = xrealloc(c->shards, (c->nshards + n + 1) * sizeof *c->shards);
	memcpy(c->shards + c->nshards, names, n * sizeof *names);
	c->nshards += n;
	free(names); /* the names themselves now belong to c->shards */
}

/* ---- losses ---- */

/* A bad sample or shard: the end under --on-error fail, else counted. */
static void lose(struct cat *c, const char *what, int whole_shard, int lost)
{
	if (c->on_error == ON_ERROR_FAIL) {
		rec_writer_flush(c->w);
		die(STATUS_FAIL, "%s", what);
	}
	if (c->on_error == ON_ERROR_WARN)
		warn("warning: %s (%s)", what, whole_shard ? "the rest of the shard is lost" : "sample dropped");
	if (whole_shard)
		c->bad_shards++;
	else
		c->bad_samples++;
	c->lost_samples += (uint64_t)lost;
}

/* ---- output ---- */

static void emit(struct cat *c, int type, const char *key, size_t key_len, const struct rec_piece *pieces,
                 int n)
{
	if (!c->shuffling) {
		rec_writev(c->w, type, REC_DT_NONE, key, key_len, pieces, n);
		c->written++;
		return;
	}
	buf_clear(&c->payload);
	for (int i = 0; i < n; i++)
		buf_add(&c->payload, pieces[i].data, pieces[i].len);
	const struct shuf_item *out = shufbuf_push(&c->shuf, key, key_len, c->payload.data, c->payload.len);
	if (out) {
		rec_write(c->w, type, REC_DT_NONE, out->key, out->key_len, out->payload, out->payload_len);
		c->written++;
	}
}

static int done(const struct cat *c) { return c->taking && c->written >= c->take; }

static int output_type(const struct cat *c)
{
	return c->output == OUT_JSON ? REC_JSON : c->output == OUT_TEXT ? REC_TEXT : REC_SAMPLE;
}

static int is_json_ext(const char *ext) { return strcmp(ext, "json") == 0 || strcmp(ext, "jsn") == 0; }

/* webdataset decodes these as integers. */
static int is_int_ext(const char *ext)
{
	static const char *const names[] = {"cls", "cls2", "class", "count", "index", "inx", "id"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(ext, names[i]) == 0)
			return 1;
	return 0;
}

static json_t *part_value(const struct wds_part *p)
{
	if (is_int_ext(p->ext) && p->len && p->len < 32) {
		char text[32], *end;
		memcpy(text, p->data, p->len);
		text[p->len] = '\0';
		errno = 0;
		long long v = strtoll(text, &end, 10);
		while (*end == '\n' || *end == ' ' || *end == '\r' || *end == '\t')
			end++;
		if (end != text && !*end && errno == 0)
			return json_integer(v);
	}
	if (utf8_valid(p->data, p->len))
		return json_stringn((const char *)p->data, p->len);
	struct buf b = {0};
	base64_encode(&b, p->data, p->len);
	json_t *v = json_pack("{s:s%}", "base64", b.data ? b.data : "", b.len);
	buf_free(&b);
	return v;
}

/* One JSON row: __key__, __url__, the .json part's members, the other
 * parts under their extensions.  -1 with a message for a bad .json. */
static int json_row(struct cat *c, const struct wds_sample *s, const char *url, size_t nchosen,
                    char *err, size_t errn)
{
	json_t *row = json_object();
	json_object_set_new(row, "__key__", json_stringn(s->key, s->key_len));
	json_object_set_new(row, "__url__", json_string(url));
	for (size_t i = 0; i < nchosen; i++) {
		const struct wds_part *p = c->chosen[i];
		if (is_json_ext(p->ext)) {
			json_error_t e;
			json_t *v = json_loadb((const char *)p->data, p->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
			if (!v) {
				errorf(err, errn, "%llu: member %s: not JSON: %s", (unsigned long long)p->offset,
				       p->member, e.text);
				json_decref(row);
				return -1;
			}
			if (json_is_object(v)) {
				const char *k;
				json_t *item;
				json_object_foreach(v, k, item) if (strcmp(k, "__key__") && strcmp(k, "__url__"))
					json_object_set(row, k, item);
				json_decref(v);
			} else {
				json_object_set_new(row, p->ext, v);
			}
		} else {
			json_object_set_new(row, p->ext, part_value(p));
		}
	}
	buf_clear(&c->payload);
	jsonw_value(&c->payload, row);
	json_decref(row);
	return 0;
}

/* The __url__ part of this shard's samples, laid out once per shard. */
static void url_part(struct cat *c, const char *url)
{
	buf_clear(&c->url_part);
	unsigned char head[8];
	size_t name_len = strlen("__url__"), len = strlen(url);
	for (int i = 0; i < 4; i++) {
		head[i] = (unsigned char)(name_len >> (8 * i));
		head[4 + i] = (unsigned char)(len >> (8 * i));
	}
	buf_add(&c->url_part, head, sizeof head);
	buf_add(&c->url_part, "__url__", name_len);
	buf_pad8(&c->url_part);
	buf_add(&c->url_part, url, len);
	buf_pad8(&c->url_part);
}

/* Writes one sample as asked.  0, or -1 with a message (a bad sample). */
static int put_sample(struct cat *c, const struct wds_sample *s, const char *url, char *err, size_t errn)
{
	size_t nchosen = 0;
	if (c->keys) {
		for (size_t i = 0; i < c->nkeys; i++) {
			const struct key_choice *k = &c->keys[i];
			const struct wds_part *found = NULL;
			for (size_t a = 0; a < k->nalts && !found; a++)
				for (size_t j = 0; j < s->nparts && !found; j++)
					if (strcmp(s->parts[j].ext, k->alts[a]) == 0)
						found = &s->parts[j];
			if (!found) {
				struct buf names = {0};
				for (size_t a = 0; a < k->nalts; a++) {
					buf_adds(&names, a ? " or '" : "'");
					buf_adds(&names, k->alts[a]);
					buf_adds(&names, "'");
				}
				buf_addc(&names, '\0');
				errorf(err, errn, "%llu: sample %s: no %s part", (unsigned long long)s->offset, s->key,
				       names.data);
				buf_free(&names);
				return -1;
			}
			c->chosen[nchosen++] = found;
		}
	} else {
		for (size_t j = 0; j < s->nparts; j++)
			c->chosen[nchosen++] = &s->parts[j];
	}
	if (c->decode == DECODE_TEXT)
		for (size_t i = 0; i < nchosen; i++)
			if (!utf8_valid(c->chosen[i]->data, c->chosen[i]->len))
				return errorf(err, errn, "%llu: member %s: not UTF-8 text", (unsigned long long)c->chosen[i]->offset,
				              c->chosen[i]->member);
	switch (c->output) {
	case OUT_TEXT: {
		struct rec_piece text = {c->chosen[0]->data, c->chosen[0]->len};
		emit(c, REC_TEXT, s->key, s->key_len, &text, 1);
		break;
	}
	case OUT_JSON: {
		if (json_row(c, s, url, nchosen, err, errn) < 0)
			return -1;
		struct rec_piece row = {c->payload.data, c->payload.len};
		/* emit reuses c->payload when shuffling: hand it a copy. */
		if (c->shuffling) {
			char *copy = xmalloc(c->payload.len ? c->payload.len : 1);
			memcpy(copy, c->payload.data, c->payload.len);
			row.data = copy;
			emit(c, REC_JSON, s->key, s->key_len, &row, 1);
			free(copy);
		} else {
			emit(c, REC_JSON, s->key, s->key_len, &row, 1);
		}
		break;
	}
	case OUT_SAMPLE: {
		unsigned char head[REC_SAMPLE_HEAD] = {0};
		uint32_t nparts = (uint32_t)nchosen + (c->keys ? 0 : 1);
		for (int i = 0; i < 4; i++)
			head[i] = (unsigned char)(nparts >> (8 * i));
		struct rec_piece stack[8], *pieces = nchosen + 3 <= 8 ? stack : xmalloc((nchosen + 3) * sizeof *pieces);
		int n = 0;
		pieces[n++] = (struct rec_piece){head, sizeof head};
		if (c->keys) {
			for (size_t i = 0; i < nchosen; i++)
				pieces[n++] = (struct rec_piece){c->chosen[i]->layout, c->chosen[i]->layout_len};
		} else {
			/* Every part, in member order: the shard's layout as it is. */
			pieces[n++] = (struct rec_piece){s->layout, s->layout_len};
			pieces[n++] = (struct rec_piece){c->url_part.data, c->url_part.len};
		}
		emit(c, REC_SAMPLE, s->key, s->key_len, pieces, n);
		if (pieces != stack)
			free(pieces);
		break;
	}
	}
	return 0;
}

/* ---- reading ---- */

static struct http *http_of(struct cat *c)
{
	if (!c->http)
		c->http = http_new(&c->http_opts);
	return c->http;
}

static void read_shard(struct cat *c, const char *url)
{
	char err[1024];
	struct source src;
	int is_url = shardsrc_kind_of(url) == SHARDSRC_HTTP;
	c->shards_read++;
	if (shardsrc_open(&src, url, is_url ? http_of(c) : NULL, err, sizeof err) < 0) {
		char what[1400];
		snprintf(what, sizeof what, "%s: %s", url, err);
		lose(c, what, 1, 0);
		return;
	}
	struct wds_opts o = {(const char *const *)c->want, c->nwant, rec_max_frame()};
	struct wds_shard *shard = wds_open(src, url, &o);
	if (c->output == OUT_SAMPLE && !c->keys)
		url_part(c, url);
	uint64_t last_raw = 0;
	while (!done(c)) {
		struct wds_sample s;
		int lost;
		int r = wds_next(shard, &s, err, sizeof err, &lost);
		uint64_t raw = wds_raw_bytes(shard);
		progress_add(&c->progress, raw - last_raw, r == WDS_SAMPLE);
		c->bytes += raw - last_raw;
		last_raw = raw;
		if (r == WDS_END)
			break;
		if (r == WDS_BAD_SHARD) {
			lose(c, err, 1, lost);
			break;
		}
		if (r == WDS_BAD_SAMPLE) {
			lose(c, err, 0, lost);
			continue;
		}
		c->chosen = xrealloc(c->chosen, (c->nkeys + s.nparts + 1) * sizeof *c->chosen);
		char why[1024];
		if (put_sample(c, &s, url, why, sizeof why) < 0) {
			struct buf what = {0};
			buf_printf(&what, "%s:%s", url, why);
			buf_addc(&what, '\0');
			lose(c, what.data, 0, 1);
			buf_free(&what);
		}
	}
	wds_close(shard);
}

/* ---- main ---- */

enum {
	OPT_SHARD = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_SHARD_SHUFFLE,
	OPT_SHUFFLE,
	OPT_SHUFFLE_INITIAL,
	OPT_SEED,
	OPT_RESAMPLED,
	OPT_EPOCHS,
	OPT_LIST,
	OPT_ON_ERROR,
	OPT_TIMEOUT,
	OPT_RETRIES,
};

/* What was read and lost, for a reader of the stream (rec-cat --stats). */
static void trailer(const struct cat *c)
{
	json_t *t = json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:I}}", "samples", (json_int_t)c->written, "shards",
	                      (json_int_t)c->shards_read, "bytes", (json_int_t)c->bytes, "lost", "samples",
	                      (json_int_t)c->lost_samples, "bad_samples", (json_int_t)c->bad_samples,
	                      "bad_shards", (json_int_t)c->bad_shards);
	struct buf b = {0};
	jsonw_value(&b, t);
	rec_write_trailer(c->w, b.data, b.len);
	buf_free(&b);
	json_decref(t);
}

static void cat_free(struct cat *c)
{
	http_free(c->http);
	free(c->token);
	for (size_t i = 0; i < c->nshards; i++)
		free(c->shards[i]);
	free(c->shards);
	for (size_t i = 0; i < c->nkeys; i++)
		free(c->keys[i].alts);
	for (size_t i = 0; i < c->nwant; i++)
		free(c->want[i]);
	free(c->keys);
	free(c->want);
	free(c->chosen);
	buf_free(&c->payload);
	buf_free(&c->url_part);
}

static void summary(const struct cat *c)
{
	int lossy = c->bad_shards || c->bad_samples;
	if (!lossy && !c->verbose)
		return;
	char line[1024];
	int n = snprintf(line, sizeof line, "%llu samples from %llu shards (%llu bytes)",
	                 (unsigned long long)c->written, (unsigned long long)c->shards_read,
	                 (unsigned long long)c->bytes);
	if (lossy)
		n += snprintf(line + n, sizeof line - (size_t)n, "; lost: %llu samples, %llu bad samples, %llu bad shards",
		              (unsigned long long)c->lost_samples, (unsigned long long)c->bad_samples,
		              (unsigned long long)c->bad_shards);
	if (c->http && c->verbose) {
		const struct http_stats *st = http_stats(c->http);
		(void)!snprintf(line + n, sizeof line - (size_t)n, "; HTTP: %llu requests, %llu retries, %llu resumes",
		         (unsigned long long)st->requests, (unsigned long long)st->retries,
		         (unsigned long long)st->resumes);
	}
	warn("%s", line);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"key", required_argument, 0, 'k'},
		{"decode", required_argument, 0, 'd'},
		{"format", required_argument, 0, 'f'},
		{"take", required_argument, 0, 'n'},
		{"output", required_argument, 0, 'o'},
		{"shard", required_argument, 0, OPT_SHARD},
		{"shard-shuffle", no_argument, 0, OPT_SHARD_SHUFFLE},
		{"shuffle", required_argument, 0, OPT_SHUFFLE},
		{"shuffle-initial", required_argument, 0, OPT_SHUFFLE_INITIAL},
		{"seed", required_argument, 0, OPT_SEED},
		{"resampled", no_argument, 0, OPT_RESAMPLED},
		{"epochs", required_argument, 0, OPT_EPOCHS},
		{"list", no_argument, 0, OPT_LIST},
		{"on-error", required_argument, 0, OPT_ON_ERROR},
		{"timeout", required_argument, 0, OPT_TIMEOUT},
		{"retries", required_argument, 0, OPT_RETRIES},
		{"verbose", no_argument, 0, 'v'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct cat c = {.epochs = 1, .nranks = 1, .http_opts = {.retries = -1}};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	int opt, initial_given = 0;
	const char *output = NULL;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "k:d:f:n:o:v" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 'k':
			if (c.keys)
				cli_usage_error("--key given twice; list the extensions in one --key");
			parse_keys(&c, optarg);
			break;
		case 'd':
			if (strcmp(optarg, "auto") == 0)
				c.decode = DECODE_AUTO;
			else if (strcmp(optarg, "text") == 0)
				c.decode = DECODE_TEXT;
			else if (strcmp(optarg, "bytes") == 0)
				c.decode = DECODE_BYTES;
			else
				cli_usage_error("--decode: '%s' is not auto, text or bytes", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				c.output = OUT_JSON;
			else if (strcmp(optarg, "records") == 0)
				c.output = OUT_SAMPLE;
			else
				cli_usage_error("--format: '%s' is not records or json", optarg);
			break;
		case 'n': c.take = cli_parse_u64(optarg, "--take", 0); c.taking = 1; break;
		case 'o': output = optarg; break;
		case OPT_SHARD: cli_parse_shard(optarg, "--shard", &c.rank, &c.nranks); break;
		case OPT_SHARD_SHUFFLE: c.shard_shuffle = 1; break;
		case OPT_SHUFFLE:
			c.shuffle_buf = cli_parse_u64(optarg, "--shuffle", 1);
			if (c.shuffle_buf == 0)
				cli_usage_error("--shuffle: the buffer needs at least 1 sample");
			break;
		case OPT_SHUFFLE_INITIAL:
			c.shuffle_initial = cli_parse_u64(optarg, "--shuffle-initial", 1);
			if (c.shuffle_initial == 0)
				cli_usage_error("--shuffle-initial: needs at least 1 sample");
			initial_given = 1;
			break;
		case OPT_SEED: c.seed = cli_parse_u64(optarg, "--seed", 0); break;
		case OPT_RESAMPLED: c.resampled = 1; break;
		case OPT_EPOCHS:
			c.epochs = cli_parse_u64(optarg, "--epochs", 0);
			if (c.epochs == 0)
				cli_usage_error("--epochs: needs at least 1");
			break;
		case OPT_LIST: c.list = 1; break;
		case OPT_ON_ERROR:
			if (strcmp(optarg, "fail") == 0)
				c.on_error = ON_ERROR_FAIL;
			else if (strcmp(optarg, "warn") == 0)
				c.on_error = ON_ERROR_WARN;
			else if (strcmp(optarg, "skip") == 0)
				c.on_error = ON_ERROR_SKIP;
			else
				cli_usage_error("--on-error: '%s' is not fail, warn or skip", optarg);
			break;
		case OPT_TIMEOUT: c.http_opts.timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: c.http_opts.retries = cli_parse_retries(optarg, "--retries"); break;
		case 'v': c.verbose = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (optind == argc)
		cli_usage_error("no PATTERN given");
	for (int i = optind; i < argc; i++)
		add_pattern(&c, argv[i]);
	if (c.nshards == 0)
		cli_usage_error("the patterns name no shard");
	size_t stdin_uses = 0;
	for (size_t i = 0; i < c.nshards; i++)
		stdin_uses += strcmp(c.shards[i], "-") == 0;
	if (stdin_uses && (stdin_uses > 1 || c.epochs > 1 || c.resampled))
		cli_usage_error("stdin (-) can be read only once");
	if (initial_given && !c.shuffle_buf)
		cli_usage_error("--shuffle-initial needs --shuffle");
	if (c.output == OUT_SAMPLE && c.nkeys == 1 && c.decode != DECODE_BYTES)
		c.output = OUT_TEXT;
	if (c.output == OUT_JSON && c.decode == DECODE_BYTES)
		cli_usage_error("--format json decodes parts; drop --decode bytes");

	struct shard_order order;
	shard_order_init(&order, c.nshards, c.rank, c.nranks, c.shard_shuffle, c.resampled, c.seed, c.epochs);
	if (shard_order_share(&order) == 0)
		cli_usage_error("--shard %u/%u: no shard for this rank (%zu shards)", c.rank, c.nranks, c.nshards);

	if (c.list) {
		if (c.resampled && !c.taking)
			cli_usage_error("--list --resampled needs --take (the draws never end)");
		struct outbuf o;
		outbuf_init(&o, STDOUT_FILENO, "<stdout>", 1 << 16);
		size_t index;
		for (uint64_t k = 0; (!c.resampled || k < c.take) && shard_order_next(&order, &index, NULL); k++) {
			outbuf_write(&o, c.shards[index], strlen(c.shards[index]));
			outbuf_putc(&o, '\n');
		}
		outbuf_free(&o);
		shard_order_free(&order);
		cat_free(&c);
		return 0;
	}

	for (size_t i = 0; i < c.nshards; i++)
		if (shardsrc_kind_of(c.shards[i]) == SHARDSRC_HTTP) {
			/* The Hub's token goes to the Hub's host only, as hf-stream sends it. */
			const char *endpoint = getenv("HF_ENDPOINT");
			if (http_url_host(endpoint && *endpoint ? endpoint : "https://huggingface.co", c.auth_host,
			                  sizeof c.auth_host) == 0) {
				c.token = hfhub_find_token(NULL);
				c.http_opts.auth_host = c.auth_host;
				c.http_opts.token = c.token;
			}
			break;
		}

	static struct atomic_file af = {.fd = -1}; /* lives until exit: atomic_guard */
	int fd = STDOUT_FILENO;
	if (output) {
		if (atomic_open(&af, output) != 0)
			die(STATUS_FAIL, "%s:", output);
		atomic_guard(&af);
		fd = af.fd;
	} else if (isatty(fd)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, or use -o; rec-cat shows records)");
	}
	io_grow_pipe(fd);
	c.w = rec_writer_fdopen(fd, output ? output : "<stdout>");
	json_t *h = header_new(NULL, c.output == OUT_JSON ? "json" : c.output == OUT_TEXT ? "text" : "sample", argc, argv);
	json_object_set_new(h, "source", json_string("webdataset"));
	if (c.nranks > 1) {
		char shard[32];
		snprintf(shard, sizeof shard, "%u/%u", c.rank, c.nranks);
		json_object_set_new(h, "shard", json_string(shard));
	}
	header_write(c.w, h);
	json_decref(h);

	if (c.shuffle_buf) {
		c.shuffling = 1;
		shufbuf_init(&c.shuf, c.shuffle_buf, shard_order_seed(c.seed, 3, 0));
		shufbuf_set_initial(&c.shuf, initial_given ? c.shuffle_initial : 100);
	}
	progress_init(&c.progress, progress, 0);
	size_t index;
	while (!done(&c) && shard_order_next(&order, &index, NULL))
		read_shard(&c, c.shards[index]);
	if (c.shuffling) {
		const struct shuf_item *it;
		while (!done(&c) && (it = shufbuf_drain(&c.shuf))) {
			rec_write(c.w, output_type(&c), REC_DT_NONE, it->key, it->key_len, it->payload, it->payload_len);
			c.written++;
		}
		shufbuf_free(&c.shuf);
	}
	trailer(&c);
	rec_write_end(c.w);
	rec_writer_free(c.w);
	if (output && atomic_commit(&af) != 0)
		die(STATUS_FAIL, "%s:", output);
	progress_end(&c.progress);
	summary(&c);

	shard_order_free(&order);
	cat_free(&c);
	return 0;
}
