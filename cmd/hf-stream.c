/* hf-stream - stream a dataset's rows (parquet, JSON lines, JSON, CSV, text;
 * files, directories laid out like Hugging Face dataset repos, globs) as
 * text or JSON-row records. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/progress.h"
#include "base/rng.h"
#include "formats/rows.h"
#include "hub/dataset.h"
#include "hub/hfcache.h"
#include "hub/hfhub.h"
#include "net/http.h"
#include "rec/header.h"
#include "rec/rec.h"
#include "rec/shufbuf.h"

static const char usage[] =
	"Usage: hf-stream [OPTION]... SOURCE...\n"
	"Stream a dataset's rows as sluice records (sluice-rec(5)): text records\n"
	"from one field, or whole rows as JSON records.  SOURCE is a file, a\n"
	"directory (read like a Hugging Face dataset repository: README.md configs,\n"
	"else split names in file names), a glob, - for stdin, or a Hub dataset:\n"
	"ORG/NAME[:CONFIG[:SPLIT]] or hf://datasets/ORG/NAME[@REVISION][/PATH-OR-GLOB].\n"
	"\n"
	"Dataset:\n"
	"  -c, --config NAME      the configuration (default: the repository's default)\n"
	"  -s, --split NAME       the split (default: train)\n"
	"  -t, --type FORMAT      read files as parquet, jsonl, json, csv, tsv or txt\n"
	"                         (default: by extension, through .gz .zst .bz2 .xz .lz4)\n"
	"      --paragraphs       txt: one record per blank-line separated paragraph\n"
	"      --json-field NAME  json: the list field that holds the rows\n"
	"\n"
	"The Hub (HF_ENDPOINT, default https://huggingface.co):\n"
	"  -r, --revision REV     branch, tag or commit (default main)\n"
	"      --parquet-export   read the Hub's auto-converted parquet files\n"
	"      --download         fetch whole files into the cache, then read them\n"
	"      --offline          only the cache (also HF_HUB_OFFLINE=1)\n"
	"      --token-env NAME   take the token from $NAME (default: HF_TOKEN,\n"
	"                         HUGGING_FACE_HUB_TOKEN, $HF_HOME/token)\n"
	"      --timeout SECONDS  a request without progress for this long is retried\n"
	"                         (default 30)\n"
	"      --retries N        retries of a failed request (default 5)\n"
	"  -v, --verbose          report the requests made on stderr\n"
	"\n"
	"Output:\n"
	"  -f, --field NAME[,NAME...]  the text field (default: text, else content,\n"
	"                         else the first string column); several names give JSON rows\n"
	"      --format FORMAT    text: text records (default); json: whole rows as JSON records\n"
	"  -k, --key-field NAME   the field that becomes each record's key\n"
	"  -n, --take N           stop after N records\n"
	"      --skip N           leave out the first N records\n"
	"      --shard I/N        only shard I of N (0-based): by file when there are at\n"
	"                         least N files, else by row group, else by row\n"
	"      --shuffle BUF      shuffle the file order and then rows through a buffer\n"
	"                         of BUF records\n"
	"      --seed S           the shuffle's seed (default 0)\n"
	"  -o, --output FILE      write FILE atomically instead of stdout\n"
	"\n"
	"Filters (on the text field):\n"
	"      --ascii-only       only texts that are pure ASCII\n"
	"      --min-chars N      only texts of at least N characters\n"
	"      --max-chars N      only texts of at most N characters\n"
	"      --where FIELD=VALUE  only rows whose FIELD is VALUE (repeatable)\n"
	"\n"
	"Inspection (print and exit):\n"
	"      --list-configs     the configurations\n"
	"      --list-splits      the splits of the configuration\n"
	"      --list-files       the files of the split\n"
	"      --info             columns and types, rows and row groups, per file\n"
	"\n"
	"      --progress         show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet            no progress line\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 7 record over the frame limit,\n"
	"8 malformed input.  See hf-stream(1).\n";

enum {
	OPT_PARAGRAPHS = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_JSON_FIELD,
	OPT_FORMAT,
	OPT_SKIP,
	OPT_SHARD,
	OPT_SHUFFLE,
	OPT_SEED,
	OPT_ASCII_ONLY,
	OPT_MIN_CHARS,
	OPT_MAX_CHARS,
	OPT_WHERE,
	OPT_LIST_CONFIGS,
	OPT_LIST_SPLITS,
	OPT_LIST_FILES,
	OPT_INFO,
	OPT_PARQUET_EXPORT,
	OPT_DOWNLOAD,
	OPT_OFFLINE,
	OPT_TOKEN_ENV,
	OPT_TIMEOUT,
	OPT_RETRIES,
};

enum action { ACT_STREAM, ACT_LIST_CONFIGS, ACT_LIST_SPLITS, ACT_LIST_FILES, ACT_INFO };

struct where {
	const char *field, *value;
};

struct input {
	char *path;
	char *open_path; /* where it is read from, when not path: stdin's copy, a Hub file's repo path */
	enum rows_format fmt;
	uint64_t size;
	struct hfhub *hub; /* the Hub dataset it is a file of, or NULL */
};

struct stream {
	/* options */
	const char *config, *split, *key_field, *json_field, *output;
	char *config_owned, *split_owned, *text_owned; /* what the above point to, when ours */
	enum rows_format type;
	int paragraphs, json_rows, ascii_only, sharded, shuffled, taking, quiet, split_given;
	char **fields; /* --field names; fields[0] is the text field in text mode */
	int nfields;
	uint64_t take, skip, min_chars, max_chars, seed, shuffle_buf;
	uint32_t shard_i, shard_n;
	struct where *wheres;
	int nwheres;
	enum action action;
	int argc;
	char **argv;
	/* the Hub */
	struct hfhub_opts hub_opts;
	const char *revision, *token_env;
	int parquet_export, verbose;
	struct hfhub **hubs;
	size_t nhubs;
	/* what the sources resolved to */
	struct input *inputs;
	size_t ninputs;
	const char *config_used, *split_used;
	/* running state */
	const char *text_field;
	int header_written, row_shard;
	struct input *chosen; /* this shard's files, in reading order */
	size_t nchosen;
	struct rec_writer *w;
	struct shufbuf shuf;
	struct buf payload, key;
	uint64_t rows_seen, emitted, written, null_texts;
	uint64_t in_total, in_done; /* bytes of the chosen files, and of those read */
	struct progress progress;
};

/* ---- sources ---- */

