/* tests/fuzz/vfilter.c - libFuzzer target for Qdrant filters (vfilter.h):
 * any bytes as filter text, compiled, matched against a few fixed points
 * (edge-case payloads: missing fields, null, [], nested arrays, no payload)
 * and freed, so that no filter reads out of bounds, recurses without limit
 * or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vs/vfilter.h"

static const char *const payloads[] = {
	"{\"a\": 1, \"b\": \"x\", \"c\": [1, 2.5, \"y\", null], \"d\": {\"e\": true}}",
	"{\"a\": null, \"b\": [], \"c\": [[1], {\"x\": 1}], \"arr\": [{\"a\": 1, \"b\": [2]}, {\"a\": \"z\"}, 3]}",
	"{\"d\": [{\"e\": [{\"f\": 1}]}], \"x y\": {\"b\": 1.0}, \"\": 0}",
	"{}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char err[256];
	struct vfilter *f = vfilter_parse((const char *)data, size, err, sizeof err);
	if (!f)
		return 0;
	static const char *const ids[] = {"1", "x", "5", ""};
	for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
		json_t *p = json_loads(payloads[i], 0, NULL);
		vfilter_match(f, ids[i], strlen(ids[i]), p);
		json_decref(p);
	}
	vfilter_match(f, "7", 1, NULL);
	vfilter_needs_payload(f);
	const char *const *list;
	long n = vfilter_only_ids(f, &list);
	for (long i = 0; i < n; i++)
		if (strlen(list[i]) > size) /* every id came from the text */
			abort();
	vfilter_free(f);
	return 0;
}
