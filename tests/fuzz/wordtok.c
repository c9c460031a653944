/* tests/fuzz/wordtok.c - libFuzzer target for the spaCy-rules word and
 * sentence splitter (text/wordtok.h).
 *
 * On any input: the words tile the text's runs of non-space characters
 * exactly (in order, none empty, none crossing white space, no byte left
 * out), and the sentences are in order, inside the text, non-empty and
 * not overlapping.  The first byte picks the mode: bit 0 clear, the rest
 * is the text as it is; set, each byte of the rest picks a character
 * from an alphabet of what the rules look at (affixes, infixes,
 * apostrophes, URL parts, emoticon pieces, white space, letters of both
 * cases and none, digits), so the rules' corners come up often. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/wordtok.h"

#include "mapped.h"

static const char *const alphabet[] = {
	"a", "b", "e", "g", "i", "m", "n", "o", "s", "t", "A", "C", "E", "M", "S", "U", "0", "1", "5",
	"9", " ", " ", " ", "  ", "\t", "\n", "\xc2\xa0", "\xe3\x80\x80", ".", ".", "..", ",", ":",
	";", "!", "?", "'", "'", "\xe2\x80\x99", "\"", "(", ")", "[", "-", "-", "\xe2\x80\x94", "~",
	"/", "=", "<", ">", "+", "*", "^", "%", "$", "US$", "\xe2\x82\xac", "@", "#", "_", "km", "\xc2\xb0",
	"\xe2\x80\xa6", "n't", "'s", "'ll", "do", "ca", "e.g.", "Mr", "http://", "www.", ".com", ":)",
	"\xc3\xa9", "\xc3\x9c", "\xd0\xb6", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xe2\x98\x83", "\xff",
	"\xc3", "\0",
};
enum { NA = sizeof alphabet / sizeof alphabet[0] };

/* Python's str.isspace, on the UTF-8 sequence at s[i] (written out
 * apart from the library's version). */
static int is_space_at(const uint8_t *s, size_t n, size_t i, size_t *len)
{
	*len = 1;
	if (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13) || (s[i] >= 0x1C && s[i] <= 0x1F))
		return 1;
	if (i + 1 < n && s[i] == 0xC2 && (s[i + 1] == 0x85 || s[i + 1] == 0xA0))
		return *len = 2, 1;
	if (i + 2 >= n)
		return 0;
	unsigned c = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
	if (c == 0xE19A80 || (c >= 0xE28080 && c <= 0xE2808A) || c == 0xE280A8 || c == 0xE280A9 ||
	    c == 0xE280AF || c == 0xE2819F || c == 0xE38080)
		return *len = 3, 1;
	return 0;
}

static struct wordtok *wt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!wt && !(wt = wordtok_new()))
		abort();
	if (size < 1)
		return 0;
	size_t n;
	uint8_t *t = fuzz_mapped_text(data, size, alphabet, NA, &n);
	if (!t)
		abort();

	const struct text_span *v;
	long k = wordtok_words(wt, (const char *)t, n, &v);
	if (k < 0)
		abort();
	/* Walk the text: what no word covers is white space, and no word
	 * holds any. */
	size_t pos = 0, len;
	for (long w = 0; w <= k; w++) {
		size_t end = w < k ? v[w].off : n;
		if (w < k && (!v[w].len || v[w].off < pos || v[w].off + v[w].len > n))
			abort();
		for (size_t i = pos; i < end; i += len)
			if (!is_space_at(t, n, i, &len))
				abort();
		if (w < k)
			for (size_t i = v[w].off; i < v[w].off + v[w].len; i++)
				if (is_space_at(t, v[w].off + v[w].len, i, &len))
					abort();
		pos = w < k ? v[w].off + v[w].len : n;
	}

	k = wordtok_sentences(wt, (const char *)t, n, &v);
	if (k < 0)
		abort();
	pos = 0;
	for (long j = 0; j < k; j++) {
		if (!v[j].len || v[j].off < pos || v[j].off + v[j].len > n)
			abort();
		pos = v[j].off + v[j].len;
	}
	free(t);
	return 0;
}
