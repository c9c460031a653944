/* rec-pack - turn lines, JSON lines or whole files into a record stream. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
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
#include "base/progress.h"
#include "rec/header.h"
#include "rec/rec.h"

static const char usage[] =
	"Usage: rec-pack [OPTION]... [FILE]...\n"
	"Turn lines, JSON lines or whole files into a sluice record stream\n"
	"(sluice-rec(5)) on stdout.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Input (default: each line is one text record, without its newline):\n"
	"  -z, --null                 lines end with NUL instead of newline\n"
	"  -J, --jsonl                each line is a JSON object; its text field\n"
	"                             becomes a text record\n"
	"      --field NAME           the text field (default: text)\n"
	"      --key-field NAME       the field that becomes the record key\n"
	"      --json                 keep whole objects: JSON-row records\n"
	"      --vector-field NAME    the field holding an array of numbers: vector records\n"
	"      --metadata-field NAME  the object stored with each vector\n"
	"  -f, --files                each FILE is one text record keyed by its path;\n"
	"                             directories are walked in sorted order\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE          write FILE atomically instead of stdout\n"
	"      --progress             show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                no progress line\n"
	"  -h, --help                 show this help and exit\n"
	"      --version              show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 7 input line over the frame limit,\n"
	"8 malformed input (bad JSON, missing field, wrong vector).  See rec-pack(1).\n";

enum {
	OPT_FIELD = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_KEY_FIELD,
	OPT_JSON,
	OPT_VECTOR_FIELD,
	OPT_METADATA_FIELD,
};

enum input_mode { IN_LINES, IN_JSONL, IN_FILES };
enum output_kind { OUT_TEXT, OUT_JSON, OUT_VECTOR };

struct pack {
	enum input_mode in;
	enum output_kind out;
	int delim;
	const char *field, *key_field, *vector_field, *metadata_field;
	int argc;
	char **argv;
	struct rec_writer *w;
	int header_written;
	uint32_t dim; /* of the first vector; every vector must match */
	struct buf scratch, key;
	float *vec;
	size_t vec_cap;
	/* The -o file and its temporary, kept out of --files walks. */
	struct stat output_ids[2];
	struct progress progress;
};

static void write_header(struct pack *p)
{
	static const char *kinds[] = {[OUT_TEXT] = "text", [OUT_JSON] = "json", [OUT_VECTOR] = "vector"};
	json_t *h = header_new(NULL, kinds[p->out], p->argc, p->argv);
	if (p->out == OUT_VECTOR && p->dim) {
		json_object_set_new(h, "dtype", json_string("f32"));
		json_object_set_new(h, "dim", json_integer(p->dim));
	}
	header_write(p->w, h);
	json_decref(h);
	p->header_written = 1;
}

/* Where a bad input line is, for "rec-pack: file:offset: line N: ..." */
struct where {
	const char *input;
	uint64_t offset, line;
};

static SLUICE_NORETURN void bad(const struct where *at, const char *fmt, ...) SLUICE_PRINTF(2, 3);
static void bad(const struct where *at, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: %s:%llu: line %llu: ", prog_name(), at->input,
	        (unsigned long long)at->offset, (unsigned long long)at->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(STATUS_MALFORMED);
}

