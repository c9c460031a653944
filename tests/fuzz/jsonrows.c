/* tests/fuzz/jsonrows.c - libFuzzer target for the JSON row reader (JSON
 * lines, array and object documents) and, beneath it, the text line
 * reader and the decompressors.
 *
 * The first byte picks the mode (lines, document, or by a .json or
 * .jsonl name), a list field name, a small row limit and the read size, so
 * rows split across refills are exercised on small inputs; each row is
 * written back out as JSON so every value is visited.  The whole input is
 * also given to the fast row parser alone: whatever it accepts, jansson
 * must accept as an equal value (or the process aborts). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/buf.h"
#include "chunky.h"
#include "base/decomp.h"
#include "base/jsonw.h"
#include "formats/jsonrows.h"
#include "formats/textrows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (utf8_valid(data + 1, size - 1)) {
		json_t *fast = jsonrows_fast_parse((const char *)data + 1, size - 1);
		if (fast) {
			json_t *ref = json_loadb((const char *)data + 1, size - 1, JSON_ALLOW_NUL, NULL);
			if (!ref || !json_equal(fast, ref))
				abort();
			json_decref(ref);
			json_decref(fast);
		}
	}
	unsigned opt = data[0];
	data++;
	size--;
	static const size_t steps[] = {1, 3, 64, 1 << 20};
	static const char *const names[] = {"fuzz.jsonl", "fuzz.json", "fuzz.json.gz", "fuzz"};
	static const enum jsonrows_mode modes[] = {JSONROWS_AUTO, JSONROWS_LINES, JSONROWS_DOCUMENT,
	                                           JSONROWS_AUTO};
	const char *name = names[(opt >> 2) & 3];
	struct source d;
	char err[512];
	if (decomp_open(&d, chunky_open(data, size, steps[opt & 3]), name, err, sizeof err) != 0)
		return 0;
	struct jsonrows_opts o = {modes[(opt >> 4) & 3], (opt & 64) ? "data" : NULL,
	                          (opt & 128) ? 300 : 0};
	struct jsonrows *j;
	if (jsonrows_open(&j, d, name, &o, err, sizeof err) == 0) {
		struct buf b = {0};
		json_t *row;
		while (jsonrows_next(j, &row, err, sizeof err) > 0) {
			buf_clear(&b);
			jsonw_value(&b, row);
		}
		buf_free(&b);
		jsonrows_close(j);
	}
	/* The same bytes as text, in paragraphs mode. */
	struct textrows *t;
	struct textrows_opts to = {1, (opt & 1) != 0, (opt & 128) ? 300 : 0};
	if (textrows_open(&t, chunky_open(data, size, steps[(opt >> 2) & 3]), "fuzz", &to, err,
	                  sizeof err) == 0) {
		const char *s;
		size_t n;
		volatile uint64_t sink = 0;
		while (textrows_next(t, &s, &n, err, sizeof err) > 0)
			for (size_t i = 0; i < n; i++)
				sink += (unsigned char)s[i];
		(void)sink;
		textrows_close(t);
	}
	return 0;
}
