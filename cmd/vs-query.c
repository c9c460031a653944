/* vs-query - nearest neighbours, points by id, and filtered scans of a vector store. */
#include <errno.h>
#include <jansson.h>
#include <time.h>
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
#include "rec/header.h"
#include "rec/rec.h"
#include "vs/vsclient.h"
#include "vs/vsinput.h"

static const char usage[] =
	"Usage: vs-query --store STORE [OPTION]... [FILE]...\n"
	"Answer nearest-neighbour queries from a vector store: each query is a vector\n"
	"record (the key is its id) or a JSON line {\"id\": ..., \"vector\": [...]}; the\n"
	"answer is K JSON lines {\"query\", \"rank\", \"id\", \"score\", \"metadata\"}, best\n"
	"first.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"  -s, --store STORE      a directory (the embedded store), or a Qdrant\n"
	"                         collection: qdrant://HOST:PORT/NAME (qdrants://: https)\n"
	"  -k, --k K              neighbours per query (default 10)\n"
	"      --filter JSON      only points this Qdrant filter matches (@FILE reads it)\n"
	"      --ef N             HNSW candidate list (default max(K, 64)); higher is\n"
	"                         slower and more exact\n"
	"      --exact            scan every point instead of using the index\n"
	"      --batch N          queries answered together (default 256; exact scans\n"
	"                         of a batch share one pass over the points)\n"
	"      --timings          on stderr at the end: the open's time and each\n"
	"                         query's (p50, p95, p99, max); queries one at a time\n"
	"                         unless --batch is given\n"
	"\n"
	"Instead of queries:\n"
	"      --id ID            print the point with this id (repeatable)\n"
	"      --scan             print every point the filter matches (all without\n"
	"                         --filter), up to --limit\n"
	"      --limit N          with --scan, at most N points\n"
	"      --stats            print the store's statistics as JSON\n"
	"      --verify           read the whole store against its checksums (opening\n"
	"                         checks only the header, ids and metadata); exit 1 if\n"
	"                         something is damaged\n"
	"\n"
	"Output:\n"
	"  -f, --format FORMAT    jsonl (default), or records: the same objects as\n"
	"                         JSON records\n"
	"      --with-vector      include each point's vector\n"
	"      --timeout SECONDS  Qdrant: a request without progress for this long is\n"
	"                         retried (default 30)\n"
	"      --retries N        Qdrant: retries of a failed request (default 5)\n"
	"      --progress         show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet            no progress line\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or no store, 2 usage, 3-8 bad record input as\n"
	"for rec-cat, 8 a bad query (wrong dimension, NaN, not JSON).  An --id that\n"
	"is not there is said on stderr, and the exit status is 4.  See vs-query(1).\n";

enum {
	OPT_FILTER = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_EF,
	OPT_EXACT,
	OPT_BATCH,
	OPT_ID,
	OPT_SCAN,
	OPT_LIMIT,
	OPT_STATS,
	OPT_WITH_VECTOR,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_TIMINGS,
	OPT_VERIFY,
};

#define EXIT_NOT_FOUND 4
#define STATUS_BAD_QUERY STATUS_MALFORMED

struct query {
	struct vsclient *store;
	struct vsclient_query q;
	size_t batch, n;
	float *vecs;
	struct buf qids;
	size_t *qid_offs;
	int records;
	struct outbuf out;
	struct rec_writer *w;
	struct buf line;
	struct progress progress;
	uint64_t printed;
	int timing;
	double *times; /* seconds per query, when timing */
	size_t ntimes, cap_times;
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-th quantile of sorted times, nearest rank. */
static double quantile(const double *t, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);
	return t[(i ? i : 1) - 1];
}

/* A point's members of its JSON object, after the caller's own. */
static void point_members(const struct query *qr, const struct vsclient_point *p, struct buf *b)
{
	buf_adds(b, "\"id\":");
	jsonw_string(b, p->id, p->id_len);
	if (p->meta_len) {
		buf_adds(b, ",\"metadata\":");
		buf_add(b, p->meta, p->meta_len);
	} else {
		buf_adds(b, ",\"metadata\":{}");
	}
	if (p->vec) {
		buf_adds(b, ",\"vector\":[");
		for (uint32_t i = 0; i < vsclient_dim(qr->store); i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_float(b, p->vec[i]);
		}
		buf_addc(b, ']');
	}
}

