/* pretok.c - see pretok.h
 *
 * Each fast matcher below is its pattern's alternation worked out by hand:
 * given the class of the character at pos, which alternative matches first
 * and where PCRE2's backtracking would leave it.  The comments quote the
 * alternative each branch stands for.  A call reads forward from pos over
 * one run of a class (and the character after it); where it returns less
 * than the run, what is left has no character that made it stop short, so
 * no byte is read by more than three calls and a split takes linear time
 * on any input (tests/pretok.bats times a megabyte of each such run). */
#include "tok/pretok.h"

#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/die.h"
#include "tok/unicls.h"

struct pretok {
	enum pretok_kind kind;
	unsigned flags;
	/* cl100k as tiktoken >= 0.8 spells it: \s++$ before \s*[\r\n]. */
	bool ws_to_end;
	char *pattern;
	pcre2_code *re;
	/* The fast kinds' classes of the BMP (unicls_fill_bmp). */
	uint8_t *bmp;
};

struct pretok_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
};

/* The known spellings and what they are. */
static const struct {
	const char *pattern;
	enum pretok_kind kind;
	bool ws_to_end;
} known[] = {
	{PRETOK_PATTERN_GPT2, PRETOK_GPT2, false},
	{PRETOK_PATTERN_GPT2_TIKTOKEN, PRETOK_GPT2, false},
	{PRETOK_PATTERN_CL100K, PRETOK_CL100K, false},
	{PRETOK_PATTERN_CL100K_TIKTOKEN, PRETOK_CL100K, true},
	{PRETOK_PATTERN_O200K, PRETOK_O200K, false},
};

/* The classes of the character at s[i] (i < len), its length in *n.  The
 * BMP, which is nearly all text, decodes here and reads the table (a call
 * into utf8proc per character would cost more than the rest of the split);
 * the rest (astral planes, bad bytes) goes through unicls_at_slow. */
static inline unsigned cls(const uint8_t *t, const uint8_t *s, size_t len, size_t i, size_t *n)
{
	unsigned b = s[i];
	if (b < 0x80) {
		*n = 1;
		return t[b];
	}
	if (b >= 0xC2 && b <= 0xDF && len - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
		*n = 2;
		return t[(b & 0x1F) << 6 | (s[i + 1] & 0x3F)];
	}
	if ((b & 0xF0) == 0xE0 && len - i >= 3 && (s[i + 1] & 0xC0) == 0x80 &&
	    (s[i + 2] & 0xC0) == 0x80) {
		unsigned cp = (b & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
		/* Not overlong, not a surrogate. */
		if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
			*n = 3;
			return t[cp];
		}
	}
	return unicls_at_slow(s + i, len - i, n);
}

/* End of the run from i of characters in some class of mask (in none of
 * them if out).  ASCII goes round the inner loop, which the compiler
 * keeps tight: that is most of the bytes of most text. */
static inline size_t run(const uint8_t *t, const uint8_t *s, size_t len, size_t i, unsigned mask,
                         bool out)
{
	size_t n;
	for (;;) {
		while (i < len && s[i] < 0x80 && ((t[s[i]] & mask) != 0) != out)
			i++;
		if (i == len || s[i] < 0x80 || ((cls(t, s, len, i, &n) & mask) != 0) == out)
			return i;
		i += n;
	}
}

static inline size_t run_in(const uint8_t *t, const uint8_t *s, size_t len, size_t i, unsigned mask)
{
	return run(t, s, len, i, mask, false);
}

static inline size_t run_out(const uint8_t *t, const uint8_t *s, size_t len, size_t i, unsigned mask)
{
	return run(t, s, len, i, mask, true);
}

/* End of the run from i of \r and \n, and / too if slash. */
static size_t run_breaks(const uint8_t *s, size_t len, size_t i, bool slash)
{
	while (i < len && (s[i] == '\r' || s[i] == '\n' || (slash && s[i] == '/')))
		i++;
	return i;
}

static inline int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Length of the contraction at s[i]: 's 't 're 've 'm 'll 'd, or 0.  With
 * caseless ((?i:...)) any case, and U+017F LATIN SMALL LETTER LONG S for s:
 * Unicode simple case folding maps it to s, so PCRE2 and Rust's regex both
 * take it; it is the only non-ASCII character that folds to one of these. */
