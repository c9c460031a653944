/* wdswrite.c - see wdswrite.h */
#define _GNU_SOURCE
#include "wds/wdswrite.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/progress.h"
#include "net/sink.h"
#include "rec/rec.h"

/* webdataset's readers refuse longer keys, and a name this long already
 * needs a pax header. */
#define WDS_MAX_KEY 4096

/* ---- shard names ---- */

static int ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);
	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

/* The length of a tar extension ending s[0..n), and the compression it
 * implies (-1 for plain .tar); 0 when there is none. */
static size_t tar_ext(const char *s, size_t n, int *implied)
{
	static const struct {
		const char *ext;
		int compress;
	} exts[] = {{".tar.gz", WDS_GZIP}, {".tgz", WDS_GZIP}, {".tar.zst", WDS_ZSTD}, {".tar", -1}};
	for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
		if (ends_with(s, n, exts[i].ext)) {
			*implied = exts[i].compress;
			return strlen(exts[i].ext);
		}
	*implied = -1;
	return 0;
}

static const char *compress_suffix(enum wds_compress c)
{
	return c == WDS_GZIP ? ".gz" : c == WDS_ZSTD ? ".zst" : "";
}

const char *wds_pattern_parse(const char *arg, int compress_given, enum wds_compress *compress,
                              struct wds_pattern *p)
{
	size_t n = strlen(arg);
	const char *dir = NULL; /* the directive's '%' */
	size_t dir_len = 0;
	int width = 0, zero_pad = 0;
	if (n == 0)
		return "PATTERN is empty";
	if (arg[n - 1] == '/')
		return "PATTERN names a directory; give a shard name prefix such as out/train";
	for (const char *s = strchr(arg, '%'); s; s = strchr(s + 1, '%')) {
		const char *q = s + 1;
		int pad = 0, w = 0;
		if (*q == '0') {
			pad = 1;
			q++;
			/* two digits are enough for any 64-bit number */
			for (int digits = 0; *q >= '0' && *q <= '9'; q++, digits++) {
				if (digits == 2)
					return "PATTERN: the width of %0Nd is at most 99";
				w = w * 10 + (*q - '0');
			}
			if (w == 0)
				return "PATTERN: a directive must be %d or %0Nd (N from 1 to 99), and no other '%' may appear";
		}
		if (*q != 'd')
			return "PATTERN: a directive must be %d or %0Nd (N from 1 to 99), and no other '%' may appear";
		if (dir)
			return "PATTERN has more than one %d directive";
		dir = s;
		dir_len = (size_t)(q + 1 - s);
		width = w;
		zero_pad = pad;
	}

	int implied;
	size_t ext = tar_ext(arg, n, &implied);
	if (implied >= 0) {
		if (compress_given && *compress != (enum wds_compress)implied)
			return "PATTERN's extension and --compress ask for different compressions";
		*compress = (enum wds_compress)implied;
	}
	const char *more = implied >= 0 ? "" : compress_suffix(*compress);
	struct buf pre = {0}, suf = {0};
	if (dir) {
		buf_add(&pre, arg, (size_t)(dir - arg));
		buf_adds(&suf, dir + dir_len);
	} else {
		/* out/train.tar.gz means out/train-000000.tar.gz, ... */
		buf_add(&pre, arg, n - ext);
		buf_addc(&pre, '-');
		buf_adds(&suf, ext ? arg + n - ext : ".tar");
		width = 6;
		zero_pad = 1;
	}
	buf_adds(&suf, more);
	buf_addc(&pre, '\0');
	buf_addc(&suf, '\0');
	p->prefix = pre.data;
	p->suffix = suf.data;
	p->width = width;
	p->zero_pad = zero_pad;
	return NULL;
}

void wds_pattern_free(struct wds_pattern *p)
{
	free(p->prefix);
	free(p->suffix);
	p->prefix = p->suffix = NULL;
}

char *wds_pattern_name(const struct wds_pattern *p, uint64_t n)
{
	struct buf b = {0};
	buf_adds(&b, p->prefix);
	if (p->zero_pad)
		buf_printf(&b, "%0*" PRIu64, p->width, n);
	else
		buf_printf(&b, "%" PRIu64, n);
	buf_adds(&b, p->suffix);
	buf_addc(&b, '\0');
	return b.data;
}

char *wds_pattern_index(const struct wds_pattern *p)
{
	struct buf b = {0};
	size_t n = strlen(p->prefix);
	while (n && strchr("-_.", p->prefix[n - 1]))
		n--;
	buf_add(&b, p->prefix, n);
	buf_adds(&b, n == 0 || p->prefix[n - 1] == '/' ? "index.json" : ".json");
	buf_addc(&b, '\0');
	return b.data;
}

