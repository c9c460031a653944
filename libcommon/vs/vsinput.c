/* vsinput.c - see vsinput.h */
#include "vs/vsinput.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/jsonw.h"
#include "formats/jsonid.h"
#include "rec/rec.h"

static void want_dim(struct vs_input *in, size_t dim)
{
	if (dim > in->cap) {
		in->cap = dim;
		in->vec = xrealloc(in->vec, dim * sizeof *in->vec);
	}
	in->dim = dim;
}

static int parse_json(struct vs_input *in, const char *text, size_t len, int need, char *err, size_t errn)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, 0, &je);
	int rc = -1;
	if (!o)
		return errorf(err, errn, "not JSON: %s", je.text);
	if (!json_is_object(o)) {
		errorf(err, errn, "not a JSON object");
		goto out;
	}
	json_t *id = json_object_get(o, "id"), *vec = json_object_get(o, "vector"),
	       *meta = json_object_get(o, "metadata");
	if (!meta)
		meta = json_object_get(o, "payload");
	buf_clear(&in->id);
	if (id && json_id_text(id, &in->id) != 0) {
		errorf(err, errn, "\"id\" is neither a string nor a non-negative integer");
		goto out;
	}
	if (!id && (need & VS_NEED_ID)) {
		errorf(err, errn, "no \"id\"");
		goto out;
	}
	in->dim = 0;
	if (vec) {
		if (!json_is_array(vec)) {
			errorf(err, errn, "\"vector\" is not an array of numbers");
			goto out;
		}
		want_dim(in, json_array_size(vec));
		for (size_t i = 0; i < in->dim; i++) {
			json_t *x = json_array_get(vec, i);
			if (!json_is_number(x)) {
				errorf(err, errn, "\"vector\" holds a %s at index %zu",
				       json_is_null(x) ? "null" : json_is_string(x) ? "string" : "non-number", i);
				goto out;
			}
			in->vec[i] = (float)json_number_value(x);
		}
	} else if (need & VS_NEED_VECTOR) {
		errorf(err, errn, "no \"vector\"");
		goto out;
	}
	buf_clear(&in->meta);
	if (meta && !json_is_null(meta)) {
		if (!json_is_object(meta)) {
			errorf(err, errn, "\"metadata\" is not a JSON object");
			goto out;
		}
		jsonw_value(&in->meta, meta);
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int vs_input_parse(struct vs_input *in, const struct rec_frame *f, int need, char *err, size_t errn)
{
	switch (f->type) {
	case REC_VECTOR: {
		struct rec_vector v;
		rec_vector_view(f, &v);
		buf_clear(&in->id);
		if (f->key_len)
			buf_add(&in->id, f->key, f->key_len);
		else if (need & VS_NEED_ID) {
			return errorf(err, errn, "a vector record without a key (the key is the id)");
		}
		want_dim(in, v.dim);
		memcpy(in->vec, v.values, v.dim * sizeof *in->vec);
		buf_clear(&in->meta);
		if (v.meta_len) {
			json_error_t je;
			json_t *m = json_loadb(v.meta, v.meta_len, 0, &je);
			int ok = m && json_is_object(m);
			json_decref(m);
			if (!ok)
				return errorf(err, errn, "metadata is not a JSON object");
			buf_add(&in->meta, v.meta, v.meta_len);
		}
		return 0;
	}
	case REC_JSON:
	case REC_TEXT: /* a JSON line read as text */
		if (parse_json(in, (const char *)f->payload, f->payload_len, need, err, errn) != 0)
			return -1;
		if (!in->id.len && f->key_len)
			buf_add(&in->id, f->key, f->key_len);
		if (!in->id.len && (need & VS_NEED_ID))
			return errorf(err, errn, "no \"id\"");
		return 0;
	default:
		return errorf(err, errn, "a %s record where points (vector or JSON) were expected",
		              rec_type_name(f->type) ? rec_type_name(f->type) : "unknown");
	}
}

void vs_input_free(struct vs_input *in)
{
	buf_free(&in->id);
	buf_free(&in->meta);
	free(in->vec);
	memset(in, 0, sizeof *in);
}