static void add_input(struct stream *s, const char *path, enum rows_format fmt)
{
	struct stat st;
	s->inputs = xrealloc(s->inputs, (s->ninputs + 1) * sizeof *s->inputs);
	struct input *in = &s->inputs[s->ninputs++];
	in->path = xstrdup(path);
	in->open_path = NULL;
	in->hub = NULL;
	in->fmt = fmt != FMT_UNKNOWN ? fmt : rows_format_of_path(path);
	in->size = strcmp(path, "-") != 0 && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
	/* Say now, with status 1, what would otherwise surface as a reader error. */
	if (strcmp(path, "-") != 0 && access(path, R_OK) != 0)
		die(STATUS_FAIL, "%s:", path);
	if (in->fmt == FMT_UNKNOWN)
		die(STATUS_USAGE, "%s: cannot tell the format from the name; give --type", path);
}

/* A file of a Hub dataset, by its repo path. */
static void add_hub_input(struct stream *s, struct hfhub *hub, const struct ds_file *f, enum rows_format fmt)
{
	s->inputs = xrealloc(s->inputs, (s->ninputs + 1) * sizeof *s->inputs);
	struct input *in = &s->inputs[s->ninputs++];
	struct buf name = {0};
	buf_printf(&name, "hf://datasets/%s@%s/%s", hfhub_repo(hub), hfhub_commit(hub), f->path);
	buf_addc(&name, 0);
	in->path = name.data;
	in->open_path = xstrdup(f->path);
	in->fmt = fmt != FMT_UNKNOWN ? fmt : rows_format_of_path(f->path);
	in->size = f->size;
	in->hub = hub;
	if (in->fmt == FMT_UNKNOWN)
		die(STATUS_USAGE, "%s: cannot tell the format from the name; give --type", in->path);
}

static int hub_open_random(void *ctx, const char *path, struct pq_source *out, char *err, size_t errn)
{
	return hfhub_open_random(ctx, path, out, err, errn);
}

static int hub_open_stream(void *ctx, const char *path, struct source *out, char *err, size_t errn)
{
	return hfhub_open_stream(ctx, path, out, err, errn);
}

/* Opens an input's rows, from stdin's copy or the Hub when it comes from
 * there, named as given. */
static struct rows *input_rows(const struct input *in, struct rows_options *ropt, char *err, size_t n)
{
	ropt->name = in->path;
	if (in->hub) {
		ropt->open_random = hub_open_random;
		ropt->open_stream = hub_open_stream;
		ropt->open_ctx = in->hub;
	}
	return rows_open(in->open_path ? in->open_path : in->path, in->fmt, ropt, err, n);
}

static int is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

static enum rows_format format_of_ds(enum ds_format f)
{
	switch (f) {
	case DS_FMT_PARQUET: return FMT_PARQUET;
	case DS_FMT_JSONL: return FMT_JSONL;
	case DS_FMT_JSON: return FMT_JSON;
	case DS_FMT_CSV: return FMT_CSV;
	case DS_FMT_TSV: return FMT_TSV;
	case DS_FMT_TEXT: return FMT_TXT;
	default: return FMT_UNKNOWN;
	}
}

static void read_small_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(b, chunk, got);
	if (ferror(f))
		die(STATUS_FAIL, "%s: read error:", path);
	fclose(f);
}

/* Configs and splits of a repository (a directory or a Hub dataset),
 * resolved like `datasets`; --list-configs and --list-splits answer here
 * and exit.  The layout (to ds_free) and the chosen split. */
static struct ds_layout *resolve_split(struct stream *s, const char *dir, const char *readme, size_t readme_len,
                                       const struct ds_file *files, size_t nfiles, const struct ds_split **split)
{
	char err[1024];
	struct ds_layout *layout = ds_resolve(readme, readme_len, files, nfiles, err, sizeof err);
	if (!layout)
		die(STATUS_MALFORMED, "%s: %s", dir, err);
	if (s->action == ACT_LIST_CONFIGS) {
		for (size_t i = 0; i < ds_config_count(layout); i++) {
			const struct ds_config *c = ds_config_at(layout, i);
			printf("%s%s\n", ds_config_name(c), ds_config_is_default(c) ? " (default)" : "");
		}
		exit(fflush(stdout) == 0 ? 0 : STATUS_FAIL);
	}
	const struct ds_config *c = ds_find_config(layout, s->config, err, sizeof err);
	if (!c)
		die(STATUS_USAGE, "%s: %s", dir, err);
	if (s->action == ACT_LIST_SPLITS) {
		for (size_t i = 0; i < ds_split_count(c); i++)
			printf("%s\n", ds_split_name(ds_split_at(c, i)));
		exit(fflush(stdout) == 0 ? 0 : STATUS_FAIL);
	}
	const struct ds_split *sp = ds_find_split(c, s->split, err, sizeof err);
	if (!sp)
		die(STATUS_USAGE, "%s: %s", dir, err);
	free(s->config_owned);
	free(s->split_owned);
	s->config_used = s->config_owned = xstrdup(ds_config_name(c));
	s->split_used = s->split_owned = xstrdup(ds_split_name(sp));
	*split = sp;
	return layout;
}

/* A directory is a dataset repository: resolve configs and splits like
 * `datasets` and take the files of the chosen split; unless it is a
 * script dataset, which `datasets` decides by the directory's name as
 * given, as for a Hub repository, and which has no parquet export here. */
static void add_directory(struct stream *s, const char *dir)
{
	char err[1024];
	struct ds_file *files = NULL;
	size_t nfiles = 0;
	if (ds_list_local(dir, &files, &nfiles, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	const char *script = ds_script_path(dir, files, nfiles);
	if (script)
		die(STATUS_FAIL, "%s: a script dataset (%s loads it, and sluice does not run loading scripts); read its data "
		    "files instead: give them, or a glob of them, as the sources", dir, script);
	struct buf readme = {0}, path = {0};
	buf_printf(&path, "%s/README.md", dir);
	buf_addc(&path, '\0');
	read_small_file(&readme, path.data);
	const struct ds_split *sp;
	struct ds_layout *layout = resolve_split(s, dir, readme.len ? readme.data : NULL, readme.len, files, nfiles, &sp);
	/* A split may mix readers of one family (.json with .jsonl, .csv with
	 * .tsv): each file is read by its own extension. */
	for (size_t i = 0; i < ds_split_file_count(sp); i++) {
		const char *rel = ds_split_file(sp, i)->path;
		enum rows_format fmt = s->type != FMT_UNKNOWN ? s->type : format_of_ds(ds_path_format(rel));
		buf_clear(&path);
		buf_printf(&path, "%s/%s", dir, rel);
		buf_addc(&path, '\0');
		add_input(s, path.data, fmt);
	}
	ds_free(layout);
	ds_files_free(files, nfiles);
	buf_free(&readme);
	buf_free(&path);
}

/* A script dataset that sluice cannot read another way: why, and what to
 * read instead (its data files, at the revision asked for), status 1 as
 * for any dataset without data files sluice reads. */
SLUICE_NORETURN static void die_script(const char *src, const char *repo, const char *rev, const char *script,
                                       const char *why)
{
	die(STATUS_FAIL, "%s: a script dataset (%s loads it, and sluice does not run loading scripts) and %s; read its "
	    "data files instead: hf://datasets/%s%s%s/PATH-OR-GLOB", src, script, why, repo, rev ? "@" : "",
	    rev ? rev : "");
}

static int has_pair(char **configs, char **splits, size_t n, const char *config, const char *split)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(configs[i], config) == 0 && (!split || strcmp(splits[i], split) == 0))
			return 1;
	return 0;
}

