/* resolve.c - SOURCE operands to the files to read: local files, globs and
 * directories, Hub datasets and their parquet export. */
#define _GNU_SOURCE
#include "hub/resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "hub/dataset.h"
#include "hub/urlsrc.h"
#include "net/http.h"

static void add_input(struct hub_sources *s, const char *path, enum rows_format fmt)
{
	struct stat st;
	s->inputs = xrealloc(s->inputs, (s->ninputs + 1) * sizeof *s->inputs);
	struct hub_input *in = &s->inputs[s->ninputs++];
	in->path = xstrdup(path);
	in->open_path = NULL;
	in->hub = NULL;
	in->remote = NULL;
	in->etag = NULL;
	in->fmt = fmt != FMT_UNKNOWN ? fmt : rows_format_of_path(path);
	in->size = strcmp(path, "-") != 0 && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
	/* Say now, with status 1, what would otherwise surface as a reader error. */
	if (strcmp(path, "-") != 0 && access(path, R_OK) != 0)
		die(STATUS_FAIL, "%s:", path);
	if (in->fmt == FMT_UNKNOWN)
		die(STATUS_USAGE, "%s: cannot tell the format from the name; give --type", path);
}

/* A file of a Hub dataset, by its repo path. */
static void add_hub_input(struct hub_sources *s, struct hfhub *hub, const struct ds_file *f, enum rows_format fmt)
{
	s->inputs = xrealloc(s->inputs, (s->ninputs + 1) * sizeof *s->inputs);
	struct hub_input *in = &s->inputs[s->ninputs++];
	struct buf name = {0};
	buf_printf(&name, "hf://datasets/%s@%s/%s", hfhub_repo(hub), hfhub_commit(hub), f->path);
	buf_addc(&name, 0);
	in->path = name.data;
	in->open_path = xstrdup(f->path);
	in->fmt = fmt != FMT_UNKNOWN ? fmt : rows_format_of_path(f->path);
	in->size = f->size;
	in->hub = hub;
	in->remote = NULL;
	in->etag = NULL;
	if (in->fmt == FMT_UNKNOWN)
		die(STATUS_USAGE, "%s: cannot tell the format from the name; give --type", in->path);
}

/* A file named by URL (s3://, http(s)://). */
static void add_url_input(struct hub_sources *s, const struct urlsrc_file *f)
{
	s->inputs = xrealloc(s->inputs, (s->ninputs + 1) * sizeof *s->inputs);
	struct hub_input *in = &s->inputs[s->ninputs++];
	*in = (struct hub_input){.path = xstrdup(f->url), .size = f->size, .remote = s->urls,
	                         .etag = f->etag ? xstrdup(f->etag) : NULL};
	/* the format by the name's path, without a query (?download=1) */
	char *bare = xstrndup(f->url, strcspn(f->url, "?#"));
	in->fmt = s->type != FMT_UNKNOWN ? s->type : rows_format_of_path(bare);
	free(bare);
	if (in->fmt == FMT_UNKNOWN)
		die(STATUS_USAGE, "%s: cannot tell the format from the name; give --type", in->path);
}

