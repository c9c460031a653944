/* rec-dedup - remove exact and near-duplicate records, and records that
 * share n-grams with benchmark texts, in one run or in stages across
 * shards. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "base/shard.h"
#include "dedup/buckets.h"
#include "dedup/clusters.h"
#include "dedup/decontam.h"
#include "dedup/deduprun.h"
#include "dedup/minhash.h"
#include "dedup/normalize.h"
#include "dedup/remove.h"
#include "dedup/sign.h"
#include "net/sink.h"
#include "rec/rec.h"

static const char usage[] =
	"Usage: rec-dedup [OPTION]... [FILE]...\n"
	"  or:  rec-dedup sign [OPTION]... -o SIG [FILE]...\n"
	"  or:  rec-dedup buckets [--band-range A-B] -o BKT SIG...\n"
	"  or:  rec-dedup clusters [--verify-jaccard T] -o DIR SIG... BKT...\n"
	"  or:  rec-dedup remove --drop LIST [--removed FILE] [-o OUT] [FILE]...\n"
	"  or:  rec-dedup index [--decontam-ngram N] [--normalize MODE] -o INDEX EVAL\n"
	"Remove duplicate text or JSON-row records from a sluice record stream (or\n"
	"plain text lines), keeping the first of each in input order; with a\n"
	"command, one stage of the same run across shards.  With no FILE, or when\n"
	"FILE is -, read stdin.\n"
	"\n"
	"What counts as a copy:\n"
	"      --normalize MODE        none, ws (white space collapsed) or lower-punct\n"
	"                              (lowercased, punctuation and symbols deleted,\n"
	"                              white space collapsed; the default)\n"
	"      --field NAME            the text of a JSON row (default: text)\n"
	"      --by NAME               exact copies by this JSON field, not the text\n"
	"      --near                  near copies too: MinHash LSH over word n-grams\n"
	"      --ngram N               words per shingle (default 5)\n"
	"      --bands B               LSH bands (default 14)\n"
	"      --rows R                hashes per band (default 8)\n"
	"      --seed S                the MinHash permutations' seed (default 0)\n"
	"      --verify-jaccard T      drop a near copy only when its true Jaccard\n"
	"                              similarity to the kept record is T or more\n"
	"\n"
	"Decontamination:\n"
	"      --decontaminate EVAL    drop records sharing an n-gram with a record of\n"
	"                              EVAL (a record file, or an index from `index`)\n"
	"      --decontam-ngram N      words per n-gram (default 13)\n"
	"      --no-dedup              only decontaminate\n"
	"\n"
	"Stages:\n"
	"      --band-range A-B        buckets: bands A to B (default: all)\n"
	"      --drop LIST             remove: the shard's drop list from `clusters`\n"
	"      --shard I/N|auto        sign, remove: only part I of N (0-based) of the\n"
	"                              FILEs: every Nth file when there are at least N,\n"
	"                              else every Nth record; buckets: part I of the\n"
	"                              bands; auto: this task's of a job array\n"
	"\n"
	"Output and resources:\n"
	"      --removed FILE          write the dropped records to FILE as JSON rows\n"
	"                              saying why (\"duplicate_of\", \"contaminated_by\")\n"
	"      --mem SIZE              memory for sorting before spilling to disk\n"
	"                              (k/M/G; default 1G)\n"
	"      --tmpdir DIR            temporary files (default: $TMPDIR or /tmp)\n"
	"  -j, --threads N            threads (default: all cores)\n"
	"  -o, --output FILE          write FILE atomically instead of stdout (a\n"
	"                              directory for `clusters`)\n"
	"      --progress             show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                no progress line\n"
	"  -h, --help                 show this help and exit\n"
	"      --version              show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage (also stage files that do not fit\n"
	"together), 3-7 a broken record stream (see sluice-rec(5)), 8 malformed\n"
	"record or stage file.  See rec-dedup(1).\n";

enum stage { STAGE_ALL, STAGE_SIGN, STAGE_BUCKETS, STAGE_CLUSTERS, STAGE_REMOVE, STAGE_INDEX };
static const char *const stage_names[] = {"", "sign", "buckets", "clusters", "remove", "index"};

enum {
	OPT_NORMALIZE = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_FIELD,
	OPT_BY,
	OPT_NEAR,
	OPT_NGRAM,
	OPT_BANDS,
	OPT_ROWS,
	OPT_SEED,
	OPT_VERIFY,
	OPT_DECONTAMINATE,
	OPT_DECONTAM_NGRAM,
	OPT_NO_DEDUP,
	OPT_BAND_RANGE,
	OPT_DROP,
	OPT_REMOVED,
	OPT_MEM,
	OPT_TMPDIR,
	OPT_SHARD,
	OPT_LAST,
};

/* Which options each stage takes (bit (opt - OPT_NORMALIZE), and J, O). */
#define BIT(o) (1u << ((o) - OPT_NORMALIZE))
#define SIGNING (BIT(OPT_NORMALIZE) | BIT(OPT_FIELD) | BIT(OPT_BY) | BIT(OPT_NEAR) | BIT(OPT_NGRAM) | BIT(OPT_BANDS) | \
                 BIT(OPT_ROWS) | BIT(OPT_SEED) | BIT(OPT_VERIFY) | BIT(OPT_DECONTAMINATE) |                          \
                 BIT(OPT_DECONTAM_NGRAM) | BIT(OPT_NO_DEDUP) | BIT(OPT_TMPDIR))
