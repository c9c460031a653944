/* le.h - little-endian integers in byte buffers, for the file and frame
 * formats (records, segments, logs, indexes), all little-endian.  sluice
 * runs on little-endian hosts only (rec.c refuses to build otherwise), so
 * each is a memcpy, which compilers make a single unaligned load or store. */
#ifndef SLUICE_LE_H
#define SLUICE_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le_get16(const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static inline uint32_t le_get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static inline uint64_t le_get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static inline void le_put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void le_put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void le_put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

#endif
