/* wordtok_exc.c - see wordtok_exc.h.  The rules below follow spaCy's
 * English exceptions as its documentation and source describe them; the
 * strings are written out here in this module's own grouping. */
#include "text/wordtok_exc.h"

#include <stdlib.h>
#include <string.h>

enum { TABLE_SLOTS = 4096 }; /* about 1350 entries: a third full */

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static struct wt_exc *slot_for(const struct wt_exctab *tab, const char *s, size_t n, uint32_t h)
{
	for (size_t i = h & tab->mask;; i = (i + 1) & tab->mask) {
		struct wt_exc *e = &tab->slot[i];
		if (!e->key || (e->hash == h && e->klen == n && !memcmp(e->key, s, n)))
			return e;
	}
}

const struct wt_exc *wt_exc_find(const struct wt_exctab *tab, const char *s, size_t n)
{
	if (!n || n > WT_EXC_KEY_MAX || !(tab->by_first[(unsigned char)s[0]] >> n & 1))
		return NULL;
	const struct wt_exc *e = slot_for(tab, s, n, hash_bytes(s, n));
	return e->key && !e->dead ? e : NULL;
}

/* Adds (or replaces) the exception whose pieces are piece[0..np): the key
 * is their concatenation. */
static int add(struct wt_exctab *tab, const char *const *piece, int np)
{
	char key[WT_EXC_KEY_MAX + 1];
	size_t n = 0;
	uint8_t len[WT_EXC_PIECES];
	for (int i = 0; i < np; i++) {
		size_t k = strlen(piece[i]);
		if (n + k >= sizeof key || np > WT_EXC_PIECES)
			return -1;
		memcpy(key + n, piece[i], k);
		len[i] = (uint8_t)k;
		n += k;
	}
	uint32_t h = hash_bytes(key, n);
	struct wt_exc *e = slot_for(tab, key, n, h);
	if (!e->key) {
		if (2 * (tab->n + 1) > tab->mask)
			return -1; /* the table is sized for the rules below */
		if (!(e->key = malloc(n + 1)))
			return -1;
		memcpy(e->key, key, n + 1);
		e->klen = (uint32_t)n, e->hash = h;
		tab->n++;
		if (n)
			tab->by_first[(unsigned char)key[0]] |= (uint64_t)1 << n;
	}
	e->dead = 0;
	e->npieces = (uint8_t)np;
	memcpy(e->piece, len, (size_t)np);
	return 0;
}

static int add1(struct wt_exctab *tab, const char *s)
{
	return add(tab, &s, 1);
}

static int add2(struct wt_exctab *tab, const char *a, const char *b)
{
	const char *p[] = {a, b};
	return add(tab, p, 2);
}

static int add3(struct wt_exctab *tab, const char *a, const char *b, const char *c)
{
	const char *p[] = {a, b, c};
	return add(tab, p, 3);
}

/* word and Word: into out[0] and out[1]. */
static void both_cases(const char *w, char out[2][24])
{
	size_t n = strlen(w);
	if (n >= sizeof out[0])
		n = sizeof out[0] - 1;
	memcpy(out[0], w, n), out[0][n] = 0;
	memcpy(out[1], w, n + 1);
	if (out[1][0] >= 'a' && out[1][0] <= 'z')
		out[1][0] = (char)(out[1][0] - 'a' + 'A');
}

/* Clitics after a word, each with its apostrophes and without: a form
 * "'ll've" is the pieces "'ll" "'ve", and bare "ll" "ve". */
static int clitics(struct wt_exctab *tab, const char *word, const char *const *forms, int nforms)
{
	char w[2][24];
	both_cases(word, w);
	for (int c = 0; c < 2; c++)
		for (int f = 0; f < nforms; f++) {
			char buf[2][16];
			const char *p[2][WT_EXC_PIECES];
			int np = 1;
			p[0][0] = p[1][0] = w[c];
			const char *form = forms[f];
			while (*form && np < 3) {
				const char *end = strchr(form + 1, '\'');
				size_t k = end ? (size_t)(end - form) : strlen(form);
				memcpy(buf[np - 1], form, k), buf[np - 1][k] = 0;
				p[0][np] = buf[np - 1];
				p[1][np] = buf[np - 1] + 1; /* without the apostrophe */
				np++;
				form += k;
			}
			if (add(tab, p[0], np) < 0 || add(tab, p[1], np) < 0)
				return -1;
		}
	return 0;
}