static const unsigned stage_options[] = {
	[STAGE_ALL] = SIGNING | BIT(OPT_REMOVED) | BIT(OPT_MEM),
	[STAGE_SIGN] = SIGNING | BIT(OPT_SHARD),
	[STAGE_BUCKETS] = BIT(OPT_BAND_RANGE) | BIT(OPT_MEM) | BIT(OPT_TMPDIR) | BIT(OPT_SHARD),
	[STAGE_CLUSTERS] = BIT(OPT_VERIFY) | BIT(OPT_MEM) | BIT(OPT_TMPDIR),
	[STAGE_REMOVE] = BIT(OPT_DROP) | BIT(OPT_REMOVED) | BIT(OPT_TMPDIR) | BIT(OPT_SHARD),
	[STAGE_INDEX] = BIT(OPT_NORMALIZE) | BIT(OPT_FIELD) | BIT(OPT_DECONTAM_NGRAM),
};

struct cmdline {
	enum stage stage;
	struct dedup_opts o;
	struct minhash_params minhash;
	const char *eval_path;
	bool no_dedup;
	int band_lo, band_hi; /* -1: all */
	const char *drop, *removed, *output;
	const char *shard_arg; /* --shard, or NULL */
	enum cli_progress progress;
	unsigned given;
	int nin;
	char **inputs;
	char **argv; /* the whole command line, for lineage */
	int argc;
};

/* A count for minhash_params_init to judge: past INT_MAX it stays past
 * its range, rather than wrapping into a small plausible one. */