static void add_urls(struct hub_sources *s, const char *src)
{
	if (!s->urls) {
		struct urlsrc_opts uo = {.timeout = s->hub_opts.timeout, .retries = s->hub_opts.retries,
		                         .no_sign = s->no_sign};
		s->urls = urlsrc_new(&uo);
	}
	struct urlsrc_file *files;
	size_t n;
	char err[1024];
	if (urlsrc_expand(s->urls, src, &files, &n, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	for (size_t i = 0; i < n; i++)
		add_url_input(s, &files[i]);
	urlsrc_files_free(files, n);
}

/* The open hooks of a remote input (a Hub file or a URL).  A file that
 * cannot be fetched is an I/O error, not a malformed one: rows_open says
 * which by *status. */
static int remote_random(void *ctx, const char *path, struct pq_source *out, char *err, size_t errn)
{
	const struct hub_input *in = ctx;
	return in->hub ? hfhub_open_random(in->hub, path, out, err, errn)
	               : urlsrc_open_random(in->remote, path, out, err, errn);
}

static int remote_stream(void *ctx, const char *path, struct source *out, char *err, size_t errn)
{
	const struct hub_input *in = ctx;
	return in->hub ? hfhub_open_stream(in->hub, path, out, err, errn)
	               : urlsrc_open_stream(in->remote, path, out, err, errn);
}

struct rows *hub_input_rows(const struct hub_input *in, struct rows_options *ropt, int *status, char *err,
                            size_t errn)
{
	ropt->name = in->path;
	if (in->hub || in->remote) {
		ropt->open_random = remote_random;
		ropt->open_stream = remote_stream;
		ropt->open_ctx = (void *)in;
	}
	struct rows *r = rows_open(in->open_path ? in->open_path : in->path, in->fmt, ropt, status, err, errn);
	ropt->open_random = NULL, ropt->open_stream = NULL, ropt->open_ctx = NULL;
	return r;
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
 * resolved like `datasets`.  The layout (to ds_free) and the chosen split;
 * or, when s->listing asks for the configs or splits, NULL with them in
 * s->answer. */
static struct ds_layout *resolve_split(struct hub_sources *s, const char *dir, const char *readme, size_t readme_len,
                                       const struct ds_file *files, size_t nfiles, const struct ds_split **split)
{
	char err[1024];
	struct ds_layout *layout = ds_resolve(readme, readme_len, files, nfiles, err, sizeof err);
	if (!layout)
		die(STATUS_MALFORMED, "%s: %s", dir, err);
	if (s->listing == HUB_LIST_CONFIGS) {
		for (size_t i = 0; i < ds_config_count(layout); i++) {
			const struct ds_config *c = ds_config_at(layout, i);
			buf_printf(&s->answer, "%s%s\n", ds_config_name(c), ds_config_is_default(c) ? " (default)" : "");
		}
		s->answered = 1;
		ds_free(layout);
		return NULL;
	}
	const struct ds_config *c = ds_find_config(layout, s->config, err, sizeof err);
	if (!c)
		die(STATUS_USAGE, "%s: %s", dir, err);
	if (s->listing == HUB_LIST_SPLITS) {
		for (size_t i = 0; i < ds_split_count(c); i++)
			buf_printf(&s->answer, "%s\n", ds_split_name(ds_split_at(c, i)));
		s->answered = 1;
		ds_free(layout);
		return NULL;
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
static void add_directory(struct hub_sources *s, const char *dir)
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
	 * .tsv): each file is read by its own extension.  (No layout: the
	 * configs or splits were listed instead.) */
	for (size_t i = 0; layout && i < ds_split_file_count(sp); i++) {
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
static void add_hub_export(struct hub_sources *s, const char *src, struct hfhub *hub, const char *rev, const char *script,
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
	if (s->listing == HUB_LIST_CONFIGS) {
		for (size_t i = 0; i < npairs; i++)
			if (!i || strcmp(configs[i], configs[i - 1]) != 0)
				buf_printf(&s->answer, "%s%s\n", configs[i],
				           config && strcmp(configs[i], config) == 0 ? " (default)" : "");
		s->answered = 1;
		hfhub_pairs_free(configs, splits, npairs);
		return;
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
	if (s->listing == HUB_LIST_SPLITS) {
		for (size_t i = 0; i < npairs; i++)
			if (strcmp(configs[i], config) == 0)
				buf_printf(&s->answer, "%s\n", splits[i]);
		s->answered = 1;
		hfhub_pairs_free(configs, splits, npairs);
		buf_free(&names);
		return;
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
static void add_hub(struct hub_sources *s, const char *src, struct hfhub_ref *ref)
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
	for (size_t i = 0; layout && i < ds_split_file_count(sp); i++) {
		const struct ds_file *f = ds_split_file(sp, i);
		add_hub_input(s, hub, f, s->type != FMT_UNKNOWN ? s->type : format_of_ds(ds_path_format(f->path)));
	}
	ds_free(layout);
	free(readme);
}

void hub_sources_add(struct hub_sources *s, const char *src)
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
	if (urlsrc_is_url(src)) {
		add_urls(s, src);
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

/* ---- inspection ---- */

void hub_sources_info(const struct hub_sources *s, int paragraphs, const char *json_field)
{
	struct buf b = {0};
	for (size_t i = 0; i < s->ninputs; i++) {
		char err[1024];
		const struct hub_input *in = &s->inputs[i];
		struct rows_options ropt = {.paragraphs = paragraphs, .json_field = json_field};
		int status;
		struct rows *r = hub_input_rows(in, &ropt, &status, err, sizeof err);
		if (!r)
			die(status, "%s", err);
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

void hub_sources_report(const struct hub_sources *s)
{
	for (size_t i = 0; i < s->nhubs; i++) {
		struct http_stats st;
		if (hfhub_stats(s->hubs[i], &st) == 0)
			warn("%s@%s: %llu requests, %llu retries, %llu resumed, %llu bytes", hfhub_repo(s->hubs[i]),
			     hfhub_commit(s->hubs[i]), (unsigned long long)st.requests, (unsigned long long)st.retries,
			     (unsigned long long)st.resumes, (unsigned long long)st.bytes);
	}
	struct http_stats st;
	if (s->urls && urlsrc_stats(s->urls, &st))
		warn("URLs: %llu requests, %llu retries, %llu resumed, %llu bytes", (unsigned long long)st.requests,
		     (unsigned long long)st.retries, (unsigned long long)st.resumes, (unsigned long long)st.bytes);
}

void hub_sources_free(struct hub_sources *s)
{
	for (size_t i = 0; i < s->ninputs; i++) {
		free(s->inputs[i].path);
		free(s->inputs[i].open_path);
		free(s->inputs[i].etag);
	}
	free(s->inputs);
	for (size_t i = 0; i < s->nhubs; i++)
		hfhub_close(s->hubs[i]);
	free(s->hubs);
	urlsrc_free(s->urls);
	free(s->config_owned);
	free(s->split_owned);
	buf_free(&s->answer);
}