static const char *const emoticons[] = {
	/* eyes, nose, a mouth: sideways faces */
	":)", ":-)", ":))", ":-))", ":)))", ":-)))", ":(", ":-(", ":((", ":-((", ":(((", ":-(((",
	":]", ":-]", ":}", ":-}", ":/", ":-/", ":|", ":-|", ":P", ":-P", ":p", ":-p", ":O", ":-O",
	":o", ":-o", ":0", ":-0", ":*", ":-*", ":3", ":-3", ":>", ":->", ":X", ":-X", ":x", ":-x",
	":D", ":-D", ";)", ";-)", ";D", ";-D", "8)", "8-)", "8D", "8-D", "=)", "=]", "=(", "=/",
	"=|", "=3", "=D", ":o)", ":1", ":()", ":')", ":'-)", ":'(", ":'-(", ">:(", ">:o",
	/* read right to left */
	"(:", "(-:", "(=", "[:", "[-:", "[=", "(o:", "(-8", "(;", "(-;", "):", ")-:", "]=", "=[",
	"xD", "XD", "xDD", "XDD", "<3", "<33", "<333", "</3",
	/* upright faces */
	"^_^", "^__^", "^___^", ">.<", ">.>", "<.<", "._.", ";_;", "-_-", "-__-", "v.v", "V.V",
	"v_v", "V_V", "@_@", "ಠ_ಠ", "ಠ︵ಠ", "o_o", "o_O", "O_o", "O_O", "0_o", "o_0", "0_0",
	"o.O", "O.o", "O.O", "o.o", "0.0", "o.0", "0.o", "(^_^)", "(-_-)", "(._.)", "(>_<)",
	"(*_*)", "(¬_¬)", "(ಠ_ಠ)", "¯\\(ツ)/¯", "(╯°□°）╯︵┻━┻", "><(((*>",
};

/* Abbreviations kept whole with their final period (added here). */
static const char *const abbreviations[] = {
	"a.m", "Adm", "Bros", "co", "Co", "Corp", "D.C", "Dr", "e.g", "E.g", "E.G", "Gen", "Gov",
	"i.e", "I.e", "I.E", "Inc", "Jr", "Ltd", "Md", "Messrs", "Mo", "Mont", "Mr", "Mrs", "Ms",
	"p.m", "Ph.D", "Prof", "Rep", "Rev", "Sen", "St", "vs", "v.s", "Mt",
	"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
	"Ak", "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ia", "Id", "Ill",
	"Ind", "Kan", "Kans", "Ky", "La", "Mass", "Mich", "Minn", "Miss", "N.C", "N.D", "N.H",
	"N.J", "N.M", "N.Y", "Neb", "Nebr", "Nev", "Okla", "Ore", "Pa", "S.C", "Tenn", "Va", "Wash",
	"Wis",
};

