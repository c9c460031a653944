/* vs-upsert - add, replace and delete points in a vector store. */
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
#include "base/progress.h"
#include "rec/rec.h"
#include "vs/vsclient.h"
#include "vs/vsinput.h"

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

/* Exit status for a store another writer holds: a cron wrapper can tell
 * "try later" from a real failure. */
#define STATUS_LOCKED 3
#define STATUS_BAD_POINT STATUS_MALFORMED

struct upsert {
	struct vsclient *store; /* NULL until the first point when --dim is not given */
	struct vsclient_opts open_opts;
	const char *dir;
	size_t batch;
	int ack, deleting, quiet;
	struct vstore_point *pts;
	struct buf ids, metas; /* the batch's strings, back to back */
	float *vecs;
	size_t n, dim;
	size_t *id_offs, *meta_offs;
	struct outbuf out;
	struct progress progress;
	uint64_t written, deleted;
};

/* The driver's messages name the Qdrant collection already; the embedded
 * store's are named here by its directory. */
static SLUICE_NORETURN void die_store(const struct upsert *u, int status, const char *err)
{
	if (vsclient_is_qdrant(u->store))
		die(status, "%s", err);
	die(status, "%s: %s", u->dir, err);
}

/* Opens (or creates) the store; dim is what to create it with when no
 * --dim was given (0: none known, so only an existing store opens).
 * Then the batch buffers, which need its dimension. */
static void open_store(struct upsert *u, size_t dim)
{
	char err[1024];
	int locked;
	struct vsclient_opts o = u->open_opts;
	if (dim <= 65536)
		o.create_dim = (uint32_t)dim;
	u->store = vsclient_open(u->dir, &o, &locked, err, sizeof err);
	if (!u->store)
		die(locked ? STATUS_LOCKED : STATUS_FAIL, "%s", err);
	u->dim = vsclient_dim(u->store);
	u->vecs = u->deleting ? NULL : xmalloc(u->batch * u->dim * sizeof *u->vecs);
}

/* Writes the batch gathered so far (all or nothing) and acknowledges it. */
static void flush_batch(struct upsert *u)
{
	if (u->n == 0)
		return;
	char err[512];
	if (u->deleting) {
		const char **ids = xmalloc(u->n * sizeof *ids);
		size_t *lens = xmalloc(u->n * sizeof *lens), done;
		for (size_t i = 0; i < u->n; i++) {
			ids[i] = u->ids.data + u->id_offs[i];
			lens[i] = u->id_offs[i + 1] - u->id_offs[i];
		}
		if (vsclient_delete(u->store, ids, lens, u->n, &done, err, sizeof err) != 0)
			die_store(u, 1, err);
		u->deleted += done;
		free(ids);
		free(lens);
	} else {
		for (size_t i = 0; i < u->n; i++)
			u->pts[i] = (struct vstore_point){u->ids.data + u->id_offs[i], u->id_offs[i + 1] - u->id_offs[i],
			                                  u->vecs + i * u->dim,
			                                  /* a batch without metadata has no buffer */
			                                  u->metas.data ? u->metas.data + u->meta_offs[i] : "",
			                                  u->meta_offs[i + 1] - u->meta_offs[i]};
		if (vsclient_upsert(u->store, u->pts, u->n, err, sizeof err) != 0)
			die_store(u, STATUS_BAD_POINT, err);
		u->written += u->n;
	}
	if (u->ack) {
		for (size_t i = 0; i < u->n; i++) {
			outbuf_write(&u->out, u->ids.data + u->id_offs[i], u->id_offs[i + 1] - u->id_offs[i]);
			outbuf_putc(&u->out, '\n');
		}
		outbuf_flush(&u->out);
	}
	u->n = 0;
	buf_clear(&u->ids);
	buf_clear(&u->metas);
}

