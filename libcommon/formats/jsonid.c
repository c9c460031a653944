/* jsonid.c - see jsonid.h */
#include "formats/jsonid.h"

int json_id_text(const json_t *id, struct buf *out)
{
	buf_clear(out);
	if (json_is_string(id)) {
		buf_add(out, json_string_value(id), json_string_length(id));
		return 0;
	}
	if (json_is_integer(id) && json_integer_value(id) >= 0) {
		buf_printf(out, "%lld", (long long)json_integer_value(id));
		return 0;
	}
	return -1;
}
