/* decomp.c - see decomp.h */
#include "base/decomp.h"

#include <bzlib.h>
#include <limits.h>
#include <stdarg.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "base/die.h"

#define IN_CAP (256u << 10)
/* A read asks the codec for at most this much output, so counts fit the
 * codecs' unsigned int fields and one call never runs for long. */
#define OUT_MAX (1u << 30)
#define ZSTD_WINDOW_LOG_MAX 27
#define XZ_MEMLIMIT (1ull << 30)

struct dctx {
	struct source in;
	enum decomp_kind kind;
	unsigned char *ib;
	size_t ipos, ilen;
	uint64_t ibase; /* input offset of ib[0] */
	int ieof;
	/* At a member/frame boundary: input may end cleanly here. */
	int between;
	int ended; /* xz: the decoder said the stream (and its padding) ended */
	int failed;
	int started; /* some member began (for trailing-garbage messages) */
	union {
		z_stream z;
		bz_stream bz;
		lzma_stream lz;
		ZSTD_DStream *zs;
		LZ4F_dctx *l4;
	} u;
	int live; /* u holds an initialised codec state */
	char err[256];
};

const char *decomp_kind_name(enum decomp_kind k)
{
	switch (k) {
	case DECOMP_GZIP: return "gzip";
	case DECOMP_ZSTD: return "zstd";
	case DECOMP_BZIP2: return "bzip2";
	case DECOMP_XZ: return "xz";
	case DECOMP_LZ4: return "lz4";
	default: return "none";
	}
}

static const struct {
	const char *ext;
	enum decomp_kind kind;
} exts[] = {
	{".gz", DECOMP_GZIP},   {".gzip", DECOMP_GZIP}, {".zst", DECOMP_ZSTD},
	{".zstd", DECOMP_ZSTD}, {".bz2", DECOMP_BZIP2}, {".xz", DECOMP_XZ},
	{".lz4", DECOMP_LZ4},
};

static size_t ext_match(const char *name, enum decomp_kind *kind)
{
	size_t n = name ? strlen(name) : 0;
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t e = strlen(exts[i].ext);
		if (n > e && strcasecmp(name + n - e, exts[i].ext) == 0) {
			if (kind)
				*kind = exts[i].kind;
			return e;
		}
	}
	if (kind)
		*kind = DECOMP_NONE;
	return 0;
}

enum decomp_kind decomp_kind_of_name(const char *name)
{
	enum decomp_kind k;
	ext_match(name, &k);
	return k;
}

size_t decomp_stem_len(const char *name)
{
	return (name ? strlen(name) : 0) - ext_match(name, NULL);
}

/* Codec by magic bytes; -1 for legacy lz4, which we do not read. */
static int magic_kind(const unsigned char *p, size_t n, enum decomp_kind by_ext)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return DECOMP_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return DECOMP_ZSTD;
	if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
		return DECOMP_BZIP2;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return DECOMP_XZ;
	if (n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18)
		return DECOMP_LZ4;
	if (n >= 4 && p[0] == 0x02 && p[1] == 0x21 && p[2] == 0x4c && p[3] == 0x18)
		return -1;
	/* zstd and lz4 share the skippable-frame magic; the name decides. */
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return by_ext == DECOMP_LZ4 ? DECOMP_LZ4 : DECOMP_ZSTD;
	return DECOMP_NONE;
}

static ssize_t fail(struct dctx *c, const char *fmt, ...) SLUICE_PRINTF(2, 3);
static ssize_t fail(struct dctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->failed = 1;
	return -1;
}

static uint64_t in_at(const struct dctx *c) { return c->ibase + c->ipos; }

static ssize_t corrupt(struct dctx *c, const char *why)
{
	return fail(c, "%s: invalid compressed data at input byte %llu (%s)", decomp_kind_name(c->kind),
	            (unsigned long long)in_at(c), why);
}

static ssize_t truncated(struct dctx *c)
{
	return fail(c, "%s: compressed data truncated at input byte %llu", decomp_kind_name(c->kind),
	            (unsigned long long)in_at(c));
}

