/* wordtok.c - see wordtok.h.  spaCy's tokenizer rules for blank English,
 * written out by hand: each rule of its prefix, suffix and infix patterns
 * is a test on code points here, in the order its regular expressions
 * try them. */
#include "text/wordtok.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/utf8.h"
#include "text/wordtok_exc.h"

/* A byte that is not UTF-8 decodes to this: no class holds it. */
#define BAD_BYTE 0x110000u

/* Tokens: whitespace ones too when splitting sentences (the sentencizer
 * sees them), only the words otherwise. */
#define tok text_span

struct toks {
	struct tok *v;
	size_t n, cap;
};

struct range {
	uint32_t a, b;
};

/* Like spaCy, remember how short chunks split: prose repeats its words,
 * and a chunk splits the same wherever it stands. */
enum { CACHE_SLOTS = 16384, CACHE_KEY = 24, CACHE_TOKENS = 6, UNITS_MAX = 128 };
struct cached {
	uint32_t hash;
	uint8_t klen, ntok; /* klen 0: empty */
	uint8_t len[CACHE_TOKENS];
	char key[CACHE_KEY];
};

struct wordtok {
	struct wt_exctab exc;
	int single_patterns; /* some special case is matched as one token */
	uint32_t *cp, *boff; /* the chunk being split, and its code points' offsets */
	size_t cpcap;
	struct range *pre, *suf;
	size_t afxcap;
	struct toks all, chunk;
	struct range *cand;
	uint8_t *seen;
	size_t candcap, seencap;
	struct text_span *out;
	size_t outcap;
	struct cached *cache; /* CACHE_SLOTS of them */
	uint32_t unit_cp[UNITS_MAX][6]; /* the units, decoded */
	uint8_t unit_len[UNITS_MAX];
	uint64_t unit_ascii_first[2]; /* bit c: some unit starts with ASCII c */
};

/* ------------------------------------------------------------ classes */

