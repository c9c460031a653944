/* tests/fuzz/pretok.c - libFuzzer target for the BPE pre-tokenizer.
 *
 * On any input, each fast matcher (GPT-2, cl100k in both spellings,
 * o200k) and PCRE2 in Isolated mode must tile the text with pieces inside
 * it (AddressSanitizer sees any read past it).  On valid UTF-8 whose code
 * points all have the same classes in utf8proc and PCRE2 (their Unicode
 * versions differ; see tests/pretok.bats), each fast matcher must split
 * exactly as PCRE2 does with the same pattern.
 *
 * The first byte picks the mode: bit 0 clear, the rest is the text as it
 * is; set, each byte of the rest picks a character from an alphabet that
 * hits every class the patterns name, so most inputs are valid UTF-8 and
 * the comparison runs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tok/pretok.h"
#include "tok/unicls.h"

static const char *const patterns[] = {
	PRETOK_PATTERN_GPT2, PRETOK_PATTERN_GPT2_TIKTOKEN, PRETOK_PATTERN_CL100K,
	PRETOK_PATTERN_CL100K_TIKTOKEN, PRETOK_PATTERN_O200K,
};
enum { NP = sizeof patterns / sizeof patterns[0] };

/* The alphabet: characters of every class and the bytes the patterns
 * spell out; the table cycles through it. */
static const uint32_t alphabet[] = {
	'a', 'b', 'z', 'A', 'Z', '0', '7', '9', ' ', ' ', ' ', ' ', '\t', '\n', '\n', '\r', '\v', '\f',
	'\'', '\'', '\'', 's', 't', 'm', 'd', 'l', 'v', 'r', 'e', 'S', 'T', 'M', 'D', 'L', 'V', 'R', 'E',
	'/', '/', '!', '.', '"', '-', '_', '(', 0x17F, 0x2019,
	0x85, 0xA0, 0x1680, 0x2000, 0x2005, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
	0xC0, 0x3A3, 0x416, 0xE9, 0x3C3, 0x436, 0x1C5, 0x1C8, 0x2B0, 0x30FC, 0x4E2D, 0x5D0, 0x627, 0xE01,
	0x301, 0x308, 0x93F, 0x20DD, 0x663, 0x96A, 0x2167, 0xBD, 0xB2, 0x1F600, 0x200D, 0xFE0F, 0x1F3FD,
	0x1F1EB, 0x200B, 0x180E, 0x1D400, 0x10400, 0x10428, 0xE000, 0xFFFF, 0x1F468, 0x7F, 0x1,
};

