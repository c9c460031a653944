/* wds.c - see wds.h */
#include "wds/wds.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/le.h"

#define WDS_INBUF (1u << 20)

/* Where a part lies in the shard's buffers while its sample is read:
 * offsets, since the buffers move as they grow. */
struct part_at {
	size_t ext, ext_len;       /* in names */
	size_t member;             /* in names */
	size_t layout, layout_len; /* in layout */
	size_t data, len;          /* in layout */
	uint64_t offset;
};

struct wds_shard {
	struct archive *a;
	struct source src;
	char *name;
	unsigned char *inbuf;
	struct wds_opts opts;
	int opened, done;
	char src_err[512]; /* what the source said when a read failed */

	/* The member read ahead: its header has been read, its data not. */
	int have_pending;
	struct buf pending; /* its name */
	struct buf ext;     /* its extension, lower-cased */
	size_t pending_key_len, pending_ext_len;
	uint64_t pending_offset;

	/* The sample being gathered. */
	int have_key;
	struct buf key;
	uint64_t key_offset;
	struct buf layout, names;
	struct part_at *at;
	size_t nparts, cap_parts;
	struct buf seen; /* every extension of the sample, NUL-separated */
	int dropping;    /* members with drop_key belong to a dropped sample */
	struct buf drop_key;

	struct wds_part *parts;
	size_t cap_out;
};

int wds_split_name(const char *name, size_t *key_len, size_t *ext_len)
{
	size_t n = strlen(name);
	/* webdataset's meta files: a first component __like_this__. */
	if (n >= 4 && name[0] == '_' && name[1] == '_') {
		const char *slash = strchr(name, '/');
		size_t first = slash ? (size_t)(slash - name) : n;
		if (first >= 4 && name[first - 1] == '_' && name[first - 2] == '_')
			return 0;
	}
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (*base == '\0' || *base == '.')
		return 0;
	const char *dot = strchr(base, '.');
	if (!dot)
		return 0;
	*key_len = (size_t)(dot - name);
	*ext_len = n - *key_len - 1;
	return 1;
}

static la_ssize_t read_cb(struct archive *a, void *ctx, const void **block)
{
	struct wds_shard *s = ctx;
	ssize_t got = source_read(&s->src, s->inbuf, WDS_INBUF);
	if (got < 0) {
		/* libarchive may report this as a truncated member instead;
		 * the source's own words say more ("exited with status 1"). */
		snprintf(s->src_err, sizeof s->src_err, "%s", source_error(&s->src));
		archive_set_error(a, EIO, "%s", s->src_err);
		return -1;
	}
	*block = s->inbuf;
	return got;
}

struct wds_shard *wds_open(struct source src, const char *name, const struct wds_opts *o)
{
	struct wds_shard *s = xcalloc(1, sizeof *s);
	s->src = src;
	s->name = xstrdup(name);
	s->inbuf = xmalloc(WDS_INBUF);
	if (o)
		s->opts = *o;
	s->a = archive_read_new();
	if (!s->a)
		die(STATUS_FAIL, "out of memory");
	archive_read_support_format_tar(s->a);
	archive_read_support_format_empty(s->a);
	/* The codecs built in, not support_filter_all: that one would also
	 * run external programs for formats nobody shards in. */
	archive_read_support_filter_gzip(s->a);
	archive_read_support_filter_zstd(s->a);
	archive_read_support_filter_bzip2(s->a);
	archive_read_support_filter_xz(s->a);
	archive_read_support_filter_lz4(s->a);
	return s;
}

static uint64_t tar_position(const struct wds_shard *s)
{
	la_int64_t n = archive_filter_bytes(s->a, 0);
	return n > 0 ? (uint64_t)n : 0;
}

uint64_t wds_tar_bytes(const struct wds_shard *s) { return s->opened ? tar_position(s) : 0; }

uint64_t wds_raw_bytes(const struct wds_shard *s)
{
	if (!s->opened)
		return 0;
	la_int64_t n = archive_filter_bytes(s->a, -1);
	return n > 0 ? (uint64_t)n : 0;
}

static const char *archive_why(const struct wds_shard *s)
{
	if (s->src_err[0])
		return s->src_err;
	const char *why = archive_error_string(s->a);
	return why && *why ? why : "unreadable tar";
}

/* The next member that counts into s->pending: 1, 0 at the end, -1 with
 * a message. */