/* The configs (or a config's splits) of the export's index, ", "-joined. */
static void pair_names(struct buf *b, char **configs, char **splits, size_t n, const char *config)
{
	for (size_t i = 0; i < n; i++) {
		if (config ? strcmp(configs[i], config) != 0 : i && strcmp(configs[i], configs[i - 1]) == 0)
			continue;
		buf_adds(b, b->len ? ", " : "");
		buf_adds(b, config ? splits[i] : configs[i]);
	}
	buf_addc(b, 0);
}

/* The Hub's parquet export (refs/convert/parquet) of the chosen config and
 * split, read in place of the repository's files: with --parquet-export,
 * for a repository without a data file sluice reads, and for a script
 * dataset (script: its loading script, text: its bytes).  That is what
 * `datasets` 3 did with a script dataset (load.py dataset_module_factory):
 * the export when there is one, asked for on main, and when no config is
 * asked for only if the script does not set DEFAULT_CONFIG_NAME (the
 * export does not say which config that is); else it ran the script, which
 * `datasets` 4 and later refuse to do, and sluice too.  Without -c the
 * config is the export's only one or the one named "default"
 * (utils/metadata.py get_default_config_name). */
static void add_hub_export(struct stream *s, const char *src, struct hfhub *hub, const char *rev, const char *script,
                           const char *text, size_t text_len, int has_data)
{
	char err[1024];
	const char *repo = hfhub_repo(hub);
	int implicit = script && !s->parquet_export;
	if (implicit && rev && strcmp(rev, "main") != 0) {
		char why[512];
		snprintf(why, sizeof why, "the Hub's parquet export is of main, not of revision '%s'", rev);
		die_script(src, repo, rev, script, why);
	}
	char **configs, **splits;
	size_t npairs;
	int rc = hfhub_parquet_index(hub, &configs, &splits, &npairs, err, sizeof err);
	if (rc < 0)
		die(STATUS_FAIL, "%s", err);
	if (rc > 0) {
		const char *why = s->hub_opts.offline ? "offline, the cache holds no parquet export of it"
		                                      : "the Hub has no parquet export of it";
		if (script)
			die_script(src, repo, rev, script, why);
		die(STATUS_FAIL, "%s: %s%s", src, has_data ? "" : "no data file sluice reads, and ", why);
	}
	const char *config = s->config;
	size_t nconfigs = 0;
	for (size_t i = 0; i < npairs; i++)
		if (!i || strcmp(configs[i], configs[i - 1]) != 0)
			nconfigs++;
	for (size_t i = 0; i < npairs && !config; i++)
		if (nconfigs == 1 || strcmp(configs[i], "default") == 0)
			config = configs[i];
	int script_default = !s->config && nconfigs > 1 && script && text &&
	                     memmem(text, text_len, "DEFAULT_CONFIG_NAME", 19);
	if (script_default)
		config = NULL;
	struct buf names = {0};
	if (s->action == ACT_LIST_CONFIGS) {
		for (size_t i = 0; i < npairs; i++)
			if (!i || strcmp(configs[i], configs[i - 1]) != 0)
				printf("%s%s\n", configs[i], config && strcmp(configs[i], config) == 0 ? " (default)" : "");
		exit(fflush(stdout) == 0 ? 0 : STATUS_FAIL);
	}
	if (!config) {
		pair_names(&names, configs, splits, npairs, NULL);
		die(STATUS_USAGE, "%s: no default config%s: pick one of %s", src,
		    script_default ? " (its loading script names it, the parquet export does not)" : "", names.data);
	}
	if (!has_pair(configs, splits, npairs, config, NULL)) {
		pair_names(&names, configs, splits, npairs, NULL);
		die(STATUS_USAGE, "%s: no config '%s' in the Hub's parquet export (configs: %s)", src, config, names.data);
	}
	if (s->action == ACT_LIST_SPLITS) {
		for (size_t i = 0; i < npairs; i++)
			if (strcmp(configs[i], config) == 0)
				printf("%s\n", splits[i]);
		exit(fflush(stdout) == 0 ? 0 : STATUS_FAIL);
	}
	if (!has_pair(configs, splits, npairs, config, s->split)) {
		pair_names(&names, configs, splits, npairs, config);
		die(STATUS_USAGE, "%s: no split '%s' in config '%s' of the Hub's parquet export (splits: %s)", src, s->split,
		    config, names.data);
	}
	free(s->config_owned);
	free(s->split_owned);
	s->config_used = s->config_owned = xstrdup(config);
	s->split_used = s->split_owned = xstrdup(s->split);
	hfhub_pairs_free(configs, splits, npairs);
	buf_free(&names);
	if (implicit && !s->quiet)
		warn("%s: a script dataset (%s loads it, and sluice does not run loading scripts): reading the Hub's "
		     "parquet export of config '%s', split '%s' instead", src, script, s->config_used, s->split_used);
	struct hfhub *x;
	struct ds_file *pq;
	size_t npq;
	if (hfhub_parquet_export(hub, s->config_used, s->split_used, &x, &pq, &npq, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	s->hubs = xrealloc(s->hubs, (s->nhubs + 1) * sizeof *s->hubs);
	s->hubs[s->nhubs++] = x;
	for (size_t i = 0; i < npq; i++)
		add_hub_input(s, x, &pq[i], FMT_PARQUET);
	ds_files_free(pq, npq);
}

/* A Hub dataset: the revision pinned to a commit, the tree listed once,
 * then the files of a path or glob, exactly those; or those of a script
 * dataset's parquet export (add_hub_export); or those of the chosen config
 * and split, resolved like a directory. */
static void add_hub(struct stream *s, const char *src, struct hfhub_ref *ref)
{
	char err[1024];
	if (ref->revision && s->revision && strcmp(ref->revision, s->revision) != 0)
		cli_usage_error("%s: the revision is given twice (@%s and --revision %s)", src, ref->revision, s->revision);
	if ((ref->config && s->config && strcmp(ref->config, s->config) != 0) ||
	    (ref->split && s->split_given && strcmp(ref->split, s->split) != 0))
		cli_usage_error("%s: the config or split is given twice", src);
	if (ref->config)
		s->config = ref->config;
	if (ref->split)
		s->split = ref->split;
	const char *rev = ref->revision ? ref->revision : s->revision;
	struct hfhub *hub = hfhub_open(&s->hub_opts, ref->repo, rev, err, sizeof err);
	if (!hub)
		die(STATUS_FAIL, "%s", err);
	s->hubs = xrealloc(s->hubs, (s->nhubs + 1) * sizeof *s->hubs);
	s->hubs[s->nhubs++] = hub;
	const struct ds_file *files;
	size_t n;
	if (hfhub_files(hub, &files, &n, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (ref->path) {
		size_t before = s->ninputs;
		for (size_t i = 0; i < n; i++) {
			int m = ds_glob_match(ref->path, files[i].path);
			if (m < 0)
				die(STATUS_USAGE, "%s: '%s' is not a valid pattern", src, ref->path);
			if (m)
				add_hub_input(s, hub, &files[i], s->type);
		}
		if (s->ninputs == before)
			die(STATUS_FAIL, "%s: no file of %s at %s matches '%s'", src, ref->repo, hfhub_commit(hub), ref->path);
		return;
	}
	/* A script dataset is one before README.md has a say, as in `datasets`;
	 * the script is fetched as `datasets` fetches it to find it, which also
	 * puts it in the cache, where offline runs find it again. */
	const char *script = ds_script_path(ref->repo, files, n);
	int has_data = 0;
	for (size_t i = 0; i < n && !has_data; i++)
		has_data = ds_path_format(files[i].path) != DS_FMT_NONE;
	if (script || s->parquet_export || !has_data) {
		char *text = NULL;
		size_t text_len = 0;
		if (script && hfhub_read_file(hub, script, &text, &text_len, err, sizeof err) < 0)
			die(STATUS_FAIL, "%s", err);
		add_hub_export(s, src, hub, rev, script, text, text_len, has_data);
		free(text);
		return;
	}
	char *readme = NULL;
	size_t readme_len = 0;
	int rc = hfhub_read_file(hub, "README.md", &readme, &readme_len, err, sizeof err);
	if (rc < 0)
		die(STATUS_FAIL, "%s", err);
	const struct ds_split *sp;
	struct ds_layout *layout = resolve_split(s, src, readme, readme_len, files, n, &sp);
	for (size_t i = 0; i < ds_split_file_count(sp); i++) {
		const struct ds_file *f = ds_split_file(sp, i);
		add_hub_input(s, hub, f, s->type != FMT_UNKNOWN ? s->type : format_of_ds(ds_path_format(f->path)));
	}
	ds_free(layout);
	free(readme);
}

static void add_source(struct stream *s, const char *src)
{
	struct stat st;
	if (strncmp(src, "hf://", 5) == 0) {
		struct hfhub_ref ref;
		char err[1024];
		if (hfhub_parse_ref(src, &ref, err, sizeof err) != 0)
			die(STATUS_USAGE, "%s", err);
		add_hub(s, src, &ref);
		hfhub_ref_free(&ref);
		return;
	}
	if (strcmp(src, "-") == 0) {
		add_input(s, src, s->type != FMT_UNKNOWN ? s->type : FMT_JSONL);
		/* Parquet is read from its footer backwards, by byte ranges, and
		 * more than once: a pipe is first copied to a temporary file. */
		if (s->type == FMT_PARQUET) {
			char path[64];
			snprintf(path, sizeof path, "/proc/self/fd/%d", io_seekable(0, "-"));
			s->inputs[s->ninputs - 1].open_path = xstrdup(path);
		}
		return;
	}
	if (stat(src, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			add_directory(s, src);
		else
			add_input(s, src, s->type);
		return;
	}
	if (is_glob(src)) {
		char err[1024];
		struct ds_file *files;
		size_t n;
		if (ds_glob_local(src, &files, &n, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		for (size_t i = 0; i < n; i++)
			add_input(s, files[i].path, s->type);
		ds_files_free(files, n);
		return;
	}
	/* Not a local path: a Hub dataset, if it is named like one. */
	int e = errno;
	struct hfhub_ref ref;
	char err[1024] = "";
	if (hfhub_parse_ref(src, &ref, err, sizeof err) == 0) {
		add_hub(s, src, &ref);
		hfhub_ref_free(&ref);
		return;
	}
	if (*err)
		die(STATUS_USAGE, "%s", err);
	errno = e;
	die(STATUS_FAIL, "%s:", src);
}

/* ---- the header ---- */

static uint64_t file_xxh3(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(STATUS_FAIL, "%s:", path);
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(st);
	char *chunk = xmalloc(1 << 20);
	ssize_t got;
	while ((got = read_full(fd, chunk, 1 << 20)) > 0)
		XXH3_64bits_update(st, chunk, (size_t)got);
	if (got < 0)
		die(STATUS_FAIL, "%s: read error:", path);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	free(chunk);
	close(fd);
	return h;
}

/* r: the first file, whose schema names the columns; NULL when there is none. */
static void write_header(struct stream *s, struct rows *r)
{
	json_t *h = header_new(NULL, s->json_rows ? "json" : "text", s->argc, s->argv);
	json_t *sources = json_array();
	for (int i = optind; i < s->argc; i++)
		json_array_append_new(sources, json_string(s->argv[i]));
	json_object_set_new(h, "dataset", sources);
	if (s->config_used)
		json_object_set_new(h, "config", json_string(s->config_used));
	json_object_set_new(h, "split", json_string(s->split_used ? s->split_used : s->split));
	json_t *files = json_array();
	for (size_t i = 0; i < s->nchosen; i++) {
		struct input *in = &s->chosen[i];
		json_t *f = json_object();
		json_object_set_new(f, "path", json_string(in->path));
		json_object_set_new(f, "format", json_string(rows_format_name(in->fmt)));
		if (in->hub) {
			/* the commit pins the bytes; hashing them would mean reading each file twice */
			json_object_set_new(f, "size", json_integer((json_int_t)in->size));
		} else if (strcmp(in->path, "-") != 0) {
			char hex[17];
			snprintf(hex, sizeof hex, "%016llx", (unsigned long long)file_xxh3(in->path));
			json_object_set_new(f, "size", json_integer((json_int_t)in->size));
			json_object_set_new(f, "xxh3", json_string(hex));
		}
		json_array_append_new(files, f);
	}
	json_object_set_new(h, "files", files);
	if (s->text_field)
		json_object_set_new(h, "field", json_string(s->text_field));
	/* The columns of the dataset (from the first file's schema) with their
	 * types, so a consumer knows what the rows were cut from. */
	json_t *cols = json_array();
	if (r) {
		const char *const *names, *const *types;
		int n = rows_schema(r, &names, &types);
		for (int i = 0; i < n; i++) {
			json_t *c = json_object();
			json_object_set_new(c, "name", json_string(names[i]));
			json_object_set_new(c, "type", types[i] ? json_string(types[i]) : json_null());
			json_array_append_new(cols, c);
		}
	}
	json_object_set_new(h, "columns", cols);
	if (s->nfields && s->json_rows) {
		json_t *sel = json_array();
		for (int i = 0; i < s->nfields; i++)
			json_array_append_new(sel, json_string(s->fields[i]));
		json_object_set_new(h, "fields", sel);
	}
	if (s->key_field)
		json_object_set_new(h, "key_field", json_string(s->key_field));
	json_t *filters = json_object();
	if (s->ascii_only)
		json_object_set_new(filters, "ascii_only", json_true());
	if (s->min_chars)
		json_object_set_new(filters, "min_chars", json_integer((json_int_t)s->min_chars));
	if (s->max_chars != UINT64_MAX)
		json_object_set_new(filters, "max_chars", json_integer((json_int_t)s->max_chars));
	if (s->nwheres) {
		json_t *wh = json_array();
		for (int i = 0; i < s->nwheres; i++) {
			char *eq = NULL;
			if (asprintf(&eq, "%s=%s", s->wheres[i].field, s->wheres[i].value) < 0)
				die(STATUS_FAIL, "out of memory");
			json_array_append_new(wh, json_string(eq));
			free(eq);
		}
		json_object_set_new(filters, "where", wh);
	}
	json_object_set_new(h, "filters", filters);
	if (s->sharded) {
		char shard[32];
		snprintf(shard, sizeof shard, "%u/%u", s->shard_i, s->shard_n);
		json_object_set_new(h, "shard", json_string(shard));
	}
	if (s->shuffled) {
		json_t *sh = json_object();
		json_object_set_new(sh, "buffer", json_integer((json_int_t)s->shuffle_buf));
		json_object_set_new(sh, "seed", json_integer((json_int_t)s->seed));
		json_object_set_new(h, "shuffle", sh);
	}
	header_write(s->w, h);
	json_decref(h);
}

/* ---- rows to records ---- */

static const struct cell *find_cell(const struct row *row, const char *name)
{
	for (int i = 0; i < row->n; i++)
		if (strcmp(row->names[i], name) == 0)
			return &row->cells[i];
	return NULL;
}

/* The text field when none is named: text, else content, else the first
 * string column, as people name their corpora. */
static const char *default_text_field(struct rows *r, const char *path)
{
	const char *const *names, *const *types;
	int n = rows_schema(r, &names, &types);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "text") == 0)
			return names[i];
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "content") == 0)
			return names[i];
	for (int i = 0; i < n; i++)
		if (types[i] && strcmp(types[i], "string") == 0)
			return names[i];
	die(STATUS_USAGE, "%s: no text, content or string column; name one with --field", path);
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars;
}

static int is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* A cell's value as --where compares it: strings as their bytes, anything
 * else as its JSON text (so --where n=3 and --where ok=true work). */
static int cell_equals(const struct cell *c, const char *value)
{
	size_t n = strlen(value);
	if (!c || c->kind == CELL_NULL)
		return strcmp(value, "null") == 0;
	return c->len == n && memcmp(c->data, value, n) == 0;
}

static int keep_row(struct stream *s, const struct row *row, const struct cell *text)
{
	for (int i = 0; i < s->nwheres; i++)
		if (!cell_equals(find_cell(row, s->wheres[i].field), s->wheres[i].value))
			return 0;
	if (!text)
		return 1;
	if (s->ascii_only && !is_ascii(text->data, text->len))
		return 0;
	if (s->min_chars || s->max_chars != UINT64_MAX) {
		size_t chars = utf8_chars(text->data, text->len);
		if (chars < s->min_chars || chars > s->max_chars)
			return 0;
	}
	return 1;
}

static void render_cell(struct buf *b, const struct cell *c)
{
	switch (c ? c->kind : CELL_NULL) {
	case CELL_NULL:
		buf_adds(b, "null");
		break;
	case CELL_STRING:
		jsonw_string(b, c->data, c->len);
		break;
	case CELL_BINARY:
		buf_adds(b, "{\"base64\":\"");
		base64_encode(b, (const unsigned char *)c->data, c->len);
		buf_adds(b, "\"}");
		break;
	case CELL_JSON:
		buf_add(b, c->data, c->len);
		break;
	}
}

static void render_json_row(struct stream *s, const struct row *row)
{
	struct buf *b = &s->payload;
	buf_clear(b);
	buf_addc(b, '{');
	if (s->nfields) {
		for (int i = 0; i < s->nfields; i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_string(b, s->fields[i], strlen(s->fields[i]));
			buf_addc(b, ':');
			render_cell(b, find_cell(row, s->fields[i]));
		}
	} else {
		for (int i = 0; i < row->n; i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_string(b, row->names[i], strlen(row->names[i]));
			buf_addc(b, ':');
			render_cell(b, &row->cells[i]);
		}
	}
	buf_addc(b, '}');
}

/* Returns 0 once --take is satisfied. */
static int write_record(struct stream *s, const char *key, size_t key_len, const char *payload,
                        size_t len)
{
	if (s->taking && s->written >= s->take)
		return 0;
	if (s->emitted++ < s->skip)
		return 1;
	rec_write(s->w, s->json_rows ? REC_JSON : REC_TEXT, REC_DT_NONE, key, key_len, payload, len);
	progress_add(&s->progress, len, 1);
	s->written++;
	return !(s->taking && s->written >= s->take);
}

static int emit(struct stream *s, const char *key, size_t key_len, const char *payload, size_t len)
{
	if (!s->shuffled)
		return write_record(s, key, key_len, payload, len);
	const struct shuf_item *it = shufbuf_push(&s->shuf, key, key_len, payload, len);
	return it ? write_record(s, it->key, it->key_len, it->payload, it->payload_len) : 1;
}

/* Row groups in a parquet file (its footer only); one for anything else,
 * which is never opened twice (stdin could not be). */
static int count_units(struct stream *s, const struct input *in)
{
	if (in->fmt != FMT_PARQUET)
		return 1;
	char err[1024];
	struct rows_options ropt = {0};
	struct rows *r = input_rows(in, &ropt, err, sizeof err);
	if (!r)
		die(STATUS_MALFORMED, "%s", err);
	int n = rows_units(r);
	rows_close(r);
	return n;
}

static int has_text_filters(const struct stream *s)
{
	return s->ascii_only || s->min_chars || s->max_chars != UINT64_MAX;
}

/* A field the user named that the file's schema (when it has one) lacks is
 * a usage error, caught before any row. */
static void check_field_exists(struct rows *r, const char *path, const char *field)
{
	const char *const *names, *const *types;
	int n = rows_schema(r, &names, &types);
	if (n == 0 || !rows_schema_fixed(r))
		return;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], field) == 0)
			return;
	struct buf cols = {0};
	for (int i = 0; i < n; i++) {
		buf_adds(&cols, i ? ", " : "");
		buf_adds(&cols, names[i]);
	}
	buf_addc(&cols, '\0');
	die(STATUS_USAGE, "%s: no field \"%s\" (columns: %s)", path, field, cols.data);
}

