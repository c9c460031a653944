/* pq-dump - the parquet reader's test driver: prints each row of a parquet
 * file as one JSON object line, or with --info its fields, types, row
 * groups and rows.
 *
 *   pq-dump FILE [COL,COL...]   rows as JSON lines (strings escaped,
 *                               binary as base64, nested values as JSON)
 *   pq-dump --info FILE         "rows N", "row_groups K", a "field NAME: TYPE"
 *                               line per field and "row_group I: N rows" lines
 *   pq-dump --ranges FILE       "RG FIELD OFFSET LENGTH" per column chunk
 *   pq-dump --memory FILE ...   read through an in-memory source instead
 *   pq-dump --text FILE COL     the raw bytes of each cell of one column and
 *                               a newline (null cells are empty): the
 *                               decode-speed benchmark's extraction
 *
 * Errors are the reader's one-line messages and exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "formats/parquet.h"

static void flush(struct buf *b)
{
	if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
		die(STATUS_FAIL, "write error:");
	buf_clear(b);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		die(STATUS_FAIL, "%s:", path);
	struct buf b = {0};
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0)
		buf_add(&b, tmp, n);
	if (ferror(fp))
		die(STATUS_FAIL, "%s:", path);
	fclose(fp);
	*len = b.len;
	return b.data;
}

int main(int argc, char **argv)
{
	int info = 0, ranges = 0, memory = 0, text = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--info"))
			info = 1;
		else if (!strcmp(argv[i], "--ranges"))
			ranges = 1;
		else if (!strcmp(argv[i], "--memory"))
			memory = 1;
		else if (!strcmp(argv[i], "--text"))
			text = 1;
		else
			die(STATUS_USAGE, "unknown option %s", argv[i]);
	}
	if (i >= argc || argc - i > 2)
		die(STATUS_USAGE, "usage: pq-dump [--info|--ranges] [--memory] FILE [COL,COL...]");
	const char *path = argv[i];
	char err[512];
	struct pq_source src;
	char *mem = NULL;
	if (memory) {
		size_t len;
		mem = slurp(path, &len);
		pq_source_memory(&src, mem, len, path);
	} else if (pq_open_path(&src, path, err, sizeof err)) {
		die(STATUS_FAIL, "%s", err);
	}
	struct pq_file *f = pq_open(&src, err, sizeof err);
	if (!f)
		die(STATUS_FAIL, "%s", err);
	struct buf out = {0};
	if (info) {
		buf_printf(&out, "rows %lld\nrow_groups %d\n", (long long)pq_num_rows(f), pq_num_row_groups(f));
		for (int k = 0; k < pq_num_fields(f); k++)
			buf_printf(&out, "field %s: %s\n", pq_field_name(f, k), pq_field_type(f, k));
		for (int rg = 0; rg < pq_num_row_groups(f); rg++)
			buf_printf(&out, "row_group %d: %lld rows\n", rg, (long long)pq_row_group_rows(f, rg));
		flush(&out);
	} else if (text) {
		int k = i + 1 < argc ? pq_field_index(f, argv[i + 1]) : -1;
		if (k < 0)
			die(STATUS_USAGE, "--text needs one column of %s", path);
		for (int rg = 0; rg < pq_num_row_groups(f); rg++) {
			struct pq_cells c;
			if (pq_read_field(f, rg, k, &c, err, sizeof err))
				die(STATUS_FAIL, "%s", err);
			/* the cells are contiguous: write them in runs, a newline after each */
			for (int64_t r = 0; r < c.n; r++) {
				buf_add(&out, c.data + c.offsets[r], (size_t)(c.offsets[r + 1] - c.offsets[r]));
				buf_addc(&out, '\n');
				if (out.len > (1 << 20))
					flush(&out);
			}
		}
		flush(&out);
	} else if (ranges) {
		for (int rg = 0; rg < pq_num_row_groups(f); rg++)
			for (int k = 0; k < pq_num_fields(f); k++) {
				struct pq_range r[64];
				int n = pq_field_ranges(f, rg, k, r, 64);
				for (int j = 0; j < n && j < 64; j++)
					buf_printf(&out, "%d %s %llu %llu\n", rg, pq_field_name(f, k),
					           (unsigned long long)r[j].offset, (unsigned long long)r[j].length);
			}
		flush(&out);
	} else {
		int nsel = 0;
		int *sel = xmalloc(sizeof(int) * (size_t)(pq_num_fields(f) + 1));
		if (i + 1 < argc) {
			char *list = xstrdup(argv[i + 1]);
			char *save = NULL;
			int cap = pq_num_fields(f) + 1;
			for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int k = pq_field_index(f, tok);
				if (k < 0)
					die(STATUS_FAIL, "%s: no field %s", path, tok);
				if (nsel >= cap) {
					cap *= 2;
					sel = xrealloc(sel, sizeof(int) * (size_t)cap);
				}
				sel[nsel++] = k;
			}
			free(list);
		} else {
			for (int k = 0; k < pq_num_fields(f); k++)
				sel[nsel++] = k;
		}
		struct pq_cells *cells = xcalloc((size_t)(nsel ? nsel : 1), sizeof *cells);
		for (int rg = 0; rg < pq_num_row_groups(f); rg++) {
			for (int k = 0; k < nsel; k++)
				if (pq_read_field(f, rg, sel[k], &cells[k], err, sizeof err))
					die(STATUS_FAIL, "%s", err);
			int64_t n = pq_row_group_rows(f, rg);
			for (int64_t r = 0; r < n; r++) {
				buf_addc(&out, '{');
				for (int k = 0; k < nsel; k++) {
					const struct pq_cells *c = &cells[k];
					const char *name = pq_field_name(f, sel[k]);
					if (k)
						buf_addc(&out, ',');
					jsonw_string(&out, name, strlen(name));
					buf_addc(&out, ':');
					const char *p = c->data + c->offsets[r];
					size_t len = (size_t)(c->offsets[r + 1] - c->offsets[r]);
					if (c->is_null[r])
						buf_adds(&out, "null");
					else if (c->kind == PQ_CELLS_STRING)
						jsonw_string(&out, p, len);
					else if (c->kind == PQ_CELLS_BINARY) {
						buf_addc(&out, '"');
						base64_encode(&out, (const unsigned char *)p, len);
						buf_addc(&out, '"');
					} else
						buf_add(&out, p, len);
				}
				buf_adds(&out, "}\n");
				if (out.len > (1 << 20))
					flush(&out);
			}
		}
		flush(&out);
		free(cells);
		free(sel);
	}
	buf_free(&out);
	pq_close(f);
	pq_source_close(&src);
	free(mem);
	if (fflush(stdout) == EOF)
		die(STATUS_FAIL, "write error:");
	return 0;
}