/* Sets p->key from the key field: a string as is, an integer in decimal. */
static int take_key(struct pack *p, json_t *obj, const struct where *at)
{
	buf_clear(&p->key);
	if (!p->key_field)
		return 0;
	json_t *k = json_object_get(obj, p->key_field);
	if (!k)
		bad(at, "no key field \"%s\"", p->key_field);
	if (json_is_string(k))
		buf_add(&p->key, json_string_value(k), json_string_length(k));
	else if (json_is_integer(k))
		buf_printf(&p->key, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
	else
		bad(at, "key field \"%s\" is neither a string nor an integer", p->key_field);
	if (p->key.len > REC_MAX_KEY)
		bad(at, "key of %zu bytes is over the %u-byte limit", p->key.len, REC_MAX_KEY);
	return 1;
}

static void pack_vector(struct pack *p, json_t *obj, const struct where *at)
{
	json_t *arr = json_object_get(obj, p->vector_field);
	if (!json_is_array(arr))
		bad(at, "field \"%s\" is not an array of numbers", p->vector_field);
	size_t dim = json_array_size(arr);
	if (dim == 0 || dim > (1u << 24))
		bad(at, "vector of %zu numbers (must be 1 to 16777216)", dim);
	if (p->dim && dim != p->dim)
		bad(at, "vector has %zu dimensions, earlier ones have %u", dim, p->dim);
	if (dim > p->vec_cap) {
		p->vec = xrealloc(p->vec, dim * sizeof *p->vec);
		p->vec_cap = dim;
	}
	for (size_t i = 0; i < dim; i++) {
		json_t *x = json_array_get(arr, i);
		if (!json_is_number(x))
			bad(at, "vector element %zu is not a number", i);
		float v = (float)json_number_value(x);
		if (!isfinite(v))
			bad(at, "vector element %zu is out of float range", i);
		p->vec[i] = v;
	}
	buf_clear(&p->scratch);
	if (p->metadata_field) {
		json_t *m = json_object_get(obj, p->metadata_field);
		if (m && !json_is_null(m)) {
			if (!json_is_object(m))
				bad(at, "metadata field \"%s\" is not an object", p->metadata_field);
			jsonw_value(&p->scratch, m);
		}
	}
	if (!p->dim) {
		p->dim = (uint32_t)dim;
		write_header(p);
	}
	rec_write_vector(p->w, p->key.data, p->key.len, p->vec, (uint32_t)dim, p->scratch.data,
	                 p->scratch.len);
}

static int blank(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static void pack_json_line(struct pack *p, const struct rec_frame *f, const struct where *at)
{
	if (blank(f->payload, f->payload_len))
		return;
	json_error_t err;
	json_t *obj = json_loadb((const char *)f->payload, f->payload_len, JSON_ALLOW_NUL, &err);
	if (!obj)
		bad(at, "invalid JSON: %s", err.text);
	if (!json_is_object(obj))
		bad(at, "not a JSON object");
	take_key(p, obj, at);
	switch (p->out) {
	case OUT_TEXT: {
		json_t *t = json_object_get(obj, p->field);
		if (!t)
			bad(at, "no field \"%s\" (choose one with --field)", p->field);
		if (!json_is_string(t))
			bad(at, "field \"%s\" is not a string", p->field);
		rec_write(p->w, REC_TEXT, REC_DT_NONE, p->key.data, p->key.len, json_string_value(t),
		          json_string_length(t));
		break;
	}
	case OUT_JSON:
		buf_clear(&p->scratch);
		jsonw_value(&p->scratch, obj);
		rec_write(p->w, REC_JSON, REC_DT_NONE, p->key.data, p->key.len, p->scratch.data,
		          p->scratch.len);
		break;
	case OUT_VECTOR:
		pack_vector(p, obj, at);
		break;
	}
	json_decref(obj);
}

static void pack_lines(struct pack *p, const char *path)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES_ONLY);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	rec_reader_set_delim(r, p->delim);
	struct rec_frame f;
	struct where at = {rec_reader_name(r), 0, 0};
	while (rec_next_or_die(r, &f)) {
		at.line++;
		at.offset = f.offset;
		/* Editors on some systems start UTF-8 files with a byte-order mark. */
		if (p->in == IN_JSONL && at.line == 1 && f.payload_len >= 3 &&
		    memcmp(f.payload, "\xEF\xBB\xBF", 3) == 0) {
			f.payload += 3;
			f.payload_len -= 3;
		}
		if (p->in == IN_JSONL)
			pack_json_line(p, &f, &at);
		else
			rec_write(p->w, REC_TEXT, REC_DT_NONE, NULL, 0, f.payload, f.payload_len);
		progress_add(&p->progress, f.payload_len + 1, 1);
	}
	rec_reader_close(r);
}

static void pack_file(struct pack *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(STATUS_FAIL, "%s:", path);
	buf_clear(&p->scratch);
	for (;;) {
		buf_reserve(&p->scratch, 1 << 16);
		ssize_t got = read_full(fd, p->scratch.data + p->scratch.len, p->scratch.cap - p->scratch.len);
		if (got < 0)
			die(STATUS_FAIL, "%s: read error:", path);
		if (got == 0)
			break;
		p->scratch.len += (size_t)got;
	}
	close(fd);
	size_t key_len = strlen(path);
	if (key_len > REC_MAX_KEY)
		die(STATUS_FAIL, "%s: path is over the %u-byte key limit", path, REC_MAX_KEY);
	rec_write(p->w, REC_TEXT, REC_DT_NONE, path, key_len, p->scratch.data, p->scratch.len);
	progress_add(&p->progress, p->scratch.len, 1);
}