/* Streams one file; returns 0 once --take is satisfied.  The header goes
 * out before the first file's first record, once the text field is known. */
static int stream_file(struct stream *s, struct input *in, int unit_base, int unit_shard)
{
	char err[1024];
	struct rows_options ropt = {.paragraphs = s->paragraphs, .json_field = s->json_field};
	struct rows *r = input_rows(in, &ropt, err, sizeof err);
	if (!r)
		die(STATUS_MALFORMED, "%s", err);
	/* The text field: named, or by the default rule; in JSON mode only when
	 * text filters need one. */
	if (!s->text_field && (!s->json_rows || has_text_filters(s)))
		s->text_field = s->text_owned = xstrdup(default_text_field(r, in->path));
	for (int i = 0; i < s->nfields; i++)
		check_field_exists(r, in->path, s->fields[i]);
	if (s->key_field)
		check_field_exists(r, in->path, s->key_field);
	if (!s->header_written) {
		write_header(s, r);
		s->header_written = 1;
	}
	if (unit_shard)
		for (int u = 0; u < rows_units(r); u++)
			if ((uint32_t)((unit_base + u) % s->shard_n) != s->shard_i)
				rows_skip_unit(r, u);
	if (!s->json_rows || s->nfields) {
		const char **need = xcalloc((size_t)s->nfields + (size_t)s->nwheres + 3, sizeof *need);
		int nneed = 0;
		for (int i = 0; i < s->nfields; i++)
			need[nneed++] = s->fields[i];
		if (s->text_field)
			need[nneed++] = s->text_field;
		if (s->key_field)
			need[nneed++] = s->key_field;
		for (int i = 0; i < s->nwheres; i++)
			need[nneed++] = s->wheres[i].field;
		rows_select(r, need, nneed);
		free(need);
	}
	struct row row;
	int more = 1, got = 0;
	/* the ETA: the files read, and the part of this one its rows say */
	int64_t file_rows = rows_count(r), file_row = 0;
	while (more && (got = rows_next(r, &row, err, sizeof err)) > 0) {
		uint64_t index = s->rows_seen++;
		if (s->in_total)
			progress_fraction(&s->progress, ((double)s->in_done +
			                                 (file_rows > 0 ? (double)in->size * (double)++file_row / (double)file_rows : 0)) /
			                                    (double)s->in_total);
		if (s->row_shard && index % s->shard_n != s->shard_i)
			continue;
		const struct cell *text = s->text_field ? find_cell(&row, s->text_field) : NULL;
		if (!s->json_rows) {
			if (!text)
				die(STATUS_MALFORMED, "%s: row %llu has no field \"%s\"", in->path,
				    (unsigned long long)index, s->text_field);
			if (text->kind == CELL_NULL) {
				s->null_texts++;
				continue;
			}
			if (text->kind != CELL_STRING)
				die(STATUS_MALFORMED, "%s: field \"%s\" is not a string column (use --format json)",
				    in->path, s->text_field);
		} else if (text && text->kind != CELL_STRING) {
			text = NULL; /* in JSON rows, text filters pass what is not text */
		}
		if (!keep_row(s, &row, text))
			continue;
		buf_clear(&s->key);
		if (s->key_field) {
			const struct cell *k = find_cell(&row, s->key_field);
			if (k && k->kind != CELL_NULL)
				buf_add(&s->key, k->data, k->len);
		}
		const char *key = s->key_field ? s->key.data : NULL;
		if (s->json_rows) {
			render_json_row(s, &row);
			more = emit(s, key, s->key.len, s->payload.data, s->payload.len);
		} else {
			more = emit(s, key, s->key.len, text->data, text->len);
		}
	}
	if (more && got < 0)
		die(STATUS_MALFORMED, "%s", err);
	rows_close(r);
	s->in_done += in->size;
	return more;
}