static const char *const whole[] = {
	/* whitespace and odd symbols */
	" ", "\t", "\\t", "\n", "\\n", "\xe2\x80\x94", "\xc2\xa0", "'", "\\\")", "<space>", "''",
	"C++", "ä.", "ö.", "ü.",
	/* clitics and shortened words on their own */
	"em", "'em", "ll", "'ll", "nuff", "'nuff", "'S", "'s", "\xe2\x80\x98S", "\xe2\x80\x98s",
	"and/or", "w/o", "'re", "'bout", "'d", "ma'am", "Ma'am", "o'clock", "O'clock",
	"'cause", "'Cause", "'cos", "'Cos", "'coz", "'Coz", "'cuz", "'Cuz",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int add_contractions(struct wt_exctab *tab)
{
	static const char *const will_would[] = {"'ll", "'ll've", "'d", "'d've"};
	static const char *const ve[] = {"'ve"}, *const re[] = {"'re"}, *const s[] = {"'s"};
	static const char *const subj_all[] = {"i", "you", "he", "she", "it", "we", "they"};
	static const char *const subj_ve[] = {"i", "you", "we", "they"};
	static const char *const subj_re[] = {"you", "we", "they"};
	static const char *const subj_s[] = {"he", "she", "it"};
	static const char *const wh[] = {"who", "what", "when", "where", "why", "how",
	                                 "there", "that", "this", "these", "those"};
	static const char *const neg_have[] = {"ca", "could", "do", "does", "did", "had", "may", "might",
	                                       "must", "need", "ought", "sha", "should", "wo", "would"};
	static const char *const modal_ve[] = {"could", "might", "must", "should", "would"};
	static const char *const neg[] = {"ai", "are", "is", "was", "were", "have", "has", "dare"};
	static const char *const dropped_g[] = {"doin", "goin", "nothin", "nuthin", "ol",
	                                        "somethin", "lovin", "havin"};
	static const char *const m[] = {"'m"};
	int rc = clitics(tab, "i", m, 1) | add3(tab, "i", "'m", "a") | add3(tab, "i", "m", "a") |
	         add3(tab, "I", "'m", "a") | add3(tab, "I", "m", "a");
	for (int i = 0; i < N(subj_all); i++)
		rc |= clitics(tab, subj_all[i], will_would, N(will_would));
	for (int i = 0; i < N(subj_ve); i++)
		rc |= clitics(tab, subj_ve[i], ve, 1);
	for (int i = 0; i < N(subj_re); i++)
		rc |= clitics(tab, subj_re[i], re, 1);
	for (int i = 0; i < N(subj_s); i++)
		rc |= clitics(tab, subj_s[i], s, 1);
	for (int i = 0; i < N(wh); i++) {
		int plural = i >= 9, singular = i == 7 || i == 8;
		rc |= clitics(tab, wh[i], will_would, N(will_would));
		if (!plural)
			rc |= clitics(tab, wh[i], s, 1);
		if (!singular)
			rc |= clitics(tab, wh[i], re, 1) | clitics(tab, wh[i], ve, 1);
	}
	for (int i = 0; i < N(neg_have); i++) {
		char w[2][24];
		both_cases(neg_have[i], w);
		for (int c = 0; c < 2; c++)
			rc |= add2(tab, w[c], "n't") | add2(tab, w[c], "nt") |
			      add3(tab, w[c], "n't", "'ve") | add3(tab, w[c], "nt", "ve");
	}
	for (int i = 0; i < N(modal_ve); i++)
		rc |= clitics(tab, modal_ve[i], ve, 1);
	for (int i = 0; i < N(neg); i++) {
		char w[2][24];
		both_cases(neg[i], w);
		for (int c = 0; c < 2; c++)
			rc |= add2(tab, w[c], "n't") | add2(tab, w[c], "nt");
	}
	for (int i = 0; i < N(dropped_g); i++) {
		char w[2][24], apos[24];
		both_cases(dropped_g[i], w);
		for (int c = 0; c < 2; c++) {
			size_t k = strlen(w[c]);
			memcpy(apos, w[c], k), apos[k] = '\'', apos[k + 1] = 0;
			rc |= add1(tab, w[c]) | add1(tab, apos);
		}
	}
	return rc ? -1 : 0;
}

static int add_rest(struct wt_exctab *tab)
{
	int rc = 0;
	for (int i = 0; i < N(whole); i++)
		rc |= add1(tab, whole[i]);
	for (int i = 0; i < N(emoticons); i++)
		rc |= add1(tab, emoticons[i]);
	for (char c = 'a'; c <= 'z'; c++) {
		char s[3] = {c, '.', 0};
		rc |= add1(tab, s);
	}
	for (const char *u = "cfkCFK"; *u; u++) {
		char unit[2] = {*u, 0};
		rc |= add3(tab, "°", unit, ".");
	}
	for (int h = 1; h <= 12; h++) {
		static const char *const periods[] = {"a.m.", "am", "p.m.", "pm"};
		char hour[3] = {(char)(h < 10 ? '0' + h : '1'), (char)(h < 10 ? 0 : '0' + h - 10), 0};
		for (int p = 0; p < 4; p++)
			rc |= add2(tab, hour, periods[p]);
	}
	static const char *const pairs[][3] = {
		{"y'", "all"}, {"y", "all"}, {"not", "'ve"}, {"not", "ve"}, {"Not", "'ve"}, {"Not", "ve"},
		{"can", "not"}, {"Can", "not"}, {"gon", "na"}, {"Gon", "na"}, {"got", "ta"}, {"Got", "ta"},
		{"let", "'s"}, {"Let", "'s"}, {"c'm", "on"}, {"C'm", "on"}, {"how", "'d", "'y"},
		{"How", "'d", "'y"},
	};
	for (int i = 0; i < N(pairs); i++)
		rc |= pairs[i][2] ? add3(tab, pairs[i][0], pairs[i][1], pairs[i][2])
		                  : add2(tab, pairs[i][0], pairs[i][1]);
	for (int i = 0; i < N(abbreviations); i++) {
		char s[16];
		size_t k = strlen(abbreviations[i]);
		memcpy(s, abbreviations[i], k), s[k] = '.', s[k + 1] = 0;
		rc |= add1(tab, s);
	}
	return rc ? -1 : 0;
}

/* Words the contraction rules would wrongly split ("ill" = "i" "ll"). */
static void remove_false_contractions(struct wt_exctab *tab)
{
	static const char *const words[] = {"ill", "its", "hell", "shell", "shed", "were", "well", "whore"};
	for (int i = 0; i < N(words); i++) {
		char w[2][24];
		both_cases(words[i], w);
		for (int c = 0; c < 2; c++) {
			struct wt_exc *e = slot_for(tab, w[c], strlen(w[c]), hash_bytes(w[c], strlen(w[c])));
			if (e->key)
				e->dead = 1;
		}
	}
}

/* Every rule with a straight apostrophe holds with U+2019 too. */
static int add_curly(struct wt_exctab *tab)
{
	size_t nslots = tab->mask + 1;
	struct wt_exc *snap = malloc(nslots * sizeof *snap);
	if (!snap)
		return -1;
	memcpy(snap, tab->slot, nslots * sizeof *snap);
	int rc = 0;
	for (size_t i = 0; i < nslots && !rc; i++) {
		const struct wt_exc *e = &snap[i];
		if (!e->key || e->dead || !memchr(e->key, '\'', e->klen))
			continue;
		char pieces[WT_EXC_PIECES][64];
		const char *p[WT_EXC_PIECES];
		size_t off = 0;
		for (int k = 0; k < e->npieces; k++) {
			size_t m = 0;
			for (size_t j = off; j < off + e->piece[k] && m + 4 < sizeof pieces[k]; j++) {
				if (e->key[j] == '\'')
					memcpy(pieces[k] + m, "\xe2\x80\x99", 3), m += 3;
				else
					pieces[k][m++] = e->key[j];
			}
			pieces[k][m] = 0;
			p[k] = pieces[k];
			off += e->piece[k];
		}
		rc = add(tab, p, e->npieces);
	}
	free(snap);
	return rc;
}

int wt_exc_build(struct wt_exctab *tab)
{
	if (!(tab->slot = calloc(TABLE_SLOTS, sizeof *tab->slot)))
		return -1;
	tab->mask = TABLE_SLOTS - 1;
	if (add_rest(tab) < 0 || add_contractions(tab) < 0)
		return -1;
	remove_false_contractions(tab);
	return add_curly(tab);
}

void wt_exc_free(struct wt_exctab *tab)
{
	if (!tab->slot)
		return;
	for (size_t i = 0; i <= tab->mask; i++)
		free(tab->slot[i].key);
	free(tab->slot);
	tab->slot = NULL;
}
