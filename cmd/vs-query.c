/* vs-query - nearest neighbours, points by id, and filtered scans of a vector store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "vs/vsclient.h"
#include "vs/vsquery.h"

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
/* The flags that are not the store's or the query's. */
struct args {
	uint64_t limit;
	enum cli_progress progress;
	const char *dir, *filter_arg;
	const char **ids;
	size_t nids;
	int scan, stats, verify, batch_given;
};

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

static void parse_options(int argc, char **argv, struct vsquery *qr, struct vsclient_opts *o, struct args *a)
{
	int opt;
	while ((opt = getopt_long(argc, argv, "s:k:f:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 's': a->dir = optarg; break;
		case 'k':
			qr->q.k = cli_parse_u64(optarg, "--k", 0);
			if (qr->q.k < 1 || qr->q.k > 100000)
				cli_usage_error("--k: %s is not from 1 to 100000", optarg);
			break;
		case OPT_FILTER: a->filter_arg = optarg; break;
		case OPT_EF:
			qr->q.ef = cli_parse_u64(optarg, "--ef", 0);
			if (qr->q.ef < 1 || qr->q.ef > 1000000)
				cli_usage_error("--ef: %s is not from 1 to 1000000", optarg);
			break;
		case OPT_EXACT: qr->q.exact = 1; break;
		case OPT_BATCH:
			qr->batch = cli_parse_u64(optarg, "--batch", 0);
			if (qr->batch < 1 || qr->batch > 65536)
				cli_usage_error("--batch: %s is not from 1 to 65536", optarg);
			a->batch_given = 1;
			break;
		case OPT_TIMINGS: qr->timing = 1; break;
		case OPT_VERIFY: a->verify = 1; break;
		case OPT_ID:
			a->ids = xrealloc(a->ids, (a->nids + 1) * sizeof *a->ids);
			a->ids[a->nids++] = optarg;
			break;
		case OPT_SCAN: a->scan = 1; break;
		case OPT_LIMIT: a->limit = cli_parse_u64(optarg, "--limit", 0); break;
		case OPT_TIMEOUT: o->timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: o->retries = cli_parse_retries(optarg, "--retries"); break;
		case OPT_STATS: a->stats = 1; break;
		case 'f':
			if (strcmp(optarg, "records") == 0)
				qr->records = 1;
			else if (strcmp(optarg, "jsonl") != 0)
				cli_usage_error("--format: '%s' is not jsonl or records", optarg);
			break;
		case OPT_WITH_VECTOR: qr->q.with_vector = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
}

int main(int argc, char **argv)
{
	struct vsquery qr = {.q = {.k = 10}, .batch = 256};
	struct vsclient_opts o = {.metric = -1, .retries = -1};
	struct args a = {.limit = UINT64_MAX, .progress = CLI_PROGRESS_AUTO};
	cli_init(argc, argv);
	parse_options(argc, argv, &qr, &o, &a);
	if (!a.dir)
		cli_usage_error("no --store given");
	if ((a.nids > 0) + a.scan + a.stats + a.verify > 1)
		cli_usage_error("--id, --scan, --stats and --verify exclude each other");
	if ((a.nids || a.scan || a.stats || a.verify) && optind < argc)
		cli_usage_error("--id, --scan, --stats and --verify read no queries");
	if (qr.records && a.stats)
		cli_usage_error("--stats prints JSON: drop --format records");
	if (qr.records && isatty(STDOUT_FILENO))
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout; rec-cat shows records)");

	if (qr.timing && !a.batch_given)
		qr.batch = 1;
	vsquery_open(&qr, a.dir, &o);
	char *filter = NULL;
	if (a.filter_arg)
		qr.q.filter = filter = read_filter_arg(a.filter_arg);
	vsquery_begin(&qr, argc, argv);
	int status = 0;
	if (a.verify) {
		vsquery_verify(&qr);
	} else if (a.stats) {
		vsquery_stats(&qr);
	} else if (a.nids) {
		status = vsquery_get(&qr, a.ids, a.nids);
	} else if (a.scan) {
		vsquery_scan(&qr, filter, a.limit);
	} else {
		vsquery_search(&qr, argv + optind, argc - optind, a.progress);
		vsquery_timings(&qr);
	}
	vsquery_close(&qr);
	free(filter);
	free(a.ids);
	return status;
}