static size_t encode(uint32_t cp, uint8_t *s)
{
	if (cp < 0x80)
		return s[0] = (uint8_t)cp, 1;
	if (cp < 0x800)
		return s[0] = (uint8_t)(0xC0 | cp >> 6), s[1] = (uint8_t)(0x80 | (cp & 0x3F)), 2;
	if (cp < 0x10000) {
		s[0] = (uint8_t)(0xE0 | cp >> 12), s[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		s[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	s[0] = (uint8_t)(0xF0 | cp >> 18), s[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	s[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), s[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* Made once: test state, not the library's. */
static struct pretok *fast[NP], *slow[NP], *isolated;
static struct pretok_scratch *slow_sc[NP], *iso_sc;
static pcre2_code *class_re[6];
static pcre2_match_data *class_md;
static uint8_t verdict[0x110000]; /* 0 unknown, 1 same classes, 2 differ */

static void init(void)
{
	char err[256];
	for (int k = 0; k < NP; k++) {
		fast[k] = pretok_new(patterns[k], 0, err, sizeof err);
		slow[k] = pretok_new(patterns[k], PRETOK_NO_FAST, err, sizeof err);
		if (!fast[k] || !slow[k] || pretok_kind(fast[k]) == PRETOK_REGEX)
			abort();
		slow_sc[k] = pretok_scratch_new(slow[k]);
	}
	isolated = pretok_new(PRETOK_PATTERN_O200K, PRETOK_NO_FAST | PRETOK_ISOLATED, err, sizeof err);
	iso_sc = pretok_scratch_new(isolated);
	static const char *const cls[] = {
		"\\p{L}", "\\p{N}", "\\p{M}", "\\s",
		"[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]", "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]",
	};
	for (int k = 0; k < 6; k++) {
		int code;
		PCRE2_SIZE off;
		class_re[k] = pcre2_compile((PCRE2_SPTR)cls[k], PCRE2_ZERO_TERMINATED,
		                            PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &code, &off, NULL);
		if (!class_re[k])
			abort();
	}
	class_md = pcre2_match_data_create(4, NULL);
}

/* Whether utf8proc and PCRE2 give cp the same classes. */
static int same_classes(uint32_t cp)
{
	if (!verdict[cp]) {
		static const unsigned bits[] = {UC_L, UC_N, UC_M, UC_S, UC_UP, UC_LO};
		uint8_t s[4];
		size_t n = encode(cp, s);
		unsigned ours = unicls_cp(cp), theirs = 0, mask = 0;
		for (int k = 0; k < 6; k++) {
			mask |= bits[k];
			if (pcre2_match(class_re[k], s, n, 0, 0, class_md, NULL) > 0)
				theirs |= bits[k];
		}
		verdict[cp] = (ours & mask) == theirs ? 1 : 2;
	}
	return verdict[cp] == 1;
}

/* Valid UTF-8 with no code point whose classes differ. */
static int comparable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = unicls_decode(s + i, n - i, &cp);
		if (!k || !same_classes(cp))
			return 0;
		i += k;
	}
	return 1;
}

static void tiles(const struct pretok *pt, struct pretok_scratch *sc, const uint8_t *s, size_t n)
{
	size_t pos = 0, start, end;
	volatile uint64_t sink = 0;
	while (pos < n) {
		end = pretok_next(pt, sc, s, n, pos, &start);
		if (start != pos || end <= pos || end > n) {
			fprintf(stderr, "bad piece [%zu, %zu) at %zu of %zu\n", start, end, pos, n);
			abort();
		}
		sink += s[end - 1];
		pos = end;
	}
	(void)sink;
}

static void same(int k, const uint8_t *s, size_t n)
{
	size_t pa = 0, pb = 0, sa, sb, ea, eb;
	for (;;) {
		ea = pa < n ? pretok_next(fast[k], NULL, s, n, pa, &sa) : 0;
		eb = pb < n ? pretok_next(slow[k], slow_sc[k], s, n, pb, &sb) : 0;
		if (!ea && !eb)
			return;
		if (ea != eb || (ea && sa != sb)) {
			fprintf(stderr, "pattern %d: fast piece [%zu, %zu), PCRE2 [%zu, %zu)\n", k,
			        ea ? sa : n, ea, eb ? sb : n, eb);
			abort();
		}
		pa = ea, pb = eb;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!isolated)
		init();
	if (size < 1)
		return 0;
	int mapped = data[0] & 1;
	data++;
	size--;
	/* An exact-size copy either way, so a read past the text is a read
	 * past the allocation. */
	uint8_t *s = malloc(mapped ? 4 * size + 1 : size + 1);
	size_t n = 0;
	if (mapped) {
		for (size_t i = 0; i < size; i++)
			n += encode(alphabet[data[i] % (sizeof alphabet / sizeof alphabet[0])], s + n);
		s = realloc(s, n ? n : 1);
	} else {
		memcpy(s, data, size);
		n = size;
		s = realloc(s, n ? n : 1);
	}
	for (int k = 0; k < NP; k++)
		tiles(fast[k], NULL, s, n);
	tiles(isolated, iso_sc, s, n);
	if (comparable(s, n))
		for (int k = 0; k < NP; k++)
			same(k, s, n);
	free(s);
	return 0;
}
