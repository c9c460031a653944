/* ds-resolve - test driver for libcommon/hub/dataset.c.
 *
 *   ds-resolve [--lines] DIR            resolve a local directory
 *   ds-resolve [--lines] --readme FILE  resolve a listing read from stdin,
 *                                       "PATH" or "PATH<TAB>SIZE" a line;
 *                                       FILE may be "none"
 *   ds-resolve --find CONFIG SPLIT ...  then look up one split ("-" for
 *                                       the default config) and print its
 *                                       files, or the error
 *   ds-resolve --glob PATTERN           expand a local glob
 *   ds-resolve --match PATTERN PATH     print 1, 0 or -1 (invalid pattern)
 *   ds-resolve --script NAME [DIR]      print the loading script of the
 *                                       repository NAME whose listing is DIR
 *                                       or stdin; status 1 when it has none
 *
 * The layout is printed as JSON ({"yaml", "default", "configs": [{"name",
 * "default", "data_dir", "error", "splits": [{"name", "format", "files",
 * "sizes"}]}]}), or with --lines one line per split:
 * "CONFIG[*] SPLIT FORMAT FILE..." ('*' marks the default config) and
 * "CONFIG[*] error: MESSAGE" for a config that did not resolve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "hub/dataset.h"

static char *slurp(FILE *f, size_t *len)
{
	struct buf b = {0};
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	if (ferror(f))
		die(STATUS_FAIL, "read error");
	*len = b.len;
	buf_addc(&b, 0);
	return b.data;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *s = slurp(f, len);
	fclose(f);
	return s;
}

static void print_json(const struct ds_layout *l)
{
	struct buf b = {0};
	const struct ds_config *def = ds_find_config(l, NULL, NULL, 0);
	buf_printf(&b, "{\"yaml\":%s,\"default\":", ds_has_yaml_configs(l) ? "true" : "false");
	if (def)
		jsonw_string(&b, ds_config_name(def), strlen(ds_config_name(def)));
	else
		buf_adds(&b, "null");
	buf_adds(&b, ",\"configs\":[");
	for (size_t i = 0; i < ds_config_count(l); i++) {
		const struct ds_config *c = ds_config_at(l, i);
		buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
		jsonw_string(&b, ds_config_name(c), strlen(ds_config_name(c)));
		buf_printf(&b, ",\"default\":%s,\"data_dir\":", ds_config_is_default(c) ? "true" : "false");
		if (ds_config_data_dir(c))
			jsonw_string(&b, ds_config_data_dir(c), strlen(ds_config_data_dir(c)));
		else
			buf_adds(&b, "null");
		buf_adds(&b, ",\"error\":");
		if (ds_config_error(c))
			jsonw_string(&b, ds_config_error(c), strlen(ds_config_error(c)));
		else
			buf_adds(&b, "null");
		buf_adds(&b, ",\"splits\":[");
		for (size_t k = 0; k < ds_split_count(c); k++) {
			const struct ds_split *s = ds_split_at(c, k);
			buf_adds(&b, k ? ",{\"name\":" : "{\"name\":");
			jsonw_string(&b, ds_split_name(s), strlen(ds_split_name(s)));
			buf_printf(&b, ",\"format\":\"%s\",\"files\":[", ds_format_name(ds_split_format(s)));
			for (size_t f = 0; f < ds_split_file_count(s); f++) {
				if (f)
					buf_addc(&b, ',');
				const char *p = ds_split_file(s, f)->path;
				jsonw_string(&b, p, strlen(p));
			}
			buf_adds(&b, "],\"sizes\":[");
			for (size_t f = 0; f < ds_split_file_count(s); f++)
				buf_printf(&b, "%s%llu", f ? "," : "", (unsigned long long)ds_split_file(s, f)->size);
			buf_adds(&b, "]}");
		}
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]}\n");
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

static void print_lines(const struct ds_layout *l)
{
	for (size_t i = 0; i < ds_config_count(l); i++) {
		const struct ds_config *c = ds_config_at(l, i);
		const char *mark = ds_config_is_default(c) ? "*" : "";
		if (ds_config_error(c))
			printf("%s%s error: %s\n", ds_config_name(c), mark, ds_config_error(c));
		for (size_t k = 0; k < ds_split_count(c); k++) {
			const struct ds_split *s = ds_split_at(c, k);
			printf("%s%s %s %s", ds_config_name(c), mark, ds_split_name(s), ds_format_name(ds_split_format(s)));
			for (size_t f = 0; f < ds_split_file_count(s); f++)
				printf(" %s", ds_split_file(s, f)->path);
			putchar('\n');
		}
	}
}

/* "PATH" or "PATH\tSIZE" lines into a listing. */
static struct ds_file *read_listing(size_t *n)
{
	size_t len;
	char *text = slurp(stdin, &len);
	struct ds_file *files = NULL;
	*n = 0;
	for (char *line = text, *next; line < text + len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		next = nl ? nl + 1 : text + len;
		if (nl)
			*nl = '\0';
		if (!*line)
			continue;
		files = xrealloc(files, (*n + 1) * sizeof *files);
		char *tab = strchr(line, '\t');
		files[*n].size = tab ? strtoull(tab + 1, NULL, 10) : 0;
		if (tab)
			*tab = '\0';
		files[*n].path = xstrdup(line);
		(*n)++;
	}
	free(text);
	return files;
}

