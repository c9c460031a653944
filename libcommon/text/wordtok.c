/* wordtok.c - see wordtok.h.  FIRST CUT: whitespace splitting only, a
 * stand-in with the final interface until the spaCy rules land. */
#include "text/wordtok.h"

#include <stdlib.h>

struct wordtok {
	struct text_span *v;
	size_t n, cap;
};

struct wordtok *wordtok_new(void)
{
	return calloc(1, sizeof(struct wordtok));
}

void wordtok_free(struct wordtok *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

static int push(struct wordtok *t, size_t off, size_t len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct text_span *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -1;
		t->v = v, t->cap = cap;
	}
	t->v[t->n++] = (struct text_span){(uint32_t)off, (uint32_t)len};
	return 0;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static long split(struct wordtok *t, const char *text, size_t len, int (*brk)(unsigned char),
                  const struct text_span **out)
{
	t->n = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && brk((unsigned char)text[i]))
			i++;
		size_t s = i;
		while (i < len && !brk((unsigned char)text[i]))
			i++;
		if (i > s && push(t, s, i - s) < 0)
			return -1;
	}
	*out = t->v;
	return (long)t->n;
}

long wordtok_words(struct wordtok *t, const char *text, size_t len, const struct text_span **words)
{
	return split(t, text, len, is_space, words);
}

static int is_newline(unsigned char c)
{
	return c == '\n';
}

long wordtok_sentences(struct wordtok *t, const char *text, size_t len, const struct text_span **sents)
{
	return split(t, text, len, is_newline, sents);
}
