/* header.c - see header.h */
#include "rec/header.h"

#include <string.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "rec/rec.h"

json_t *header_new(const char *input_header, const char *kind, int argc, char **argv)
{
	json_t *h = NULL;
	if (input_header) {
		json_error_t err;
		h = json_loads(input_header, 0, &err);
		if (!h || !json_is_object(h))
			die(STATUS_MALFORMED, "input header is not a JSON object");
	} else {
		h = json_object();
	}
	json_object_set_new(h, "format", json_string("sluice-rec"));
	json_object_set_new(h, "version", json_integer(1));
	if (kind)
		json_object_set_new(h, "kind", json_string(kind));
	json_t *lineage = json_object_get(h, "lineage");
	if (!json_is_array(lineage)) {
		lineage = json_array();
		json_object_set_new(h, "lineage", lineage);
	}
	json_t *args = json_array();
	for (int i = 1; i < argc; i++) {
		/* An argument that is not UTF-8 is kept; jsonw writes its bad bytes as U+FFFD. */
		json_t *arg = json_string(argv[i]);
		if (!arg)
			arg = json_stringn_nocheck(argv[i], strlen(argv[i]));
		json_array_append_new(args, arg);
	}
	json_t *step = json_object();
	json_object_set_new(step, "prog", json_string(prog_name()));
	json_object_set_new(step, "version", json_string(SLUICE_VERSION));
	json_object_set_new(step, "args", args);
	json_array_append_new(lineage, step);
	return h;
}

void header_write(struct rec_writer *w, const json_t *h)
{
	struct buf b = {0};
	jsonw_value(&b, h);
	rec_write_header(w, b.data, b.len);
	buf_free(&b);
}

void header_set_shard(json_t *h, struct shard s)
{
	char name[32];
	if (!shard_is_whole(s))
		json_object_set_new(h, "shard", json_string(shard_name(s, name, sizeof name)));
}
