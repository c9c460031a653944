/* vs-upsert - add, replace and delete points in a vector store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "vs/vsclient.h"
#include "vs/vsupsert.h"

static const char usage[] =
	"Usage: vs-upsert --store STORE [OPTION]... [FILE]...\n"
	"Add or replace points in a vector store: vector records (the key is the id)\n"
	"or JSON lines {\"id\": \"a\" or 7, \"vector\": [...], \"metadata\": {...}}.\n"
	"The store is created on first use.  A batch is written all or nothing,\n"
	"and is durable when acknowledged.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"The store:\n"
	"  -s, --store STORE        a directory (the embedded store), or a Qdrant\n"
	"                           collection: qdrant://HOST:PORT/NAME (qdrants://: https)\n"
	"  -d, --dim N              vector dimension (default when creating: the first\n"
	"                           point's)\n"
	"  -m, --metric NAME        cosine (default), dot or l2 (when creating)\n"
	"      --m N                HNSW links per node (when creating; default 16)\n"
	"      --ef-construction N  HNSW build candidates (when creating; default 200)\n"
	"\n"
	"Writing:\n"
	"  -b, --batch N            points per batch (default 1000)\n"
	"      --sync MODE          batch (default): fsync every batch before going on;\n"
	"                           always: every point its own batch; none: no fsync\n"
	"      --ack                print each id on stdout once it is durable\n"
	"      --delete             the input is ids to delete: one per line, or JSON\n"
	"                           lines or records with an \"id\"\n"
	"      --filter JSON        delete the points this Qdrant filter matches (with\n"
	"                           --delete and no input)\n"
	"  -j, --threads N          threads for building the index (default: all cores)\n"
	"      --timeout SECONDS    Qdrant: a request without progress for this long is\n"
	"                           retried (default 30)\n"
	"      --retries N          Qdrant: retries of a failed request (default 5)\n"
	"\n"
	"Administration (instead of input):\n"
	"      --compact            rewrite the live points into one segment and build\n"
	"                           the index anew, reclaiming deleted space\n"
	"      --rebuild-index      build the index anew (by compacting)\n"
	"      --snapshot FILE      write the whole store into one file\n"
	"      --restore FILE       make the store (a new directory) from a snapshot\n"
	"\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line and no summary\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 3 the store is locked by another\n"
	"writer, 3-8 bad record input as for rec-cat, 8 a bad point (nothing of its\n"
	"batch is written).  See vs-upsert(1).\n";

enum {
	OPT_M = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_EF_CONSTRUCTION,
	OPT_SYNC,
	OPT_ACK,
	OPT_DELETE,
	OPT_FILTER,
	OPT_COMPACT,
	OPT_REBUILD,
	OPT_SNAPSHOT,
	OPT_RESTORE,
	OPT_TIMEOUT,
	OPT_RETRIES,
};

enum sync_mode { SYNC_BATCH, SYNC_ALWAYS, SYNC_NONE };

/* The flags that are not the store's or the upsert's. */
struct args {
	enum cli_progress progress;
	enum sync_mode sync;
	const char *filter_text, *snapshot, *restore;
	int compact, rebuild;
};

static const struct option longopts[] = {
	{"store", required_argument, 0, 's'},
	{"dim", required_argument, 0, 'd'},
	{"metric", required_argument, 0, 'm'},
	{"m", required_argument, 0, OPT_M},
	{"ef-construction", required_argument, 0, OPT_EF_CONSTRUCTION},
	{"batch", required_argument, 0, 'b'},
	{"sync", required_argument, 0, OPT_SYNC},
	{"ack", no_argument, 0, OPT_ACK},
	{"delete", no_argument, 0, OPT_DELETE},
	{"filter", required_argument, 0, OPT_FILTER},
	{"threads", required_argument, 0, 'j'},
	{"compact", no_argument, 0, OPT_COMPACT},
	{"rebuild-index", no_argument, 0, OPT_REBUILD},
	{"snapshot", required_argument, 0, OPT_SNAPSHOT},
	{"restore", required_argument, 0, OPT_RESTORE},
	{"timeout", required_argument, 0, OPT_TIMEOUT},
	{"retries", required_argument, 0, OPT_RETRIES},
	CLI_COMMON_OPTIONS,
	{0, 0, 0, 0},
};