/* ---- names ---- */

const char *wds_key_problem(const char *k, size_t n)
{
	if (n == 0)
		return "it is empty";
	if (n > WDS_MAX_KEY)
		return "it is longer than 4096 bytes";
	if (memchr(k, '\0', n))
		return "it holds a NUL byte";
	if (k[0] == '/')
		return "it starts with '/'";
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && k[i] != '/')
			continue;
		const char *c = k + start;
		size_t len = i - start;
		if (len == 0)
			return "it has an empty path component";
		if (len <= 2 && memcmp(c, "..", len) == 0)
			return "it has a '.' or '..' path component";
		if (c[0] == '.')
			return "a path component starts with '.'";
		/* webdataset keeps __key__, __url__, ... for its own fields */
		if (start == 0 && len >= 4 && memcmp(c, "__", 2) == 0 && memcmp(c + len - 2, "__", 2) == 0)
			return "it starts with a __name__ component, which webdataset reserves";
		/* readers split a member name at the first dot of its base name */
		if (i == n && memchr(c, '.', len))
			return "its last component holds a '.', where webdataset would end the key";
		start = i + 1;
	}
	return NULL;
}

const char *wds_part_problem(const char *name, size_t len)
{
	if (len == 0)
		return "it is empty";
	if (memchr(name, '\0', len))
		return "it holds a NUL byte";
	if (memchr(name, '/', len))
		return "it holds '/'";
	if (name[0] == '.')
		return "it starts with '.'";
	return NULL;
}

/* ---- libarchive set-up ---- */

static int set_filter(struct archive *a, enum wds_compress c, int level)
{
	static const char *names[] = {[WDS_GZIP] = "gzip", [WDS_ZSTD] = "zstd"};
	int r = ARCHIVE_OK;
	if (c == WDS_GZIP) {
		r = archive_write_add_filter_gzip(a);
		/* the time of writing would make every run's bytes differ */
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
	} else if (c == WDS_ZSTD) {
		r = archive_write_add_filter_zstd(a);
	}
	if (r == ARCHIVE_OK && c != WDS_NONE && level >= 0) {
		char v[16];
		snprintf(v, sizeof v, "%d", level);
		r = archive_write_set_filter_option(a, names[c], "compression-level", v);
	}
	return r;
}

int wds_level_ok(enum wds_compress c, int level)
{
	struct archive *a = archive_write_new();
	if (!a)
		die(STATUS_FAIL, "out of memory");
	int ok = set_filter(a, c, level) == ARCHIVE_OK;
	archive_write_free(a);
	return ok;
}

/* ---- the writer ---- */

struct shard_info {
	char *path;
	uint64_t nsamples, filesize;
};

struct part {
	const char *name;
	size_t name_len;
	const void *data;
	size_t len;
};

struct wds_writer {
	struct wds_write_opts o;
	struct archive *a; /* the shard being written; NULL between shards */
	char *path;        /* its final name */
	uint64_t next_shard;
	uint64_t shard_samples, shard_tar_bytes, shard_file_bytes;
	/* An uncompressed tar writer into nothing, to learn how many bytes a
	 * member's header takes (512, or more when the name needs pax records)
	 * before deciding which shard the sample goes into. */
	struct archive *measure;
	uint64_t measured;
	struct archive_entry *entry;
	struct shard_info *shards;
	size_t nshards, shards_cap;
	struct wds_stats st;
	int token_dtype; /* of the token records written; 0 if none yet */
	struct part *parts;
	size_t parts_cap;
	struct buf key, prev_key, name, err;
	int have_prev;
};

static la_ssize_t count_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	(void)p;
	*(uint64_t *)ctx += n;
	return (la_ssize_t)n;
}

static la_ssize_t shard_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct wds_writer *w = ctx;
	(void)a;
	write_all(w->o.shard_file->fd, p, n, w->path);
	w->shard_file_bytes += n;
	return (la_ssize_t)n;
}

static SLUICE_NORETURN void archive_die(struct archive *a, const char *what)
{
	const char *e = archive_error_string(a);
	die(STATUS_FAIL, "%s: %s", what, e ? e : "libarchive error");
}

/* Uid, gid, mode and mtime fixed, no owner names: the same records give
 * the same tar bytes whoever writes them, whenever. */
static void set_entry(struct archive_entry *e, const char *name, size_t size)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
}