static size_t contraction(const uint8_t *s, size_t len, size_t i, bool caseless)
{
	if (i >= len || s[i] != '\'' || i + 1 >= len)
		return 0;
	int a = s[i + 1], b = i + 2 < len ? s[i + 2] : 0;
	if (caseless) {
		if (a == 0xC5 && b == 0xBF)
			return 3;
		a = fold(a), b = fold(b);
	}
	switch (a) {
	case 's': case 't': case 'm': case 'd':
		return 2;
	case 'r': case 'v':
		return b == 'e' ? 3 : 0;
	case 'l':
		return b == 'l' ? 3 : 0;
	}
	return 0;
}

/* The white-space tail shared by all three: pos starts a run of \s that no
 * earlier alternative took.  nl: the pattern has \s*[\r\n] (cl100k, o200k),
 * which ends the piece after the run's last line break.  ws_to_end: \s++$
 * comes first.  Otherwise \s+(?!\S)|\s+: a run followed by non-space gives
 * its last character back to that character's piece (" world"), unless
 * it is the run's only one. */
static size_t white(const uint8_t *t, const uint8_t *s, size_t len, size_t pos, bool nl, bool ws_to_end)
{
	size_t i = pos, last = pos, after_nl = 0, n;
	while (i < len && (cls(t, s, len, i, &n) & UC_S)) {
		last = i;
		i += n;
		if (s[last] == '\n' || s[last] == '\r')
			after_nl = i;
	}
	if (ws_to_end && i == len)
		return len;
	if (nl && after_nl)
		return after_nl;
	return i == len || last == pos ? i : last;
}

/* r50k/p50k/gpt2:
 * 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t next_gpt2(const uint8_t *t, const uint8_t *s, size_t len, size_t pos)
{
	size_t n = contraction(s, len, pos, false);
	if (n)
		return pos + n;
	/* " ?": a leading space joins whatever class follows it. */
	size_t q = pos + (s[pos] == ' ' && pos + 1 < len);
	unsigned c = cls(t, s, len, q, &n);
	if (c & UC_L)
		return run_in(t, s, len, q + n, UC_L);
	if (c & UC_N)
		return run_in(t, s, len, q + n, UC_N);
	if (!(c & UC_S))
		return run_out(t, s, len, q + n, UC_S | UC_L | UC_N);
	return white(t, s, len, pos, false, false);
}

/* cl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *         ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t next_cl100k(const uint8_t *t, const uint8_t *s, size_t len, size_t pos, bool ws_to_end)
{
	size_t n = contraction(s, len, pos, true), m;
	if (n)
		return pos + n;
	unsigned c = cls(t, s, len, pos, &n);
	/* [^\r\n\p{L}\p{N}]?\p{L}+: one character of anything else (a space,
	 * punctuation) leads a word. */
	if (c & UC_L)
		return run_in(t, s, len, pos + n, UC_L);
	if (!(c & (UC_NL | UC_N)) && pos + n < len && (cls(t, s, len, pos + n, &m) & UC_L))
		return run_in(t, s, len, pos + n + m, UC_L);
	/* \p{N}{1,3}: numbers go in threes from the left. */
	if (c & UC_N) {
		size_t e = pos + n;
		for (int k = 1; k < 3 && e < len && (cls(t, s, len, e, &m) & UC_N); k++)
			e += m;
		return e;
	}
	/*  ?[^\s\p{L}\p{N}]+[\r\n]* */
	size_t q = pos;
	m = n;
	if (s[pos] == ' ' && pos + 1 < len)
		c = cls(t, s, len, q = pos + 1, &m);
	if (!(c & (UC_S | UC_L | UC_N)))
		return run_breaks(s, len, run_out(t, s, len, q + m, UC_S | UC_L | UC_N), false);
	return white(t, s, len, pos, true, ws_to_end);
}

/* o200k's two word alternatives from q, without the optional leading
 * character:  upper == false:  U*W+C?   upper == true:  U+W*C?
 * where U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], W = [\p{Ll}\p{Lm}\p{Lo}\p{M}],
 * C = the caseless contractions.  0 if it does not match. */