static int read_member_header(struct wds_shard *s, char *err, size_t errn)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(s->a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		/* RETRY is a damaged header that libarchive would skip past:
		 * the members behind it are lost, so the shard is bad. */
		if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY)
			return errorf(err, errn, "%s:%llu: %s", s->name, (unsigned long long)tar_position(s),
			              archive_why(s));
		const char *name = archive_entry_pathname(e);
		size_t key_len, ext_len;
		if (!name || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
		    !wds_split_name(name, &key_len, &ext_len))
			continue;
		buf_clear(&s->pending);
		buf_add(&s->pending, name, strlen(name) + 1);
		s->pending_key_len = key_len;
		s->pending_ext_len = ext_len;
		la_int64_t at = archive_read_header_position(s->a);
		s->pending_offset = at > 0 ? (uint64_t)at : 0;
		s->have_pending = 1;
		return 1;
	}
}

static int pending_has_key(const struct wds_shard *s, const struct buf *key)
{
	return key->len == s->pending_key_len && memcmp(key->data, s->pending.data, key->len) == 0;
}

/* The rest of the sample's members are skipped with it. */
static void drop_sample(struct wds_shard *s)
{
	s->dropping = 1;
	buf_clear(&s->drop_key);
	buf_add(&s->drop_key, s->key.data, s->key.len);
}

static int wanted(const struct wds_shard *s, const char *ext)
{
	if (!s->opts.want)
		return 1;
	for (size_t i = 0; i < s->opts.nwant; i++)
		if (strcmp(s->opts.want[i], ext) == 0)
			return 1;
	return 0;
}

/* 1 if ext was already in this sample; records it otherwise. */
static int seen_before(struct wds_shard *s, const char *ext, size_t ext_len)
{
	for (size_t i = 0; i < s->seen.len;) {
		size_t n = strlen(s->seen.data + i);
		if (n == ext_len && memcmp(s->seen.data + i, ext, n) == 0)
			return 1;
		i += n + 1;
	}
	buf_add(&s->seen, ext, ext_len + 1);
	return 0;
}


/* Reads the pending member's data as a new part of the sample.  0, or -1
 * (a bad shard) or -2 (a bad sample) with a message. */
static int read_part(struct wds_shard *s, const char *ext, size_t ext_len, char *err, size_t errn)
{
	const char *member = s->pending.data;
	if (s->nparts == s->cap_parts) {
		s->cap_parts = s->cap_parts ? 2 * s->cap_parts : 8;
		s->at = xrealloc(s->at, s->cap_parts * sizeof *s->at);
	}
	struct part_at *p = &s->at[s->nparts];
	p->ext = s->names.len;
	p->ext_len = ext_len;
	buf_add(&s->names, ext, ext_len + 1);
	p->member = s->names.len;
	buf_add(&s->names, member, strlen(member) + 1);
	p->offset = s->pending_offset;
	p->layout = s->layout.len;
	unsigned char head[8] = {0};
	buf_add(&s->layout, head, sizeof head);
	buf_add(&s->layout, ext, ext_len);
	buf_pad8(&s->layout);
	p->data = s->layout.len;
	uint64_t limit = s->opts.max_sample ? s->opts.max_sample : UINT64_MAX;
	for (;;) {
		const void *block;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(s->a, &block, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY)
			return errorf(err, errn, "%s:%llu: member %s: %s", s->name, (unsigned long long)p->offset,
			              member, archive_why(s));
		/* Sparse members come as blocks at offsets, with holes between. */
		size_t at = s->layout.len - p->data;
		size_t want_at = off > 0 ? (size_t)off : 0;
		size_t end = want_at + len;
		if (end < want_at || (uint64_t)p->data + end + 8 > limit) {
			errorf(err, errn, "%s:%llu: member %s: sample over the %llu-byte limit (SLUICE_MAX_FRAME)",
			       s->name, (unsigned long long)p->offset, member, (unsigned long long)limit);
			return -2;
		}
		if (want_at > at) {
			buf_reserve(&s->layout, want_at - at);
			memset(s->layout.data + s->layout.len, 0, want_at - at);
			s->layout.len += want_at - at;
		} else if (want_at < at)
			return errorf(err, errn, "%s:%llu: member %s: data blocks out of order", s->name,
			              (unsigned long long)p->offset, member);
		buf_add(&s->layout, block, len);
	}
	p->len = s->layout.len - p->data;
	if (p->len > UINT32_MAX) {
		errorf(err, errn, "%s:%llu: member %s: over 4 GiB", s->name, (unsigned long long)p->offset, member);
		return -2;
	}
	buf_pad8(&s->layout);
	le_put32((unsigned char *)s->layout.data + p->layout, (uint32_t)ext_len);
	le_put32((unsigned char *)s->layout.data + p->layout + 4, (uint32_t)p->len);
	p->layout_len = s->layout.len - p->layout;
	s->nparts++;
	return 0;
}