static struct archive *new_tar(void)
{
	struct archive *a = archive_write_new();
	if (!a)
		die(STATUS_FAIL, "out of memory");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
		archive_die(a, "tar format");
	return a;
}

static char *dir_of(const char *path);

struct wds_writer *wds_writer_new(const struct wds_write_opts *o)
{
	struct wds_writer *w = xcalloc(1, sizeof *w);
	w->o = *o;
	w->next_shard = o->start;
	w->entry = archive_entry_new();
	if (!w->entry)
		die(STATUS_FAIL, "out of memory");
	w->measure = new_tar();
	/* unblocked, so each header reaches the counter as it is written */
	if (archive_write_set_bytes_per_block(w->measure, 0) != ARCHIVE_OK ||
	    archive_write_open2(w->measure, &w->measured, NULL, count_write, NULL, NULL) != ARCHIVE_OK)
		archive_die(w->measure, "tar header sizes");
	atomic_guard(o->shard_file);
	if (o->index)
		atomic_guard(o->index_file);
	/* Shards named from the index's directory need both paths resolved on
	 * disk; an object store has no directories to resolve, so there the
	 * index must lie beside the shards.  Said now, not after the upload. */
	if (o->index && (sink_is_remote(o->index) || sink_is_remote(o->pattern->prefix))) {
		char *shard_dir = dir_of(o->pattern->prefix), *index_dir = dir_of(o->index), msg[1024] = "";
		if (strcmp(shard_dir, index_dir) != 0)
			snprintf(msg, sizeof msg, "--index %s: with s3:// shards or index, the index goes beside the shards (%s/)",
			         o->index, shard_dir);
		free(shard_dir);
		free(index_dir);
		if (msg[0])
			die(STATUS_USAGE, "%s", msg);
	}
	return w;
}

static uint64_t header_bytes(struct wds_writer *w, const char *name)
{
	uint64_t before = w->measured;
	/* a size of 0 leaves no data to write; parts are under 4 GiB, so the
	 * size never needs a pax record of its own */
	set_entry(w->entry, name, 0);
	if (archive_write_header(w->measure, w->entry) < ARCHIVE_WARN ||
	    archive_write_finish_entry(w->measure) < ARCHIVE_WARN)
		archive_die(w->measure, name);
	return w->measured - before;
}

static void open_shard(struct wds_writer *w)
{
	w->path = wds_pattern_name(w->o.pattern, w->next_shard++);
	if (sink_open(w->o.shard_file, w->path) != 0)
		die(STATUS_FAIL, "%s:", w->path);
	w->a = new_tar();
	if (set_filter(w->a, w->o.compress, w->o.level) != ARCHIVE_OK)
		archive_die(w->a, w->path);
	/* the end-of-archive blocks close the file, with no padding after
	 * them: a shard is its samples and 1024 bytes */
	if (archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, shard_write, NULL, NULL) != ARCHIVE_OK)
		archive_die(w->a, w->path);
	w->shard_samples = w->shard_tar_bytes = w->shard_file_bytes = 0;
}

static void close_shard(struct wds_writer *w)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		archive_die(w->a, w->path);
	archive_write_free(w->a);
	w->a = NULL;
	if (atomic_commit(w->o.shard_file) != 0)
		die(STATUS_FAIL, "%s:", w->path);
	if (w->nshards == w->shards_cap) {
		w->shards_cap = w->shards_cap ? 2 * w->shards_cap : 16;
		w->shards = xrealloc(w->shards, w->shards_cap * sizeof *w->shards);
	}
	w->shards[w->nshards++] = (struct shard_info){w->path, w->shard_samples, w->shard_file_bytes};
	w->path = NULL;
	w->st.shards++;
	w->st.bytes += w->shard_file_bytes;
}

static void add_part(struct wds_writer *w, size_t *n, const char *name, size_t name_len,
                     const void *data, size_t len)
{
	if (*n == w->parts_cap) {
		w->parts_cap = w->parts_cap ? 2 * w->parts_cap : 8;
		w->parts = xrealloc(w->parts, w->parts_cap * sizeof *w->parts);
	}
	w->parts[(*n)++] = (struct part){name, name_len, data, len};
}

static int part_cmp(const void *x, const void *y)
{
	const struct part *a = x, *b = y;
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);
	return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

/* The reason for refusing a record, quoting its key (shortened, and
 * JSON-escaped so that it stays on one line). */