static int clamp_int(uint64_t v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

static void parse_band_range(struct cmdline *c, const char *arg)
{
	char *end;
	errno = 0;
	long lo = strtol(arg, &end, 10), hi = lo;
	if (*end == '-')
		hi = strtol(end + 1, &end, 10);
	if (errno || *end || end == arg || lo < 0 || hi < lo || hi > 1024)
		cli_usage_error("--band-range: '%s' is not A-B (0 <= A <= B) or A", arg);
	c->band_lo = (int)lo;
	c->band_hi = (int)hi + 1;
}

static void parse(struct cmdline *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"normalize", required_argument, 0, OPT_NORMALIZE},
		{"field", required_argument, 0, OPT_FIELD},
		{"by", required_argument, 0, OPT_BY},
		{"near", no_argument, 0, OPT_NEAR},
		{"ngram", required_argument, 0, OPT_NGRAM},
		{"bands", required_argument, 0, OPT_BANDS},
		{"rows", required_argument, 0, OPT_ROWS},
		{"seed", required_argument, 0, OPT_SEED},
		{"verify-jaccard", required_argument, 0, OPT_VERIFY},
		{"decontaminate", required_argument, 0, OPT_DECONTAMINATE},
		{"decontam-ngram", required_argument, 0, OPT_DECONTAM_NGRAM},
		{"no-dedup", no_argument, 0, OPT_NO_DEDUP},
		{"band-range", required_argument, 0, OPT_BAND_RANGE},
		{"drop", required_argument, 0, OPT_DROP},
		{"removed", required_argument, 0, OPT_REMOVED},
		{"mem", required_argument, 0, OPT_MEM},
		{"tmpdir", required_argument, 0, OPT_TMPDIR},
		{"shard", required_argument, 0, OPT_SHARD},
		{"threads", required_argument, 0, 'j'},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct sign_opts *s = &c->o.sign;
	int ngram = MINHASH_NGRAM, bands = MINHASH_BANDS, rows = MINHASH_ROWS;
	uint64_t seed = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "j:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &c->progress))
			continue;
		if (opt >= OPT_NORMALIZE && opt < OPT_LAST) {
			if (!(stage_options[c->stage] & BIT(opt)))
				cli_usage_error("--%s is not an option of `rec-dedup%s%s`", longopts[opt - OPT_NORMALIZE].name,
				                c->stage ? " " : "", stage_names[c->stage]);
			c->given |= BIT(opt);
		}
		switch (opt) {
		case OPT_NORMALIZE: {
			int m = normalize_parse(optarg);
			if (m < 0)
				cli_usage_error("--normalize: '%s' is not none, ws or lower-punct", optarg);
			s->p.mode = (enum normalize_mode)m;
			break;
		}
		case OPT_FIELD: s->field = optarg; break;
		case OPT_BY: s->by = optarg; break;
		case OPT_NEAR: s->p.near = true; break;
		case OPT_NGRAM: ngram = clamp_int(cli_parse_u64(optarg, "--ngram", 0)); break;
		case OPT_BANDS: bands = clamp_int(cli_parse_u64(optarg, "--bands", 0)); break;
		case OPT_ROWS: rows = clamp_int(cli_parse_u64(optarg, "--rows", 0)); break;
		case OPT_SEED: seed = cli_parse_u64(optarg, "--seed", 0); break;
		case OPT_VERIFY: {
			char *end;
			double t = strtod(optarg, &end);
			if (*end || end == optarg || !(t > 0 && t <= 1))
				cli_usage_error("--verify-jaccard: '%s' is not a similarity above 0 and at most 1", optarg);
			c->o.verify = t;
			break;
		}
		case OPT_DECONTAMINATE: c->eval_path = optarg; break;
		case OPT_DECONTAM_NGRAM: {
			uint64_t n = cli_parse_u64(optarg, "--decontam-ngram", 0);
			if (n < 1 || n > 1000)
				cli_usage_error("--decontam-ngram: from 1 to 1000 words, not %s", optarg);
			s->p.decontam_ngram = (int)n;
			break;
		}
		case OPT_NO_DEDUP: c->no_dedup = true; break;
		case OPT_BAND_RANGE: parse_band_range(c, optarg); break;
		case OPT_DROP: c->drop = optarg; break;
		case OPT_REMOVED: c->removed = optarg; break;
		case OPT_MEM: c->o.mem = (size_t)cli_parse_u64(optarg, "--mem", 1); break;
		case OPT_TMPDIR: s->tmpdir = optarg; break;
		case OPT_SHARD: c->shard_arg = optarg; break;
		case 'j': s->threads = cli_parse_threads(optarg); break;
		case 'o': c->output = optarg; break;
		default: cli_usage_error("unhandled option");
		}
	}
	c->nin = argc - optind;
	c->inputs = argv + optind;
	if (s->p.decontam_ngram && !c->eval_path && c->stage != STAGE_INDEX)
		cli_usage_error("--decontam-ngram needs --decontaminate");
	if (!s->p.decontam_ngram && (c->eval_path || c->stage == STAGE_INDEX))
		s->p.decontam_ngram = 13;
	if (c->no_dedup && !c->eval_path)
		cli_usage_error("--no-dedup: only decontaminate, so it needs --decontaminate");
	if (s->by && s->p.near)
		cli_usage_error("--by keys exact copies; --near compares texts");
	if ((c->given & (BIT(OPT_NGRAM) | BIT(OPT_BANDS) | BIT(OPT_ROWS) | BIT(OPT_SEED))) && !s->p.near)
		cli_usage_error("--ngram, --bands, --rows and --seed are MinHash's: they need --near");
	if (c->o.verify > 0 && !s->p.near && c->stage != STAGE_CLUSTERS)
		cli_usage_error("--verify-jaccard checks near copies: it needs --near");
	s->p.sets = c->o.verify > 0;
	s->p.no_dedup = c->no_dedup;
	if (c->no_dedup && s->p.near)
		cli_usage_error("--no-dedup only decontaminates; --near dedups");
	char err[256];
	if (s->p.near) {
		if (minhash_params_init(&c->minhash, ngram, bands, rows, seed, err, sizeof err) < 0)
			cli_usage_error("%s", err);
		s->minhash = &c->minhash;
		s->p.ngram = ngram;
		s->p.bands = bands;
		s->p.rows = rows;
		s->p.seed = seed;
	}
}