/* Refills the input buffer once it is used up.  -1 on a read error. */
static int refill(struct dctx *c)
{
	if (c->ipos < c->ilen || c->ieof)
		return 0;
	c->ibase += c->ilen;
	c->ipos = c->ilen = 0;
	ssize_t got = source_read(&c->in, c->ib, IN_CAP);
	if (got < 0) {
		fail(c, "%s", source_error(&c->in));
		return -1;
	}
	if (got == 0)
		c->ieof = 1;
	c->ilen = (size_t)got;
	return 0;
}

/* A new member must start with the codec's magic; anything else after a
 * complete member is garbage (gzip and bzip2 warn and ignore it; we fail,
 * so damage is never silent). */
static int garbage_after_member(struct dctx *c, unsigned char b0)
{
	static const unsigned char first[] = {[DECOMP_GZIP] = 0x1f, [DECOMP_BZIP2] = 'B'};
	if (!c->started || b0 == first[c->kind])
		return 0;
	fail(c, "%s: trailing garbage after the compressed data at input byte %llu",
	     decomp_kind_name(c->kind), (unsigned long long)in_at(c));
	return 1;
}

/* One codec step over the buffered input into buf; sets *out to the bytes
 * produced.  Returns 0 or -1 (c->err set). */
static int step(struct dctx *c, unsigned char *buf, size_t n, size_t *out)
{
	size_t avail = c->ilen - c->ipos;
	unsigned char *src = c->ib + c->ipos;
	*out = 0;
	switch (c->kind) {
	case DECOMP_GZIP: {
		z_stream *z = &c->u.z;
		if (c->between) {
			if (!avail)
				return 0;
			if (garbage_after_member(c, src[0]))
				return -1;
			if (inflateReset(z) != Z_OK)
				return (int)corrupt(c, "cannot reset the decoder");
			c->between = 0;
		}
		c->started = 1;
		z->next_in = src;
		z->avail_in = (uInt)avail;
		z->next_out = buf;
		z->avail_out = (uInt)n;
		int rc = inflate(z, Z_NO_FLUSH);
		c->ipos += avail - z->avail_in;
		*out = n - z->avail_out;
		if (rc == Z_STREAM_END)
			c->between = 1;
		else if (rc == Z_MEM_ERROR)
			return (int)fail(c, "gzip: out of memory");
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return (int)corrupt(c, z->msg ? z->msg : "bad data");
		return 0;
	}
	case DECOMP_BZIP2: {
		bz_stream *bz = &c->u.bz;
		if (c->between) {
			if (!avail)
				return 0;
			if (garbage_after_member(c, src[0]))
				return -1;
			BZ2_bzDecompressEnd(bz);
			memset(bz, 0, sizeof *bz);
			if (BZ2_bzDecompressInit(bz, 0, 0) != BZ_OK) {
				c->live = 0;
				return (int)fail(c, "bzip2: out of memory");
			}
			c->between = 0;
		}
		c->started = 1;
		bz->next_in = (char *)src;
		bz->avail_in = (unsigned)avail;
		bz->next_out = (char *)buf;
		bz->avail_out = (unsigned)n;
		int rc = BZ2_bzDecompress(bz);
		c->ipos += avail - bz->avail_in;
		*out = n - bz->avail_out;
		if (rc == BZ_STREAM_END)
			c->between = 1;
		else if (rc == BZ_MEM_ERROR)
			return (int)fail(c, "bzip2: out of memory");
		else if (rc != BZ_OK)
			return (int)corrupt(c, rc == BZ_DATA_ERROR_MAGIC ? "bad stream magic" : "bad data");
		return 0;
	}
	case DECOMP_XZ: {
		lzma_stream *lz = &c->u.lz;
		lz->next_in = src;
		lz->avail_in = avail;
		lz->next_out = buf;
		lz->avail_out = n;
		lzma_ret rc = lzma_code(lz, avail == 0 && c->ieof ? LZMA_FINISH : LZMA_RUN);
		c->ipos += avail - lz->avail_in;
		*out = n - lz->avail_out;
		switch (rc) {
		case LZMA_OK: return 0;
		case LZMA_STREAM_END: c->ended = 1; return 0;
		case LZMA_BUF_ERROR: return (int)truncated(c);
		case LZMA_MEM_ERROR: return (int)fail(c, "xz: out of memory");
		case LZMA_MEMLIMIT_ERROR:
			return (int)fail(c, "xz: the data needs more than the 1 GiB memory limit");
		case LZMA_FORMAT_ERROR: return (int)corrupt(c, "not in xz format");
		case LZMA_OPTIONS_ERROR: return (int)corrupt(c, "unsupported options");
		case LZMA_DATA_ERROR: return (int)corrupt(c, "corrupt data");
		default: return (int)corrupt(c, "decoder error");
		}
	}
	case DECOMP_ZSTD: {
		if (c->between && !avail)
			return 0;
		ZSTD_inBuffer ib = {src, avail, 0};
		ZSTD_outBuffer ob = {buf, n, 0};
		size_t rc = ZSTD_decompressStream(c->u.zs, &ob, &ib);
		c->ipos += ib.pos;
		*out = ob.pos;
		if (ZSTD_isError(rc))
			return (int)corrupt(c, ZSTD_getErrorName(rc));
		if (rc == 0)
			c->between = 1;
		else if (ib.pos || ob.pos)
			c->between = 0;
		return 0;
	}
	case DECOMP_LZ4: {
		if (c->between && !avail)
			return 0;
		size_t dn = n, sn = avail;
		size_t rc = LZ4F_decompress(c->u.l4, buf, &dn, src, &sn, NULL);
		c->ipos += sn;
		*out = dn;
		if (LZ4F_isError(rc))
			return (int)corrupt(c, LZ4F_getErrorName(rc));
		if (rc == 0)
			c->between = 1;
		else if (sn || dn)
			c->between = 0;
		return 0;
	}
	default:
		return 0;
	}
}