static const char *refuse(struct wds_writer *w, const char *what, const char *key, size_t key_len,
                          const char *why, const char *tail)
{
	buf_clear(&w->err);
	buf_adds(&w->err, what);
	if (key) {
		buf_addc(&w->err, ' ');
		jsonw_string(&w->err, key, key_len > 64 ? 64 : key_len);
		if (key_len > 64)
			buf_adds(&w->err, "...");
	}
	if (why) {
		buf_adds(&w->err, ": ");
		buf_adds(&w->err, why);
	}
	if (tail)
		buf_adds(&w->err, tail);
	buf_addc(&w->err, '\0');
	return w->err.data;
}

static void set_member_name(struct wds_writer *w, const struct part *p)
{
	buf_clear(&w->name);
	buf_add(&w->name, w->key.data, w->key.len);
	buf_addc(&w->name, '.');
	buf_add(&w->name, p->name, p->name_len);
	buf_addc(&w->name, '\0');
}

const char *wds_write_frame(struct wds_writer *w, const struct rec_frame *f)
{
	size_t n = 0;
	switch (f->type) {
	case REC_HEADER:
	case REC_END:
		return NULL;
	case REC_TEXT:
		add_part(w, &n, "txt", 3, f->payload, f->payload_len);
		break;
	case REC_JSON:
		add_part(w, &n, "json", 4, f->payload, f->payload_len);
		break;
	case REC_TOKENS: {
		if (w->token_dtype && f->dtype != w->token_dtype)
			return refuse(w, "token records of more than one dtype", NULL, 0,
			              "the index can name only one", NULL);
		w->token_dtype = f->dtype;
		/* ids stay as the frame holds them: little-endian, of its dtype */
		add_part(w, &n, "bin", 3, f->payload, rec_tokens_count(f) * rec_dtype_size(f->dtype));
		break;
	}
	case REC_VECTOR: {
		struct rec_vector v;
		rec_vector_view(f, &v);
		add_part(w, &n, "bin", 3, f->payload + REC_VECTOR_HEAD, (size_t)v.dim * sizeof(float));
		if (v.meta_len)
			add_part(w, &n, "json", 4, v.meta, v.meta_len);
		break;
	}
	case REC_SAMPLE: {
		size_t cursor = 0;
		struct rec_part rp;
		while (rec_sample_next(f, &cursor, &rp)) {
			const char *why = wds_part_problem(rp.name, rp.name_len);
			if (why)
				return refuse(w, "invalid part name", rp.name, rp.name_len, why, NULL);
			add_part(w, &n, rp.name, rp.name_len, rp.data, rp.data_len);
		}
		if (n == 0)
			return "a sample record without parts";
		break;
	}
	case REC_BATCH:
		return "a batch record cannot become a sample (write the token records before batchify)";
	default:
		return NULL; /* readers skip what they do not know */
	}
	/* webdataset's writer orders a sample's members by extension */
	qsort(w->parts, n, sizeof *w->parts, part_cmp);
	for (size_t i = 1; i < n; i++)
		if (part_cmp(&w->parts[i - 1], &w->parts[i]) == 0)
			return refuse(w, "part name", w->parts[i].name, w->parts[i].name_len,
			              "it appears twice in the sample", NULL);

	buf_clear(&w->key);
	if (w->o.keys == WDS_KEYS_RECORD && f->key) {
		const char *why = wds_key_problem(f->key, f->key_len);
		if (why)
			return refuse(w, "invalid sample key", f->key, f->key_len, why,
			              " (--keys index numbers the samples instead)");
		buf_add(&w->key, f->key, f->key_len);
	} else {
		buf_printf(&w->key, "%09" PRIu64, w->st.samples);
	}
	/* readers group consecutive members by key: two samples would merge */
	if (w->have_prev && w->key.len == w->prev_key.len &&
	    memcmp(w->key.data, w->prev_key.data, w->key.len) == 0)
		return refuse(w, "sample key", w->key.data, w->key.len,
		              "the same as the previous sample's, so readers would merge the two", NULL);

	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		set_member_name(w, &w->parts[i]);
		bytes += header_bytes(w, w->name.data) + (((uint64_t)w->parts[i].len + 511) & ~(uint64_t)511);
	}
	if (w->a && w->shard_tar_bytes + bytes > w->o.maxsize)
		close_shard(w);
	if (!w->a)
		open_shard(w);
	for (size_t i = 0; i < n; i++) {
		const struct part *p = &w->parts[i];
		set_member_name(w, p);
		set_entry(w->entry, w->name.data, p->len);
		if (archive_write_header(w->a, w->entry) < ARCHIVE_WARN)
			archive_die(w->a, w->path);
		if (p->len && archive_write_data(w->a, p->data, p->len) != (la_ssize_t)p->len)
			archive_die(w->a, w->path);
		if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
			archive_die(w->a, w->path);
	}
	w->shard_samples++;
	w->shard_tar_bytes += bytes;
	w->st.samples++;
	/* A full shard is committed now, not when the next sample comes: it is
	 * there for readers sooner, and survives a later input error.  Every
	 * sample takes at least one 512-byte header. */
	if (w->shard_samples >= w->o.maxcount || w->shard_tar_bytes + 512 > w->o.maxsize)
		close_shard(w);
	buf_clear(&w->prev_key);
	buf_add(&w->prev_key, w->key.data, w->key.len);
	w->have_prev = 1;
	return NULL;
}

