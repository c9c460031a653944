/* hnsw-tool - test and benchmark driver for hnsw.h and vdist.h.
 *
 *   hnsw-tool build --dim D [--metric l2|dot|cosine] [-M 16] [--efc 200]
 *                   [--seed S] [--threads T] [--delete IDS]
 *                   [--query QUERIES (and query's options)] DATA INDEX
 *   hnsw-tool add [--threads T] INDEX DATA
 *   hnsw-tool delete INDEX IDS
 *   hnsw-tool query [--writable] [-k 10] [--ef 64[,128...]] [--allowed IDS]
 *                   [--truth TRUTH] [--dists] INDEX QUERIES
 *   hnsw-tool info INDEX
 *   hnsw-tool verify INDEX
 *   hnsw-tool open-time [--runs 5] INDEX QUERIES
 *   hnsw-tool vdist-check
 *
 * DATA and QUERIES are raw little-endian float32 (n x dim), IDS raw uint32
 * node ids, TRUTH raw int32 (queries x k, the exact neighbours, -1 where
 * fewer exist).  build prints "build_seconds S", then with --query the
 * answers of the index it built, as query would print them; query prints
 * one line of node ids per query (node:dist with --dists), or with --truth one line
 * per ef: "ef E recall R qps Q".  verify opens INDEX read-only and runs
 * hnsw_verify on it: "ok", or the damage as an error.  open-time times
 * --runs times a read-only open, one search (of the first query) and the
 * close, and prints "open_search_ms MEDIAN min MIN max MAX".  Cosine indexes get unit vectors: the tool
 * normalises data and queries, as the vector store does.  Errors are one
 * line on stderr, status 1; usage errors status 2. */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/die.h"
#include "base/io.h"
#include "vs/hnsw.h"
#include "vs/vdist.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
	fprintf(stderr, "usage: hnsw-tool build|add|delete|query|info|verify|open-time|vdist-check ... "
	                "(see the source)\n");
	exit(2);
}

/* A whole file of n records of rec bytes each. */
static void *read_records(const char *path, size_t rec, size_t *n)
{
	size_t len;
	void *p = io_read_file(path, &len);
	if (!p)
		die(STATUS_FAIL, "%s:", path);
	if (len % rec)
		die(STATUS_FAIL, "%s: %zu bytes is not a whole number of %zu-byte records", path, len, rec);
	*n = len / rec;
	return p;
}

static void normalise(float *v, size_t n, size_t dim)
{
	for (size_t i = 0; i < n; i++) {
		double s = 0;
		for (size_t j = 0; j < dim; j++)
			s += (double)v[i * dim + j] * v[i * dim + j];
		if (s > 0)
			for (size_t j = 0; j < dim; j++)
				v[i * dim + j] = (float)(v[i * dim + j] / sqrt(s));
	}
}

static enum vmetric parse_metric(const char *s)
{
	if (!strcmp(s, "l2"))
		return VMETRIC_L2;
	if (!strcmp(s, "dot"))
		return VMETRIC_DOT;
	if (!strcmp(s, "cosine"))
		return VMETRIC_COSINE;
	die(STATUS_USAGE, "unknown metric '%s' (l2, dot or cosine)", s);
}

static const char *metric_name(enum vmetric m)
{
	return m == VMETRIC_L2 ? "l2" : m == VMETRIC_DOT ? "dot" : "cosine";
}

static struct hnsw *open_or_die(const char *path, int writable)
{
	char err[512];
	struct hnsw *h = hnsw_open(path, writable, err, sizeof err);
	if (!h)
		die(STATUS_FAIL, "%s", err);
	return h;
}