static size_t o200k_word(const uint8_t *t, const uint8_t *s, size_t len, size_t q, bool upper)
{
	/* U* greedy, noting the last character that is also in W (Lm, Lo, M):
	 * where backtracking would find W+ if no W follows the run. */
	size_t i = q, last_w = 0, n;
	while (i < len) {
		/* ASCII capitals: in U, not in W. */
		if (s[i] < 0x80) {
			if (!(t[s[i]] & UC_UP))
				break;
			i++;
			continue;
		}
		unsigned c = cls(t, s, len, i, &n);
		if (!(c & UC_UP))
			break;
		i += n;
		if (c & UC_LO)
			last_w = i;
	}
	size_t e;
	if (upper) {
		if (i == q)
			return 0;
		e = run_in(t, s, len, i, UC_LO);
	} else if (i < len && (cls(t, s, len, i, &n) & UC_LO)) {
		e = run_in(t, s, len, i + n, UC_LO);
	} else if (last_w) {
		/* W+ takes the last such character alone: what follows it in
		 * the run is Lu or Lt, and after the run comes no W. */
		e = last_w;
	} else {
		return 0;
	}
	return e + contraction(s, len, e, true);
}

/* o200k: [^\r\n\p{L}\p{N}]?U*W+C?|[^\r\n\p{L}\p{N}]?U+W*C?|\p{N}{1,3}|
 *         ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t next_o200k(const uint8_t *t, const uint8_t *s, size_t len, size_t pos)
{
	size_t n, m, e;
	unsigned c = cls(t, s, len, pos, &n);
	/* The leading [^\r\n\p{L}\p{N}]? is tried with the character first,
	 * then without; a mark is both such a character and in U and W. */
	bool lead = !(c & (UC_NL | UC_L | UC_N)) && pos + n < len;
	if (lead && (e = o200k_word(t, s, len, pos + n, false)))
		return e;
	if ((c & (UC_UP | UC_LO)) && (e = o200k_word(t, s, len, pos, false)))
		return e;
	if (lead && (e = o200k_word(t, s, len, pos + n, true)))
		return e;
	if ((c & UC_UP) && (e = o200k_word(t, s, len, pos, true)))
		return e;
	if (c & UC_N) {
		e = pos + n;
		for (int k = 1; k < 3 && e < len && (cls(t, s, len, e, &m) & UC_N); k++)
			e += m;
		return e;
	}
	/*  ?[^\s\p{L}\p{N}]+[\r\n/]* */
	size_t q = pos;
	m = n;
	if (s[pos] == ' ' && pos + 1 < len)
		c = cls(t, s, len, q = pos + 1, &m);
	if (!(c & (UC_S | UC_L | UC_N)))
		return run_breaks(s, len, run_out(t, s, len, q + m, UC_S | UC_L | UC_N), true);
	return white(t, s, len, pos, true, false);
}

static struct pretok *make(enum pretok_kind kind, unsigned flags, bool ws_to_end,
                           const char *pattern)
{
	struct pretok *pt = xcalloc(1, sizeof *pt);
	pt->kind = kind;
	pt->flags = flags;
	pt->ws_to_end = ws_to_end;
	pt->pattern = xstrdup(pattern);
	if (kind != PRETOK_REGEX) {
		pt->bmp = xmalloc(0x10000);
		unicls_fill_bmp(pt->bmp);
	}
	return pt;
}