static int is_space_cp(uint32_t c)
{
	if (c < 0x80)
		return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
	return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static utf8proc_category_t category(uint32_t c)
{
	return c < BAD_BYTE ? utf8proc_category((utf8proc_int32_t)c) : UTF8PROC_CATEGORY_CN;
}

static int is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(uint32_t c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	utf8proc_category_t k = category(c);
	return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

/* Lower and upper: cased letters of that case, and the uncased ones. */
static int is_lower(uint32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z';
	utf8proc_category_t k = category(c);
	return k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_LO;
}

static int is_upper(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z';
	utf8proc_category_t k = category(c);
	return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_LO;
}

static int is_icon(uint32_t c)
{
	return c >= 0xA6 && category(c) == UTF8PROC_CATEGORY_SO;
}

static int in_list(uint32_t c, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == c)
			return 1;
	return 0;
}

static const uint32_t punct_cps[] = {
	0x2026, ',', ':', ';', '!', '?', 0xBF, 0x61F, 0xA1, '(', ')', '[', ']', '{', '}', '<', '>',
	'_', '#', '*', '&', 0x3002, 0xFF1F, 0xFF01, 0xFF0C, 0x3001, 0xFF1B, 0xFF1A, 0xFF5E, 0xB7,
	0x964, 0x60C, 0x6D4, 0x61B, 0x66A,
};
static const uint32_t quote_cps[] = {
	'\'', '"', 0x201D, 0x201C, '`', 0x2018, 0xB4, 0x2019, 0x201A, ',', 0x201E, 0xBB, 0xAB,
	0x300C, 0x300D, 0x300E, 0x300F, 0xFF08, 0xFF09, 0x3014, 0x3015, 0x3010, 0x3011, 0x300A,
	0x300B, 0x3008, 0x3009, 0x2329, 0x232A, 0x27E6, 0x27E7,
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int is_punct_ch(uint32_t c)
{
	if (c < 0x80)
		return c == ',' || c == ':' || c == ';' || c == '!' || c == '?' || c == '(' || c == ')' ||
		       c == '[' || c == ']' || c == '{' || c == '}' || c == '<' || c == '>' || c == '_' ||
		       c == '#' || c == '*' || c == '&';
	return in_list(c, punct_cps, NELEM(punct_cps));
}

static int is_quote(uint32_t c)
{
	if (c < 0x80)
		return c == '\'' || c == '"' || c == '`' || c == ',';
	return in_list(c, quote_cps, NELEM(quote_cps));
}

static int is_currency1(uint32_t c)
{
	/* $ £ ¥ ฿ ﷼ and the Currency Symbols block's ₠ to ₿ */
	return c == '$' || c == 0xA3 || c == 0xA5 || c == 0xE3F || c == 0xFDFC || (c >= 0x20A0 && c <= 0x20BF);
}

/* "US$", "C$", "A$" at s[0..n): their length, else 0. */
static size_t dollar_prefix(const uint32_t *s, size_t n)
{
	if (n >= 3 && s[0] == 'U' && s[1] == 'S' && s[2] == '$')
		return 3;
	if (n >= 2 && (s[0] == 'C' || s[0] == 'A') && s[1] == '$')
		return 2;
	return 0;
}

/* ---------------------------------------------------- prefix, suffix */

static size_t prefix_len(const uint32_t *s, size_t n)
{
	if (!n)
		return 0;
	uint32_t c = s[0];
	if (c == '.') {
		size_t k = 1;
		while (k < n && s[k] == '.')
			k++;
		return k >= 2 ? k : 0;
	}
	if (c == '+')
		return n > 1 && is_digit(s[1]) ? 0 : 1;
	if (c == 0xA7 || c == '%' || c == '=' || c == 0x2014 || c == 0x2013 || is_punct_ch(c) || is_quote(c) ||
	    is_currency1(c) || is_icon(c))
		return 1;
	return dollar_prefix(s, n);
}

/* The units that split off after a number ("10km" -> "10" "km"), as code
 * points; spaCy's list runs "тб" into the first Arabic unit. */
static const char *const units[] = {
	"km", "km²", "km³", "m", "m²", "m³", "dm", "dm²", "dm³", "cm", "cm²", "cm³", "mm", "mm²", "mm³",
	"ha", "µm", "nm", "yd", "in", "ft", "kg", "g", "mg", "µg", "t", "lb", "oz", "m/s", "km/h",
	"kmh", "mph", "hPa", "Pa", "mbar", "mb", "MB", "kb", "KB", "gb", "GB", "tb", "TB", "T", "G",
	"M", "K", "%", "км", "км²", "км³", "м", "м²", "м³", "дм", "дм²", "дм³", "см", "см²", "см³",
	"мм", "мм²", "мм³", "нм", "кг", "г", "мг", "м/с", "км/ч", "кПа", "Па", "мбар", "Кб", "КБ",
	"кб", "Мб", "МБ", "мб", "Гб", "ГБ", "гб", "Тб", "ТБ", "тбكم", "كم²", "كم³", "م", "م²", "م³",
	"سم", "سم²", "سم³", "مم", "مم²", "مم³", "كم", "غرام", "جرام", "جم", "كغ", "ملغ", "كوب", "اكواب",
};

_Static_assert(NELEM(units) <= UNITS_MAX, "room for every unit");

/* The earliest start at which a unit or currency ends s[0..n) right after
 * a digit, or n. */
static size_t number_suffix_start(const struct wordtok *t, const uint32_t *s, size_t n)
{
	size_t best = n;
	for (size_t k = 1; k <= 5 && k < n; k++) {
		size_t st = n - k;
		if (!is_digit(s[st - 1]))
			continue;
		if (k == 1 && (is_currency1(s[st]) || s[st] == '+'))
			best = st < best ? st : best;
		if (dollar_prefix(s + st, k) == k)
			best = st < best ? st : best;
		if (s[st] < 0x80 && !(t->unit_ascii_first[s[st] >> 6] >> (s[st] & 63) & 1))
			continue; /* no unit starts with this character (most do not) */
		for (size_t u = 0; u < NELEM(units); u++)
			if (t->unit_len[u] == k && t->unit_cp[u][0] == s[st] &&
			    !memcmp(t->unit_cp[u], s + st, k * sizeof *s))
				best = st < best ? st : best;
	}
	return best;
}

/* Whether a period after c is a suffix (spaCy's class of numbers, lower
 * case, a few signs, punctuation and quotes; "|", "(", "?", ":" and ")"
 * come in through the way that class is built). */
static int period_follows(uint32_t c)
{
	return is_digit(c) || is_lower(c) || c == '%' || c == 0xB2 || c == '-' || c == '+' || is_punct_ch(c) ||
	       is_quote(c) || c == '|' || c == '(' || c == '?' || c == ':' || c == ')';
}

static size_t suffix_len(const struct wordtok *t, const uint32_t *s, size_t n)
{
	if (!n)
		return 0;
	size_t best = n;
	uint32_t c = s[n - 1];
#define TAKE(st) ((st) < best ? (void)(best = (st)) : (void)0)
	if (n >= 2 && c == 0x2026 && s[n - 2] == 0x2026)
		TAKE(n - 2);
	if (is_punct_ch(c) || is_quote(c) || is_icon(c) || c == 0x2014 || c == 0x2013)
		TAKE(n - 1);
	if (c == '.') {
		size_t k = 1;
		while (k < n && s[n - 1 - k] == '.')
			k++;
		if (k >= 2)
			TAKE(n - k);
		else if (n >= 2 && period_follows(s[n - 2]))
			TAKE(n - 1);
		else if (n >= 3 && is_upper(s[n - 2]) && is_upper(s[n - 3]))
			TAKE(n - 1);
		else if (n >= 3 && s[n - 3] == 0xB0 &&
		         (s[n - 2] == 'F' || s[n - 2] == 'f' || s[n - 2] == 'C' || s[n - 2] == 'c' ||
		          s[n - 2] == 'K' || s[n - 2] == 'k'))
			TAKE(n - 1);
	}
	if (n >= 2 && (c == 's' || c == 'S') && (s[n - 2] == '\'' || s[n - 2] == 0x2019))
		TAKE(n - 2);
	if (n >= 2)
		TAKE(number_suffix_start(t, s, n));
#undef TAKE
	return n - best;
}

/* ------------------------------------------------------------- infixes */

/* The infix match at s[i] (within s[0..n)): its length, or 0. */
static size_t infix_at(const uint32_t *s, size_t n, size_t i)
{
	uint32_t c = s[i];
	if (c < 0x80 && (is_alpha(c) || is_digit(c)))
		return 0; /* no infix starts with a letter or digit */
	if (c == '.' && i + 1 < n && s[i + 1] == '.') {
		size_t k = i + 2;
		while (k < n && s[k] == '.')
			k++;
		return k - i;
	}
	if (c == 0x2026 || is_icon(c))
		return 1;
	if (!i)
		return 0;
	uint32_t before = s[i - 1], after = i + 1 < n ? s[i + 1] : 0;
	if ((c == '+' || c == '-' || c == '*' || c == '^') && is_digit(before) && i + 1 < n &&
	    (is_digit(after) || after == '-'))
		return 1;
	if (c == '.' && (is_lower(before) || is_quote(before)) && i + 1 < n && (is_upper(after) || is_quote(after)))
		return 1;
	if (c == ',' && is_alpha(before) && i + 1 < n && is_alpha(after))
		return 1;
	if (!is_alpha(before) && !is_digit(before))
		return 0;
	/* hyphens, in spaCy's order: "-" "–" "—" "--" "---" "——" "~" */
	static const uint32_t hyph[][3] = {
		{'-'}, {0x2013}, {0x2014}, {'-', '-'}, {'-', '-', '-'}, {0x2014, 0x2014}, {'~'},
	};
	for (size_t h = 0; h < NELEM(hyph); h++) {
		size_t k = 0;
		while (k < 3 && hyph[h][k] && i + k < n && s[i + k] == hyph[h][k])
			k++;
		if ((k == 3 || !hyph[h][k]) && i + k < n && is_alpha(s[i + k]))
			return k;
	}
	if ((c == ':' || c == '<' || c == '>' || c == '=' || c == '/') && i + 1 < n && is_alpha(after))
		return 1;
	return 0;
}

/* ----------------------------------------------------------------- URLs */

static int is_host_ch(uint32_t c)
{
	return (c < 0x80 && (is_alpha(c) || is_digit(c))) || (c >= 0xA1 && c <= 0xFFFF);
}

static int is_word_ch(uint32_t c)
{
	if (c < 0x80)
		return is_alpha(c) || is_digit(c) || c == '_';
	utf8proc_category_t k = category(c);
	return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_NO);
}

/* The digits at s[i..]: their count (at most 4, enough for the checks). */
static size_t digits(const uint32_t *s, size_t n, size_t i, unsigned *value)
{
	size_t k = 0;
	*value = 0;
	while (i + k < n && is_digit(s[i + k]) && k < 4)
		*value = *value * 10 + (s[i + k] - '0'), k++;
	return k;
}

/* Whether s[i..] starts with lead (ASCII) then groups of ".D" where each
 * D but the last is 1 to 3 digits followed by the next dot. */
static int dotted(const uint32_t *s, size_t n, size_t i, const char *lead, int groups)
{
	for (; *lead; lead++, i++)
		if (i >= n || s[i] != (uint32_t)*lead)
			return 0;
	for (int g = 0; g < groups; g++) {
		unsigned v;
		if (i >= n || s[i] != '.')
			return 0;
		size_t k = digits(s, n, i + 1, &v);
		if (!k || (g + 1 < groups && k > 3))
			return 0;
		i += 1 + k;
	}
	return 1;
}

/* After the host: an optional port (2 to 5 digits), an optional path
 * starting with / ? or #, and the end. */
static int url_tail(const uint32_t *s, size_t n, size_t i)
{
	if (i < n && s[i] == ':') {
		size_t k = 0;
		while (i + 1 + k < n && category(s[i + 1 + k]) == UTF8PROC_CATEGORY_ND)
			k++;
		if (k < 2 || k > 5)
			return 0;
		i += 1 + k;
	}
	return i == n || s[i] == '/' || s[i] == '?' || s[i] == '#';
}

static int ip_host(const uint32_t *s, size_t n, size_t i)
{
	if (dotted(s, n, i, "10", 3) || dotted(s, n, i, "127", 3) || dotted(s, n, i, "169.254", 2) ||
	    dotted(s, n, i, "192.168", 2))
		return 0;
	for (unsigned b = 16; b <= 31; b++) {
		char lead[8] = "172.";
		lead[4] = (char)('0' + b / 10), lead[5] = (char)('0' + b % 10), lead[6] = 0;
		if (dotted(s, n, i, lead, 2))
			return 0;
	}
	for (int oct = 0; oct < 4; oct++) {
		unsigned v;
		if (oct) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		size_t k = digits(s, n, i, &v);
		int lead0 = k > 1 && s[i] == '0';
		int ok = oct == 0   ? k && k <= 3 && !lead0 && v >= 1 && v <= 223
		         : oct == 3 ? k && k <= 3 && !lead0 && v >= 1 && v <= 254
		                    : (k && k <= 2) || (k == 3 && v >= 100 && v <= 255);
		if (!ok)
			return 0;
		i += k;
	}
	return url_tail(s, n, i);
}

static int name_host(const uint32_t *s, size_t n, size_t i)
{
	size_t e = i;
	while (e < n && (is_host_ch(s[e]) || s[e] == '_' || s[e] == '-' || s[e] == '.'))
		e++;
	size_t label = i, labels = 0;
	for (size_t k = i; k < e; k++) {
		if (s[k] != '.')
			continue;
		size_t len = k - label;
		if (!len || len > 64 || !is_host_ch(s[label]) || !is_host_ch(s[k - 1]))
			return 0;
		label = k + 1, labels++;
	}
	size_t tld = e - label;
	if (!labels || tld < 2 || tld > 63)
		return 0;
	for (size_t k = label; k < e; k++)
		if (!is_lower(s[k]))
			return 0;
	return url_tail(s, n, e);
}

static int url_match(const uint32_t *s, size_t n)
{
	size_t dot = 0;
	while (dot < n && s[dot] != '.')
		dot++;
	if (dot == n)
		return 0; /* both a host name and an address have a dot */
	size_t start[2], ns = 0;
	start[ns++] = 0;
	size_t k = 0;
	while (k < n && (is_word_ch(s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.'))
		k++;
	if (k >= 2 && k + 2 < n && s[k] == ':' && s[k + 1] == '/' && s[k + 2] == '/')
		start[ns++] = k + 3;
	for (size_t j = 0; j < ns; j++) {
		size_t h = start[j];
		if (ip_host(s, n, h) || name_host(s, n, h))
			return 1;
		for (size_t a = h + 1; a < n; a++)
			if (s[a] == '@' && (ip_host(s, n, a + 1) || name_host(s, n, a + 1)))
				return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ scratch */

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p, *cap = c;
	return 0;
}

static int push(struct toks *t, size_t off, size_t len)
{
	if (t->n == t->cap && grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v) < 0)
		return -1;
	t->v[t->n++] = (struct tok){(uint32_t)off, (uint32_t)len};
	return 0;
}

/* Decodes text[0..len) into t->cp, t->boff (offsets relative to base). */
static int decode(struct wordtok *t, const char *text, size_t len, size_t base, size_t *n)
{
	size_t cap = t->cpcap;
	if (grow((void **)&t->cp, &cap, len + 1, sizeof *t->cp) < 0)
		return -1;
	cap = t->cpcap;
	if (grow((void **)&t->boff, &cap, len + 1, sizeof *t->boff) < 0)
		return -1;
	t->cpcap = cap;
	size_t k = 0;
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		t->boff[k] = (uint32_t)(base + i);
		if (s[i] < 0x80) {
			t->cp[k++] = s[i++];
			continue;
		}
		size_t m = utf8_seq_len(s + i, len - i);
		if (!m) {
			t->cp[k++] = BAD_BYTE;
			i++;
			continue;
		}
		int32_t c;
		utf8proc_iterate(s + i, (utf8proc_ssize_t)m, &c);
		t->cp[k++] = (uint32_t)c;
		i += m;
	}
	t->boff[k] = (uint32_t)(base + len);
	*n = k;
	return 0;
}

/* ------------------------------------------------------- one chunk */

static const struct wt_exc *special(const struct wordtok *t, const char *text, size_t lo, size_t hi)
{
	return wt_exc_find(&t->exc, text + t->boff[lo], t->boff[hi] - t->boff[lo]);
}

static int push_pieces(struct toks *out, const struct wt_exc *e, size_t off)
{
	for (int k = 0; k < e->npieces; k++) {
		if (push(out, off, e->piece[k]) < 0)
			return -1;
		off += e->piece[k];
	}
	return 0;
}

/* Splits the chunk decoded in t->cp[0..n) (text is the document) into
 * out, as spaCy's _tokenize_affixes does for one whitespace-free span. */
static int split_chunk(struct wordtok *t, const char *text, size_t n, int specials, struct toks *out)
{
	const uint32_t *cp = t->cp, *boff = t->boff;
	const struct wt_exc *e;
	size_t lo = 0, hi = n, npre = 0, nsuf = 0, last = (size_t)-1;
	if (specials && (e = special(t, text, lo, hi)))
		return push_pieces(out, e, boff[lo]);
	while (lo < hi && hi - lo != last) {
		if (specials && special(t, text, lo, hi))
			break;
		last = hi - lo;
		size_t pre = prefix_len(cp + lo, hi - lo);
		if (pre && specials && lo + pre < hi && special(t, text, lo + pre, hi)) {
			t->pre[npre++] = (struct range){(uint32_t)lo, (uint32_t)(lo + pre)};
			lo += pre;
			break;
		}
		size_t suf = suffix_len(t, cp + lo + pre, hi - lo - pre);
		if (suf && specials && hi - suf > lo && special(t, text, lo, hi - suf)) {
			t->suf[nsuf++] = (struct range){(uint32_t)(hi - suf), (uint32_t)hi};
			hi -= suf;
			break;
		}
		if (pre) {
			t->pre[npre++] = (struct range){(uint32_t)lo, (uint32_t)(lo + pre)};
			lo += pre;
		}
		if (suf) {
			t->suf[nsuf++] = (struct range){(uint32_t)(hi - suf), (uint32_t)hi};
			hi -= suf;
		}
	}
	for (size_t k = 0; k < npre; k++)
		if (push(out, boff[t->pre[k].a], boff[t->pre[k].b] - boff[t->pre[k].a]) < 0)
			return -1;
	if (lo < hi) {
		if (specials && (e = special(t, text, lo, hi))) {
			if (push_pieces(out, e, boff[lo]) < 0)
				return -1;
		} else if (url_match(cp + lo, hi - lo)) {
			if (push(out, boff[lo], boff[hi] - boff[lo]) < 0)
				return -1;
		} else {
			size_t start = lo;
			for (size_t i = lo; i < hi;) {
				size_t m = infix_at(cp + lo, hi - lo, i - lo);
				if (!m) {
					i++;
					continue;
				}
				if (i != lo) {
					if (i != start && push(out, boff[start], boff[i] - boff[start]) < 0)
						return -1;
					if (push(out, boff[i], boff[i + m] - boff[i]) < 0)
						return -1;
					start = i + m;
				}
				i += m;
			}
			if (start < hi && push(out, boff[start], boff[hi] - boff[start]) < 0)
				return -1;
		}
	}
	while (nsuf--)
		if (push(out, boff[t->suf[nsuf].a], boff[t->suf[nsuf].b] - boff[t->suf[nsuf].a]) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------- special cases, matched */

static int cand_order(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;
	uint32_t la = a->b - a->a, lb = b->b - b->a;
	if (la != lb)
		return la < lb ? 1 : -1;
	return a->a < b->a ? 1 : a->a > b->a ? -1 : 0;
}

static int start_order(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;
	return a->a < b->a ? -1 : a->a > b->a;
}

/* spaCy's second pass: special cases whose text the affix rules split are
 * found as token sequences and put back (longest first, then the later;
 * a match whose first or last token an earlier candidate covered is
 * dropped).  Appends the chunk's final tokens to t->all. */
static int merge_specials(struct wordtok *t, const char *text)
{
	struct toks *c = &t->chunk;
	size_t nc = 0, minlen = t->single_patterns ? 1 : 2;
	if (c->n >= minlen)
		for (size_t i = 0; i < c->n; i++) {
			for (size_t L = minlen; L <= WT_EXC_PATTERN && i + L <= c->n; L++) {
				size_t off = c->v[i].off, end = c->v[i + L - 1].off + c->v[i + L - 1].len;
				if (end - off >= 64)
					break;
				const struct wt_exc *e = wt_exc_find(&t->exc, text + off, end - off);
				if (!e || e->npat != L)
					continue;
				size_t k = 0;
				while (k < L && e->pat[k] == c->v[i + k].len)
					k++;
				if (k < L)
					continue;
				if (grow((void **)&t->cand, &t->candcap, nc + 1, sizeof *t->cand) < 0)
					return -1;
				t->cand[nc++] = (struct range){(uint32_t)i, (uint32_t)(i + L)};
			}
		}
	if (!nc) {
		for (size_t i = 0; i < c->n; i++)
			if (push(&t->all, c->v[i].off, c->v[i].len) < 0)
				return -1;
		return 0;
	}
	if (grow((void **)&t->seen, &t->seencap, c->n, 1) < 0)
		return -1;
	memset(t->seen, 0, c->n);
	qsort(t->cand, nc, sizeof *t->cand, cand_order);
	size_t keep = 0;
	for (size_t k = 0; k < nc; k++) {
		struct range r = t->cand[k];
		if (!t->seen[r.a] && !t->seen[r.b - 1])
			t->cand[keep++] = r;
		memset(t->seen + r.a, 1, r.b - r.a);
	}
	qsort(t->cand, keep, sizeof *t->cand, start_order);
	size_t i = 0;
	for (size_t k = 0; k < keep; k++) {
		for (; i < t->cand[k].a; i++)
			if (push(&t->all, c->v[i].off, c->v[i].len) < 0)
				return -1;
		size_t off = c->v[i].off, end = c->v[t->cand[k].b - 1].off + c->v[t->cand[k].b - 1].len;
		if (push_pieces(&t->all, wt_exc_find(&t->exc, text + off, end - off), off) < 0)
			return -1;
		i = t->cand[k].b;
	}
	for (; i < c->n; i++)
		if (push(&t->all, c->v[i].off, c->v[i].len) < 0)
			return -1;
	return 0;
}

/* Room for the affixes of a chunk of n code points: at most one a side
 * per code point. */
static int affix_room(struct wordtok *t, size_t n)
{
	size_t cap = t->afxcap;
	if (grow((void **)&t->pre, &cap, n + 1, sizeof *t->pre) < 0)
		return -1;
	cap = t->afxcap;
	if (grow((void **)&t->suf, &cap, n + 1, sizeof *t->suf) < 0)
		return -1;
	t->afxcap = cap;
	return 0;
}

static int tokenize_chunk(struct wordtok *t, const char *text, size_t off, size_t len)
{
	size_t n;
	if (decode(t, text + off, len, off, &n) < 0)
		return -1;
	if (affix_room(t, n) < 0)
		return -1;
	t->chunk.n = 0;
	if (split_chunk(t, text, n, 1, &t->chunk) < 0)
		return -1;
	return merge_specials(t, text);
}

/* ------------------------------------------------------------ driver */

/* The code point at s[i] (BAD_BYTE for a byte that is not UTF-8) and its
 * length. */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t i, size_t *len)
{
	if (s[i] < 0x80)
		return *len = 1, s[i];
	size_t m = utf8_seq_len(s + i, n - i);
	if (!m)
		return *len = 1, BAD_BYTE;
	int32_t c;
	utf8proc_iterate(s + i, (utf8proc_ssize_t)m, &c);
	*len = m;
	return (uint32_t)c;
}

/* FNV-1a, a byte at a time as the chunk is scanned. */
#define FNV_START 2166136261u
#define FNV_STEP(h, byte) (((h) ^ (byte)) * 16777619u)

/* tokenize_chunk, through the cache; h is the chunk's hash. */
static int chunk_cached(struct wordtok *t, const char *text, size_t off, size_t len, uint32_t h)
{
	if (len > CACHE_KEY)
		return tokenize_chunk(t, text, off, len);
	struct cached *c = &t->cache[h & (CACHE_SLOTS - 1)];
	if (c->klen == len && c->hash == h && !memcmp(c->key, text + off, len)) {
		for (int k = 0; k < c->ntok; k++) {
			if (push(&t->all, off, c->len[k]) < 0)
				return -1;
			off += c->len[k];
		}
		return 0;
	}
	size_t first = t->all.n;
	if (tokenize_chunk(t, text, off, len) < 0)
		return -1;
	size_t ntok = t->all.n - first;
	if (ntok > CACHE_TOKENS)
		return 0;
	c->hash = h, c->klen = (uint8_t)len, c->ntok = (uint8_t)ntok;
	memcpy(c->key, text + off, len);
	for (size_t k = 0; k < ntok; k++)
		c->len[k] = (uint8_t)t->all.v[first + k].len;
	return 0;
}

/* ASCII whitespace as Python's str.isspace sees it. */
static const uint8_t ascii_space[128] = {
	['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
	[0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, [' '] = 1,
};

static int space_at(const unsigned char *s, size_t n, size_t i, size_t *len)
{
	if (s[i] < 0x80)
		return *len = 1, ascii_space[s[i]];
	return is_space_cp(next_cp(s, n, i, len));
}

/* The tokens of text into t->all: all of them (with_ws), or the words. */
static int tokenize(struct wordtok *t, const char *text, size_t len, int with_ws)
{
	const unsigned char *s = (const unsigned char *)text;
	t->all.n = 0;
	size_t i = 0;
	while (i < len) {
		size_t m, j = i;
		int ws = space_at(s, len, i, &m);
		size_t start = i;
		uint32_t h = FNV_START;
		if (ws)
			while (j < len && space_at(s, len, j, &m))
				j += m;
		else
			while (j < len) {
				if (s[j] < 0x80) {
					if (ascii_space[s[j]])
						break;
					h = FNV_STEP(h, s[j]), j++;
				} else {
					if (space_at(s, len, j, &m))
						break;
					for (size_t e = j + m; j < e; j++)
						h = FNV_STEP(h, s[j]);
				}
			}
		/* A single space after a token is that token's trailing space. */
		if (ws && s[i] == ' ' && i > 0)
			start++;
		if (start < j) {
			if (ws) {
				if (with_ws && push(&t->all, start, j - start) < 0)
					return -1;
			} else if (chunk_cached(t, text, start, j - start, h) < 0)
				return -1;
		}
		i = j;
	}
	return 0;
}

static int out_reserve(struct wordtok *t, size_t n)
{
	return grow((void **)&t->out, &t->outcap, n ? n : 1, sizeof *t->out);
}

long wordtok_words(struct wordtok *t, const char *text, size_t len, const struct text_span **words)
{
	if (len > UINT32_MAX || tokenize(t, text, len, 0) < 0)
		return -1;
	*words = t->all.v;
	return (long)t->all.n;
}

static const uint32_t sent_end[] = {
	0x21, 0x2E, 0x3F, 0x589, 0x61F, 0x6D4, 0x700, 0x701, 0x702, 0x7F9, 0x964, 0x965, 0x104A,
	0x104B, 0x1362, 0x1367, 0x1368, 0x166E, 0x1735, 0x1736, 0x1803, 0x1809, 0x1944, 0x1945,
	0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F, 0x1C3B, 0x1C3C, 0x1C7E,
	0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C, 0x3002, 0xA4FF, 0xA60E,
	0xA60F, 0xA6F3, 0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8, 0xA9C9, 0xAA5D,
	0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56, 0xFE57, 0xFF01, 0xFF0E, 0xFF1F,
	0xFF61, 0x10A56, 0x10A57, 0x11047, 0x11048, 0x110BE, 0x110BF, 0x110C0, 0x110C1, 0x11141,
	0x11142, 0x11143, 0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238, 0x11239, 0x1123B,
	0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA, 0x115CB, 0x115CC,
	0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2, 0x115D3, 0x115D4, 0x115D5, 0x115D6,
	0x115D7, 0x11641, 0x11642, 0x1173C, 0x1173D, 0x1173E, 0x11A42, 0x11A43, 0x11A9B, 0x11A9C,
	0x11C41, 0x11C42, 0x16A6E, 0x16A6F, 0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x1BC9F, 0x1DA88,
};

/* 1: the token is one sentence-ending character; 2: it is punctuation
 * (every character P*); 0: neither. */
static int sentence_role(const char *text, const struct tok *k)
{
	const unsigned char *s = (const unsigned char *)text + k->off;
	size_t m, n = k->len, i = 0;
	uint32_t c = next_cp(s, n, 0, &m);
	if (m == n && (c < 0x80 ? c == '.' || c == '!' || c == '?' : in_list(c, sent_end, NELEM(sent_end))))
		return 1;
	for (; i < n; i += m) {
		c = next_cp(s, n, i, &m);
		if (c < 0x80) { /* ASCII's P* characters, without a table lookup */
			if (!c || !strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int)c))
				return 0;
			continue;
		}
		utf8proc_category_t cat = category(c);
		if (cat < UTF8PROC_CATEGORY_PC || cat > UTF8PROC_CATEGORY_PO)
			return 0;
	}
	return 2;
}

long wordtok_sentences(struct wordtok *t, const char *text, size_t len, const struct text_span **sents)
{
	if (len > UINT32_MAX || tokenize(t, text, len, 1) < 0 || out_reserve(t, t->all.n) < 0)
		return -1;
	size_t n = 0, start = 0;
	int seen_end = 0;
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i <= t->all.n; i++) {
		int role = i < t->all.n ? sentence_role(text, &t->all.v[i]) : 0;
		if (i < t->all.n && !(seen_end && role == 0)) {
			seen_end |= role == 1;
			continue;
		}
		seen_end = 0;
		if (i == 0)
			continue;
		/* the sentence: tokens [start, i), stripped of whitespace */
		size_t a = t->all.v[start].off, b = t->all.v[i - 1].off + t->all.v[i - 1].len, m;
		while (a < b && is_space_cp(next_cp(s, b, a, &m)))
			a += m;
		while (b > a) {
			size_t p = b - 1;
			while (p > a && (s[p] & 0xC0) == 0x80 && b - p < 4)
				p--;
			uint32_t c = next_cp(s, b, p, &m);
			if (p + m != b || !is_space_cp(c))
				break;
			b = p;
		}
		if (b > a)
			t->out[n++] = (struct text_span){(uint32_t)a, (uint32_t)(b - a)};
		start = i;
	}
	*sents = t->out;
	return (long)n;
}

/* ------------------------------------------------------ construction */

/* The affix split of each special case that the affix rules would touch:
 * spaCy's matcher finds those token sequences. */
static int build_patterns(struct wordtok *t)
{
	for (size_t i = 0; i <= t->exc.mask; i++) {
		struct wt_exc *e = &t->exc.slot[i];
		size_t n;
		if (!e->key || e->dead)
			continue;
		if (decode(t, e->key, e->klen, 0, &n) < 0)
			return -1;
		int touched = memchr(e->key, ' ', e->klen) || prefix_len(t->cp, n) || suffix_len(t, t->cp, n);
		for (size_t k = 0; k < n && !touched; k++)
			touched = infix_at(t->cp, n, k) != 0;
		if (!touched)
			continue;
		if (affix_room(t, n) < 0)
			return -1;
		t->chunk.n = 0;
		if (split_chunk(t, e->key, n, 0, &t->chunk) < 0)
			return -1;
		if (t->chunk.n > WT_EXC_PATTERN)
			continue;
		e->npat = (uint8_t)t->chunk.n;
		for (size_t k = 0; k < t->chunk.n; k++)
			e->pat[k] = (uint16_t)t->chunk.v[k].len;
		if (e->npat == 1 && e->npieces > 1)
			t->single_patterns = 1;
	}
	return 0;
}

struct wordtok *wordtok_new(void)
{
	struct wordtok *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	for (size_t u = 0; u < NELEM(units); u++) {
		const unsigned char *p = (const unsigned char *)units[u];
		size_t len = strlen(units[u]), i = 0, k = 0;
		while (i < len && k < 6) {
			int32_t c;
			utf8proc_ssize_t m = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
			t->unit_cp[u][k++] = (uint32_t)c;
			i += (size_t)(m > 0 ? m : 1);
		}
		t->unit_len[u] = (uint8_t)k;
		if (k && t->unit_cp[u][0] < 0x80)
			t->unit_ascii_first[t->unit_cp[u][0] >> 6] |= UINT64_C(1) << (t->unit_cp[u][0] & 63);
	}
	if (!(t->cache = calloc(CACHE_SLOTS, sizeof *t->cache)) || wt_exc_build(&t->exc) < 0 ||
	    build_patterns(t) < 0) {
		wordtok_free(t);
		return NULL;
	}
	return t;
}

void wordtok_free(struct wordtok *t)
{
	if (!t)
		return;
	wt_exc_free(&t->exc);
	free(t->cp), free(t->boff), free(t->pre), free(t->suf);
	free(t->all.v), free(t->chunk.v);
	free(t->cand), free(t->seen), free(t->out), free(t->cache);
	free(t);
}
