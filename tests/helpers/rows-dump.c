/* rows-dump - test driver for the row readers: opens FILE through decomp
 * and the reader its extension names (beneath any compression extension)
 * and prints each row as one JSON object line.
 *
 *   rows-dump [-f csv|tsv|jsonl|json|txt] [-p] [-u] [-F FIELD] [-m BYTES] [-c] FILE
 *
 *   -f  reader, instead of the extension's   -p  text paragraphs
 *   -u  allow invalid UTF-8 (csv, txt)       -F  list field of a JSON object
 *   -m  the readers' row size limit          -c  print only the row count
 *
 * Errors: "rows-dump: MESSAGE" and status 1. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/decomp.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "formats/csv.h"
#include "formats/jsonrows.h"
#include "formats/textrows.h"

static int ends_with(const char *s, size_t n, const char *ext)
{
	size_t e = strlen(ext);
	return n >= e && strncmp(s + n - e, ext, e) == 0;
}

static void emit(struct outbuf *o, struct buf *b, int count_only)
{
	if (!count_only) {
		buf_addc(b, '\n');
		outbuf_write(o, b->data, b->len);
	}
	buf_clear(b);
}

int main(int argc, char **argv)
{
	io_quiet_sigpipe();
	const char *fmt = NULL, *field = NULL;
	int paragraphs = 0, allow = 0, count_only = 0, c;
	size_t max_row = 0;
	while ((c = getopt(argc, argv, "f:puF:m:c")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'p': paragraphs = 1; break;
		case 'u': allow = 1; break;
		case 'F': field = optarg; break;
		case 'm': max_row = (size_t)strtoull(optarg, NULL, 10); break;
		case 'c': count_only = 1; break;
		default: return 2;
		}
	}
	if (optind + 1 != argc)
		die(STATUS_USAGE, "usage: rows-dump [-f FORMAT] [-p] [-u] [-F FIELD] [-m BYTES] [-c] FILE");
	const char *path = argv[optind];
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	size_t stem = decomp_stem_len(name);
	if (!fmt) {
		if (ends_with(name, stem, ".csv"))
			fmt = "csv";
		else if (ends_with(name, stem, ".tsv") || ends_with(name, stem, ".tab"))
			fmt = "tsv";
		else if (ends_with(name, stem, ".jsonl") || ends_with(name, stem, ".ndjson"))
			fmt = "jsonl";
		else if (ends_with(name, stem, ".json"))
			fmt = "json";
		else
			fmt = "txt";
	}

	struct source raw, src;
	if (source_open(&raw, path) != 0)
		die(STATUS_FAIL, "%s:", path);
	char err[1024];
	if (decomp_open(&src, raw, name, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);

	struct outbuf o;
	outbuf_init(&o, 1, "stdout", 1 << 16);
	struct buf b = {0};
	uint64_t rows = 0;
	int rc;
	if (strcmp(fmt, "csv") == 0 || strcmp(fmt, "tsv") == 0) {
		struct csv_opts co = {fmt[0] == 't' ? '\t' : ',', allow, max_row};
		struct csv_reader *r;
		if (csv_open(&r, src, name, &co, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		const struct csv_field *cols = csv_columns(r), *row;
		size_t n = csv_ncols(r);
		while ((rc = csv_next(r, &row, err, sizeof err)) > 0) {
			rows++;
			if (count_only)
				continue;
			buf_addc(&b, '{');
			for (size_t k = 0; k < n; k++) {
				if (k)
					buf_addc(&b, ',');
				jsonw_string(&b, cols[k].ptr, cols[k].len);
				buf_addc(&b, ':');
				jsonw_string(&b, row[k].ptr, row[k].len);
			}
			buf_addc(&b, '}');
			emit(&o, &b, count_only);
		}
		csv_close(r);
	} else if (strcmp(fmt, "jsonl") == 0 || strcmp(fmt, "json") == 0) {
		struct jsonrows_opts jo = {fmt[4] ? JSONROWS_LINES : JSONROWS_DOCUMENT, field, max_row};
		struct jsonrows *r;
		if (jsonrows_open(&r, src, name, &jo, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		json_t *row;
		while ((rc = jsonrows_next(r, &row, err, sizeof err)) > 0) {
			rows++;
			if (count_only)
				continue;
			jsonw_value(&b, row);
			emit(&o, &b, count_only);
		}
		jsonrows_close(r);
	} else if (strcmp(fmt, "txt") == 0) {
		struct textrows_opts to = {paragraphs, allow, max_row};
		struct textrows *r;
		if (textrows_open(&r, src, name, &to, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		const char *text;
		size_t len;
		while ((rc = textrows_next(r, &text, &len, err, sizeof err)) > 0) {
			rows++;
			if (count_only)
				continue;
			buf_adds(&b, "{\"text\":");
			jsonw_string(&b, text, len);
			buf_addc(&b, '}');
			emit(&o, &b, count_only);
		}
		textrows_close(r);
	} else {
		die(STATUS_USAGE, "unknown format %s", fmt);
	}
	if (rc < 0) {
		outbuf_flush(&o);
		die(STATUS_FAIL, "%s", err);
	}
	if (count_only) {
		char line[32];
		int k = snprintf(line, sizeof line, "%llu\n", (unsigned long long)rows);
		outbuf_write(&o, line, (size_t)k);
	}
	outbuf_free(&o);
	buf_free(&b);
	return 0;
}