/* ---- files ---- */

/* The FILEs this part reads (sign, remove: --shard, base/shard.h): every
 * Nth from the Ith when there are at least N, else all of them, of whose
 * records *records says which to take.  *part is the part. */
static char **part_inputs(const struct cmdline *c, int *nin, struct shard *part, struct shard *records)
{
	int n = c->nin;
	char **inputs = cli_inputs(c->inputs, &n);
	*part = shard_resolve(c->shard_arg);
	*records = (struct shard){0, 1};
	switch (shard_plan(*part, (size_t)n)) {
	case SHARD_WHOLE: break;
	case SHARD_BY_RECORD: *records = *part; break;
	case SHARD_BY_FILE: {
		int kept = 0;
		for (int i = 0; i < n; i++)
			if (shard_takes(*part, (uint64_t)i))
				inputs[kept++] = inputs[i];
		n = kept;
		break;
	}
	}
	*nin = n;
	return inputs;
}

static int open_output(const char *path, struct atomic_file *file)
{
	if (!path) {
		if (isatty(1))
			cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
		return 1;
	}
	if (sink_open(file, path) != 0)
		die(STATUS_FAIL, "%s:", path);
	atomic_guard(file);
	return file->fd;
}

static void commit(const char *path, struct atomic_file *file)
{
	if (path && atomic_commit(file) != 0)
		die(STATUS_FAIL, "%s:", path);
}

/* The record outputs of the one-shot run and remove: -o (or stdout) and
 * --removed, both written atomically. */
struct outputs {
	struct atomic_file file, removed_file; /* atomic_guard: they live until exit */
	struct rec_writer *w, *removed;
};

static struct outputs *open_outputs(const struct cmdline *c)
{
	static struct outputs o = {.file = {.fd = -1}, .removed_file = {.fd = -1}};
	o.w = rec_writer_fdopen(open_output(c->output, &o.file), c->output ? c->output : "<stdout>");
	if (c->removed)
		o.removed = rec_writer_fdopen(open_output(c->removed, &o.removed_file), c->removed);
	return &o;
}

static void commit_outputs(const struct cmdline *c, struct outputs *o)
{
	rec_writer_free(o->w);
	if (o->removed)
		rec_writer_free(o->removed);
	commit(c->removed, &o->removed_file);
	commit(c->output, &o->file);
}

static void open_sigs(char **paths, int n, struct sig_file *sigs)
{
	char err[512];
	for (int i = 0; i < n; i++) {
		int rc = sig_open(&sigs[i], paths[i], err, sizeof err);
		if (rc < 0)
			die(rc == -2 ? STATUS_FAIL : STATUS_MALFORMED, "%s", err);
	}
	if (sig_check_same(sigs, n, err, sizeof err) < 0)
		die(STATUS_USAGE, "%s", err);
}

/* ---- the stages ---- */

static void run_sign(struct cmdline *c, struct progress *progress)
{
	if (!c->output)
		cli_usage_error("sign: -o SIG names the signature file");
	static struct atomic_file file = {.fd = -1};
	int fd = open_output(c->output, &file);
	int nin;
	struct shard part;
	char **inputs = part_inputs(c, &nin, &part, &c->o.sign.records);
	int *fds = dedup_open_inputs(nin, inputs, c->o.sign.tmpdir);
	sign_inputs(&c->o.sign, nin, fds, inputs, fd, c->output, progress);
	dedup_close_inputs(fds, nin);
	commit(c->output, &file);
}

