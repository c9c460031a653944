/* unicls.c - see unicls.h */
#include "tok/unicls.h"

#include <utf8proc.h>

#include "base/utf8.h"

#define A_UP (UC_L | UC_UP)
#define A_LO (UC_L | UC_LO)
#define A_WS UC_S
#define A_NL (UC_S | UC_NL)

/* Most text is ASCII: its classes cost one load. */
const uint8_t unicls_ascii[128] = {
	['\t'] = A_WS, ['\n'] = A_NL, ['\v'] = A_WS, ['\f'] = A_WS, ['\r'] = A_NL, [' '] = A_WS,
	['0'] = UC_N, ['1'] = UC_N, ['2'] = UC_N, ['3'] = UC_N, ['4'] = UC_N,
	['5'] = UC_N, ['6'] = UC_N, ['7'] = UC_N, ['8'] = UC_N, ['9'] = UC_N,
	['A'] = A_UP, ['B'] = A_UP, ['C'] = A_UP, ['D'] = A_UP, ['E'] = A_UP, ['F'] = A_UP,
	['G'] = A_UP, ['H'] = A_UP, ['I'] = A_UP, ['J'] = A_UP, ['K'] = A_UP, ['L'] = A_UP,
	['M'] = A_UP, ['N'] = A_UP, ['O'] = A_UP, ['P'] = A_UP, ['Q'] = A_UP, ['R'] = A_UP,
	['S'] = A_UP, ['T'] = A_UP, ['U'] = A_UP, ['V'] = A_UP, ['W'] = A_UP, ['X'] = A_UP,
	['Y'] = A_UP, ['Z'] = A_UP,
	['a'] = A_LO, ['b'] = A_LO, ['c'] = A_LO, ['d'] = A_LO, ['e'] = A_LO, ['f'] = A_LO,
	['g'] = A_LO, ['h'] = A_LO, ['i'] = A_LO, ['j'] = A_LO, ['k'] = A_LO, ['l'] = A_LO,
	['m'] = A_LO, ['n'] = A_LO, ['o'] = A_LO, ['p'] = A_LO, ['q'] = A_LO, ['r'] = A_LO,
	['s'] = A_LO, ['t'] = A_LO, ['u'] = A_LO, ['v'] = A_LO, ['w'] = A_LO, ['x'] = A_LO,
	['y'] = A_LO, ['z'] = A_LO,
};

/* By utf8proc general category.  Lm and Lo (and the marks) are both
 * "upper" and "lower" in o200k's two letter classes. */
static const uint8_t by_category[] = {
	[UTF8PROC_CATEGORY_LU] = UC_L | UC_UP,
	[UTF8PROC_CATEGORY_LL] = UC_L | UC_LO,
	[UTF8PROC_CATEGORY_LT] = UC_L | UC_UP,
	[UTF8PROC_CATEGORY_LM] = UC_L | UC_UP | UC_LO,
	[UTF8PROC_CATEGORY_LO] = UC_L | UC_UP | UC_LO,
	[UTF8PROC_CATEGORY_MN] = UC_M | UC_UP | UC_LO,
	[UTF8PROC_CATEGORY_MC] = UC_M | UC_UP | UC_LO,
	[UTF8PROC_CATEGORY_ME] = UC_M | UC_UP | UC_LO,
	[UTF8PROC_CATEGORY_ND] = UC_N,
	[UTF8PROC_CATEGORY_NL] = UC_N,
	[UTF8PROC_CATEGORY_NO] = UC_N,
	[UTF8PROC_CATEGORY_ZS] = UC_S,
	[UTF8PROC_CATEGORY_ZL] = UC_S,
	[UTF8PROC_CATEGORY_ZP] = UC_S,
	[UTF8PROC_CATEGORY_CO] = 0, /* sizes the table to the last category */
};

unsigned unicls_cp(uint32_t cp)
{
	if (cp < 0x80)
		return unicls_ascii[cp];
	if (cp > 0x10FFFF)
		return 0;
	/* White_Space is the Z categories plus ASCII controls and NEL (a Cc). */
	if (cp == 0x85)
		return UC_S;
	utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
	return (size_t)c < sizeof by_category ? by_category[c] : 0;
}

size_t unicls_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t k = utf8_seq_len(s, n);
	switch (k) {
	case 1: *cp = s[0]; break;
	case 2: *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F); break;
	case 3: *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F); break;
	case 4:
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
		      (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
		break;
	}
	return k;
}

unsigned unicls_at_slow(const uint8_t *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t k = unicls_decode(s, n, &cp);
	if (!k) {
		*len = 1;
		return 0;
	}
	*len = k;
	return unicls_cp(cp);
}

void unicls_fill_bmp(uint8_t *t)
{
	for (uint32_t cp = 0; cp < 0x10000; cp++)
		t[cp] = cp >= 0xD800 && cp <= 0xDFFF ? 0 : (uint8_t)unicls_cp(cp);
}