static void sample_reset(struct wds_shard *s)
{
	s->have_key = 0;
	buf_clear(&s->key);
	buf_clear(&s->layout);
	buf_clear(&s->names);
	buf_clear(&s->seen);
	s->nparts = 0;
}

static void sample_out(struct wds_shard *s, struct wds_sample *out)
{
	if (s->nparts > s->cap_out) {
		s->cap_out = s->nparts;
		s->parts = xrealloc(s->parts, s->cap_out * sizeof *s->parts);
	}
	const unsigned char *layout = (const unsigned char *)s->layout.data;
	for (size_t i = 0; i < s->nparts; i++) {
		const struct part_at *p = &s->at[i];
		s->parts[i] = (struct wds_part){
			s->names.data + p->ext, p->ext_len, layout + p->data, p->len, layout + p->layout,
			p->layout_len, s->names.data + p->member, p->offset,
		};
	}
	buf_addc(&s->key, '\0');
	s->key.len--;
	*out = (struct wds_sample){s->key.data, s->key.len, s->key_offset, s->nparts, s->parts,
	                           layout, s->layout.len};
}

int wds_next(struct wds_shard *s, struct wds_sample *out, char *err, size_t errn, int *lost)
{
	*lost = 0;
	if (s->done)
		return WDS_END;
	if (!s->opened) {
		s->opened = 1;
		if (archive_read_open(s->a, s, NULL, read_cb, NULL) != ARCHIVE_OK) {
			errorf(err, errn, "%s: %s", s->name, archive_why(s));
			s->done = 1;
			return WDS_BAD_SHARD;
		}
	}
	sample_reset(s);
	for (;;) {
		if (!s->have_pending) {
			int r = read_member_header(s, err, errn);
			if (r <= 0) {
				s->done = 1;
				if (r < 0) {
					*lost = s->have_key;
					return WDS_BAD_SHARD;
				}
				if (!s->have_key)
					return WDS_END;
				sample_out(s, out);
				return WDS_SAMPLE;
			}
		}
		if (s->dropping) {
			if (pending_has_key(s, &s->drop_key)) {
				s->have_pending = 0; /* its data is skipped by the next header read */
				continue;
			}
			s->dropping = 0;
			sample_reset(s);
		}
		if (s->have_key && !pending_has_key(s, &s->key)) {
			sample_out(s, out);
			return WDS_SAMPLE;
		}
		if (!s->have_key) {
			s->have_key = 1;
			buf_add(&s->key, s->pending.data, s->pending_key_len);
			s->key_offset = s->pending_offset;
		}
		/* The extension, lower-cased as webdataset does (ASCII here). */
		buf_clear(&s->ext);
		buf_add(&s->ext, s->pending.data + s->pending_key_len + 1, s->pending_ext_len + 1);
		char *ext = s->ext.data;
		for (size_t i = 0; i < s->pending_ext_len; i++)
			if (ext[i] >= 'A' && ext[i] <= 'Z')
				ext[i] = (char)(ext[i] - 'A' + 'a');
		if (seen_before(s, ext, s->pending_ext_len)) {
			errorf(err, errn, "%s:%llu: member %s: a second '%s' part in sample '%.*s'", s->name,
			       (unsigned long long)s->pending_offset, s->pending.data, ext, (int)s->key.len,
			       s->key.data ? s->key.data : "");
			s->have_pending = 0;
			drop_sample(s);
			*lost = 1;
			return WDS_BAD_SAMPLE;
		}
		if (wanted(s, ext)) {
			int r = read_part(s, ext, s->pending_ext_len, err, errn);
			if (r == -1) {
				s->done = 1;
				*lost = 1;
				return WDS_BAD_SHARD;
			}
			if (r == -2) {
				s->have_pending = 0;
				drop_sample(s);
				*lost = 1;
				return WDS_BAD_SAMPLE;
			}
		}
		s->have_pending = 0;
	}
}

void wds_close(struct wds_shard *s)
{
	if (!s)
		return;
	archive_read_free(s->a);
	source_close(&s->src);
	free(s->name);
	free(s->inbuf);
	buf_free(&s->pending);
	buf_free(&s->ext);
	buf_free(&s->key);
	buf_free(&s->layout);
	buf_free(&s->names);
	buf_free(&s->seen);
	buf_free(&s->drop_key);
	free(s->at);
	free(s->parts);
	free(s);
}