static void add_point(struct upsert *u, const struct vs_input *p, const char *input, uint64_t offset)
{
	if (!u->deleting) {
		if (p->dim != vsclient_dim(u->store))
			die_at(STATUS_BAD_POINT, input, offset, "the vector has %zu values, the store has dim %u", p->dim,
			       vsclient_dim(u->store));
		/* Checked here too, so the message names where the point is. */
		char why[256];
		struct vstore_point pt = {p->id.data, p->id.len, p->vec, p->meta.data, p->meta.len};
		const char *bad = vsclient_check(u->store, &pt, why, sizeof why);
		if (bad)
			die_at(STATUS_BAD_POINT, input, offset, "point '%.*s': %s", (int)(p->id.len > 64 ? 64 : p->id.len),
			       p->id.data, bad);
	}
	if (u->n == 0) {
		u->id_offs[0] = u->meta_offs[0] = 0;
	}
	buf_add(&u->ids, p->id.data, p->id.len);
	buf_add(&u->metas, p->meta.data, p->meta.len);
	if (!u->deleting)
		memcpy(u->vecs + u->n * u->dim, p->vec, u->dim * sizeof *u->vecs);
	u->n++;
	u->id_offs[u->n] = u->ids.len;
	u->meta_offs[u->n] = u->metas.len;
	if (u->n == u->batch)
		flush_batch(u);
}

/* A line of ids to delete: the line itself unless it is a JSON object. */
static int plain_id_line(const struct rec_frame *f)
{
	return f->type == REC_TEXT && (f->payload_len == 0 || f->payload[0] != '{');
}

static void read_input(struct upsert *u, const char *path)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(r);
	struct rec_frame f;
	struct vs_input in = {0};
	char err[512];
	uint64_t line = 0;
	while (rec_next_or_die(r, &f)) {
		if (f.type == REC_HEADER || f.type == REC_END)
			continue;
		line++;
		uint64_t where = rec_reader_is_lines(r) ? line : f.offset;
		if (u->deleting && plain_id_line(&f)) {
			if (f.payload_len == 0)
				continue;
			buf_clear(&in.id);
			buf_add(&in.id, f.payload, f.payload_len);
		} else if (vs_input_parse(&in, &f, u->deleting ? VS_NEED_ID : VS_NEED_ID | VS_NEED_VECTOR, err,
		                          sizeof err) != 0) {
			die_at(STATUS_BAD_POINT, name, where, "%s", err);
		}
		if (!u->store)
			open_store(u, in.dim);
		add_point(u, &in, name, where);
		progress_add(&u->progress, 0, 1);
	}
	vs_input_free(&in);
	rec_reader_close(r);
}

