/* pqcodec.h - decompression of Parquet pages: every codec real writers use
 * (snappy, gzip, zstd, LZ4 raw and Hadoop-framed, brotli), into a buffer of
 * exactly the size the page header promises.  Anything else (a short or
 * long result, damaged input, an unknown codec) is an error with a one-line
 * reason, never a partial page. */
#ifndef SLUICE_PQCODEC_H
#define SLUICE_PQCODEC_H

#include <stddef.h>
#include <stdint.h>

enum pq_codec {
	PQ_UNCOMPRESSED = 0,
	PQ_SNAPPY = 1,
	PQ_GZIP = 2,
	PQ_LZO = 3,
	PQ_BROTLI = 4,
	PQ_LZ4 = 5, /* Hadoop's framing, or raw blocks from old parquet-cpp */
	PQ_ZSTD = 6,
	PQ_LZ4_RAW = 7,
};

struct pq_codec_ctx; /* reusable decoder state (a zstd context) */
struct pq_codec_ctx *pq_codec_new(void);
void pq_codec_free(struct pq_codec_ctx *c);

const char *pq_codec_name(int codec);
/* Largest uncompressed size that n compressed bytes can honestly stand for
 * under this codec, so a page header cannot make us allocate more than the
 * data could ever fill; UINT64_MAX when the codec has no such bound. */
uint64_t pq_codec_max_expansion(int codec, uint64_t n);
/* Decompresses src into exactly dst_len bytes at dst: 0, or -1 with err. */
int pq_decompress(struct pq_codec_ctx *c, int codec, const uint8_t *src, size_t src_len,
                  uint8_t *dst, size_t dst_len, char *err, size_t errn);

#endif