static ssize_t d_read(void *ctx, void *buf, size_t n)
{
	struct dctx *c = ctx;
	if (c->failed)
		return -1;
	if (n == 0)
		return 0;
	if (n > OUT_MAX)
		n = OUT_MAX;
	if (c->kind == DECOMP_NONE) {
		if (c->ipos < c->ilen) {
			size_t k = c->ilen - c->ipos < n ? c->ilen - c->ipos : n;
			memcpy(buf, c->ib + c->ipos, k);
			c->ipos += k;
			return (ssize_t)k;
		}
		ssize_t got = source_read(&c->in, buf, n);
		if (got < 0)
			return fail(c, "%s", source_error(&c->in));
		return got;
	}
	int stalls = 0;
	for (;;) {
		if (refill(c) < 0)
			return -1;
		if (c->ended)
			return 0;
		size_t before = c->ipos, out;
		if (step(c, buf, n, &out) < 0)
			return -1;
		if (out)
			return (ssize_t)out;
		if (c->ended)
			return 0;
		if (c->ipos == c->ilen && c->ieof) {
			if (c->between)
				return 0;
			if (c->kind != DECOMP_XZ)
				return truncated(c);
		}
		/* Every codec consumes what it is given or produces output; a
		 * step that does neither twice would otherwise spin forever. */
		if (c->ipos == before && (c->ipos < c->ilen || c->ieof) && ++stalls > 2)
			return corrupt(c, "decoder made no progress");
	}
}

static const char *d_error(void *ctx)
{
	struct dctx *c = ctx;
	return c->err[0] ? c->err : "read error";
}

static void d_free_codec(struct dctx *c)
{
	if (!c->live)
		return;
	switch (c->kind) {
	case DECOMP_GZIP: inflateEnd(&c->u.z); break;
	case DECOMP_BZIP2: BZ2_bzDecompressEnd(&c->u.bz); break;
	case DECOMP_XZ: lzma_end(&c->u.lz); break;
	case DECOMP_ZSTD: ZSTD_freeDStream(c->u.zs); break;
	case DECOMP_LZ4: LZ4F_freeDecompressionContext(c->u.l4); break;
	default: break;
	}
	c->live = 0;
}