static void emit(struct query *qr, const char *key, size_t key_len)
{
	if (qr->records) {
		rec_write(qr->w, REC_JSON, REC_DT_NONE, key, key_len, qr->line.data, qr->line.len);
	} else {
		outbuf_write(&qr->out, qr->line.data, qr->line.len);
		outbuf_putc(&qr->out, '\n');
	}
}

static int print_hit(void *ctx, size_t query, size_t rank, const struct vsclient_point *p)
{
	struct query *qr = ctx;
	const char *qid = qr->qids.data + qr->qid_offs[query];
	size_t qlen = qr->qid_offs[query + 1] - qr->qid_offs[query];
	buf_clear(&qr->line);
	buf_adds(&qr->line, "{\"query\":");
	jsonw_string(&qr->line, qid, qlen);
	buf_printf(&qr->line, ",\"rank\":%zu,", rank + 1);
	point_members(qr, p, &qr->line);
	buf_adds(&qr->line, ",\"score\":");
	jsonw_float(&qr->line, p->score);
	buf_addc(&qr->line, '}');
	emit(qr, qid, qlen);
	return 0;
}

static int print_point(void *ctx, size_t query, size_t rank, const struct vsclient_point *p)
{
	struct query *qr = ctx;
	(void)query;
	(void)rank;
	buf_clear(&qr->line);
	buf_addc(&qr->line, '{');
	point_members(qr, p, &qr->line);
	buf_addc(&qr->line, '}');
	emit(qr, p->id, p->id_len);
	qr->printed++;
	return 0;
}

static void answer_batch(struct query *qr)
{
	if (qr->n == 0)
		return;
	char err[1024];
	double t0 = qr->timing ? now() : 0;
	if (vsclient_search(qr->store, qr->vecs, qr->n, &qr->q, print_hit, qr, err, sizeof err) != 0)
		die(strncmp(err, "filter: ", 8) == 0 ? STATUS_USAGE : STATUS_FAIL, "%s", err);
	if (qr->timing) {
		/* A batch's time is shared by its queries. */
		double each = (now() - t0) / (double)qr->n;
		if (qr->ntimes + qr->n > qr->cap_times) {
			qr->cap_times = 2 * (qr->ntimes + qr->n);
			qr->times = xrealloc(qr->times, qr->cap_times * sizeof *qr->times);
		}
		for (size_t i = 0; i < qr->n; i++)
			qr->times[qr->ntimes++] = each;
	}
	progress_add(&qr->progress, 0, qr->n);
	qr->n = 0;
	buf_clear(&qr->qids);
}

static void read_queries(struct query *qr, const char *path)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(r);
	struct rec_frame f;
	struct vs_input in = {0};
	char err[512];
	uint64_t line = 0, serial = 0;
	uint32_t dim = vsclient_dim(qr->store);
	while (rec_next_or_die(r, &f)) {
		if (f.type == REC_HEADER || f.type == REC_END)
			continue;
		line++;
		uint64_t where = rec_reader_is_lines(r) ? line : f.offset;
		if (vs_input_parse(&in, &f, VS_NEED_VECTOR, err, sizeof err) != 0)
			die_at(STATUS_BAD_QUERY, name, where, "%s", err);
		if (in.dim != dim)
			die_at(STATUS_BAD_QUERY, name, where, "the query has %zu values, the store has dim %u", in.dim, dim);
		for (size_t i = 0; i < dim; i++)
			if (in.vec[i] != in.vec[i] || in.vec[i] - in.vec[i] != 0)
				die_at(STATUS_BAD_QUERY, name, where, "the query holds NaN or Inf at index %zu", i);
		if (qr->n == 0)
			qr->qid_offs[0] = 0;
		if (in.id.len)
			buf_add(&qr->qids, in.id.data, in.id.len);
		else /* an id-less query is named by its number */
			buf_printf(&qr->qids, "%llu", (unsigned long long)serial);
		serial++;
		memcpy(qr->vecs + qr->n * dim, in.vec, dim * sizeof *qr->vecs);
		qr->n++;
		qr->qid_offs[qr->n] = qr->qids.len;
		if (qr->n == qr->batch)
			answer_batch(qr);
	}
	answer_batch(qr);
	vs_input_free(&in);
	rec_reader_close(r);
}

