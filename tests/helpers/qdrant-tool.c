/* qdrant-tool - test driver for qdrant.h (and uuid.h).
 *
 *   qdrant-tool [OPTIONS] URL COMMAND [ARGS]
 *
 *   open                  "dim N metric M"
 *   upsert < points.jsonl {"id": "a" | 7, "vector": [...], "metadata": {...}}
 *                         per line, sent in batches of --batch (default 100)
 *   delete ID...          "deleted N"
 *   delete-filter JSON    "deleted N"
 *   count                 N
 *   get ID...             a JSON line per point found; "missing N" on stderr
 *   scan                  a JSON line per point (--filter, --limit)
 *   search < queries      queries: a JSON array of floats per line; a JSON
 *                         line {"query","rank","id","score","metadata"} per hit
 *                         (-k, --ef, --exact, --filter)
 *   snapshot FILE, restore FILE, stats
 *
 *   qdrant-tool --uuid5 NAME   the UUIDv5 of NAME in the URL namespace
 *   qdrant-tool --sha1 < data  the SHA-1 of stdin, in hex
 *
 * Options: --dim N --metric cosine|dot|l2 --create --m N --ef-construction N
 * --timeout S --retries N --batch N --vectors (points carry "vector").
 * Points print {"id": TEXT (always a string), "metadata": ..., "vector"?,
 * "score"?}.  Failure: "qdrant-tool: MESSAGE", status 1. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/uuid.h"
#include "vs/qdrant.h"

struct out {
	struct buf line;
	int search;
	uint32_t dim;
};

static int print_point(void *ctx, size_t query, size_t rank, const struct vsclient_point *p)
{
	struct out *o = ctx;
	struct buf *b = &o->line;
	buf_clear(b);
	buf_addc(b, '{');
	if (o->search)
		buf_printf(b, "\"query\":%zu,\"rank\":%zu,", query, rank);
	buf_adds(b, "\"id\":");
	jsonw_string(b, p->id, p->id_len);
	if (o->search) {
		buf_adds(b, ",\"score\":");
		jsonw_float(b, p->score);
	}
	if (p->meta_len) {
		buf_adds(b, ",\"metadata\":");
		buf_add(b, p->meta, p->meta_len);
	}
	if (p->vec) {
		buf_adds(b, ",\"vector\":[");
		for (uint32_t i = 0; i < o->dim; i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_float(b, p->vec[i]);
		}
		buf_addc(b, ']');
	}
	buf_adds(b, "}\n");
	fwrite(b->data, 1, b->len, stdout);
	return 0;
}

static int metric_arg(const char *s)
{
	if (strcmp(s, "cosine") == 0)
		return VMETRIC_COSINE;
	if (strcmp(s, "dot") == 0)
		return VMETRIC_DOT;
	if (strcmp(s, "l2") == 0)
		return VMETRIC_L2;
	die(STATUS_USAGE, "unknown metric %s", s);
}

struct pts {
	struct vstore_point *p;
	char **ids, **metas;
	float *vecs;
	size_t n, cap;
};

static void pts_clear(struct pts *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->ids[i]);
		free(s->metas[i]);
	}
	s->n = 0;
}

static int upsert(struct qdrant *q, size_t batch, char *err, size_t errn)
{
	uint32_t dim = qdrant_dim(q);
	struct pts s = {0};
	s.cap = batch;
	s.p = xcalloc(batch, sizeof *s.p);
	s.ids = xcalloc(batch, sizeof *s.ids);
	s.metas = xcalloc(batch, sizeof *s.metas);
	s.vecs = xmalloc(batch * dim * sizeof *s.vecs);
	char *line = NULL;
	size_t cap = 0, lineno = 0, total = 0;
	ssize_t len;
	int rc = 0;
	for (;;) {
		len = getline(&line, &cap, stdin);
		if (len > 0) {
			lineno++;
			json_error_t je;
			json_t *j = json_loadb(line, (size_t)len, 0, &je);
			json_t *id = json_object_get(j, "id"), *v = json_object_get(j, "vector"),
			       *m = json_object_get(j, "metadata");
			if (!j || !json_is_array(v) || json_array_size(v) != dim)
				die(STATUS_FAIL, "stdin: line %zu: bad point", lineno);
			struct buf t = {0};
			if (json_is_integer(id))
				buf_printf(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
			else
				buf_add(&t, json_string_value(id), json_string_length(id));
			buf_addc(&t, 0);
			size_t k = s.n++;
			s.ids[k] = t.data;
			s.p[k].id = t.data;
			s.p[k].id_len = t.len - 1;
			for (uint32_t i = 0; i < dim; i++)
				s.vecs[k * dim + i] = (float)json_number_value(json_array_get(v, i));
			s.p[k].vec = s.vecs + k * dim;
			s.metas[k] = m ? json_dumps(m, JSON_COMPACT) : NULL;
			s.p[k].meta = s.metas[k];
			s.p[k].meta_len = s.metas[k] ? strlen(s.metas[k]) : 0;
			json_decref(j);
		}
		if (s.n == batch || (len <= 0 && s.n > 0)) {
			if (qdrant_upsert(q, s.p, s.n, err, errn) != 0) {
				rc = -1;
				break;
			}
			total += s.n;
			pts_clear(&s);
		}
		if (len <= 0)
			break;
	}
	pts_clear(&s);
	free(line);
	free(s.p);
	free(s.ids);
	free(s.metas);
	free(s.vecs);
	if (rc == 0)
		printf("upserted %zu\n", total);
	return rc;
}

static int search(struct qdrant *q, struct vsclient_query *qq, struct out *o, char *err, size_t errn)
{
	uint32_t dim = qdrant_dim(q);
	float *qs = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	while (getline(&line, &lcap, stdin) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		if (!json_is_array(j) || json_array_size(j) != dim)
			die(STATUS_FAIL, "stdin: query %zu: not an array of %u numbers", n, dim);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			qs = xrealloc(qs, cap * dim * sizeof *qs);
		}
		for (uint32_t i = 0; i < dim; i++)
			qs[n * dim + i] = (float)json_number_value(json_array_get(j, i));
		n++;
		json_decref(j);
	}
	free(line);
	o->search = 1;
	int rc = qdrant_search(q, qs, n, qq, print_point, o, err, errn);
	free(qs);
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_DIM = 0x100, O_METRIC, O_CREATE, O_M, O_EFC, O_TIMEOUT, O_RETRIES, O_BATCH, O_VECTORS,
	       O_FILTER, O_LIMIT, O_K, O_EF, O_EXACT, O_UUID5, O_SHA1 };
	static const struct option opts[] = {
		{"dim", required_argument, 0, O_DIM},         {"metric", required_argument, 0, O_METRIC},
		{"create", no_argument, 0, O_CREATE},         {"m", required_argument, 0, O_M},
		{"ef-construction", required_argument, 0, O_EFC}, {"timeout", required_argument, 0, O_TIMEOUT},
		{"retries", required_argument, 0, O_RETRIES}, {"batch", required_argument, 0, O_BATCH},
		{"vectors", no_argument, 0, O_VECTORS},       {"filter", required_argument, 0, O_FILTER},
		{"limit", required_argument, 0, O_LIMIT},     {"k", required_argument, 0, O_K},
		{"ef", required_argument, 0, O_EF},           {"exact", no_argument, 0, O_EXACT},
		{"uuid5", required_argument, 0, O_UUID5},     {"sha1", no_argument, 0, O_SHA1},
		{0, 0, 0, 0}};
	struct vsclient_opts vo = {.metric = -1, .retries = -1};
	struct vsclient_query qq = {.k = 10};
	size_t batch = 100;
	uint64_t limit = UINT64_MAX;
	int with_vector = 0, opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_DIM: vo.dim = (uint32_t)atoi(optarg); break;
		case O_METRIC: vo.metric = metric_arg(optarg); break;
		case O_CREATE: vo.create = 1; break;
		case O_M: vo.m = (uint32_t)atoi(optarg); break;
		case O_EFC: vo.ef_construction = (uint32_t)atoi(optarg); break;
		case O_TIMEOUT: vo.timeout = atof(optarg); break;
		case O_RETRIES: vo.retries = atoi(optarg); break;
		case O_BATCH: batch = (size_t)atoi(optarg); break;
		case O_VECTORS: with_vector = qq.with_vector = 1; break;
		case O_FILTER: qq.filter = optarg; break;
		case O_LIMIT: limit = strtoull(optarg, NULL, 10); break;
		case O_K: qq.k = (size_t)atoi(optarg); break;
		case O_EF: qq.ef = (size_t)atoi(optarg); break;
		case O_EXACT: qq.exact = 1; break;
		case O_UUID5: {
			char u[37];
			uuid_v5(uuid_ns_url, optarg, strlen(optarg), u);
			puts(u);
			return 0;
		}
		case O_SHA1: {
			struct buf b = {0};
			char chunk[4096];
			size_t k;
			while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
				buf_add(&b, chunk, k);
			uint8_t d[20];
			sha1(b.data ? b.data : "", b.len, d);
			for (int i = 0; i < 20; i++)
				printf("%02x", d[i]);
			putchar('\n');
			buf_free(&b);
			return 0;
		}
		default: die(STATUS_USAGE, "bad option");
		}
	}
	if (argc - optind < 2)
		die(STATUS_USAGE, "usage: qdrant-tool [OPTIONS] URL COMMAND [ARGS]");
	const char *url = argv[optind], *cmd = argv[optind + 1];
	char **args = argv + optind + 2;
	int nargs = argc - optind - 2;
	char err[2048];
	if (strcmp(cmd, "restore") == 0) {
		if (nargs != 1)
			die(STATUS_USAGE, "restore FILE");
		if (qdrant_restore(url, args[0], &vo, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		puts("restored");
		return 0;
	}
	struct qdrant *q = qdrant_open(url, &vo, err, sizeof err);
	if (!q)
		die(STATUS_FAIL, "%s", err);
	struct out o = {.dim = qdrant_dim(q)};
	const char *mn[] = {"cosine", "dot", "l2"};
	int rc = 0;
	if (strcmp(cmd, "open") == 0) {
		printf("dim %u metric %s\n", qdrant_dim(q), mn[qdrant_metric(q)]);
	} else if (strcmp(cmd, "upsert") == 0) {
		rc = upsert(q, batch ? batch : 1, err, sizeof err);
	} else if (strcmp(cmd, "delete") == 0) {
		size_t deleted;
		rc = qdrant_delete(q, (const char *const *)args, NULL, (size_t)nargs, &deleted, err, sizeof err);
		if (rc == 0)
			printf("deleted %zu\n", deleted);
	} else if (strcmp(cmd, "delete-filter") == 0) {
		size_t deleted;
		if (nargs != 1)
			die(STATUS_USAGE, "delete-filter JSON");
		rc = qdrant_delete_filter(q, args[0], &deleted, err, sizeof err);
		if (rc == 0)
			printf("deleted %zu\n", deleted);
	} else if (strcmp(cmd, "count") == 0) {
		int64_t n = qdrant_count(q, err, sizeof err);
		rc = n < 0 ? -1 : 0;
		if (rc == 0)
			printf("%lld\n", (long long)n);
	} else if (strcmp(cmd, "get") == 0) {
		size_t missing;
		rc = qdrant_get(q, (const char *const *)args, (size_t)nargs, with_vector, print_point, &o, &missing, err,
		                sizeof err);
		if (rc == 0)
			fprintf(stderr, "missing %zu\n", missing);
	} else if (strcmp(cmd, "scan") == 0) {
		rc = qdrant_scan(q, qq.filter, limit, with_vector, print_point, &o, err, sizeof err);
	} else if (strcmp(cmd, "search") == 0) {
		rc = search(q, &qq, &o, err, sizeof err);
	} else if (strcmp(cmd, "snapshot") == 0) {
		if (nargs != 1)
			die(STATUS_USAGE, "snapshot FILE");
		rc = qdrant_snapshot(q, args[0], err, sizeof err);
	} else if (strcmp(cmd, "stats") == 0) {
		char *s = qdrant_stats(q, err, sizeof err);
		rc = s ? 0 : -1;
		if (s)
			puts(s);
		free(s);
	} else {
		die(STATUS_USAGE, "unknown command %s", cmd);
	}
	qdrant_close(q);
	buf_free(&o.line);
	if (rc != 0)
		die(STATUS_FAIL, "%s", err);
	return 0;
}