static void d_close(void *ctx)
{
	struct dctx *c = ctx;
	d_free_codec(c);
	source_close(&c->in);
	free(c->ib);
	free(c);
}

static int init_codec(struct dctx *c)
{
	switch (c->kind) {
	case DECOMP_GZIP:
		memset(&c->u.z, 0, sizeof c->u.z);
		if (inflateInit2(&c->u.z, 15 + 16) != Z_OK)
			return -1;
		break;
	case DECOMP_BZIP2:
		memset(&c->u.bz, 0, sizeof c->u.bz);
		if (BZ2_bzDecompressInit(&c->u.bz, 0, 0) != BZ_OK)
			return -1;
		break;
	case DECOMP_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		c->u.lz = init;
		if (lzma_stream_decoder(&c->u.lz, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
			return -1;
		break;
	}
	case DECOMP_ZSTD:
		c->u.zs = ZSTD_createDStream();
		if (!c->u.zs)
			return -1;
		c->live = 1;
		if (ZSTD_isError(ZSTD_DCtx_setParameter(c->u.zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
			return -1;
		break;
	case DECOMP_LZ4:
		if (LZ4F_isError(LZ4F_createDecompressionContext(&c->u.l4, LZ4F_VERSION)))
			return -1;
		break;
	default:
		return 0;
	}
	c->live = 1;
	return 0;
}

int decomp_open_kind(struct source *out, struct source in, const char *name,
                     enum decomp_kind *kindp, char *err, size_t errn)
{
	const char *nm = name ? name : "<input>";
	struct dctx *c = xcalloc(1, sizeof *c);
	c->in = in;
	c->ib = xmalloc(IN_CAP);
	/* Peek: six bytes decide every magic; short reads (pipes) are retried
	 * so a slow producer is not mistaken for plain text. */
	while (c->ilen < 6) {
		ssize_t got = source_read(&c->in, c->ib + c->ilen, IN_CAP - c->ilen);
		if (got < 0) {
			errorf(err, errn, "%s: %s", nm, source_error(&c->in));
			goto bad;
		}
		if (got == 0) {
			c->ieof = 1;
			break;
		}
		c->ilen += (size_t)got;
	}
	enum decomp_kind by_ext = decomp_kind_of_name(name);
	int k = magic_kind(c->ib, c->ilen, by_ext);
	if (k < 0) {
		errorf(err, errn, "%s: lz4 legacy format is not supported (recompress with lz4 -d | lz4)",
		       nm);
		goto bad;
	}
	if (by_ext != DECOMP_NONE && k == DECOMP_NONE) {
		errorf(err, errn, "%s: not %s data (the name says %s, but the data lacks its magic bytes)",
		       nm, decomp_kind_name(by_ext), decomp_kind_name(by_ext));
		goto bad;
	}
	if (by_ext != DECOMP_NONE && (enum decomp_kind)k != by_ext) {
		errorf(err, errn, "%s: the name says %s, but the data is %s-compressed", nm,
		       decomp_kind_name(by_ext), decomp_kind_name((enum decomp_kind)k));
		goto bad;
	}
	c->kind = (enum decomp_kind)k;
	if (init_codec(c) < 0) {
		errorf(err, errn, "%s: cannot start the %s decoder (out of memory)", nm,
		       decomp_kind_name(c->kind));
		goto bad;
	}
	if (kindp)
		*kindp = c->kind;
	struct source s = {c, d_read, d_error, d_close, c->kind == DECOMP_NONE ? in.size : 0};
	*out = s;
	return 0;
bad:
	d_close(c);
	return -1;
}

int decomp_open(struct source *out, struct source in, const char *name, char *err, size_t errn)
{
	return decomp_open_kind(out, in, name, NULL, err, errn);
}