static const char usage[] =
	"usage: ds-resolve [--lines] [--find CONFIG SPLIT] (DIR | --readme FILE < LISTING), or --script NAME [DIR]";

int main(int argc, char **argv)
{
	char err[1024];
	int lines = 0;
	const char *find_config = NULL, *find_split = NULL, *readme_path = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--lines") == 0) {
			lines = 1;
		} else if (strcmp(argv[i], "--find") == 0 && i + 2 < argc) {
			find_config = argv[++i];
			find_split = argv[++i];
		} else if (strcmp(argv[i], "--readme") == 0 && i + 1 < argc) {
			readme_path = argv[++i];
		} else if (strcmp(argv[i], "--match") == 0 && i + 2 < argc) {
			printf("%d\n", ds_glob_match(argv[i + 1], argv[i + 2]));
			return 0;
		} else if (strcmp(argv[i], "--script") == 0 && i + 1 < argc && i + 3 >= argc) {
			struct ds_file *files;
			size_t n;
			if (i + 2 == argc)
				files = read_listing(&n);
			else if (ds_list_local(argv[i + 2], &files, &n, err, sizeof err) < 0)
				die(STATUS_FAIL, "%s", err);
			const char *script = ds_script_path(argv[i + 1], files, n);
			if (script)
				puts(script);
			ds_files_free(files, n);
			return script ? 0 : 1;
		} else if (strcmp(argv[i], "--glob") == 0 && i + 1 < argc) {
			struct ds_file *files;
			size_t n;
			if (ds_glob_local(argv[i + 1], &files, &n, err, sizeof err) < 0)
				die(STATUS_FAIL, "%s", err);
			for (size_t k = 0; k < n; k++)
				printf("%s\t%llu\n", files[k].path, (unsigned long long)files[k].size);
			ds_files_free(files, n);
			return 0;
		} else {
			die(STATUS_USAGE, "%s", usage);
		}
	}
	struct ds_file *files;
	size_t nfiles, readme_len = 0;
	char *readme = NULL;
	if (readme_path) {
		if (i != argc)
			die(STATUS_USAGE, "--readme takes the listing on stdin, not a directory");
		files = read_listing(&nfiles);
		if (strcmp(readme_path, "none") != 0 && !(readme = read_file(readme_path, &readme_len)))
			die(STATUS_FAIL, "%s:", readme_path);
	} else {
		if (i + 1 != argc)
			die(STATUS_USAGE, "%s", usage);
		if (ds_list_local(argv[i], &files, &nfiles, err, sizeof err) < 0)
			die(STATUS_FAIL, "%s", err);
		struct buf p = {0};
		buf_printf(&p, "%s/README.md", argv[i]);
		buf_addc(&p, 0);
		readme = read_file(p.data, &readme_len);
		buf_free(&p);
	}
	struct ds_layout *l = ds_resolve(readme, readme_len, files, nfiles, err, sizeof err);
	ds_files_free(files, nfiles);
	free(readme);
	if (!l)
		die(STATUS_FAIL, "%s", err);
	int status = 0;
	if (find_config) {
		const struct ds_config *c = ds_find_config(l, strcmp(find_config, "-") ? find_config : NULL, err, sizeof err);
		const struct ds_split *s = c ? ds_find_split(c, find_split, err, sizeof err) : NULL;
		if (!s) {
			fprintf(stderr, "%s: %s\n", prog_name(), err);
			status = 1;
		} else {
			printf("%s %s %s", ds_config_name(c), ds_split_name(s), ds_format_name(ds_split_format(s)));
			for (size_t f = 0; f < ds_split_file_count(s); f++)
				printf(" %s", ds_split_file(s, f)->path);
			putchar('\n');
		}
	} else if (lines) {
		print_lines(l);
	} else {
		print_json(l);
	}
	ds_free(l);
	return status;
}
