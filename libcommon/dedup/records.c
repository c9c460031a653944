/* records.c - the records rec-dedup's stages read (records.h). */
#include "dedup/records.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/le.h"

void dedup_input_init(struct dedup_input *in, int n, const int *fds, char **names, struct progress *progress)
{
	memset(in, 0, sizeof *in);
	in->n = n;
	in->fds = fds;
	in->names = names;
	in->progress = progress;
	in->digest = XXH3_createState();
	if (!in->digest)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(in->digest);
	in->records = (struct shard){0, 1};
}

void dedup_input_cut(struct dedup_input *in, struct shard records)
{
	in->records = records;
}

static const char *kind_name(int type)
{
	return type == REC_JSON ? "JSON-row" : "text";
}

static void check_kind(struct dedup_input *in, int type, const char *name, uint64_t at)
{
	if (type != REC_TEXT && type != REC_JSON)
		die_at(STATUS_MALFORMED, name, at, "a %s record: rec-dedup reads text or JSON-row records",
		       rec_type_name(type) ? rec_type_name(type) : "unknown");
	if (in->kind && in->kind != type)
		die_at(STATUS_MALFORMED, name, at, "%s records after %s records: one output holds one kind",
		       kind_name(type), kind_name(in->kind));
	in->kind = type;
}

int dedup_input_next(struct dedup_input *in, struct rec_frame *f, const char **name)
{
	for (;;) {
		if (!in->reader) {
			if (in->at >= in->n)
				return 0;
			int fd = dup(in->fds[in->at]);
			if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
				die(STATUS_FAIL, "%s:", in->names[in->at]);
			in->reader = rec_reader_fdopen(fd, in->names[in->at], REC_READ_LINES);
			if (!in->reader)
				die(STATUS_FAIL, "%s:", in->names[in->at]);
			in->last_offset = 0;
		}
		const char *nm = rec_reader_name(in->reader);
		while (rec_next_or_die(in->reader, f) > 0) {
			if (f->type == REC_HEADER) {
				if (!in->header)
					in->header = xstrdup(rec_reader_header(in->reader));
				continue;
			}
			if (f->type == REC_END)
				continue;
			check_kind(in, f->type, nm, f->offset);
			uint64_t now = rec_reader_offset(in->reader);
			if (in->progress)
				progress_add(in->progress, now - in->last_offset, 1);
			in->last_offset = now;
			if (!shard_takes(in->records, in->seen++))
				continue;
			in->read++;
			if (!in->caller_hashes)
				dedup_input_add_hash(in, dedup_record_hash(f->type, f->key, f->key ? f->key_len : 0,
				                                           (const char *)f->payload, f->payload_len));
			*name = in->names[in->at];
			return 1;
		}
		rec_reader_close(in->reader);
		in->reader = NULL;
		in->at++;
	}
}

void dedup_input_close(struct dedup_input *in)
{
	if (in->reader)
		rec_reader_close(in->reader);
	free(in->header);
	XXH3_freeState(in->digest);
	memset(in, 0, sizeof *in);
}

int dedup_record_text(int type, const char *payload, size_t len, const char *field, const char **text,
                      size_t *text_len, json_t **row, char *why, size_t whyn)
{
	*row = NULL;
	if (type != REC_JSON) {
		*text = payload;
		*text_len = len;
		return 0;
	}
	json_error_t jerr;
	json_t *obj = json_loadb(payload, len, JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(obj)) {
		errorf(why, whyn, "%s", obj ? "not a JSON object" : jerr.text);
		json_decref(obj);
		return -1;
	}
	json_t *t = json_object_get(obj, field);
	if (!t) {
		errorf(why, whyn, "no field \"%s\" (choose the text with --field)", field);
		json_decref(obj);
		return -1;
	}
	if (json_is_null(t)) {
		*text = "";
		*text_len = 0;
	} else if (json_is_string(t)) {
		*text = json_string_value(t);
		*text_len = json_string_length(t);
	} else {
		errorf(why, whyn, "field \"%s\" is not a string", field);
		json_decref(obj);
		return -1;
	}
	*row = obj;
	return 0;
}

uint64_t dedup_record_hash(int type, const char *key, size_t key_len, const char *payload, size_t payload_len)
{
	return XXH3_64bits_withSeed(payload, payload_len, XXH3_64bits_withSeed(key, key_len, (uint64_t)type));
}

void dedup_input_hash_elsewhere(struct dedup_input *in)
{
	in->caller_hashes = 1;
}

/* The hashes go into the digest in batches: XXH3's streaming state copies
 * small pieces into a buffer of its own first. */
static void flush_hashes(struct dedup_input *in)
{
	unsigned char bytes[sizeof in->pending];
	for (size_t i = 0; i < in->npending; i++)
		le_put64(bytes + 8 * i, in->pending[i]);
	XXH3_64bits_update(in->digest, bytes, 8 * in->npending);
	in->npending = 0;
}

void dedup_input_add_hash(struct dedup_input *in, uint64_t hash)
{
	if (in->npending == sizeof in->pending / sizeof in->pending[0])
		flush_hashes(in);
	in->pending[in->npending++] = hash;
}

uint64_t dedup_input_digest(struct dedup_input *in)
{
	flush_hashes(in);
	return XXH3_64bits_digest(in->digest);
}