/* ---- the index ---- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static char *real_dir(const char *path)
{
	char *dir = dir_of(path);
	char *real = realpath(dir, NULL);
	if (!real)
		die(STATUS_FAIL, "%s:", dir);
	free(dir);
	return real;
}

/* The shard's path as seen from the index's directory, so that the shards
 * and their index can be moved together. */
static void add_url(struct buf *b, const char *shard, const char *index)
{
	char *sd = dir_of(shard), *id = dir_of(index);
	int same = strcmp(sd, id) == 0;
	free(sd);
	free(id);
	if (same) {
		buf_adds(b, base_of(shard));
		return;
	}
	char *s = real_dir(shard), *i = real_dir(index);
	/* "/" as "": then every directory is its components, each after a '/' */
	if (!s[1])
		s[0] = '\0';
	if (!i[1])
		i[0] = '\0';
	/* the common leading components of the two absolute paths */
	size_t common = 0;
	for (size_t k = 0;; k++) {
		int s_end = s[k] == '\0' || s[k] == '/', i_end = i[k] == '\0' || i[k] == '/';
		if (s_end && i_end)
			common = k;
		if (s[k] != i[k] || !s[k])
			break;
	}
	for (const char *p = i + common; *p; p++)
		if (*p == '/')
			buf_adds(b, "../");
	if (s[common]) {
		buf_adds(b, s + common + 1);
		buf_addc(b, '/');
	}
	buf_adds(b, base_of(shard));
	free(s);
	free(i);
}

static void write_index(struct wds_writer *w)
{
	struct buf b = {0}, url = {0};
	buf_adds(&b, "{\"__kind__\":\"wids-shard-index-v1\",\"wids_version\":1,");
	if (w->token_dtype)
		buf_printf(&b, "\"token_dtype\":\"%s\",", rec_dtype_name(w->token_dtype));
	buf_adds(&b, "\"shardlist\":[");
	for (size_t k = 0; k < w->nshards; k++) {
		buf_clear(&url);
		add_url(&url, w->shards[k].path, w->o.index);
		buf_adds(&b, k ? ",{\"url\":" : "{\"url\":");
		jsonw_string(&b, url.data, url.len);
		buf_printf(&b, ",\"nsamples\":%" PRIu64 ",\"filesize\":%" PRIu64 "}", w->shards[k].nsamples,
		           w->shards[k].filesize);
	}
	buf_adds(&b, "]}\n");
	struct atomic_file *f = w->o.index_file;
	if (sink_open(f, w->o.index) != 0)
		die(STATUS_FAIL, "%s:", w->o.index);
	write_all(f->fd, b.data, b.len, w->o.index);
	if (atomic_commit(f) != 0)
		die(STATUS_FAIL, "%s:", w->o.index);
	buf_free(&b);
	buf_free(&url);
}

void wds_write_input(struct wds_writer *w, const char *path, struct progress *progress)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	struct rec_frame f;
	while (rec_next_or_die(r, &f)) {
		const char *why = wds_write_frame(w, &f);
		if (why)
			die_at(STATUS_MALFORMED, rec_reader_name(r), f.offset, "%s", why);
		progress_add(progress, REC_FRAME_HEAD + f.key_len + f.payload_len, 1);
	}
	rec_reader_close(r);
}

void wds_writer_finish(struct wds_writer *w, struct wds_stats *st)
{
	if (w->a)
		close_shard(w);
	if (w->o.index)
		write_index(w);
	*st = w->st;
}

void wds_writer_free(struct wds_writer *w)
{
	if (!w)
		return;
	if (w->a)
		archive_write_free(w->a);
	archive_write_free(w->measure);
	archive_entry_free(w->entry);
	for (size_t k = 0; k < w->nshards; k++)
		free(w->shards[k].path);
	free(w->shards);
	free(w->path);
	free(w->parts);
	buf_free(&w->key);
	buf_free(&w->prev_key);
	buf_free(&w->name);
	buf_free(&w->err);
	free(w);
}