static void run_buckets(struct cmdline *c)
{
	if (!c->output || c->nin == 0)
		cli_usage_error("buckets: -o BKT and the signature files, in shard order");
	struct sig_file *sigs = xcalloc((size_t)c->nin, sizeof *sigs);
	open_sigs(c->inputs, c->nin, sigs);
	int bands = sig_band_count(&sigs[0].p);
	int lo = c->band_lo < 0 ? 0 : c->band_lo, hi = c->band_lo < 0 ? bands : c->band_hi;
	struct shard part = shard_resolve(c->shard_arg);
	if (!shard_is_whole(part)) {
		/* Part I of the bands: as even a cut as whole bands allow. */
		if (c->band_lo >= 0)
			cli_usage_error("buckets: --shard and --band-range both choose the bands; give one");
		if (part.count > (uint32_t)bands)
			cli_usage_error("buckets: --shard %u/%u: the signature files have bands 0 to %d, too few for %u parts",
			                part.index, part.count, bands - 1, part.count);
		lo = (int)((uint64_t)part.index * (uint64_t)bands / part.count);
		hi = (int)((uint64_t)(part.index + 1) * (uint64_t)bands / part.count);
	}
	if (hi > bands)
		cli_usage_error("--band-range: the signature files have bands 0 to %d", bands - 1);
	static struct atomic_file file = {.fd = -1};
	int fd = open_output(c->output, &file);
	buckets_run(sigs, c->nin, lo, hi, c->o.mem, c->o.sign.threads, c->o.sign.tmpdir, fd, c->output);
	commit(c->output, &file);
	for (int i = 0; i < c->nin; i++)
		sig_close(&sigs[i]);
	free(sigs);
}

/* clusters' drop list for a signature file: DIR/NAME.drop, NAME its base
 * name without ".sig". */
static char *drop_path(const char *dir, const char *sig)
{
	const char *base = strrchr(sig, '/') ? strrchr(sig, '/') + 1 : sig;
	size_t len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".sig") == 0)
		len -= 4;
	size_t n = strlen(dir) + len + 7;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%.*s.drop", dir, (int)len, base);
	return p;
}

static void run_clusters(struct cmdline *c)
{
	char err[512];
	if (!c->output)
		cli_usage_error("clusters: -o DIR names the directory for the drop lists");
	int nsig = 0, nbkt = 0;
	struct sig_file *sigs = xcalloc((size_t)c->nin + 1, sizeof *sigs);
	struct bkt_reader *bkts = xcalloc((size_t)c->nin + 1, sizeof *bkts);
	for (int i = 0; i < c->nin; i++) {
		const char *p = c->inputs[i];
		int rc;
		if (bkt_is_bucket_file(p)) {
			rc = bkt_open(&bkts[nbkt++], p, err, sizeof err);
			if (rc < 0)
				die(rc == -2 ? STATUS_FAIL : STATUS_MALFORMED, "%s", err);
		} else if ((rc = sig_open(&sigs[nsig], p, err, sizeof err)) < 0) {
			die(rc == -2 ? STATUS_FAIL : STATUS_MALFORMED, "%s", err);
		} else {
			nsig++;
		}
	}
	if (!nsig || (!nbkt && sig_band_count(&sigs[0].p) > 0))
		cli_usage_error("clusters: the signature files (in shard order) and the bucket files");
	if (mkdir(c->output, 0777) != 0 && errno != EEXIST)
		die(STATUS_FAIL, "%s:", c->output);
	struct atomic_file *files = xcalloc((size_t)nsig, sizeof *files);
	struct rec_writer **drops = xcalloc((size_t)nsig, sizeof *drops);
	char **paths = xcalloc((size_t)nsig, sizeof *paths);
	for (int i = 0; i < nsig; i++) {
		paths[i] = drop_path(c->output, sigs[i].name);
		for (int j = 0; j < i; j++)
			if (strcmp(paths[i], paths[j]) == 0)
				cli_usage_error("%s and %s would both write %s", sigs[j].name, sigs[i].name, paths[i]);
		files[i].fd = -1;
		if (sink_open(&files[i], paths[i]) != 0)
			die(STATUS_FAIL, "%s:", paths[i]);
		atomic_guard(&files[i]);
		drops[i] = rec_writer_fdopen(files[i].fd, paths[i]);
	}
	struct clusters_opts co = {.verify = c->o.verify, .mem = c->o.mem, .tmpdir = c->o.sign.tmpdir,
	                           .argc = c->argc, .argv = c->argv};
	struct clusters_counts counts;
	clusters_run(&co, sigs, nsig, bkts, nbkt, drops, &counts);
	for (int i = 0; i < nsig; i++) {
		rec_writer_free(drops[i]);
		commit(paths[i], &files[i]);
		free(paths[i]);
		sig_close(&sigs[i]);
	}
	for (int i = 0; i < nbkt; i++)
		bkt_close(&bkts[i]);
	/* files[] stay: atomic_guard holds them until the program ends. */
	free(drops);
	free(paths);
	free(sigs);
	free(bkts);
}