static void parse_options(int argc, char **argv, struct vsupsert *u, struct vsclient_opts *o, struct args *a)
{
	int opt;
	while ((opt = getopt_long(argc, argv, "s:d:m:b:j:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 's': u->dir = optarg; break;
		case 'd': {
			uint64_t d = cli_parse_u64(optarg, "--dim", 0);
			if (d < 1 || d > 65536)
				cli_usage_error("--dim: %s is not from 1 to 65536", optarg);
			o->dim = (uint32_t)d;
			break;
		}
		case 'm':
			o->metric = vstore_metric_from_name(optarg);
			if (o->metric < 0)
				cli_usage_error("--metric: '%s' is not cosine, dot or l2", optarg);
			break;
		case OPT_M: {
			uint64_t m = cli_parse_u64(optarg, "--m", 0);
			if (m < 2 || m > 256)
				cli_usage_error("--m: %s is not from 2 to 256", optarg);
			o->m = (uint32_t)m;
			break;
		}
		case OPT_EF_CONSTRUCTION: {
			uint64_t e = cli_parse_u64(optarg, "--ef-construction", 0);
			if (e < 1 || e > 100000)
				cli_usage_error("--ef-construction: %s is not from 1 to 100000", optarg);
			o->ef_construction = (uint32_t)e;
			break;
		}
		case 'b':
			u->batch = cli_parse_u64(optarg, "--batch", 1);
			if (u->batch < 1 || u->batch > 10000000)
				cli_usage_error("--batch: %s is not from 1 to 10M", optarg);
			break;
		case OPT_SYNC:
			if (strcmp(optarg, "batch") == 0)
				a->sync = SYNC_BATCH;
			else if (strcmp(optarg, "always") == 0)
				a->sync = SYNC_ALWAYS;
			else if (strcmp(optarg, "none") == 0)
				a->sync = SYNC_NONE;
			else
				cli_usage_error("--sync: '%s' is not batch, always or none", optarg);
			break;
		case OPT_ACK: u->ack = 1; break;
		case OPT_DELETE: u->deleting = 1; break;
		case OPT_FILTER: a->filter_text = optarg; break;
		case 'j': {
			uint64_t j = cli_parse_u64(optarg, "--threads", 0);
			if (j < 1 || j > 256)
				cli_usage_error("--threads: %s is not from 1 to 256", optarg);
			o->threads = (int)j;
			break;
		}
		case OPT_COMPACT: a->compact = 1; break;
		case OPT_REBUILD: a->rebuild = 1; break;
		case OPT_SNAPSHOT: a->snapshot = optarg; break;
		case OPT_RESTORE: a->restore = optarg; break;
		case OPT_TIMEOUT: o->timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: o->retries = cli_parse_retries(optarg, "--retries"); break;
		default: cli_usage_error("unhandled option");
		}
	}
}

int main(int argc, char **argv)
{
	struct vsupsert u = {.batch = 1000};
	struct vsclient_opts o = {.metric = -1, .sync = 1, .threads = 0, .writable = 1, .create = 1, .retries = -1};
	struct args a = {.progress = CLI_PROGRESS_AUTO, .sync = SYNC_BATCH};
	cli_init(argc, argv);
	parse_options(argc, argv, &u, &o, &a);
	if (!u.dir)
		cli_usage_error("no --store given");
	int admin = a.compact + a.rebuild + !!a.snapshot + !!a.restore;
	if (admin > 1)
		cli_usage_error("--compact, --rebuild-index, --snapshot and --restore exclude each other");
	if (admin && (optind < argc || u.deleting))
		cli_usage_error("administration takes no input");
	if (a.filter_text && !u.deleting)
		cli_usage_error("--filter deletes: it needs --delete");
	if (a.filter_text && optind < argc)
		cli_usage_error("--delete --filter takes no input");
	if (!o.threads)
		o.threads = cli_cpu_count() > 256 ? 256 : cli_cpu_count();
	if (a.sync == SYNC_ALWAYS)
		u.batch = 1;
	o.sync = a.sync != SYNC_NONE;
	u.quiet = a.progress == CLI_PROGRESS_OFF;
	char err[1024];

	if (a.restore) {
		if (vsclient_restore(u.dir, a.restore, &o, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		if (!u.quiet)
			warn("restored %s from %s", u.dir, a.restore);
		return 0;
	}
	o.create = !admin && !u.deleting;
	u.open_opts = o;
	/* Creating a store without --dim waits for the first point's. */
	if (!(o.create && !o.dim))
		vsupsert_open(&u, 0);
	if (admin) {
		vsupsert_admin(&u, a.compact, a.rebuild, a.snapshot);
		return 0;
	}
	if (a.filter_text)
		vsupsert_delete_filter(&u, a.filter_text);
	else
		vsupsert_read(&u, argv + optind, argc - optind, a.progress);
	vsupsert_finish(&u);
	return 0;
}