struct pretok *pretok_new(const char *pattern, unsigned flags, char *err, size_t errn)
{
	if (!(flags & PRETOK_NO_FAST))
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
			if (strcmp(pattern, known[k].pattern) == 0)
				return make(known[k].kind, flags, known[k].ws_to_end, pattern);
	int code;
	PCRE2_SIZE off;
	/* MATCH_INVALID_UTF: bad bytes are barriers no match crosses, instead
	 * of an error, and the subject is not validated whole on every call
	 * (which would make a split quadratic). */
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                               PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
	                               &code, &off, NULL);
	if (!re) {
		char msg[256];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
		errorf(err, errn, "bad pre-tokenizer regex at offset %zu: %s", (size_t)off, msg);
		return NULL;
	}
	/* Without JIT (an unsupported CPU) the interpreter still works. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	struct pretok *pt = make(PRETOK_REGEX, flags, false, pattern);
	pt->re = re;
	return pt;
}

struct pretok *pretok_builtin(enum pretok_kind kind)
{
	static const char *const pat[] = {
		[PRETOK_GPT2] = PRETOK_PATTERN_GPT2,
		[PRETOK_CL100K] = PRETOK_PATTERN_CL100K,
		[PRETOK_O200K] = PRETOK_PATTERN_O200K,
	};
	if ((unsigned)kind > PRETOK_O200K)
		die(STATUS_FAIL, "pretok_builtin: no built-in pre-tokenizer %d", (int)kind);
	return make(kind, 0, false, pat[kind]);
}

enum pretok_kind pretok_kind(const struct pretok *pt)
{
	return pt->kind;
}

const char *pretok_pattern(const struct pretok *pt)
{
	return pt->pattern;
}

void pretok_free(struct pretok *pt)
{
	if (!pt)
		return;
	pcre2_code_free(pt->re);
	free(pt->pattern);
	free(pt->bmp);
	free(pt);
}

struct pretok_scratch *pretok_scratch_new(const struct pretok *pt)
{
	struct pretok_scratch *sc = xcalloc(1, sizeof *sc);
	if (pt->re) {
		sc->md = pcre2_match_data_create_from_pattern(pt->re, NULL);
		sc->mc = pcre2_match_context_create(NULL);
		/* The default 32 KiB JIT stack overflows on long runs under
		 * patterns that backtrack; this one grows to 8 MiB as needed. */
		sc->stack = pcre2_jit_stack_create(32 << 10, 8 << 20, NULL);
		if (!sc->md || !sc->mc || !sc->stack)
			die(STATUS_FAIL, "out of memory");
		pcre2_jit_stack_assign(sc->mc, NULL, sc->stack);
	}
	return sc;
}

void pretok_scratch_free(struct pretok_scratch *sc)
{
	if (!sc)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mc);
	pcre2_jit_stack_free(sc->stack);
	free(sc);
}

/* The first non-empty match at or after pos, in [*ms, *me); false if none.
 * An empty match moves the search one character on, as Rust's find_iter
 * does (Python and PCRE2's own demo would retry non-empty at the same
 * place, which can differ: \s*|a on "a"). */
static bool regex_find(const struct pretok *pt, struct pretok_scratch *sc,
                       const uint8_t *text, size_t len, size_t pos, size_t *ms, size_t *me)
{
	for (;;) {
		int rc = pcre2_match(pt->re, text, len, pos, 0, sc->md, sc->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			return false;
		if (rc < 0) {
			char msg[256];
			pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
			die(STATUS_FAIL, "pre-tokenizer regex at byte %zu: %s", pos, msg);
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
		if (ov[1] > ov[0]) {
			*ms = ov[0], *me = ov[1];
			return true;
		}
		pos = ov[0];
		if (pos >= len)
			return false;
		size_t n;
		(void)unicls_at(text + pos, len - pos, &n);
		pos += n;
	}
}

size_t pretok_next(const struct pretok *pt, struct pretok_scratch *sc,
                   const uint8_t *text, size_t len, size_t pos, size_t *start)
{
	if (pos >= len)
		return 0;
	*start = pos;
	switch (pt->kind) {
	case PRETOK_GPT2:
		return next_gpt2(pt->bmp, text, len, pos);
	case PRETOK_CL100K:
		return next_cl100k(pt->bmp, text, len, pos, pt->ws_to_end);
	case PRETOK_O200K:
		return next_o200k(pt->bmp, text, len, pos);
	case PRETOK_REGEX:
		break;
	}
	size_t ms, me;
	if (!regex_find(pt, sc, text, len, pos, &ms, &me)) {
		if (!(pt->flags & PRETOK_ISOLATED))
			return 0;
		return len; /* the rest is one gap */
	}
	if (ms > pos && (pt->flags & PRETOK_ISOLATED))
		return ms;  /* the gap before the match; the match comes next call */
	*start = ms;
	return me;
}