static void run_remove(struct cmdline *c, struct progress *progress)
{
	if (!c->drop)
		cli_usage_error("remove: --drop LIST names the shard's drop list");
	struct outputs *out = open_outputs(c);
	int nin;
	struct remove_opts ro = {.field = c->o.sign.field, .argc = c->argc, .argv = c->argv};
	char **inputs = part_inputs(c, &nin, &ro.part, &ro.records);
	int *fds = dedup_open_inputs(nin, inputs, c->o.sign.tmpdir);
	int drop_fd = open(c->drop, O_RDONLY | O_CLOEXEC);
	if (drop_fd < 0)
		die(STATUS_FAIL, "%s:", c->drop);
	struct remove_counts counts;
	remove_run(&ro, nin, fds, inputs, drop_fd, c->drop, out->w, out->removed, progress, &counts);
	close(drop_fd);
	dedup_close_inputs(fds, nin);
	commit_outputs(c, out);
}

static void run_index(struct cmdline *c)
{
	if (!c->output || c->nin != 1)
		cli_usage_error("index: -o INDEX and one EVAL record file");
	c->eval_path = c->inputs[0];
	struct decontam *d = dedup_load_eval(c->eval_path, &c->o.sign);
	char err[512];
	if (decontam_save(d, c->output, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	decontam_free(d);
}

static void run_all(struct cmdline *c, struct progress *progress)
{
	struct outputs *out = open_outputs(c);
	int nin = c->nin;
	char **inputs = cli_inputs(c->inputs, &nin);
	struct remove_counts counts;
	dedup_run(&c->o, nin, inputs, out->w, out->removed, progress, &counts);
	commit_outputs(c, out);
}

int main(int argc, char **argv)
{
	struct cmdline c = {.band_lo = -1, .argc = argc, .argv = argv};
	c.o.sign.field = "text";
	c.o.sign.threads = cli_cpu_count();
	c.o.sign.p.mode = NORMALIZE_LOWER_PUNCT;
	c.o.mem = (size_t)1 << 30;
	c.o.argc = argc;
	c.o.argv = argv;
	cli_init(argc, argv);
	/* A stage's name comes first; options are parsed from a copy without
	 * it, and the lineage keeps the whole line. */
	char **opts = argv;
	int nopts = argc;
	for (int s = STAGE_SIGN; argc > 1 && s <= STAGE_INDEX; s++) {
		if (strcmp(argv[1], stage_names[s]) == 0) {
			c.stage = (enum stage)s;
			opts = xmalloc((size_t)argc * sizeof *opts);
			opts[0] = argv[0];
			memcpy(opts + 1, argv + 2, (size_t)(argc - 2) * sizeof *opts);
			opts[argc - 1] = NULL;
			nopts = argc - 1;
		}
	}
	parse(&c, nopts, opts);

	struct decontam *eval = NULL;
	if (c.eval_path && c.stage != STAGE_INDEX)
		eval = dedup_load_eval(c.eval_path, &c.o.sign);
	c.o.sign.eval = eval;

	struct progress progress;
	progress_init(&progress, c.progress, io_total_size(c.nin, c.inputs));
	switch (c.stage) {
	case STAGE_ALL: run_all(&c, &progress); break;
	case STAGE_SIGN: run_sign(&c, &progress); break;
	case STAGE_BUCKETS: run_buckets(&c); break;
	case STAGE_CLUSTERS: run_clusters(&c); break;
	case STAGE_REMOVE: run_remove(&c, &progress); break;
	case STAGE_INDEX: run_index(&c); break;
	}
	progress_end(&progress);
	decontam_free(eval);
	if (c.o.sign.p.near)
		minhash_params_free(&c.minhash);
	if (opts != argv)
		free(opts);
	return 0;
}
