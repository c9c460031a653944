/* bytelevel.c - GPT-2's byte-to-character table (see bytelevel.h). */
#include "tok/bytelevel.h"

#include <stdbool.h>

#include "base/buf.h"

static bool byte_is_printable(int b)
{
	return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

void bytelevel_init(struct bytelevel *bl)
{
	for (int i = 0; i < 512; i++)
		bl->cp_to_byte[i] = -1;
	uint32_t next = 256;
	for (int b = 0; b < 256; b++) {
		bl->byte_to_cp[b] = byte_is_printable(b) ? (uint32_t)b : next++;
		bl->cp_to_byte[bl->byte_to_cp[b]] = (int16_t)b;
	}
}

int bytelevel_decode(const struct bytelevel *bl, const char *s, size_t n, struct buf *out)
{
	buf_clear(out);
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		if (p[i] < 0x80) {
			cp = p[i++];
		} else if ((p[i] & 0xe0) == 0xc0 && i + 1 < n && (p[i + 1] & 0xc0) == 0x80) {
			cp = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
			i += 2;
		} else {
			return -1; /* the table's characters are all below U+0800 */
		}
		if (cp >= 512 || bl->cp_to_byte[cp] < 0)
			return -1;
		buf_addc(out, (char)bl->cp_to_byte[cp]);
	}
	return 0;
}

void bytelevel_encode(const struct bytelevel *bl, const uint8_t *bytes, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = bl->byte_to_cp[bytes[i]];
		if (cp < 0x80) {
			buf_addc(out, (char)cp);
		} else {
			buf_addc(out, (char)(0xc0 | cp >> 6));
			buf_addc(out, (char)(0x80 | (cp & 0x3f)));
		}
	}
}