static void stream(struct stream *s)
{
	if (!s->json_rows && s->nfields)
		s->text_field = s->fields[0];

	/* Shards: by file when there are enough files, else by row group, else
	 * by row (datasets' split_dataset_by_node does the same).  Assignment
	 * follows the files' listed order, so --shuffle never moves a row
	 * between shards. */
	size_t nchosen = 0;
	struct input *chosen = xcalloc(s->ninputs + 1, sizeof *chosen);
	int *unit_base = xcalloc(s->ninputs + 1, sizeof *unit_base);
	int by_file = s->sharded && s->ninputs >= s->shard_n;
	int units = 0;
	for (size_t i = 0; i < s->ninputs; i++) {
		if (by_file && i % s->shard_n != s->shard_i)
			continue;
		unit_base[nchosen] = units;
		chosen[nchosen++] = s->inputs[i];
		if (s->sharded && !by_file)
			units += count_units(s, &s->inputs[i]);
	}
	int unit_shard = s->sharded && !by_file && (uint32_t)units >= s->shard_n;
	s->row_shard = s->sharded && !by_file && !unit_shard;
	if (s->shuffled) {
		/* Permute (file, unit base) pairs together. */
		size_t *order = xcalloc(nchosen + 1, sizeof *order);
		for (size_t i = 0; i < nchosen; i++)
			order[i] = i;
		struct rng rng;
		rng_seed(&rng, s->seed);
		rng_shuffle(&rng, order, nchosen, sizeof *order);
		struct input *permuted = xcalloc(nchosen + 1, sizeof *permuted);
		int *bases = xcalloc(nchosen + 1, sizeof *bases);
		for (size_t i = 0; i < nchosen; i++) {
			permuted[i] = chosen[order[i]];
			bases[i] = unit_base[order[i]];
		}
		free(chosen);
		free(unit_base);
		free(order);
		chosen = permuted;
		unit_base = bases;
		shufbuf_init(&s->shuf, s->shuffle_buf, s->seed ^ 0x5eed5eed5eed5eedull);
	}
	s->chosen = chosen;
	s->nchosen = nchosen;
	for (size_t i = 0; i < nchosen; i++)
		s->in_total += chosen[i].size;

	int more = 1;
	for (size_t i = 0; i < nchosen && more; i++)
		more = stream_file(s, &chosen[i], unit_base[i], unit_shard);
	if (!s->header_written) {
		write_header(s, NULL);
		s->header_written = 1;
	}
	if (s->shuffled) {
		const struct shuf_item *it;
		while (more && (it = shufbuf_drain(&s->shuf)))
			more = write_record(s, it->key, it->key_len, it->payload, it->payload_len);
		shufbuf_free(&s->shuf);
	}
	if (s->null_texts && !s->quiet)
		warn("left out %llu rows whose \"%s\" is null", (unsigned long long)s->null_texts,
		     s->text_field);
	free(chosen);
	free(unit_base);
}