static void save_or_die(const struct hnsw *h, const char *path)
{
	char err[512];
	if (hnsw_save(h, path, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
}

static void delete_from(struct hnsw *h, const char *ids_path)
{
	size_t n;
	uint32_t *ids = read_records(ids_path, sizeof *ids, &n);
	for (size_t i = 0; i < n; i++)
		hnsw_delete(h, ids[i]);
	free(ids);
}

static float *read_vectors(const char *path, const struct hnsw_params *p, size_t *n)
{
	float *v = read_records(path, (size_t)p->dim * sizeof(float), n);
	if (p->metric == VMETRIC_COSINE)
		normalise(v, *n, p->dim);
	return v;
}

enum { OPT_DIM = 0x100, OPT_METRIC, OPT_EFC, OPT_SEED, OPT_THREADS, OPT_DELETE, OPT_EF, OPT_ALLOWED,
       OPT_TRUTH, OPT_DISTS, OPT_WRITABLE, OPT_QUERY, OPT_RUNS };
static const struct option longopts[] = {
	{"dim", required_argument, 0, OPT_DIM},       {"metric", required_argument, 0, OPT_METRIC},
	{"efc", required_argument, 0, OPT_EFC},       {"seed", required_argument, 0, OPT_SEED},
	{"threads", required_argument, 0, OPT_THREADS}, {"delete", required_argument, 0, OPT_DELETE},
	{"ef", required_argument, 0, OPT_EF},         {"allowed", required_argument, 0, OPT_ALLOWED},
	{"truth", required_argument, 0, OPT_TRUTH},   {"dists", no_argument, 0, OPT_DISTS},
	{"writable", no_argument, 0, OPT_WRITABLE},   {"query", required_argument, 0, OPT_QUERY},
	{"runs", required_argument, 0, OPT_RUNS},
	{0, 0, 0, 0},
};

struct opts {
	struct hnsw_params p;
	int threads, dists, writable, runs;
	size_t k;
	const char *efs, *delete_ids, *allowed, *truth, *queries;
};

static void run_queries(struct opts *o, const struct hnsw *h, const char *queries);

static int cmd_build(struct opts *o, char **args, int nargs)
{
	if (nargs != 2 || o->p.dim == 0)
		usage();
	size_t n;
	float *v = read_vectors(args[0], &o->p, &n);
	struct hnsw *h = hnsw_new(&o->p, n);
	double t0 = now();
	hnsw_add(h, v, n, o->threads);
	printf("build_seconds %.3f\n", now() - t0);
	if (o->delete_ids)
		delete_from(h, o->delete_ids);
	save_or_die(h, args[1]);
	if (o->queries)
		run_queries(o, h, o->queries);
	hnsw_free(h);
	free(v);
	return 0;
}

static int cmd_add(struct opts *o, char **args, int nargs)
{
	if (nargs != 2)
		usage();
	struct hnsw *h = open_or_die(args[0], 1);
	size_t n;
	float *v = read_vectors(args[1], hnsw_get_params(h), &n);
	hnsw_add(h, v, n, o->threads);
	save_or_die(h, args[0]);
	hnsw_free(h);
	free(v);
	return 0;
}

static int cmd_delete(struct opts *o, char **args, int nargs)
{
	if (nargs != 2)
		usage();
	/* Deletion marks work on a read-only mapping: no private copy. */
	struct hnsw *h = open_or_die(args[0], 0);
	delete_from(h, args[1]);
	save_or_die(h, args[0]);
	hnsw_free(h);
	return 0;
}

static int cmd_info(struct opts *o, char **args, int nargs)
{
	if (nargs != 1)
		usage();
	struct hnsw *h = open_or_die(args[0], o->writable);
	const struct hnsw_params *p = hnsw_get_params(h);
	printf("count %zu\ndeleted %zu\ndim %u\nmetric %s\nM %u\nef_construction %u\nseed %llu\n",
	       hnsw_count(h), hnsw_deleted_count(h), p->dim, metric_name(p->metric), p->M,
	       p->ef_construction, (unsigned long long)p->seed);
	hnsw_free(h);
	return 0;
}

static void run_queries(struct opts *o, const struct hnsw *h, const char *queries)
{
	const struct hnsw_params *p = hnsw_get_params(h);
	size_t nq;
	float *q = read_vectors(queries, p, &nq);
	uint64_t *allowed = NULL;
	if (o->allowed) {
		size_t n;
		uint32_t *ids = read_records(o->allowed, sizeof *ids, &n);
		allowed = xcalloc((hnsw_count(h) + 63) / 64 + 1, sizeof *allowed);
		for (size_t i = 0; i < n; i++)
			if (ids[i] < hnsw_count(h))
				allowed[ids[i] >> 6] |= (uint64_t)1 << (ids[i] & 63);
		free(ids);
	}
	int32_t *truth = NULL;
	if (o->truth) {
		size_t nt;
		truth = read_records(o->truth, o->k * sizeof *truth, &nt);
		if (nt != nq)
			die(STATUS_FAIL, "%s: %zu rows of %zu for %zu queries", o->truth, nt, o->k, nq);
	}
	struct hnsw_scratch *s = hnsw_scratch_new(h);
	struct hnsw_hit *hits = xmalloc(o->k * sizeof *hits);
	const char *e = o->efs;
	for (;;) {
		char *end;
		size_t ef = strtoul(e, &end, 10);
		if (end == e || (*end && *end != ','))
			die(STATUS_USAGE, "--ef: not a list of numbers: %s", o->efs);
		if (!truth) {
			for (size_t i = 0; i < nq; i++) {
				size_t n = hnsw_search(h, s, q + i * p->dim, o->k, ef, allowed, hits);
				for (size_t j = 0; j < n; j++) {
					if (o->dists)
						printf("%s%u:%.9g", j ? " " : "", hits[j].node, hits[j].dist);
					else
						printf("%s%u", j ? " " : "", hits[j].node);
				}
				putchar('\n');
			}
		} else {
			size_t found = 0, want = 0;
			double t0 = now();
			for (size_t i = 0; i < nq; i++) {
				size_t n = hnsw_search(h, s, q + i * p->dim, o->k, ef, allowed, hits);
				const int32_t *t = truth + i * o->k;
				for (size_t a = 0; a < o->k; a++) {
					if (t[a] < 0)
						continue;
					want++;
					for (size_t b = 0; b < n; b++)
						if (hits[b].node == (uint32_t)t[a]) {
							found++;
							break;
						}
				}
			}
			double dt = now() - t0;
			printf("ef %zu recall %.4f qps %.0f\n", ef, want ? (double)found / want : 1.0,
			       dt > 0 ? nq / dt : 0.0);
		}
		if (!*end)
			break;
		e = end + 1;
	}
	free(hits);
	hnsw_scratch_free(s);
	free(truth);
	free(allowed);
	free(q);
}

static int cmd_verify(struct opts *o, char **args, int nargs)
{
	if (nargs != 1)
		usage();
	struct hnsw *h = open_or_die(args[0], 0);
	char err[512];
	int bad = hnsw_verify(h, err, sizeof err) != 0;
	hnsw_free(h);
	if (bad)
		die(STATUS_FAIL, "%s: %s", args[0], err);
	puts("ok");
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* What a one-query run of the store pays for the index: open, search,
 * close (after an untimed open that reads the queries and warms the
 * page cache). */
static int cmd_open_time(struct opts *o, char **args, int nargs)
{
	if (nargs != 2 || o->runs < 1)
		usage();
	struct hnsw *h = open_or_die(args[0], 0);
	size_t nq;
	float *q = read_vectors(args[1], hnsw_get_params(h), &nq);
	hnsw_free(h);
	if (nq == 0)
		die(STATUS_FAIL, "%s: no queries", args[1]);
	double *ms = xmalloc((size_t)o->runs * sizeof *ms);
	struct hnsw_hit *hits = xmalloc(o->k * sizeof *hits);
	for (int r = 0; r < o->runs; r++) {
		double t0 = now();
		h = open_or_die(args[0], 0);
		struct hnsw_scratch *s = hnsw_scratch_new(h);
		hnsw_search(h, s, q, o->k, strtoul(o->efs, NULL, 10), NULL, hits);
		hnsw_scratch_free(s);
		hnsw_free(h);
		ms[r] = (now() - t0) * 1e3;
	}
	qsort(ms, (size_t)o->runs, sizeof *ms, cmp_double);
	printf("open_search_ms %.3f min %.3f max %.3f\n", ms[o->runs / 2], ms[0], ms[o->runs - 1]);
	free(hits);
	free(ms);
	free(q);
	return 0;
}

static int cmd_query(struct opts *o, char **args, int nargs)
{
	if (nargs != 2)
		usage();
	struct hnsw *h = open_or_die(args[0], o->writable);
	run_queries(o, h, args[1]);
	hnsw_free(h);
	return 0;
}

/* Every kernel this CPU runs against a double-precision loop, at odd
 * sizes and unaligned addresses: the sums may differ from it only by float
 * rounding, bounded by a few ulps of the sum of the terms' magnitudes per
 * level of the kernels' partial sums.  Then the promise of vdist.h: every
 * kernel, pairwise or batch, in every instruction set, gives the portable
 * kernel's bits for every pair, whatever the number of queries in the
 * batch (1 to 7, so every tile size and the pairwise path are used) and
 * whatever the number of points (a short last row included). */
static int cmd_vdist_check(void)
{
	static const size_t dims[] = {1, 3, 17, 127, 128, 1000};
	int bad = 0;
	unsigned seed = 12345;
	float *a = xmalloc(1001 * sizeof *a), *b = xmalloc(1001 * sizeof *b);
	for (size_t i = 0; i < 1001; i++) {
		seed = seed * 1103515245u + 12345u;
		a[i] = (float)((int)(seed >> 8 & 0xffff) - 32768) / 4096.0f;
		seed = seed * 1103515245u + 12345u;
		b[i] = (float)((int)(seed >> 8 & 0xffff) - 32768) / 4096.0f;
	}
	for (int isa = VDIST_PORTABLE; isa <= VDIST_AVX512; isa++) {
		if (!vdist_isa_supported((enum vdist_isa)isa)) {
			printf("%s: not supported here, skipped\n", vdist_isa_name((enum vdist_isa)isa));
			continue;
		}
		for (int m = 0; m < 2; m++) {
			enum vmetric metric = m ? VMETRIC_L2 : VMETRIC_DOT;
			vdist_fn f = vdist_kernel_isa(metric, (enum vdist_isa)isa);
			for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
				size_t dim = dims[d];
				/* a + 1: an address that is not 16-byte aligned. */
				const float *x = a + 1, *y = b;
				double exact = 0, mag = 0;
				for (size_t i = 0; i < dim; i++) {
					double t = m ? ((double)x[i] - y[i]) * ((double)x[i] - y[i])
					             : (double)x[i] * y[i];
					exact += t;
					mag += fabs(t);
				}
				double got = f(x, y, dim);
				double tol = (double)FLT_EPSILON * mag * (8.0 + (double)dim / 8.0);
				int ok = fabs(got - exact) <= tol;
				printf("%s %s dim %zu: %s (%.9g vs %.9g)\n", vdist_isa_name((enum vdist_isa)isa),
				       m ? "l2" : "dot", dim, ok ? "ok" : "WRONG", got, exact);
				bad |= !ok;
			}
		}
	}
	/* Bit identity: 7 queries and 37 points of each dim, from a and b. */
	enum { NQ = 7, NV = 37 };
	float *q = xmalloc(NQ * 1008 * sizeof *q), *v = xmalloc(NV * 1000 * sizeof *v);
	float *out = xmalloc(NQ * NV * sizeof *out), *pack = xmalloc_aligned(vdist_pack_floats(1000) * sizeof *pack);
	for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
		size_t dim = dims[d], dp = vdist_padded(dim);
		memset(q, 0, NQ * dp * sizeof *q);
		for (size_t i = 0; i < NQ; i++)
			for (size_t k = 0; k < dim; k++)
				q[i * dp + k] = a[(i * 131 + k) % 1001];
		for (size_t j = 0; j < NV * dim; j++)
			v[j] = b[(j * 7) % 1001];
		for (int m = 0; m < 2; m++) {
			enum vmetric metric = m ? VMETRIC_L2 : VMETRIC_DOT;
			vdist_fn ref = vdist_kernel_isa(metric, VDIST_PORTABLE);
			size_t diff = 0, pairs = 0;
			for (int isa = VDIST_PORTABLE; isa <= VDIST_AVX512; isa++) {
				if (!vdist_isa_supported((enum vdist_isa)isa))
					continue;
				vdist_fn f = vdist_kernel_isa(metric, (enum vdist_isa)isa);
				vdist_many_fn many = vdist_many_isa(metric, (enum vdist_isa)isa);
				for (size_t nq = 1; nq <= NQ; nq++) {
					many(q, nq, dp, v, NV, dim, out, NV, pack);
					for (size_t i = 0; i < nq; i++)
						for (size_t j = 0; j < NV; j++) {
							float want = ref(q + i * dp, v + j * dim, dim);
							float one = f(q + i * dp, v + j * dim, dim), batch = out[i * NV + j];
							diff += memcmp(&want, &one, sizeof want) != 0;
							diff += memcmp(&want, &batch, sizeof want) != 0;
							pairs += 2;
						}
				}
			}
			printf("bits %s dim %zu: %s (%zu of %zu scores differ from the portable kernel's)\n",
			       m ? "l2" : "dot", dim, diff ? "DIFFERENT" : "same", diff, pairs);
			bad |= diff != 0;
		}
	}
	printf("best: %s\n", vdist_isa_name(vdist_best_isa()));
	free(a);
	free(b);
	free(q);
	free(v);
	free(out);
	free(pack);
	return bad;
}

int main(int argc, char **argv)
{
	io_quiet_sigpipe();
	if (argc < 2)
		usage();
	const char *cmd = argv[1];
	struct opts o = {.p = {.metric = VMETRIC_L2, .M = 16, .ef_construction = 200, .seed = 1},
	                 .threads = 1, .k = 10, .efs = "64", .runs = 5};
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "M:k:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIM: o.p.dim = (uint32_t)strtoul(optarg, NULL, 10); break;
		case OPT_METRIC: o.p.metric = parse_metric(optarg); break;
		case 'M': o.p.M = (uint32_t)strtoul(optarg, NULL, 10); break;
		case OPT_EFC: o.p.ef_construction = (uint32_t)strtoul(optarg, NULL, 10); break;
		case OPT_SEED: o.p.seed = strtoull(optarg, NULL, 10); break;
		case OPT_THREADS: o.threads = atoi(optarg); break;
		case OPT_DELETE: o.delete_ids = optarg; break;
		case 'k': o.k = strtoul(optarg, NULL, 10); break;
		case OPT_EF: o.efs = optarg; break;
		case OPT_ALLOWED: o.allowed = optarg; break;
		case OPT_TRUTH: o.truth = optarg; break;
		case OPT_DISTS: o.dists = 1; break;
		case OPT_WRITABLE: o.writable = 1; break;
		case OPT_QUERY: o.queries = optarg; break;
		case OPT_RUNS: o.runs = atoi(optarg); break;
		default: usage();
		}
	}
	if (o.k == 0)
		usage();
	char **args = argv + optind;
	int nargs = argc - optind;
	int rc;
	if (!strcmp(cmd, "build"))
		rc = cmd_build(&o, args, nargs);
	else if (!strcmp(cmd, "add"))
		rc = cmd_add(&o, args, nargs);
	else if (!strcmp(cmd, "delete"))
		rc = cmd_delete(&o, args, nargs);
	else if (!strcmp(cmd, "query"))
		rc = cmd_query(&o, args, nargs);
	else if (!strcmp(cmd, "info"))
		rc = cmd_info(&o, args, nargs);
	else if (!strcmp(cmd, "verify"))
		rc = cmd_verify(&o, args, nargs);
	else if (!strcmp(cmd, "open-time"))
		rc = cmd_open_time(&o, args, nargs);
	else if (!strcmp(cmd, "vdist-check"))
		rc = cmd_vdist_check();
	else
		usage();
	return fflush(stdout) == 0 ? rc : 1;
}
