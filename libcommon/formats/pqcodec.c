/* pqcodec.c - see pqcodec.h */
#include "formats/pqcodec.h"

#include <brotli/decode.h>
#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/die.h"

struct pq_codec_ctx {
	ZSTD_DCtx *zstd; /* created on first use: most files never need it */
};

struct pq_codec_ctx *pq_codec_new(void) { return xcalloc(1, sizeof(struct pq_codec_ctx)); }

void pq_codec_free(struct pq_codec_ctx *c)
{
	if (!c)
		return;
	ZSTD_freeDCtx(c->zstd);
	free(c);
}

const char *pq_codec_name(int codec)
{
	switch (codec) {
	case PQ_UNCOMPRESSED: return "uncompressed";
	case PQ_SNAPPY: return "snappy";
	case PQ_GZIP: return "gzip";
	case PQ_LZO: return "lzo";
	case PQ_BROTLI: return "brotli";
	case PQ_LZ4: return "lz4";
	case PQ_ZSTD: return "zstd";
	case PQ_LZ4_RAW: return "lz4_raw";
	default: return "unknown";
	}
}

uint64_t pq_codec_max_expansion(int codec, uint64_t n)
{
	switch (codec) {
	case PQ_UNCOMPRESSED: return n;
	case PQ_SNAPPY: return n * 32 + 64;  /* a 2-byte copy op yields at most 64 bytes */
	case PQ_GZIP: return n * 1040 + 1024; /* deflate tops out near 1032:1 */
	case PQ_LZ4:
	case PQ_LZ4_RAW: return n * 256 + 64; /* each extra length byte adds at most 255 */
	default: return UINT64_MAX;           /* zstd and brotli can repeat without bound */
	}
}

static int gunzip(const uint8_t *src, size_t n, uint8_t *dst, size_t dn, char *err, size_t errn)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 32) != Z_OK) { /* +32: gzip or zlib header */
		errorf(err, errn, "gzip: cannot start inflate");
		return -1;
	}
	size_t in = 0, out = 0;
	int rc = 0;
	/* A page may be several gzip members one after another (some writers
	 * compress in pieces); inflate each until the input is used up.  zlib
	 * counts in uInt, so large pages go through in slices. */
	for (;;) {
		size_t in_slice = n - in < UINT_MAX ? n - in : UINT_MAX;
		size_t out_slice = dn - out < UINT_MAX ? dn - out : UINT_MAX;
		z.next_in = (Bytef *)(uintptr_t)(src + in);
		z.avail_in = (uInt)in_slice;
		z.next_out = dst + out;
		z.avail_out = (uInt)out_slice;
		int zr = inflate(&z, Z_NO_FLUSH);
		size_t used = in_slice - z.avail_in, made = out_slice - z.avail_out;
		in += used;
		out += made;
		if (zr == Z_STREAM_END) {
			/* Another member follows only if a gzip magic byte does;
			 * anything else after the last member is padding. */
			if (n - in < 2 || src[in] != 0x1f || src[in + 1] != 0x8b)
				break;
			if (inflateReset(&z) != Z_OK) {
				rc = -1;
				errorf(err, errn, "gzip: cannot restart inflate");
				break;
			}
			continue;
		}
		if (zr == Z_OK && (used || made))
			continue;
		rc = -1;
		/* zlib's own verdict first: a member whose CRC or length trailer
		 * is damaged fails only after all its output is made, when the
		 * page is full and input is left, which is no overflow. */
		if (zr != Z_BUF_ERROR && zr != Z_OK)
			errorf(err, errn, "gzip: %s", z.msg ? z.msg : "damaged data");
		else if (out == dn && in < n)
			errorf(err, errn, "gzip: decompresses to more than the page size");
		else
			errorf(err, errn, "gzip: truncated data");
		break;
	}
	inflateEnd(&z);
	if (!rc && out != dn) {
		errorf(err, errn, "gzip: decompresses to %zu bytes, page header says %zu", out, dn);
		rc = -1;
	}
	return rc;
}

/* Hadoop's LZ4 codec frames blocks as [u32 BE raw size][u32 BE compressed
 * size][LZ4 block]...; old parquet-cpp wrote bare LZ4 blocks under the same
 * codec id, so fall back to that when the framing does not add up. */
static int lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dn)
{
	size_t in = 0, out = 0;
	while (in < n) {
		if (n - in < 8)
			return -1;
		uint32_t raw = (uint32_t)src[in] << 24 | (uint32_t)src[in + 1] << 16 |
		               (uint32_t)src[in + 2] << 8 | src[in + 3];
		uint32_t comp = (uint32_t)src[in + 4] << 24 | (uint32_t)src[in + 5] << 16 |
		                (uint32_t)src[in + 6] << 8 | src[in + 7];
		in += 8;
		if (comp > n - in || raw > dn - out || comp > INT_MAX || raw > INT_MAX)
			return -1;
		int got = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)comp, (int)raw);
		if (got < 0 || (uint32_t)got != raw)
			return -1;
		in += comp;
		out += raw;
	}
	return out == dn ? 0 : -1;
}

int pq_decompress(struct pq_codec_ctx *c, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                  size_t dn, char *err, size_t errn)
{
	switch (codec) {
	case PQ_UNCOMPRESSED:
		if (n != dn) {
			errorf(err, errn, "uncompressed page of %zu bytes, header says %zu", n, dn);
			return -1;
		}
		if (n)
			memcpy(dst, src, n);
		return 0;
	case PQ_SNAPPY: {
		size_t len;
		if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len != dn) {
			errorf(err, errn, "snappy: damaged data or wrong size");
			return -1;
		}
		if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK || len != dn) {
			errorf(err, errn, "snappy: damaged data");
			return -1;
		}
		return 0;
	}
	case PQ_GZIP:
		return gunzip(src, n, dst, dn, err, errn);
	case PQ_ZSTD: {
		if (!c->zstd && !(c->zstd = ZSTD_createDCtx()))
			die(STATUS_FAIL, "out of memory");
		size_t r = ZSTD_decompressDCtx(c->zstd, dst, dn, src, n);
		if (ZSTD_isError(r)) {
			errorf(err, errn, "zstd: %s", ZSTD_getErrorName(r));
			return -1;
		}
		if (r != dn) {
			errorf(err, errn, "zstd: decompresses to %zu bytes, page header says %zu", r, dn);
			return -1;
		}
		return 0;
	}
	case PQ_LZ4_RAW:
	case PQ_LZ4: {
		if (codec == PQ_LZ4 && lz4_hadoop(src, n, dst, dn) == 0)
			return 0;
		if (n > INT_MAX || dn > INT_MAX) {
			errorf(err, errn, "lz4: page too large");
			return -1;
		}
		int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dn);
		if (got < 0 || (size_t)got != dn) {
			errorf(err, errn, "lz4: damaged data or wrong size");
			return -1;
		}
		return 0;
	}
	case PQ_BROTLI: {
		size_t len = dn;
		if (BrotliDecoderDecompress(n, src, &len, dst) != BROTLI_DECODER_RESULT_SUCCESS ||
		    len != dn) {
			errorf(err, errn, "brotli: damaged data or wrong size");
			return -1;
		}
		return 0;
	}
	default:
		errorf(err, errn, "unsupported compression codec %s (%d)", pq_codec_name(codec), codec);
		return -1;
	}
}