/* ---- inspection ---- */

static void info(struct stream *s)
{
	struct buf b = {0};
	for (size_t i = 0; i < s->ninputs; i++) {
		char err[1024];
		struct input *in = &s->inputs[i];
		struct rows_options ropt = {.paragraphs = s->paragraphs, .json_field = s->json_field};
		struct rows *r = input_rows(in, &ropt, err, sizeof err);
		if (!r)
			die(STATUS_MALFORMED, "%s", err);
		const char *const *names, *const *types;
		int n = rows_schema(r, &names, &types);
		buf_clear(&b);
		buf_adds(&b, "{\"path\":");
		jsonw_string(&b, in->path, strlen(in->path));
		buf_printf(&b, ",\"format\":\"%s\",\"size\":%llu,\"columns\":[", rows_format_name(in->fmt),
		           (unsigned long long)in->size);
		for (int c = 0; c < n; c++) {
			buf_adds(&b, c ? ",{\"name\":" : "{\"name\":");
			jsonw_string(&b, names[c], strlen(names[c]));
			buf_adds(&b, ",\"type\":");
			if (types[c])
				jsonw_string(&b, types[c], strlen(types[c]));
			else
				buf_adds(&b, "null");
			buf_addc(&b, '}');
		}
		buf_addc(&b, ']');
		if (rows_count(r) >= 0)
			buf_printf(&b, ",\"rows\":%lld,\"row_groups\":%d", (long long)rows_count(r), rows_units(r));
		buf_adds(&b, "}\n");
		write_all(1, b.data, b.len, "<stdout>");
		rows_close(r);
	}
	buf_free(&b);
}

