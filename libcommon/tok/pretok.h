/* pretok.h - the byte-level BPE pre-tokenizer: splits UTF-8 text into the
 * pieces that BPE merges within (tok-bpe), as the tokenizer's regex does
 * with findall: leftmost-first alternation, and after an empty match the
 * next search starts one character later, as Rust's find_iter (tiktoken)
 * goes on.
 *
 * The GPT-2 (r50k, p50k), cl100k and o200k patterns, in each spelling that
 * tiktoken and tokenizer.json files carry, run on hand-written matchers: a
 * table for ASCII, utf8proc for the rest (unicls.h), no regex engine.  Any
 * other pattern runs on PCRE2 with JIT (PCRE2_UTF | PCRE2_UCP).
 *
 * Invalid UTF-8 never reads out of bounds, and the pieces still tile the
 * text: the fast matchers take each bad byte as one character in no class
 * (so [^\s\p{L}\p{N}] has it); under PCRE2 no match crosses a bad byte
 * (findall drops it with the rest of what no match covers).
 *
 * A struct pretok is read-only once made: threads share one, each with its
 * own struct pretok_scratch. */
#ifndef SLUICE_PRETOK_H
#define SLUICE_PRETOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pattern strings the fast matchers stand for, byte for byte as the
 * tokenizers spell them.  GPT2 and CL100K: tiktoken up to 0.7, its npm
 * package, tiktoken-rs, and HF tokenizers (ByteLevel's built-in regex;
 * Llama 3's Split).  The _TIKTOKEN forms: tiktoken 0.8 and later, which
 * made the quantifiers possessive and added \s++$.  For GPT-2 that splits
 * the same; for cl100k it does not: a run of white space that reaches the
 * end of the text and holds a line break is one piece ("a\n " gives "a",
 * "\n "), where the older form gives "a", "\n", " ". */
#define PRETOK_PATTERN_GPT2 \
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
#define PRETOK_PATTERN_GPT2_TIKTOKEN \
	"'(?:[sdmt]|ll|ve|re)| ?\\p{L}++| ?\\p{N}++| ?[^\\s\\p{L}\\p{N}]++|\\s++$|\\s+(?!\\S)|\\s"
#define PRETOK_PATTERN_CL100K \
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|" \
	" ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define PRETOK_PATTERN_CL100K_TIKTOKEN \
	"'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+|" \
	" ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s"
#define PRETOK_PATTERN_O200K \
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" \
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|" \
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" \
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|" \
	"\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

enum pretok_kind { PRETOK_GPT2, PRETOK_CL100K, PRETOK_O200K, PRETOK_REGEX };

enum {
	/* HF tokenizers' Split with behavior "Isolated": the text between two
	 * matches is a piece too (without it, as tiktoken, it is dropped). */
	PRETOK_ISOLATED = 1 << 0,
	/* Run even the known patterns on PCRE2 (tests, benchmarks). */
	PRETOK_NO_FAST = 1 << 1,
};

/* A pre-tokenizer for pattern (PRETOK_* flags).  NULL with a one-line
 * message in err when PCRE2 rejects the pattern. */
struct pretok *pretok_new(const char *pattern, unsigned flags, char *err, size_t errn);
/* The built-in GPT-2, cl100k or o200k splitter (the PRETOK_PATTERN_GPT2,
 * _CL100K and _O200K spellings, which tiktoken's npm package and
 * tiktoken-rs use). */
struct pretok *pretok_builtin(enum pretok_kind kind);
enum pretok_kind pretok_kind(const struct pretok *pt);
const char *pretok_pattern(const struct pretok *pt);
void pretok_free(struct pretok *pt);

/* Per-thread state (PCRE2 match data and JIT stack). */
struct pretok_scratch *pretok_scratch_new(const struct pretok *pt);
void pretok_scratch_free(struct pretok_scratch *sc);

/* The next piece of text[0..len) at or after pos (pos < len): its start in
 * *start and its end as the result (pos <= *start < end <= len), or 0 when
 * no piece is left.  Call it with pos = 0, then pos = the last end.  Only a
 * PCRE2 pattern without PRETOK_ISOLATED skips text (*start > pos) or runs
 * out before len; every other kind tiles the text.  len is the end of the
 * text as the pattern sees it ($, (?!\S)): pass the whole segment (the
 * text between special tokens), not a window of it.  sc may be NULL for
 * the fast kinds.  A PCRE2 match that exceeds its limits ends the program
 * with a message (die.h). */
size_t pretok_next(const struct pretok *pt, struct pretok_scratch *sc,
                   const uint8_t *text, size_t len, size_t pos, size_t *start);

#endif