static char *read_filter_arg(const char *arg)
{
	if (arg[0] != '@')
		return xstrdup(arg);
	size_t len;
	char *text = io_read_file(arg + 1, &len);
	if (!text)
		die(STATUS_FAIL, "%s:", arg + 1);
	text = xrealloc(text, len + 1);
	text[len] = '\0';
	return text;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"store", required_argument, 0, 's'},
		{"k", required_argument, 0, 'k'},
		{"filter", required_argument, 0, OPT_FILTER},
		{"ef", required_argument, 0, OPT_EF},
		{"exact", no_argument, 0, OPT_EXACT},
		{"batch", required_argument, 0, OPT_BATCH},
		{"id", required_argument, 0, OPT_ID},
		{"scan", no_argument, 0, OPT_SCAN},
		{"limit", required_argument, 0, OPT_LIMIT},
		{"stats", no_argument, 0, OPT_STATS},
		{"format", required_argument, 0, 'f'},
		{"with-vector", no_argument, 0, OPT_WITH_VECTOR},
		{"timeout", required_argument, 0, OPT_TIMEOUT},
		{"retries", required_argument, 0, OPT_RETRIES},
		{"timings", no_argument, 0, OPT_TIMINGS},
		{"verify", no_argument, 0, OPT_VERIFY},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct query qr = {.q = {.k = 10}, .batch = 256};
	struct vsclient_opts o = {.metric = -1, .retries = -1};
	uint64_t limit = UINT64_MAX;
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char *dir = NULL, *filter_arg = NULL;
	const char **ids = NULL;
	size_t nids = 0;
	int scan = 0, stats = 0, verify = 0, batch_given = 0, opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "s:k:f:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 's': dir = optarg; break;
		case 'k':
			qr.q.k = cli_parse_u64(optarg, "--k", 0);
			if (qr.q.k < 1 || qr.q.k > 100000)
				cli_usage_error("--k: %s is not from 1 to 100000", optarg);
			break;
		case OPT_FILTER: filter_arg = optarg; break;
		case OPT_EF:
			qr.q.ef = cli_parse_u64(optarg, "--ef", 0);
			if (qr.q.ef < 1 || qr.q.ef > 1000000)
				cli_usage_error("--ef: %s is not from 1 to 1000000", optarg);
			break;
		case OPT_EXACT: qr.q.exact = 1; break;
		case OPT_BATCH:
			qr.batch = cli_parse_u64(optarg, "--batch", 0);
			if (qr.batch < 1 || qr.batch > 65536)
				cli_usage_error("--batch: %s is not from 1 to 65536", optarg);
			batch_given = 1;
			break;
		case OPT_TIMINGS: qr.timing = 1; break;
		case OPT_VERIFY: verify = 1; break;
		case OPT_ID:
			ids = xrealloc(ids, (nids + 1) * sizeof *ids);
			ids[nids++] = optarg;
			break;
		case OPT_SCAN: scan = 1; break;
		case OPT_LIMIT: limit = cli_parse_u64(optarg, "--limit", 0); break;
		case OPT_TIMEOUT: o.timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: o.retries = cli_parse_retries(optarg, "--retries"); break;
		case OPT_STATS: stats = 1; break;
		case 'f':
			if (strcmp(optarg, "records") == 0)
				qr.records = 1;
			else if (strcmp(optarg, "jsonl") != 0)
				cli_usage_error("--format: '%s' is not jsonl or records", optarg);
			break;
		case OPT_WITH_VECTOR: qr.q.with_vector = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (!dir)
		cli_usage_error("no --store given");
	if ((nids > 0) + scan + stats + verify > 1)
		cli_usage_error("--id, --scan, --stats and --verify exclude each other");
	if ((nids || scan || stats || verify) && optind < argc)
		cli_usage_error("--id, --scan, --stats and --verify read no queries");
	if (qr.records && stats)
		cli_usage_error("--stats prints JSON: drop --format records");
	if (qr.records && isatty(STDOUT_FILENO))
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout; rec-cat shows records)");

	if (qr.timing && !batch_given)
		qr.batch = 1;
	char err[1024];
	int locked;
	double opened = now();
	qr.store = vsclient_open(dir, &o, &locked, err, sizeof err);
	opened = now() - opened;
	if (!qr.store)
		die(STATUS_FAIL, "%s", err);
	char *filter = NULL;
	if (filter_arg)
		qr.q.filter = filter = read_filter_arg(filter_arg);
	outbuf_init(&qr.out, STDOUT_FILENO, "<stdout>", 1 << 16);
	if (qr.records) {
		io_grow_pipe(STDOUT_FILENO);
		qr.w = rec_writer_fdopen(STDOUT_FILENO, "<stdout>");
		json_t *h = header_new(NULL, "json", argc, argv);
		header_write(qr.w, h);
		json_decref(h);
	}
	int status = 0;
	if (verify) {
		if (vsclient_verify(qr.store, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
	} else if (stats) {
		char *text = vsclient_stats(qr.store, err, sizeof err);
		if (!text)
			die(STATUS_FAIL, "%s", err);
		outbuf_write(&qr.out, text, strlen(text));
		outbuf_putc(&qr.out, '\n');
		free(text);
	} else if (nids) {
		size_t missing;
		if (vsclient_get(qr.store, ids, nids, qr.q.with_vector, print_point, &qr, &missing, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		if (missing) {
			warn("%s: %zu of the ids asked for are not there", dir, missing);
			status = EXIT_NOT_FOUND;
		}
	} else if (scan) {
		if (vsclient_scan(qr.store, filter, limit, qr.q.with_vector, print_point, &qr, err, sizeof err) != 0)
			die(strncmp(err, "filter: ", 8) == 0 ? STATUS_USAGE : STATUS_FAIL, "%s", err);
	} else {
		uint32_t dim = vsclient_dim(qr.store);
		qr.vecs = xmalloc(qr.batch * dim * sizeof *qr.vecs);
		qr.qid_offs = xmalloc((qr.batch + 1) * sizeof *qr.qid_offs);
		progress_init(&qr.progress, progress, 0);
		if (optind == argc)
			read_queries(&qr, "-");
		for (int i = optind; i < argc; i++)
			read_queries(&qr, argv[i]);
		progress_end(&qr.progress);
		if (qr.timing && qr.ntimes) {
			double sum = 0;
			for (size_t i = 0; i < qr.ntimes; i++)
				sum += qr.times[i];
			qsort(qr.times, qr.ntimes, sizeof *qr.times, by_value);
			warn("timings: open %.3f ms; %zu queries: mean %.3f ms, p50 %.3f, p95 %.3f, p99 %.3f, max %.3f ms",
			     opened * 1e3, qr.ntimes, sum / (double)qr.ntimes * 1e3, quantile(qr.times, qr.ntimes, 0.5) * 1e3,
			     quantile(qr.times, qr.ntimes, 0.95) * 1e3, quantile(qr.times, qr.ntimes, 0.99) * 1e3,
			     qr.times[qr.ntimes - 1] * 1e3);
		}
	}
	if (qr.records) {
		rec_write_end(qr.w);
		rec_writer_free(qr.w);
	}
	outbuf_free(&qr.out);
	free(filter);
	vsclient_close(qr.store);
	free(ids);
	free(qr.vecs);
	free(qr.qid_offs);
	free(qr.times);
	buf_free(&qr.qids);
	buf_free(&qr.line);
	return status;
}