int main(int argc, char **argv)
{
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
	struct upsert u = {.batch = 1000};
	struct vsclient_opts o = {.metric = -1, .sync = 1, .threads = 0, .writable = 1, .create = 1, .retries = -1};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	enum sync_mode sync = SYNC_BATCH;
	const char *filter_text = NULL, *snapshot = NULL, *restore = NULL;
	int compact = 0, rebuild = 0, opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "s:d:m:b:j:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 's': u.dir = optarg; break;
		case 'd': {
			uint64_t d = cli_parse_u64(optarg, "--dim", 0);
			if (d < 1 || d > 65536)
				cli_usage_error("--dim: %s is not from 1 to 65536", optarg);
			o.dim = (uint32_t)d;
			break;
		}
		case 'm':
			o.metric = vstore_metric_from_name(optarg);
			if (o.metric < 0)
				cli_usage_error("--metric: '%s' is not cosine, dot or l2", optarg);
			break;
		case OPT_M: {
			uint64_t m = cli_parse_u64(optarg, "--m", 0);
			if (m < 2 || m > 256)
				cli_usage_error("--m: %s is not from 2 to 256", optarg);
			o.m = (uint32_t)m;
			break;
		}
		case OPT_EF_CONSTRUCTION: {
			uint64_t e = cli_parse_u64(optarg, "--ef-construction", 0);
			if (e < 1 || e > 100000)
				cli_usage_error("--ef-construction: %s is not from 1 to 100000", optarg);
			o.ef_construction = (uint32_t)e;
			break;
		}
		case 'b':
			u.batch = cli_parse_u64(optarg, "--batch", 1);
			if (u.batch < 1 || u.batch > 10000000)
				cli_usage_error("--batch: %s is not from 1 to 10M", optarg);
			break;
		case OPT_SYNC:
			if (strcmp(optarg, "batch") == 0)
				sync = SYNC_BATCH;
			else if (strcmp(optarg, "always") == 0)
				sync = SYNC_ALWAYS;
			else if (strcmp(optarg, "none") == 0)
				sync = SYNC_NONE;
			else
				cli_usage_error("--sync: '%s' is not batch, always or none", optarg);
			break;
		case OPT_ACK: u.ack = 1; break;
		case OPT_DELETE: u.deleting = 1; break;
		case OPT_FILTER: filter_text = optarg; break;
		case 'j': {
			uint64_t j = cli_parse_u64(optarg, "--threads", 0);
			if (j < 1 || j > 256)
				cli_usage_error("--threads: %s is not from 1 to 256", optarg);
			o.threads = (int)j;
			break;
		}
		case OPT_COMPACT: compact = 1; break;
		case OPT_REBUILD: rebuild = 1; break;
		case OPT_SNAPSHOT: snapshot = optarg; break;
		case OPT_RESTORE: restore = optarg; break;
		case OPT_TIMEOUT: o.timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: o.retries = cli_parse_retries(optarg, "--retries"); break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (!u.dir)
		cli_usage_error("no --store given");
	int admin = compact + rebuild + !!snapshot + !!restore;
	if (admin > 1)
		cli_usage_error("--compact, --rebuild-index, --snapshot and --restore exclude each other");
	if (admin && (optind < argc || u.deleting))
		cli_usage_error("administration takes no input");
	if (filter_text && !u.deleting)
		cli_usage_error("--filter deletes: it needs --delete");
	if (filter_text && optind < argc)
		cli_usage_error("--delete --filter takes no input");
	if (!o.threads)
		o.threads = cli_cpu_count() > 256 ? 256 : cli_cpu_count();
	if (sync == SYNC_ALWAYS)
		u.batch = 1;
	o.sync = sync != SYNC_NONE;
	u.quiet = progress == CLI_PROGRESS_OFF;
	char err[1024];

	if (restore) {
		if (vsclient_restore(u.dir, restore, &o, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		if (!u.quiet)
			warn("restored %s from %s", u.dir, restore);
		return 0;
	}
	o.create = !admin && !u.deleting;
	u.open_opts = o;
	/* Creating a store without --dim waits for the first point's. */
	if (!(o.create && !o.dim))
		open_store(&u, 0);
	if (admin) {
		int rc = compact || rebuild ? (compact ? vsclient_compact(u.store, err, sizeof err)
		                                       : vsclient_rebuild_index(u.store, err, sizeof err))
		                            : vsclient_snapshot(u.store, snapshot, err, sizeof err);
		if (rc != 0)
			die(STATUS_FAIL, "%s", err);
		vsclient_close(u.store);
		free(u.vecs);
		return 0;
	}
	if (filter_text) {
		size_t done;
		if (vsclient_delete_filter(u.store, filter_text, &done, err, sizeof err) != 0)
			die_store(&u, strncmp(err, "filter: ", 8) == 0 ? STATUS_USAGE : STATUS_FAIL, err);
		u.deleted = done;
	} else {
		u.pts = xmalloc(u.batch * sizeof *u.pts);
		u.id_offs = xmalloc((u.batch + 1) * sizeof *u.id_offs);
		u.meta_offs = xmalloc((u.batch + 1) * sizeof *u.meta_offs);
		outbuf_init(&u.out, STDOUT_FILENO, "<stdout>", 1 << 16);
		progress_init(&u.progress, progress, io_total_size(argc - optind, argv + optind));
		if (optind == argc)
			read_input(&u, "-");
		for (int i = optind; i < argc; i++)
			read_input(&u, argv[i]);
		if (!u.store) /* no points: an existing store, or the error of none */
			open_store(&u, 0);
		flush_batch(&u);
		progress_end(&u.progress);
		outbuf_free(&u.out);
	}
	/* Fold the log into a segment and the index, so queries use it. */
	if (vsclient_flush(u.store, err, sizeof err) != 0)
		die_store(&u, 1, err);
	if (!u.quiet) {
		int64_t total = vsclient_count(u.store, err, sizeof err);
		if (u.deleting)
			warn("%s: %llu points deleted, %lld remain", u.dir, (unsigned long long)u.deleted, (long long)total);
		else
			warn("%s: %llu points written, %lld in the store", u.dir, (unsigned long long)u.written,
			     (long long)total);
	}
	vsclient_close(u.store);
	free(u.pts);
	free(u.vecs);
	free(u.id_offs);
	free(u.meta_offs);
	buf_free(&u.ids);
	buf_free(&u.metas);
	return 0;
}