/* ---- main ---- */

static void stream_free(struct stream *s)
{
	for (size_t i = 0; i < s->ninputs; i++) {
		free(s->inputs[i].path);
		free(s->inputs[i].open_path);
	}
	free(s->inputs);
	for (size_t i = 0; i < s->nhubs; i++)
		hfhub_close(s->hubs[i]);
	free(s->hubs);
	for (int i = 0; i < s->nfields; i++)
		free(s->fields[i]);
	free(s->fields);
	free(s->wheres);
	free(s->config_owned);
	free(s->split_owned);
	free(s->text_owned);
	buf_free(&s->payload);
	buf_free(&s->key);
}

static char **split_names(const char *arg, int *n)
{
	char **out = NULL;
	*n = 0;
	char *copy = xstrdup(arg), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		out = xrealloc(out, (size_t)(*n + 1) * sizeof *out);
		out[(*n)++] = xstrdup(t);
	}
	free(copy);
	if (*n == 0)
		cli_usage_error("--field: no field name in '%s'", arg);
	return out;
}

static void parse_shard(struct stream *s, const char *arg)
{
	cli_parse_shard(arg, "--shard", &s->shard_i, &s->shard_n);
	s->sharded = 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, 0, 'c'},
		{"split", required_argument, 0, 's'},
		{"type", required_argument, 0, 't'},
		{"paragraphs", no_argument, 0, OPT_PARAGRAPHS},
		{"json-field", required_argument, 0, OPT_JSON_FIELD},
		{"field", required_argument, 0, 'f'},
		{"format", required_argument, 0, OPT_FORMAT},
		{"key-field", required_argument, 0, 'k'},
		{"take", required_argument, 0, 'n'},
		{"skip", required_argument, 0, OPT_SKIP},
		{"shard", required_argument, 0, OPT_SHARD},
		{"shuffle", required_argument, 0, OPT_SHUFFLE},
		{"seed", required_argument, 0, OPT_SEED},
		{"output", required_argument, 0, 'o'},
		{"ascii-only", no_argument, 0, OPT_ASCII_ONLY},
		{"min-chars", required_argument, 0, OPT_MIN_CHARS},
		{"max-chars", required_argument, 0, OPT_MAX_CHARS},
		{"where", required_argument, 0, OPT_WHERE},
		{"list-configs", no_argument, 0, OPT_LIST_CONFIGS},
		{"list-splits", no_argument, 0, OPT_LIST_SPLITS},
		{"list-files", no_argument, 0, OPT_LIST_FILES},
		{"info", no_argument, 0, OPT_INFO},
		{"revision", required_argument, 0, 'r'},
		{"parquet-export", no_argument, 0, OPT_PARQUET_EXPORT},
		{"download", no_argument, 0, OPT_DOWNLOAD},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"token-env", required_argument, 0, OPT_TOKEN_ENV},
		{"timeout", required_argument, 0, OPT_TIMEOUT},
		{"retries", required_argument, 0, OPT_RETRIES},
		{"verbose", no_argument, 0, 'v'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct stream s = {.split = "train", .max_chars = UINT64_MAX, .argc = argc, .argv = argv,
	                   .hub_opts = {.retries = -1}};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	int opt, format_given = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "c:s:t:f:k:n:o:r:v" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 'c': s.config = optarg; break;
		case 's': s.split = optarg, s.split_given = 1; break;
		case 't':
			s.type = rows_format_from_name(optarg);
			if (s.type == FMT_UNKNOWN)
				cli_usage_error("--type: '%s' is not parquet, jsonl, json, csv, tsv or txt", optarg);
			break;
		case OPT_PARAGRAPHS: s.paragraphs = 1; break;
		case OPT_JSON_FIELD: s.json_field = optarg; break;
		case 'f':
			for (int i = 0; i < s.nfields; i++)
				free(s.fields[i]);
			free(s.fields);
			s.fields = split_names(optarg, &s.nfields);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				s.json_rows = 1;
			else if (strcmp(optarg, "text") != 0)
				cli_usage_error("--format: '%s' is not text or json", optarg);
			format_given = 1;
			break;
		case 'k': s.key_field = optarg; break;
		case 'n': s.take = cli_parse_u64(optarg, "--take", 0); s.taking = 1; break;
		case OPT_SKIP: s.skip = cli_parse_u64(optarg, "--skip", 0); break;
		case OPT_SHARD: parse_shard(&s, optarg); break;
		case OPT_SHUFFLE:
			s.shuffle_buf = cli_parse_u64(optarg, "--shuffle", 1);
			if (s.shuffle_buf == 0)
				cli_usage_error("--shuffle: the buffer needs at least 1 record");
			s.shuffled = 1;
			break;
		case OPT_SEED: s.seed = cli_parse_u64(optarg, "--seed", 0); break;
		case 'o': s.output = optarg; break;
		case OPT_ASCII_ONLY: s.ascii_only = 1; break;
		case OPT_MIN_CHARS: s.min_chars = cli_parse_u64(optarg, "--min-chars", 1); break;
		case OPT_MAX_CHARS: s.max_chars = cli_parse_u64(optarg, "--max-chars", 1); break;
		case OPT_WHERE: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				cli_usage_error("--where: '%s' is not FIELD=VALUE", optarg);
			*eq = '\0';
			s.wheres = xrealloc(s.wheres, (size_t)(s.nwheres + 1) * sizeof *s.wheres);
			s.wheres[s.nwheres++] = (struct where){optarg, eq + 1};
			break;
		}
		case OPT_LIST_CONFIGS: s.action = ACT_LIST_CONFIGS; break;
		case OPT_LIST_SPLITS: s.action = ACT_LIST_SPLITS; break;
		case OPT_LIST_FILES: s.action = ACT_LIST_FILES; break;
		case OPT_INFO: s.action = ACT_INFO; break;
		case 'r':
			if (!hfcache_valid_revision(optarg))
				cli_usage_error("--revision: '%s' is not a revision", optarg);
			s.revision = optarg;
			break;
		case OPT_PARQUET_EXPORT: s.parquet_export = 1; break;
		case OPT_DOWNLOAD: s.hub_opts.download = true; break;
		case OPT_OFFLINE: s.hub_opts.offline = true; break;
		case OPT_TOKEN_ENV: s.token_env = optarg; break;
		case OPT_TIMEOUT: s.hub_opts.timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: s.hub_opts.retries = cli_parse_retries(optarg, "--retries"); break;
		case 'v': s.verbose = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (optind == argc)
		cli_usage_error("no SOURCE given");
	if (s.nfields > 1) {
		if (format_given && !s.json_rows)
			cli_usage_error("several --field names make JSON rows; drop --format text");
		s.json_rows = 1;
	}
	if (s.min_chars > s.max_chars)
		cli_usage_error("--min-chars is larger than --max-chars");

	const char *off = getenv("HF_HUB_OFFLINE");
	if (off && *off && strcmp(off, "0") != 0 && strcasecmp(off, "false") != 0)
		s.hub_opts.offline = true;
	char *token = s.hub_opts.offline ? NULL : hfhub_find_token(s.token_env);
	if (s.token_env && !token && !s.hub_opts.offline)
		cli_usage_error("--token-env: $%s is not set", s.token_env);
	s.hub_opts.token = token;
	s.quiet = progress == CLI_PROGRESS_OFF; /* before the sources: resolving one may have a word to say */
	for (int i = optind; i < argc; i++)
		add_source(&s, argv[i]);
	/* Plain files and globs: one config, one split, as datasets sees them. */
	if (s.action == ACT_LIST_CONFIGS || s.action == ACT_LIST_SPLITS) {
		puts(s.action == ACT_LIST_CONFIGS ? "default" : s.split);
		stream_free(&s);
		return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
	}
	if (s.action == ACT_LIST_FILES) {
		for (size_t i = 0; i < s.ninputs; i++)
			printf("%s\t%s\t%llu\n", s.inputs[i].path, rows_format_name(s.inputs[i].fmt),
			       (unsigned long long)s.inputs[i].size);
		stream_free(&s);
		return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
	}
	if (s.action == ACT_INFO) {
		info(&s);
		stream_free(&s);
		return 0;
	}

	static struct atomic_file af = {.fd = -1}; /* lives until exit: atomic_guard */
	int fd = 1;
	if (s.output) {
		if (atomic_open(&af, s.output) != 0)
			die(STATUS_FAIL, "%s:", s.output);
		atomic_guard(&af);
		fd = af.fd;
	} else if (isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, or use -o; rec-cat shows records)");
	}
	s.w = rec_writer_fdopen(fd, s.output ? s.output : "<stdout>");
	progress_init(&s.progress, progress, 0);
	stream(&s);
	rec_write_end(s.w);
	rec_writer_free(s.w);
	progress_end(&s.progress);
	if (s.output && atomic_commit(&af) != 0)
		die(STATUS_FAIL, "%s:", s.output);
	if (s.verbose)
		for (size_t i = 0; i < s.nhubs; i++) {
			struct http_stats st;
			if (hfhub_stats(s.hubs[i], &st) == 0)
				warn("%s@%s: %llu requests, %llu retries, %llu resumed, %llu bytes", hfhub_repo(s.hubs[i]),
				     hfhub_commit(s.hubs[i]), (unsigned long long)st.requests, (unsigned long long)st.retries,
				     (unsigned long long)st.resumes, (unsigned long long)st.bytes);
		}
	stream_free(&s);
	free(token);
	return 0;
}