static int skip_entry(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Named paths are read whatever they are (a user may mean /dev/stdin);
 * inside a walked directory only regular files are read, symlinked
 * directories are not followed (no loops) and FIFOs are never opened (no
 * hang), and our own output file is left out. */
static void pack_path(struct pack *p, const char *path, int named)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		die(STATUS_USAGE, "--files reads named files, not stdin");
	if (stat(path, &st) != 0) {
		if (named)
			die(STATUS_FAIL, "%s:", path);
		return; /* a dangling symlink in a tree */
	}
	for (int i = 0; !named && i < 2; i++)
		if (st.st_dev == p->output_ids[i].st_dev && st.st_ino == p->output_ids[i].st_ino)
			return;
	if (!S_ISDIR(st.st_mode)) {
		if (named || S_ISREG(st.st_mode))
			pack_file(p, path);
		return;
	}
	struct stat lst;
	if (!named && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		return;
	struct dirent **names;
	int n = scandir(path, &names, skip_entry, alphasort);
	if (n < 0)
		die(STATUS_FAIL, "%s:", path);
	struct buf child = {0};
	for (int i = 0; i < n; i++) {
		buf_clear(&child);
		buf_adds(&child, path);
		if (child.len && child.data[child.len - 1] != '/')
			buf_addc(&child, '/');
		buf_adds(&child, names[i]->d_name);
		buf_addc(&child, '\0');
		pack_path(p, child.data, 0);
		free(names[i]);
	}
	free(names);
	buf_free(&child);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"null", no_argument, 0, 'z'},
		{"jsonl", no_argument, 0, 'J'},
		{"field", required_argument, 0, OPT_FIELD},
		{"key-field", required_argument, 0, OPT_KEY_FIELD},
		{"json", no_argument, 0, OPT_JSON},
		{"vector-field", required_argument, 0, OPT_VECTOR_FIELD},
		{"metadata-field", required_argument, 0, OPT_METADATA_FIELD},
		{"files", no_argument, 0, 'f'},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct pack p = {.in = IN_LINES, .out = OUT_TEXT, .delim = '\n', .field = "text",
	                 .argc = argc, .argv = argv};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char *output = NULL;
	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	int opt, json_opts = 0, json_rows = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "zJfo:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 'z': p.delim = '\0'; break;
		case 'J': p.in = IN_JSONL; break;
		case 'f': p.in = IN_FILES; break;
		case 'o': output = optarg; break;
		case OPT_FIELD: p.field = optarg; json_opts++; break;
		case OPT_KEY_FIELD: p.key_field = optarg; json_opts++; break;
		case OPT_JSON: p.out = OUT_JSON; json_rows = 1; json_opts++; break;
		case OPT_VECTOR_FIELD: p.vector_field = optarg; p.out = OUT_VECTOR; json_opts++; break;
		case OPT_METADATA_FIELD: p.metadata_field = optarg; json_opts++; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (json_opts && p.in != IN_JSONL)
		cli_usage_error("--field, --key-field, --json, --vector-field and --metadata-field need --jsonl");
	if (json_rows && p.vector_field)
		cli_usage_error("--json and --vector-field exclude each other");
	if (p.metadata_field && !p.vector_field)
		cli_usage_error("--metadata-field goes with --vector-field");
	if (p.in == IN_FILES && p.delim != '\n')
		cli_usage_error("--null does not apply to --files");
	if (p.in == IN_FILES && optind == argc)
		cli_usage_error("--files needs at least one FILE");

	int fd = 1;
	if (output) {
		if (atomic_open(&output_file, output) != 0)
			die(STATUS_FAIL, "%s:", output);
		atomic_guard(&output_file);
		fd = output_file.fd;
		if (stat(output, &p.output_ids[0]) != 0)
			memset(&p.output_ids[0], 0, sizeof p.output_ids[0]);
		fstat(fd, &p.output_ids[1]);
	} else if (isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
	}
	p.w = rec_writer_fdopen(fd, output ? output : "<stdout>");
	int nin = argc - optind;
	progress_init(&p.progress, progress, io_total_size(nin, argv + optind));
	if (p.out != OUT_VECTOR)
		write_header(&p);
	if (nin == 0) {
		pack_lines(&p, "-");
	} else {
		for (int i = optind; i < argc; i++) {
			if (p.in == IN_FILES)
				pack_path(&p, argv[i], 1);
			else
				pack_lines(&p, argv[i]);
		}
	}
	if (!p.header_written)
		write_header(&p);
	rec_write_end(p.w);
	rec_writer_free(p.w);
	progress_end(&p.progress);
	if (output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", output);
	buf_free(&p.scratch);
	buf_free(&p.key);
	free(p.vec);
	return 0;
}
