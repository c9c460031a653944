/* tokreg.c - tiktoken's named encodings (see tokreg.h).  URLs, hashes,
 * ids and patterns are those of tiktoken_ext/openai_public.py. */
#include "tok/tokreg.h"

#include <string.h>

#include "tok/pretok.h"

#define RANK_FILE(name, hash) {{"/encodings/" name ".tiktoken", hash}}, 1

static const struct tokreg_special eot_50256[] = {{"<|endoftext|>", 50256}};
static const struct tokreg_special p50k_edit[] = {
	{"<|endoftext|>", 50256}, {"<|fim_prefix|>", 50281}, {"<|fim_middle|>", 50282}, {"<|fim_suffix|>", 50283}};
static const struct tokreg_special cl100k[] = {
	{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258}, {"<|fim_middle|>", 100259},
	{"<|fim_suffix|>", 100260}, {"<|endofprompt|>", 100276}};
static const struct tokreg_special o200k[] = {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}};
static const struct tokreg_special o200k_harmony[] = {
	{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}, {"<|startoftext|>", 199998},
	{"<|return|>", 200002},    {"<|constrain|>", 200003},   {"<|channel|>", 200005},
	{"<|start|>", 200006},     {"<|end|>", 200007},         {"<|message|>", 200008},
	{"<|call|>", 200012}};

#define N(a) (sizeof a / sizeof *a)
#define O200K_HASH "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
#define P50K_HASH "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"

/* The patterns are the ones tiktoken before 0.8 spelled (pretok.h): they
 * split the same as the later possessive forms for these vocabularies,
 * and the npm tiktoken package the tests compare with uses them. */
static const struct tokreg_encoding encodings[] = {
	{"gpt2", PRETOK_PATTERN_GPT2,
	 {{"/gpt-2/encodings/main/encoder.json", "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"},
	  {"/gpt-2/encodings/main/vocab.bpe", "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"}},
	 2, eot_50256, N(eot_50256), 0, 0},
	{"r50k_base", PRETOK_PATTERN_GPT2,
	 RANK_FILE("r50k_base", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"), eot_50256,
	 N(eot_50256), 0, 0},
	{"p50k_base", PRETOK_PATTERN_GPT2, RANK_FILE("p50k_base", P50K_HASH), eot_50256, N(eot_50256), 0, 0},
	{"p50k_edit", PRETOK_PATTERN_GPT2, RANK_FILE("p50k_base", P50K_HASH), p50k_edit, N(p50k_edit), 0, 0},
	{"cl100k_base", PRETOK_PATTERN_CL100K,
	 RANK_FILE("cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"), cl100k,
	 N(cl100k), 0, 0},
	{"o200k_base", PRETOK_PATTERN_O200K, RANK_FILE("o200k_base", O200K_HASH), o200k, N(o200k), 0, 0},
	{"o200k_harmony", PRETOK_PATTERN_O200K, RANK_FILE("o200k_base", O200K_HASH), o200k_harmony,
	 N(o200k_harmony), 200000, 201088},
};

const struct tokreg_encoding *tokreg_find(const char *name)
{
	for (size_t i = 0; i < N(encodings); i++)
		if (strcmp(encodings[i].name, name) == 0)
			return &encodings[i];
	return NULL;
}

size_t tokreg_count(void) { return N(encodings); }

const struct tokreg_encoding *tokreg_at(size_t i) { return i < N(encodings) ? &encodings[i] : NULL; }
