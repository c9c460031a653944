/* dataset.c - see dataset.h.  References to `datasets` name the function
 * whose behaviour a block follows; the reasons for each rule are theirs,
 * the deviations are ours and are marked as such. */
#include "hub/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/die.h"

/* YAML aliases let a few bytes name a list many times over; past these
 * counts a README is an attack or a mistake, not a dataset. */
#define MAX_PATTERNS 100000
#define MAX_PATTERN_BYTES (16u << 20)
#define MAX_CONFIGS 10000
#define MAX_MERGE_DEPTH 16
#define MAX_MERGE_VISITS 1000

struct ds_split {
	char *name;
	enum ds_format format;
	struct ds_file *files;
	size_t nfiles;
};

struct ds_config {
	char *name;
	char *data_dir;
	int is_default;
	char *error;
	struct ds_split *splits;
	size_t nsplits;
};

struct ds_layout {
	struct ds_config *configs;
	size_t nconfigs;
	int yaml;
};

/* ---- small vectors ------------------------------------------------------ */

struct strvec {
	char **v;
	size_t n, cap;
};

static void sv_push(struct strvec *s, char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = str;
}

static void sv_free(struct strvec *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

struct filevec {
	struct ds_file *v;
	size_t n, cap;
};

static void fv_push(struct filevec *f, const char *path, uint64_t size)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = xrealloc(f->v, f->cap * sizeof *f->v);
	}
	f->v[f->n].path = xstrdup(path);
	f->v[f->n].size = size;
	f->n++;
}

void ds_files_free(struct ds_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ds_file *)a)->path, ((const struct ds_file *)b)->path);
}

/* ---- formats -------------------------------------------------------------- */

/* The extensions that pick a reader (packaged_modules/__init__.py
 * _EXTENSION_TO_MODULE, restricted to what sluice reads).  `module` groups
 * the extensions one `datasets` builder reads: a split keeps only the files
 * of its winning extension's module (load.py, DataFilesDict.filter). */
enum module { MOD_PARQUET, MOD_JSON, MOD_CSV, MOD_TEXT };
static const struct ext {
	const char *ext;
	enum ds_format format;
	enum module module;
} exts[] = {
	{"parquet", DS_FMT_PARQUET, MOD_PARQUET}, {"geoparquet", DS_FMT_PARQUET, MOD_PARQUET},
	{"gpq", DS_FMT_PARQUET, MOD_PARQUET},     {"jsonl", DS_FMT_JSONL, MOD_JSON},
	{"ndjson", DS_FMT_JSONL, MOD_JSON},       {"json", DS_FMT_JSON, MOD_JSON},
	{"csv", DS_FMT_CSV, MOD_CSV},             {"tsv", DS_FMT_TSV, MOD_CSV},
	{"txt", DS_FMT_TEXT, MOD_TEXT},
};
#define NEXTS (sizeof exts / sizeof exts[0])

static const struct {
	const char *ext;
	enum ds_compression comp;
} comps[] = {
	{"gz", DS_COMP_GZIP}, {"zst", DS_COMP_ZSTD}, {"bz2", DS_COMP_BZIP2},
	{"xz", DS_COMP_XZ},   {"lz4", DS_COMP_LZ4},
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The suffix after the last '.' of [s, e), or NULL; a leading dot of a
 * basename is not a suffix (".txt" has none), as str.split(".")[1:] agrees
 * for everything but that hidden-file case, which resolution skips. */
static const char *last_suffix(const char *s, const char *e)
{
	for (const char *p = e; p > s + 1;)
		if (*--p == '.')
			return p + 1;
	return NULL;
}

static enum ds_compression comp_of(const char *sfx, size_t n)
{
	for (size_t i = 0; i < sizeof comps / sizeof comps[0]; i++)
		if (strlen(comps[i].ext) == n && strncasecmp(sfx, comps[i].ext, n) == 0)
			return comps[i].comp;
	return DS_COMP_NONE;
}

/* The data extension of a path (an index into exts), or -1.  Deviation:
 * `datasets` accepts a data extension anywhere among the suffixes
 * ("a.csv.bak"); we want it last, or before one compression suffix. */
static int ext_index(const char *path, enum ds_compression *comp)
{
	const char *b = base_name(path), *e = b + strlen(b);
	const char *sfx = last_suffix(b, e);
	if (comp)
		*comp = DS_COMP_NONE;
	if (!sfx)
		return -1;
	enum ds_compression c = comp_of(sfx, (size_t)(e - sfx));
	if (c != DS_COMP_NONE) {
		e = sfx - 1;
		if (!(sfx = last_suffix(b, e)))
			return -1;
	}
	for (size_t i = 0; i < NEXTS; i++)
		if (strlen(exts[i].ext) == (size_t)(e - sfx) && memcmp(sfx, exts[i].ext, (size_t)(e - sfx)) == 0) {
			if (c != DS_COMP_NONE && exts[i].format == DS_FMT_PARQUET)
				return -1; /* parquet compresses inside */
			if (comp)
				*comp = c;
			return (int)i;
		}
	return -1;
}

enum ds_format ds_path_format(const char *path)
{
	int i = ext_index(path, NULL);
	return i < 0 ? DS_FMT_NONE : exts[i].format;
}

const char *ds_format_name(enum ds_format f)
{
	switch (f) {
	case DS_FMT_PARQUET: return "parquet";
	case DS_FMT_JSONL: return "jsonl";
	case DS_FMT_JSON: return "json";
	case DS_FMT_CSV: return "csv";
	case DS_FMT_TSV: return "tsv";
	case DS_FMT_TEXT: return "text";
	case DS_FMT_NONE: break;
	}
	return "none";
}

/* ---- glob ------------------------------------------------------------------
 * fsspec's glob_translate (fsspec >= 2023.12, what `datasets` requires):
 * the pattern is cut at '/'; a component "**" matches any run of whole
 * components (zero or more, or the rest of the path when it is last), any
 * other component is fnmatch-translated with '*' and '?' kept inside one
 * component.  Python compares code points, so we decode UTF-8 (a byte that
 * is not UTF-8 stands for itself). */

enum { T_LIT, T_ANY, T_STAR, T_CLASS };
struct gtok {
	unsigned char kind;
	uint32_t cp;  /* T_LIT */
	uint32_t cls; /* T_CLASS: index into glob.cls */
};
enum { C_SET, C_NONE, C_ALL };
struct gclass {
	unsigned char mode, neg;
	uint32_t (*r)[2]; /* inclusive ranges */
	size_t nr;
};
struct gpart {
	int dstar;
	struct gtok *t;
	size_t nt;
};
struct glob {
	struct gpart *p;
	size_t np;
	struct gclass *cls;
	size_t ncls;
};

static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	if (len == 1 || len == 0 || *i + len > n) {
		(*i)++;
		return c;
	}
	uint32_t cp = c & (0x7F >> len);
	for (size_t k = 1; k < len; k++) {
		if ((s[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return c;
		}
		cp = cp << 6 | (s[*i + k] & 0x3F);
	}
	*i += len;
	return cp;
}

static void glob_free(struct glob *g)
{
	for (size_t i = 0; i < g->np; i++)
		free(g->p[i].t);
	for (size_t i = 0; i < g->ncls; i++)
		free(g->cls[i].r);
	free(g->p);
	free(g->cls);
	memset(g, 0, sizeof *g);
}

struct cpvec {
	uint32_t *v;
	size_t n, cap;
};

static void cp_push(struct cpvec *c, uint32_t cp)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = cp;
}

static void class_add(struct gclass *k, uint32_t lo, uint32_t hi)
{
	if (lo > hi)
		return; /* Python would refuse the range; it can match nothing */
	k->r = xrealloc(k->r, (k->nr + 1) * sizeof *k->r);
	k->r[k->nr][0] = lo;
	k->r[k->nr][1] = hi;
	k->nr++;
}

#define SEP_TOKEN 0xFFFFFFFFu /* an unescaped '-' in the translated class */

/* pc[i, j) is a bracket expression's body; builds it the way CPython's
 * fnmatch.translate does: a '-' right after the start (or after '!') is
 * literal, others make ranges, and ranges running backwards are removed by
 * merging their neighbours; what remains is read as a regex class. */
static void class_build(struct gclass *k, const uint32_t *pc, size_t i, size_t j)
{
	struct cpvec *chunks = NULL;
	size_t nch = 0;
	int has_dash = 0;
	for (size_t x = i; x < j; x++)
		has_dash |= pc[x] == '-';
	if (!has_dash) {
		chunks = xcalloc(1, sizeof *chunks);
		for (size_t x = i; x < j; x++)
			cp_push(&chunks[0], pc[x]);
		nch = 1;
	} else {
		size_t a = i, kk = pc[i] == '!' ? i + 2 : i + 1;
		for (;;) {
			size_t f = kk;
			while (f < j && pc[f] != '-')
				f++;
			if (f >= j)
				break;
			chunks = xrealloc(chunks, (nch + 1) * sizeof *chunks);
			memset(&chunks[nch], 0, sizeof *chunks);
			for (size_t x = a; x < f; x++)
				cp_push(&chunks[nch], pc[x]);
			nch++;
			a = f + 1;
			kk = f + 3;
		}
		if (a < j) {
			chunks = xrealloc(chunks, (nch + 1) * sizeof *chunks);
			memset(&chunks[nch], 0, sizeof *chunks);
			for (size_t x = a; x < j; x++)
				cp_push(&chunks[nch], pc[x]);
			nch++;
		} else {
			cp_push(&chunks[nch - 1], '-');
		}
		for (size_t c = nch - 1; c > 0; c--) {
			struct cpvec *p = &chunks[c - 1], *q = &chunks[c];
			if (!p->n || !q->n || p->v[p->n - 1] <= q->v[0])
				continue;
			p->n--;
			for (size_t x = 1; x < q->n; x++)
				cp_push(p, q->v[x]);
			free(q->v);
			memmove(&chunks[c], &chunks[c + 1], (nch - c - 1) * sizeof *chunks);
			nch--;
		}
	}
	/* The class body as regex tokens: chunks joined by range separators. */
	struct cpvec tok = {0};
	for (size_t c = 0; c < nch; c++) {
		if (c)
			cp_push(&tok, SEP_TOKEN);
		for (size_t x = 0; x < chunks[c].n; x++)
			cp_push(&tok, chunks[c].v[x]);
		free(chunks[c].v);
	}
	free(chunks);
	k->mode = C_SET;
	if (tok.n == 0)
		k->mode = C_NONE;
	else if (tok.n == 1 && tok.v[0] == '!')
		k->mode = C_ALL;
	size_t x = 0;
	if (k->mode == C_SET && tok.v[0] == '!') {
		k->neg = 1;
		x = 1;
	}
	while (k->mode == C_SET && x < tok.n) {
		uint32_t c1 = tok.v[x] == SEP_TOKEN ? '-' : tok.v[x];
		x++;
		if (x < tok.n && tok.v[x] == SEP_TOKEN) {
			if (x + 1 < tok.n) {
				uint32_t c2 = tok.v[x + 1] == SEP_TOKEN ? '-' : tok.v[x + 1];
				class_add(k, c1, c2);
				x += 2;
				continue;
			}
			class_add(k, c1, c1);
			class_add(k, '-', '-');
			x++;
			continue;
		}
		class_add(k, c1, c1);
	}
	free(tok.v);
}

static void part_compile(struct glob *g, struct gpart *part, const char *s, size_t n)
{
	struct cpvec pc = {0};
	for (size_t i = 0; i < n;)
		cp_push(&pc, utf8_next((const unsigned char *)s, n, &i));
	part->t = xmalloc((pc.n ? pc.n : 1) * sizeof *part->t);
	for (size_t i = 0; i < pc.n;) {
		struct gtok *t = &part->t[part->nt++];
		uint32_t c = pc.v[i++];
		t->kind = T_LIT;
		t->cp = c;
		if (c == '*') {
			t->kind = T_STAR;
		} else if (c == '?') {
			t->kind = T_ANY;
		} else if (c == '[') {
			size_t j = i;
			if (j < pc.n && pc.v[j] == '!')
				j++;
			if (j < pc.n && pc.v[j] == ']')
				j++;
			while (j < pc.n && pc.v[j] != ']')
				j++;
			if (j < pc.n) {
				g->cls = xrealloc(g->cls, (g->ncls + 1) * sizeof *g->cls);
				memset(&g->cls[g->ncls], 0, sizeof *g->cls);
				class_build(&g->cls[g->ncls], pc.v, i, j);
				t->kind = T_CLASS;
				t->cls = (uint32_t)g->ncls++;
				i = j + 1;
			}
		}
	}
	free(pc.v);
}

/* 0, or -1 for a '**' that is not a whole component (fsspec raises). */
static int glob_compile(struct glob *g, const char *pat)
{
	memset(g, 0, sizeof *g);
	size_t nparts = 1;
	for (const char *p = pat; *p; p++)
		nparts += *p == '/';
	g->p = xcalloc(nparts, sizeof *g->p);
	const char *s = pat;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		struct gpart *part = &g->p[g->np++];
		if (n == 2 && s[0] == '*' && s[1] == '*') {
			part->dstar = 1;
		} else {
			for (size_t i = 0; i + 1 < n; i++)
				if (s[i] == '*' && s[i + 1] == '*') {
					glob_free(g);
					return -1;
				}
			part_compile(g, part, s, n);
		}
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

static int class_has(const struct gclass *k, uint32_t c)
{
	if (k->mode == C_NONE)
		return 0;
	if (k->mode == C_ALL)
		return 1;
	int in = 0;
	for (size_t i = 0; i < k->nr && !in; i++)
		in = c >= k->r[i][0] && c <= k->r[i][1];
	return in != k->neg;
}

/* One component against one fnmatch part: the usual backtrack to the last
 * star, which is exact when every other token matches one character. */
static int part_match(const struct glob *g, const struct gpart *p, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t ti = 0, si = 0, star_t = 0, star_s = 0;
	int star = 0;
	while (si < n) {
		if (ti < p->nt && p->t[ti].kind == T_STAR) {
			star = 1;
			star_t = ++ti;
			star_s = si;
			continue;
		}
		if (ti < p->nt) {
			size_t next = si;
			uint32_t c = utf8_next(s, n, &next);
			const struct gtok *t = &p->t[ti];
			int ok = t->kind == T_ANY || (t->kind == T_LIT && t->cp == c) ||
			         (t->kind == T_CLASS && class_has(&g->cls[t->cls], c));
			if (ok) {
				ti++;
				si = next;
				continue;
			}
		}
		if (!star)
			return 0;
		utf8_next(s, n, &star_s);
		ti = star_t;
		si = star_s;
	}
	while (ti < p->nt && p->t[ti].kind == T_STAR)
		ti++;
	return ti == p->nt;
}

/* Whole path against the compiled parts; ok[j] says whether parts i.. match
 * components j.., computed from the last part backwards. */
static int glob_match(const struct glob *g, const char *path)
{
	size_t n = 1;
	for (const char *p = path; *p; p++)
		n += *p == '/';
	/* most paths are a few components deep: no allocation for them */
	const char *seg_s[32];
	size_t len_s[32];
	unsigned char ok_s[32] = {0}, nx_s[32] = {0};
	int heap = n > 32;
	const char **seg = heap ? xmalloc(n * sizeof *seg) : seg_s;
	size_t *len = heap ? xmalloc(n * sizeof *len) : len_s;
	unsigned char *ok = heap ? xmalloc(n) : ok_s, *nx = heap ? xmalloc(n) : nx_s;
	const char *s = path;
	for (size_t j = 0; j < n; j++) {
		const char *e = strchr(s, '/');
		seg[j] = s;
		len[j] = e ? (size_t)(e - s) : strlen(s);
		s = e ? e + 1 : s + len[j];
	}
	for (size_t i = g->np; i-- > 0;) {
		const struct gpart *p = &g->p[i];
		int last = i == g->np - 1;
		unsigned char any = 0;
		for (size_t j = n; j-- > 0;) {
			if (last)
				ok[j] = p->dstar ? 1 : (j == n - 1 && part_match(g, p, seg[j], len[j]));
			else if (p->dstar)
				ok[j] = any = any | nx[j];
			else
				ok[j] = j + 1 < n && nx[j + 1] && part_match(g, p, seg[j], len[j]);
		}
		memcpy(nx, ok, n);
	}
	int r = nx[0];
	if (heap) {
		free(seg);
		free(len);
		free(ok);
		free(nx);
	}
	return r;
}

int ds_glob_match(const char *pattern, const char *path)
{
	struct glob g;
	if (glob_compile(&g, pattern) < 0)
		return -1;
	int r = glob_match(&g, path);
	glob_free(&g);
	return r;
}

static int has_magic(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* ---- resolving one pattern (data_files.py resolve_pattern) --------------- */

/* Names `datasets` never takes as data unless a pattern names them
 * (data_files.py FILES_TO_IGNORE). */
static const char *const files_to_ignore[] = {
	"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip", "dataset_dict.json",
};

/* Components starting with '.' (not "." or ".."); with parents_only, the
 * "__special__" parent directories instead.  resolve_pattern keeps a match
 * only when the pattern has as many of each as the path: hidden things are
 * skipped unless the pattern spells them out. */
static size_t count_parts(const char *s, int special)
{
	size_t count = 0;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (special) {
			if (e && n >= 2 && s[0] == '_' && s[1] == '_')
				count++;
		} else if (n && s[0] == '.' && strspn(s, ".") < n) {
			count++;
		}
		if (!e)
			break;
		s = e + 1;
	}
	return count;
}

struct repo {
	const struct ds_file *f; /* sorted, unique, normalized */
	size_t n;
};

/* Appends the files matching pattern (already joined to the data_dir) to
 * out, in path order; supported_only keeps the data files sluice reads.
 * Returns the number appended, or -1 with err set for an invalid pattern. */
static long resolve_pattern(const struct repo *r, const char *pattern, int supported_only,
                            struct filevec *out, char *err, size_t errn)
{
	struct glob g;
	int magic = has_magic(pattern);
	if (magic && glob_compile(&g, pattern) < 0) {
		errorf(err, errn, "invalid pattern '%s': '**' can only be an entire path component", pattern);
		return -1;
	}
	const char *pbase = base_name(pattern);
	size_t hidden = count_parts(pattern, 0), special = count_parts(pattern, 1);
	long found = 0;
	size_t from = 0, to = r->n;
	if (!magic) {
		/* a literal path: the listing is sorted, so look it up */
		struct ds_file key = {(char *)pattern, 0};
		const struct ds_file *hit = bsearch(&key, r->f, r->n, sizeof *r->f, file_cmp);
		from = hit ? (size_t)(hit - r->f) : 0;
		to = hit ? from + 1 : 0;
	}
	for (size_t i = from; i < to; i++) {
		const char *path = r->f[i].path;
		if (magic && !glob_match(&g, path))
			continue;
		const char *b = base_name(path);
		int ignored = 0;
		for (size_t k = 0; k < sizeof files_to_ignore / sizeof *files_to_ignore; k++)
			ignored |= strcmp(b, files_to_ignore[k]) == 0 && strcmp(pbase, b) != 0;
		if (ignored || count_parts(path, 1) != special || count_parts(path, 0) != hidden)
			continue;
		if (supported_only && ext_index(path, NULL) < 0)
			continue;
		if (out)
			fv_push(out, path, r->f[i].size);
		found++;
	}
	if (magic)
		glob_free(&g);
	return found;
}

/* ---- split patterns ---------------------------------------------------- */

struct split_spec {
	char *name;
	struct strvec pats;
};

struct cfg_spec {
	char *name;
	char *data_dir;
	int has_data_files;
	int is_default;
	struct split_spec *splits;
	size_t nsplits;
};

static void specs_free(struct split_spec *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		sv_free(&s[i].pats);
	}
	free(s);
}

static struct split_spec *spec_add(struct split_spec **s, size_t *n, const char *name)
{
	*s = xrealloc(*s, (*n + 1) * sizeof **s);
	struct split_spec *sp = &(*s)[(*n)++];
	memset(sp, 0, sizeof *sp);
	sp->name = xstrdup(name);
	return sp;
}

/* naming.py _split_re, ^\w+(\.\w+)*$; non-ASCII counts as a word character
 * since Python's \w takes most of Unicode. */
static int valid_split_name(const char *s)
{
	int word = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '.') {
			if (!word)
				return 0;
			word = 0;
		} else if (c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
			word = 1;
		} else {
			return 0;
		}
	}
	return word;
}

static char *join_path(const char *dir, const char *rel)
{
	if (!dir || !*dir)
		return xstrdup(rel);
	struct buf b = {0};
	buf_printf(&b, "%s/%s", dir, rel);
	buf_addc(&b, 0);
	return b.data;
}

/* data_files.py: the split keywords, the characters that may surround
 * them, and the pattern families for fsspec >= 2023.12. */
static const char *const split_names[3] = {"train", "validation", "test"};
static const char *const split_keywords[3][5] = {
	{"train", "training", NULL},
	{"validation", "valid", "dev", "val", NULL},
	{"test", "testing", "eval", "evaluation", NULL},
};
#define SEP "[-._ 0-9]"
static const char *const filename_patterns[] = {"**/%s" SEP "*", "**/*" SEP "%s" SEP "*"};
static const char *const dirname_patterns[] = {"**/%s/**", "**/%s" SEP "*/**", "**/*" SEP "%s/**",
                                               "**/*" SEP "%s" SEP "*/**"};
#define SHARD_TAIL "-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*"

static void keyword_patterns(struct strvec *out, int split, const char *const *forms, size_t nforms)
{
	for (size_t k = 0; split_keywords[split][k]; k++)
		for (size_t f = 0; f < nforms; f++) {
			struct buf b = {0};
			buf_printf(&b, forms[f], split_keywords[split][k]);
			buf_addc(&b, 0);
			sv_push(out, b.data);
		}
}

/* A sharded name's split, string_to_dict(basename, "{split}-00000-of-...")
 * style: the longest prefix followed by "-" five digits "-of-" four digits. */
static char *shard_split(const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	for (size_t i = n; i-- > 1;) {
		const char *t = b + i;
		if (n - i < 14 || t[0] != '-' || memcmp(t + 6, "-of-", 4) != 0)
			continue;
		int digits = 1;
		for (size_t k = 1; k <= 5; k++)
			digits &= t[k] >= '0' && t[k] <= '9';
		for (size_t k = 10; k <= 13; k++)
			digits &= t[k] >= '0' && t[k] <= '9';
		if (digits)
			return xstrndup(b, i);
	}
	return NULL;
}

static int split_rank(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, split_names[i]) == 0)
			return i;
	return 3;
}

static int split_name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int rx = split_rank(x), ry = split_rank(y);
	return rx != ry ? rx - ry : strcmp(x, y);
}

/* data_files.py _get_data_files_patterns: the first family of default
 * patterns that matches any file under dir decides the splits; each split
 * then takes all of its family's patterns.  0, or -1 with err set. */
static int default_patterns(const struct repo *r, const char *dir, struct split_spec **out, size_t *nout,
                            char *err, size_t errn)
{
	*out = NULL;
	*nout = 0;
	/* data/{split}-00000-of-00001.parquet: every split name that appears */
	char *pat = join_path(dir, "data/*" SHARD_TAIL);
	struct filevec shards = {0};
	long found = resolve_pattern(r, pat, 0, &shards, err, errn);
	free(pat);
	if (found > 0) {
		struct strvec names = {0};
		int bad = 0;
		for (size_t i = 0; i < shards.n && !bad; i++) {
			char *name = shard_split(shards.v[i].path);
			if (!name || !valid_split_name(name)) {
				errorf(err, errn, "split name '%s' of '%s' is not a valid split name (letters, digits, '_', '.')",
				       name ? name : "", shards.v[i].path);
				free(name);
				bad = 1;
				break;
			}
			int dup = 0;
			for (size_t k = 0; k < names.n && !dup; k++)
				dup = strcmp(names.v[k], name) == 0;
			if (dup)
				free(name);
			else
				sv_push(&names, name);
		}
		ds_files_free(shards.v, shards.n);
		if (bad) {
			sv_free(&names);
			return -1;
		}
		qsort(names.v, names.n, sizeof *names.v, split_name_cmp);
		for (size_t i = 0; i < names.n; i++) {
			struct split_spec *sp = spec_add(out, nout, names.v[i]);
			struct buf b = {0};
			buf_printf(&b, "data/%s" SHARD_TAIL, names.v[i]);
			buf_addc(&b, 0);
			sv_push(&sp->pats, b.data);
		}
		sv_free(&names);
		return 0;
	}
	ds_files_free(shards.v, shards.n);

	/* logs, split names in directories, in file names, then everything */
	for (int family = 0; family < 4; family++) {
		for (int split = 0; split < (family == 0 || family == 3 ? 1 : 3); split++) {
			struct strvec pats = {0};
			if (family == 0)
				sv_push(&pats, xstrdup("**/*.eval"));
			else if (family == 1)
				keyword_patterns(&pats, split, dirname_patterns, 4);
			else if (family == 2)
				keyword_patterns(&pats, split, filename_patterns, 2);
			else
				sv_push(&pats, xstrdup("**"));
			int hit = 0;
			for (size_t i = 0; i < pats.n && !hit; i++) {
				char *full = join_path(dir, pats.v[i]);
				hit = resolve_pattern(r, full, 0, NULL, NULL, 0) > 0;
				free(full);
			}
			if (hit) {
				struct split_spec *sp = spec_add(out, nout, family == 0 ? "logs" : split_names[split]);
				sp->pats = pats;
			} else {
				sv_free(&pats);
			}
		}
		if (*nout)
			return 0;
	}
	errorf(err, errn, "no data files found%s%s%s", dir ? " in '" : "", dir ? dir : "", dir ? "'" : "");
	return -1;
}

/* ---- format of a split (load.py infer_module_for_data_files_list) --------- */

/* metadata files of the folder builders sort after every other extension */
static int is_metadata_name(const char *b)
{
	return strcmp(b, "metadata.csv") == 0 || strcmp(b, "metadata.jsonl") == 0 ||
	       strcmp(b, "metadata.parquet") == 0 || strcmp(b, "latest_version_hint.json") == 0;
}

/* Whether extension a (count ca, metadata ma) beats b: more files, then
 * parquet, jsonl, json, csv, then the name that sorts last. */
static int ext_beats(size_t a, size_t ca, int ma, size_t b, size_t cb, int mb)
{
	if (ma != mb)
		return mb;
	if (ca != cb)
		return ca > cb;
	static const char *const fav[] = {"parquet", "jsonl", "json", "csv"};
	for (size_t i = 0; i < 4; i++) {
		int fa = strcmp(exts[a].ext, fav[i]) == 0, fb = strcmp(exts[b].ext, fav[i]) == 0;
		if (fa != fb)
			return fa;
	}
	return strcmp(exts[a].ext, exts[b].ext) > 0;
}

static void split_finish(struct ds_split *s)
{
	size_t count[NEXTS][2] = {{0}};
	for (size_t i = 0; i < s->nfiles; i++) {
		int e = ext_index(s->files[i].path, NULL);
		if (e >= 0)
			count[e][is_metadata_name(base_name(s->files[i].path))]++;
	}
	int best = -1, best_meta = 0;
	for (size_t e = 0; e < NEXTS; e++)
		for (int m = 0; m < 2; m++)
			if (count[e][m] && (best < 0 || ext_beats(e, count[e][m], m, (size_t)best, count[best][best_meta], best_meta))) {
				best = (int)e;
				best_meta = m;
			}
	if (best < 0) {
		s->format = DS_FMT_NONE;
		return;
	}
	s->format = exts[best].format;
	size_t kept = 0;
	for (size_t i = 0; i < s->nfiles; i++) {
		int e = ext_index(s->files[i].path, NULL);
		if (e >= 0 && exts[e].module == exts[best].module)
			s->files[kept++] = s->files[i];
		else
			free(s->files[i].path);
	}
	s->nfiles = kept;
}

/* ---- README front matter -------------------------------------------------- */

/* Whether "---" then "\r\n", "\n" or the end of the text is at q. */
static int closing_dashes(const char *s, size_t n, size_t q)
{
	if (n - q < 3 || memcmp(s + q, "---", 3) != 0)
		return 0;
	q += 3;
	return q == n || s[q] == '\n' || (s[q] == '\r' && q + 1 < n && s[q + 1] == '\n');
}

/* huggingface_hub RepoCard's REGEX_YAML_BLOCK,
 * ^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$)), done by hand.  The
 * block is [*start, *end); 0 when there is none.  Deviation: a UTF-8 BOM
 * is skipped first, as the Hub's own (JavaScript) matcher does. */
static int front_matter(const char *s, size_t n, size_t *start, size_t *end)
{
	size_t p = 0;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		p = 3;
	while (p < n && strchr(" \t\n\r\f\v", s[p]) && s[p])
		p++;
	if (n - p < 3 || memcmp(s + p, "---", 3) != 0)
		return 0;
	p += 3;
	size_t nl = 0;
	while (p + nl < n && (s[p + nl] == '\n' || s[p + nl] == '\r'))
		nl++;
	if (!nl)
		return 0;
	/* Is there "[\r\n]+---(\r\n|\n|$)" at e? */
	for (size_t e = p + nl; e < n; e++) {
		if (s[e] != '\n' && s[e] != '\r')
			continue;
		size_t q = e;
		while (q < n && (s[q] == '\n' || s[q] == '\r'))
			q++;
		if (closing_dashes(s, n, q)) {
			*start = p + nl;
			*end = e;
			return 1;
		}
		e = q - 1;
	}
	/* Backtracking: the opening newlines give some back, leaving an empty
	 * block when "---" follows them directly. */
	if (nl > 1 && closing_dashes(s, n, p + nl)) {
		*start = *end = p + 1;
		return 1;
	}
	return 0;
}

/* Line of offset off, counting line breaks as YAML does ("\r\n" is one). */
static size_t line_of(const char *s, size_t off)
{
	size_t line = 1;
	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= off || s[i + 1] != '\n')))
			line++;
	return line;
}

/* YAML values as PyYAML's safe loader types plain scalars. */
enum yt { Y_NULL, Y_BOOL, Y_NUM, Y_STR, Y_SEQ, Y_MAP, Y_OTHER };

static int in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return 1;
	return 0;
}

static int looks_numeric(const char *s)
{
	char *end;
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return 0;
	static const char *const special[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
	if (in_list(s, special))
		return 1;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) || strchr(s, '_'))
		return strspn(s + 2, "0123456789abcdefABCDEF_") == strlen(s + 2) && s[2];
	if (!strchr("0123456789.", *s) || strcmp(s, ".") == 0)
		return 0;
	if (strpbrk(s, "eE") && !strchr(s, '.'))
		return 0; /* YAML 1.1 floats have a dot: 1e3 is a string */
	errno = 0;
	strtod(s, &end);
	return *end == '\0';
}

static enum yt ytype(yaml_node_t *n)
{
	if (!n)
		return Y_NULL;
	if (n->type == YAML_SEQUENCE_NODE)
		return Y_SEQ;
	if (n->type == YAML_MAPPING_NODE)
		return Y_MAP;
	if (n->type != YAML_SCALAR_NODE)
		return Y_OTHER;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return Y_STR;
	const char *v = (const char *)n->data.scalar.value;
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const bools[] = {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
	                                    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", NULL};
	if (in_list(v, nulls))
		return Y_NULL;
	if (in_list(v, bools))
		return Y_BOOL;
	if (looks_numeric(v))
		return Y_NUM;
	return Y_STR;
}

/* Python truthiness of a value, for `default:`. */
static int ytruthy(yaml_node_t *n)
{
	static const char *const falses[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
	switch (ytype(n)) {
	case Y_NULL: return 0;
	case Y_BOOL: return !in_list((const char *)n->data.scalar.value, falses);
	case Y_NUM: return strtod((const char *)n->data.scalar.value, NULL) != 0;
	case Y_STR: return n->data.scalar.length > 0;
	case Y_SEQ: return n->data.sequence.items.top > n->data.sequence.items.start;
	case Y_MAP: return n->data.mapping.pairs.top > n->data.mapping.pairs.start;
	default: return 1;
	}
}

static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A mapping's value for key, the last occurrence winning as in PyYAML, and
 * YAML merge keys ("<<: *base") looked through.  found says whether the key
 * is there at all (its value may be null). */
static yaml_node_t *ymap_get_depth(yaml_document_t *d, yaml_node_t *m, const char *key, int *found, int depth,
                                   size_t *visits)
{
	/* aliases can make merges cyclic or exponentially wide: bound both */
	if (!m || m->type != YAML_MAPPING_NODE || depth > MAX_MERGE_DEPTH || ++*visits > MAX_MERGE_VISITS)
		return NULL;
	yaml_node_t *v = NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = yscalar(yaml_document_get_node(d, p->key));
		if (k && strcmp(k, key) == 0) {
			v = yaml_document_get_node(d, p->value);
			*found = 1;
		}
	}
	if (*found)
		return v;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = yscalar(yaml_document_get_node(d, p->key));
		if (!k || strcmp(k, "<<") != 0)
			continue;
		yaml_node_t *base = yaml_document_get_node(d, p->value);
		if (base && base->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = base->data.sequence.items.start; it < base->data.sequence.items.top; it++) {
				v = ymap_get_depth(d, yaml_document_get_node(d, *it), key, found, depth + 1, visits);
				if (*found)
					return v;
			}
		} else {
			v = ymap_get_depth(d, base, key, found, depth + 1, visits);
			if (*found)
				return v;
		}
	}
	return NULL;
}

static yaml_node_t *ymap_get(yaml_document_t *d, yaml_node_t *m, const char *key, int *found)
{
	int f = 0;
	size_t visits = 0;
	yaml_node_t *v = ymap_get_depth(d, m, key, &f, 0, &visits);
	if (found)
		*found = f;
	return v;
}

static size_t yseq_len(yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *yseq_at(yaml_document_t *d, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(d, n->data.sequence.items.start[i]);
}

static size_t ymap_distinct_keys(yaml_document_t *d, yaml_node_t *m)
{
	size_t n = 0;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = yscalar(yaml_document_get_node(d, p->key));
		int seen = 0;
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p && !seen; q++) {
			const char *kq = yscalar(yaml_document_get_node(d, q->key));
			seen = k && kq && strcmp(k, kq) == 0;
		}
		n += !seen;
	}
	return n;
}

/* Counts one more pattern of n bytes against the README's budget. */
static int over_budget(size_t *budget, const char *pat)
{
	budget[0]++;
	budget[1] += strlen(pat);
	return budget[0] > MAX_PATTERNS || budget[1] > MAX_PATTERN_BYTES;
}

/* One config's data_files (utils/metadata.py
 * _raise_if_data_files_field_not_valid, then data_files.py
 * sanitize_patterns): a string, a list of strings (all `train`), or a list
 * of {split, path} with path a string or a list. */
static int parse_data_files(yaml_document_t *d, yaml_node_t *df, const char *cname, struct cfg_spec *c,
                            size_t budget[2], char *err, size_t errn)
{
	enum yt t = ytype(df);
	if (t == Y_STR) {
		if (over_budget(budget, yscalar(df)))
			goto toomany;
		sv_push(&spec_add(&c->splits, &c->nsplits, "train")->pats, xstrdup(yscalar(df)));
		return 0;
	}
	if (t != Y_SEQ)
		goto invalid;
	size_t n = yseq_len(df);
	int dicts = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yseq_at(d, df, i);
		enum yt ti = ytype(it);
		if (ti == Y_MAP) {
			int fs = 0, fp = 0;
			yaml_node_t *split = ymap_get(d, it, "split", &fs), *path = ymap_get(d, it, "path", &fp);
			enum yt tp = ytype(path);
			if (ymap_distinct_keys(d, it) != 2 || !fs || ytype(split) != Y_STR ||
			    !valid_split_name(yscalar(split)) || !fp || (tp != Y_STR && tp != Y_SEQ))
				goto invalid;
			dicts++;
		} else if (ti != Y_STR) {
			goto invalid;
		}
	}
	if (dicts && dicts != (int)n) {
		errorf(err, errn, "config '%s': data_files mixes {split, path} entries with plain patterns", cname);
		return -1;
	}
	if (!dicts) {
		struct split_spec *sp = spec_add(&c->splits, &c->nsplits, "train");
		for (size_t i = 0; i < n; i++) {
			if (over_budget(budget, yscalar(yseq_at(d, df, i))))
				goto toomany;
			sv_push(&sp->pats, xstrdup(yscalar(yseq_at(d, df, i))));
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yseq_at(d, df, i);
		const char *name = yscalar(ymap_get(d, it, "split", NULL));
		for (size_t k = 0; k < c->nsplits; k++)
			if (strcmp(c->splits[k].name, name) == 0) {
				errorf(err, errn, "config '%s': split '%s' appears twice in data_files", cname, name);
				return -1;
			}
		struct split_spec *sp = spec_add(&c->splits, &c->nsplits, name);
		yaml_node_t *path = ymap_get(d, it, "path", NULL);
		if (ytype(path) == Y_STR) {
			if (over_budget(budget, yscalar(path)))
				goto toomany;
			sv_push(&sp->pats, xstrdup(yscalar(path)));
			continue;
		}
		for (size_t k = 0; k < yseq_len(path); k++) {
			const char *p = yscalar(yseq_at(d, path, k));
			if (!p) {
				errorf(err, errn, "config '%s': split '%s': path entries must be strings", cname, name);
				return -1;
			}
			if (over_budget(budget, p))
				goto toomany;
			sv_push(&sp->pats, xstrdup(p));
		}
	}
	return 0;
invalid:
	errorf(err, errn,
	       "config '%s': data_files must be a string, a list of strings, or a list of {split, path} "
	       "(split made of letters, digits, '_' and '.'; path a string or a list)",
	       cname);
	return -1;
toomany:
	errorf(err, errn, "README.md: more than %d data_files patterns or %u MiB of them", MAX_PATTERNS,
	       MAX_PATTERN_BYTES >> 20);
	return -1;
}

static void cfgs_free(struct cfg_spec *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].data_dir);
		specs_free(c[i].splits, c[i].nsplits);
	}
	free(c);
}

/* Strips "./" and '/' runs from the ends of a data_dir or pattern, as
 * joining paths would; NULL for nothing left of a data_dir. */
static char *clean_rel(const char *s, int dir)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	while (dir && *s == '/')
		s++;
	struct buf b = {0};
	for (const char *p = s; *p; p++)
		if (!(*p == '/' && (p[1] == '/' || (dir && p[1] == '\0'))))
			buf_addc(&b, *p);
	if (dir && (b.len == 0 || (b.len == 1 && b.data[0] == '.'))) {
		buf_free(&b);
		return NULL;
	}
	buf_addc(&b, 0);
	return b.data;
}

/* README.md's `configs:` into specs (utils/metadata.py
 * MetadataConfigs.from_dataset_card_data).  Returns 1 with configs, 0 when
 * there is no usable `configs:`, -1 with err set. */
static int parse_readme(const char *readme, size_t len, struct cfg_spec **out, size_t *nout, char *err,
                        size_t errn)
{
	size_t start, end;
	*out = NULL;
	*nout = 0;
	if (!readme || !front_matter(readme, len, &start, &end))
		return 0;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		die(STATUS_FAIL, "out of memory initializing the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)readme + start, end - start);
	if (!yaml_parser_load(&parser, &doc)) {
		size_t line = line_of(readme, start) + parser.problem_mark.line;
		if (parser.error == YAML_MEMORY_ERROR)
			die(STATUS_FAIL, "out of memory parsing README.md YAML");
		errorf(err, errn, "README.md:%zu: malformed YAML front matter: %s%s%s", line,
		       parser.problem ? parser.problem : "error", parser.context ? " " : "",
		       parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);
	int rc = 0;
	size_t budget[2] = {0, 0};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && ytype(root) != Y_MAP && ytype(root) != Y_NULL) {
		errorf(err, errn, "README.md:%zu: the YAML front matter is not a mapping", line_of(readme, start));
		rc = -1;
		goto done;
	}
	yaml_node_t *configs = ymap_get(&doc, root, "configs", NULL);
	if (!ytruthy(configs))
		goto done;
	if (ytype(configs) != Y_SEQ) {
		errorf(err, errn, "README.md:%zu: configs must be a list",
		       line_of(readme, start) + configs->start_mark.line);
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < yseq_len(configs); i++) {
		yaml_node_t *c = yseq_at(&doc, configs, i);
		size_t line = line_of(readme, start) + (c ? c->start_mark.line : 0);
		int has_name = 0;
		yaml_node_t *name = ymap_get(&doc, c, "config_name", &has_name);
		if (ytype(c) != Y_MAP || !has_name) {
			errorf(err, errn, "README.md:%zu: each entry of configs needs a config_name", line);
			rc = -1;
			goto done;
		}
		const char *cname = yscalar(name) ? yscalar(name) : "";
		if (ytype(name) == Y_NULL)
			cname = "None"; /* what Python makes of a null name */
		if (!yscalar(name)) {
			errorf(err, errn, "README.md:%zu: config_name must be a string", line);
			rc = -1;
			goto done;
		}
		/* A repeated name replaces the earlier config in its place, as
		 * building a dict does. */
		struct cfg_spec *spec = NULL;
		for (size_t k = 0; k < *nout && !spec; k++)
			if (strcmp((*out)[k].name, cname) == 0) {
				spec = &(*out)[k];
				free(spec->data_dir);
				specs_free(spec->splits, spec->nsplits);
				free(spec->name);
			}
		if (!spec) {
			if (*nout >= MAX_CONFIGS) {
				errorf(err, errn, "README.md: more than %d configs", MAX_CONFIGS);
				rc = -1;
				goto done;
			}
			*out = xrealloc(*out, (*nout + 1) * sizeof **out);
			spec = &(*out)[(*nout)++];
		}
		memset(spec, 0, sizeof *spec);
		spec->name = xstrdup(cname);
		yaml_node_t *dd = ymap_get(&doc, c, "data_dir", NULL);
		if (yscalar(dd) && ytype(dd) != Y_NULL)
			spec->data_dir = clean_rel(yscalar(dd), 1);
		else if (ytype(dd) != Y_NULL) {
			errorf(err, errn, "README.md:%zu: config '%s': data_dir must be a string", line, cname);
			rc = -1;
			goto done;
		}
		spec->is_default = ytruthy(ymap_get(&doc, c, "default", NULL));
		yaml_node_t *df = ymap_get(&doc, c, "data_files", NULL);
		if (ytype(df) != Y_NULL) {
			spec->has_data_files = 1;
			if (parse_data_files(&doc, df, cname, spec, budget, err, errn) < 0) {
				rc = -1;
				goto done;
			}
		}
	}
	rc = *nout > 0;
done:
	yaml_document_delete(&doc);
	if (rc < 0) {
		cfgs_free(*out, *nout);
		*out = NULL;
		*nout = 0;
	}
	return rc;
}

/* ---- resolving ------------------------------------------------------------- */

static void split_free(struct ds_split *s)
{
	free(s->name);
	ds_files_free(s->files, s->nfiles);
}

static void config_free(struct ds_config *c)
{
	free(c->name);
	free(c->data_dir);
	free(c->error);
	for (size_t i = 0; i < c->nsplits; i++)
		split_free(&c->splits[i]);
	free(c->splits);
}

void ds_free(struct ds_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nconfigs; i++)
		config_free(&l->configs[i]);
	free(l->configs);
	free(l);
}

struct ranked {
	const char *path;
	size_t at;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Removes the later copies of a path listed more than once, keeping the
 * order of first appearances: sorted by (path, position), every entry
 * equal to its predecessor is a repeat. */
static void drop_repeats(struct filevec *fv)
{
	if (fv->n < 2)
		return;
	struct ranked *r = xmalloc(fv->n * sizeof *r);
	unsigned char *drop = xcalloc(fv->n, 1);
	for (size_t i = 0; i < fv->n; i++)
		r[i] = (struct ranked){fv->v[i].path, i};
	qsort(r, fv->n, sizeof *r, ranked_cmp);
	for (size_t i = 1; i < fv->n; i++)
		if (strcmp(r[i].path, r[i - 1].path) == 0)
			drop[r[i].at] = 1;
	size_t kept = 0;
	for (size_t i = 0; i < fv->n; i++) {
		if (drop[i])
			free(fv->v[i].path);
		else
			fv->v[kept++] = fv->v[i];
	}
	fv->n = kept;
	free(r);
	free(drop);
}

/* The files of each split spec (DataFilesPatternsDict.resolve): patterns in
 * order, each one's matches sorted.  keep_empty keeps splits the README
 * declared even when nothing matched.  Deviation: a file matched by two
 * patterns of one split is listed once, not twice. */
static int resolve_splits(const struct repo *r, const char *dir, const struct split_spec *sp, size_t nsp,
                          int keep_empty, struct ds_config *c, char *err, size_t errn)
{
	c->splits = xcalloc(nsp ? nsp : 1, sizeof *c->splits);
	for (size_t i = 0; i < nsp; i++) {
		struct filevec fv = {0};
		for (size_t k = 0; k < sp[i].pats.n; k++) {
			char *rel = clean_rel(sp[i].pats.v[k], 0);
			char *full = join_path(dir, rel);
			free(rel);
			long got = resolve_pattern(r, full, 1, &fv, err, errn);
			if (got == 0 && !has_magic(full)) {
				/* resolve_pattern raises for a missing literal path */
				int exists = resolve_pattern(r, full, 0, NULL, NULL, 0) > 0;
				errorf(err, errn, exists ? "'%s' is not a data file sluice reads" : "unable to find '%s'",
				       full);
				got = -1;
			}
			free(full);
			if (got < 0) {
				ds_files_free(fv.v, fv.n);
				return -1;
			}
		}
		if (sp[i].pats.n > 1)
			drop_repeats(&fv);
		struct ds_split *s = &c->splits[c->nsplits];
		s->name = xstrdup(sp[i].name);
		s->files = fv.v;
		s->nfiles = fv.n;
		split_finish(s);
		if (s->nfiles == 0 && !keep_empty) {
			split_free(s);
			memset(s, 0, sizeof *s);
			continue;
		}
		c->nsplits++;
	}
	if (c->nsplits == 0) {
		errorf(err, errn, "no data files that sluice reads (parquet, jsonl, json, csv, tsv, txt)%s%s%s",
		       dir ? " in '" : "", dir ? dir : "", dir ? "'" : "");
		return -1;
	}
	return 0;
}

static void normalize_listing(const struct ds_file *files, size_t nfiles, struct filevec *out)
{
	for (size_t i = 0; i < nfiles; i++) {
		if (!files[i].path)
			continue;
		char *p = clean_rel(files[i].path, 1);
		if (!p)
			continue;
		fv_push(out, p, files[i].size);
		free(p);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, file_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (kept && strcmp(out->v[kept - 1].path, out->v[i].path) == 0)
			free(out->v[i].path);
		else
			out->v[kept++] = out->v[i];
	}
	out->n = kept;
}

struct ds_layout *ds_resolve(const char *readme, size_t readme_len, const struct ds_file *files, size_t nfiles,
                             char *err, size_t errn)
{
	struct filevec listing = {0};
	normalize_listing(files, nfiles, &listing);
	struct repo r = {listing.v, listing.n};
	struct ds_layout *l = xcalloc(1, sizeof *l);
	struct cfg_spec *specs;
	size_t nspecs;
	char msg[1024];

	int yaml = parse_readme(readme, readme_len, &specs, &nspecs, err, errn);
	if (yaml < 0)
		goto fail;
	if (yaml == 0) {
		/* no configs: one "default" config from the default patterns
		 * (load.py LocalDatasetModuleFactory.get_module) */
		struct split_spec *sp;
		size_t nsp;
		if (default_patterns(&r, NULL, &sp, &nsp, err, errn) < 0)
			goto fail;
		l->configs = xcalloc(1, sizeof *l->configs);
		l->nconfigs = 1;
		l->configs[0].name = xstrdup("default");
		l->configs[0].is_default = 1;
		int rc = resolve_splits(&r, NULL, sp, nsp, 0, &l->configs[0], err, errn);
		specs_free(sp, nsp);
		if (rc < 0)
			goto fail;
		ds_files_free(listing.v, listing.n);
		return l;
	}

	/* the default config (MetadataConfigs.get_default_config_name) */
	const char *def = NULL;
	for (size_t i = 0; i < nspecs; i++)
		if (nspecs == 1 || strcmp(specs[i].name, "default") == 0 || specs[i].is_default) {
			if (def) {
				errorf(err, errn, "README.md has several default configs: '%s' and '%s'", def, specs[i].name);
				cfgs_free(specs, nspecs);
				goto fail;
			}
			def = specs[i].name;
		}
	l->yaml = 1;
	l->configs = xcalloc(nspecs, sizeof *l->configs);
	for (size_t i = 0; i < nspecs; i++) {
		struct ds_config *c = &l->configs[l->nconfigs++];
		struct cfg_spec *s = &specs[i];
		c->name = xstrdup(s->name);
		c->data_dir = s->data_dir ? xstrdup(s->data_dir) : NULL;
		c->is_default = def && strcmp(def, s->name) == 0;
		struct split_spec *sp = s->splits;
		size_t nsp = s->nsplits;
		if (!s->has_data_files) {
			/* load.py create_builder_configs_from_metadata_configs:
			 * default patterns inside data_dir, and none found is
			 * the whole dataset's error */
			if (default_patterns(&r, s->data_dir, &sp, &nsp, msg, sizeof msg) < 0) {
				errorf(err, errn, "config '%s': %s", s->name, msg);
				cfgs_free(specs, nspecs);
				goto fail;
			}
		}
		if (resolve_splits(&r, s->data_dir, sp, nsp, s->has_data_files, c, msg, sizeof msg) < 0) {
			struct buf b = {0};
			buf_printf(&b, "config '%s': %s", s->name, msg);
			buf_addc(&b, 0);
			c->error = b.data;
			for (size_t k = 0; k < c->nsplits; k++)
				split_free(&c->splits[k]);
			c->nsplits = 0;
		}
		if (!s->has_data_files)
			specs_free(sp, nsp);
	}
	cfgs_free(specs, nspecs);
	ds_files_free(listing.v, listing.n);
	return l;
fail:
	ds_files_free(listing.v, listing.n);
	ds_free(l);
	return NULL;
}

/* ---- accessors and lookup -------------------------------------------------- */

size_t ds_config_count(const struct ds_layout *l) { return l->nconfigs; }
const struct ds_config *ds_config_at(const struct ds_layout *l, size_t i) { return &l->configs[i]; }
int ds_has_yaml_configs(const struct ds_layout *l) { return l->yaml; }
const char *ds_config_name(const struct ds_config *c) { return c->name; }
int ds_config_is_default(const struct ds_config *c) { return c->is_default; }
const char *ds_config_data_dir(const struct ds_config *c) { return c->data_dir; }
const char *ds_config_error(const struct ds_config *c) { return c->error; }
size_t ds_split_count(const struct ds_config *c) { return c->nsplits; }
const struct ds_split *ds_split_at(const struct ds_config *c, size_t i) { return &c->splits[i]; }
const char *ds_split_name(const struct ds_split *s) { return s->name; }
enum ds_format ds_split_format(const struct ds_split *s) { return s->format; }
size_t ds_split_file_count(const struct ds_split *s) { return s->nfiles; }
const struct ds_file *ds_split_file(const struct ds_split *s, size_t i) { return &s->files[i]; }

static void config_names(const struct ds_layout *l, struct buf *b)
{
	for (size_t i = 0; i < l->nconfigs; i++) {
		if (i)
			buf_adds(b, ", ");
		buf_adds(b, l->configs[i].name);
	}
	buf_addc(b, 0);
}

const struct ds_config *ds_find_config(const struct ds_layout *l, const char *name, char *err, size_t errn)
{
	const struct ds_config *c = NULL;
	for (size_t i = 0; i < l->nconfigs && !c; i++)
		if (name ? strcmp(l->configs[i].name, name) == 0 : l->configs[i].is_default)
			c = &l->configs[i];
	if (!c) {
		struct buf b = {0};
		config_names(l, &b);
		if (name)
			errorf(err, errn, "no config '%s' (configs: %s)", name, b.data);
		else
			errorf(err, errn, "no default config: pick one of %s", b.data);
		buf_free(&b);
		return NULL;
	}
	if (c->error) {
		errorf(err, errn, "%s", c->error);
		return NULL;
	}
	return c;
}

const struct ds_split *ds_find_split(const struct ds_config *c, const char *name, char *err, size_t errn)
{
	for (size_t i = 0; i < c->nsplits; i++)
		if (strcmp(c->splits[i].name, name) == 0)
			return &c->splits[i];
	struct buf b = {0};
	for (size_t i = 0; i < c->nsplits; i++) {
		if (i)
			buf_adds(&b, ", ");
		buf_adds(&b, c->splits[i].name);
	}
	buf_addc(&b, 0);
	errorf(err, errn, "no split '%s' in config '%s' (splits: %s)", name, c->name, b.data);
	buf_free(&b);
	return NULL;
}

/* ---- loading scripts ------------------------------------------------------- */

const char *ds_script_path(const char *name, const struct ds_file *files, size_t nfiles)
{
	/* the last non-empty part: "org/NAME", "dir/NAME/" and "NAME" all give NAME */
	const char *e = name + strlen(name);
	while (e > name && e[-1] == '/')
		e--;
	const char *b = e;
	while (b > name && b[-1] != '/')
		b--;
	size_t n = (size_t)(e - b);
	if (!n)
		return NULL;
	int has_py = n >= 3 && memcmp(e - 3, ".py", 3) == 0;
	for (size_t i = 0; i < nfiles; i++) {
		const char *p = files[i].path;
		if (p && strncmp(p, b, n) == 0 && strcmp(p + n, has_py ? "" : ".py") == 0)
			return p;
	}
	return NULL;
}

/* ---- local files ----------------------------------------------------------- */

/* Appends the regular files under root/rel to out, depth-first; maxdepth
 * (components below root, 0 for no limit) spares a walk of a whole tree
 * for a pattern that cannot reach far. */
static int walk(const char *root, const char *rel, size_t depth, size_t maxdepth, struct filevec *out, char *err,
                size_t errn)
{
	char *dir = rel ? join_path(root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	if (!d) {
		errorf(err, errn, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = join_path(dir, e->d_name);
		char *sub = rel ? join_path(rel, e->d_name) : xstrdup(e->d_name);
		struct stat st, lst;
		if (stat(path, &st) == 0) {
			if (S_ISREG(st.st_mode)) {
				fv_push(out, sub, (uint64_t)st.st_size);
			} else if (S_ISDIR(st.st_mode) && lstat(path, &lst) == 0 && S_ISDIR(lst.st_mode) &&
			           (!maxdepth || depth + 1 < maxdepth)) {
				rc = walk(root, sub, depth + 1, maxdepth, out, err, errn);
			}
		}
		/* a dangling link or a file removed under us is not an error */
		free(path);
		free(sub);
		if (rc < 0)
			break;
		errno = 0;
	}
	if (rc == 0 && errno) {
		errorf(err, errn, "%s: %s", dir, strerror(errno));
		rc = -1;
	}
	closedir(d);
	free(dir);
	return rc;
}

int ds_list_local(const char *dir, struct ds_file **files, size_t *n, char *err, size_t errn)
{
	struct filevec fv = {0};
	*files = NULL;
	*n = 0;
	if (walk(dir, NULL, 0, 0, &fv, err, errn) < 0) {
		ds_files_free(fv.v, fv.n);
		return -1;
	}
	if (fv.n > 1)
		qsort(fv.v, fv.n, sizeof *fv.v, file_cmp);
	*files = fv.v;
	*n = fv.n;
	return 0;
}

int ds_glob_local(const char *pattern, struct ds_file **files, size_t *n, char *err, size_t errn)
{
	*files = NULL;
	*n = 0;
	if (!has_magic(pattern)) {
		struct stat st;
		if (stat(pattern, &st) < 0) {
			errorf(err, errn, "%s: %s", pattern, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			errorf(err, errn, "%s: not a regular file", pattern);
			return -1;
		}
		*files = xmalloc(sizeof **files);
		(*files)[0].path = xstrdup(pattern);
		(*files)[0].size = (uint64_t)st.st_size;
		*n = 1;
		return 0;
	}
	/* The components before the first wildcard name the directory to walk;
	 * the rest is matched against paths below it. */
	const char *rest = pattern;
	for (const char *p = pattern; *p; p++) {
		if (strchr("*?[", *p))
			break;
		if (*p == '/')
			rest = p + 1;
	}
	char *root = rest == pattern ? xstrdup(".") : rest == pattern + 1 ? xstrdup("/")
	                                                                   : xstrndup(pattern, (size_t)(rest - pattern - 1));
	struct glob g;
	if (glob_compile(&g, rest) < 0) {
		errorf(err, errn, "invalid pattern '%s': '**' can only be an entire path component", pattern);
		free(root);
		return -1;
	}
	size_t maxdepth = 0;
	if (!strstr(rest, "**")) {
		maxdepth = 1;
		for (const char *p = rest; *p; p++)
			maxdepth += *p == '/';
	}
	struct filevec all = {0}, out = {0};
	int rc = walk(root, NULL, 0, maxdepth, &all, err, errn);
	if (rc == 0) {
		if (all.n > 1)
			qsort(all.v, all.n, sizeof *all.v, file_cmp);
		const char *pbase = base_name(rest);
		size_t hidden = count_parts(rest, 0), special = count_parts(rest, 1);
		for (size_t i = 0; i < all.n; i++) {
			const char *path = all.v[i].path, *b = base_name(path);
			int ignored = 0;
			for (size_t k = 0; k < sizeof files_to_ignore / sizeof *files_to_ignore; k++)
				ignored |= strcmp(b, files_to_ignore[k]) == 0 && strcmp(pbase, b) != 0;
			if (ignored || !glob_match(&g, path) || count_parts(path, 0) != hidden ||
			    count_parts(path, 1) != special)
				continue;
			char *full = rest == pattern ? xstrdup(path) : join_path(strcmp(root, "/") ? root : "", path);
			if (rest == pattern + 1) { /* under "/": join_path would drop it */
				free(full);
				full = xmalloc(strlen(path) + 2);
				full[0] = '/';
				strcpy(full + 1, path);
			}
			fv_push(&out, full, all.v[i].size);
			free(full);
		}
		if (out.n == 0) {
			errorf(err, errn, "no files match '%s'", pattern);
			rc = -1;
		}
	}
	glob_free(&g);
	ds_files_free(all.v, all.n);
	free(root);
	if (rc < 0) {
		ds_files_free(out.v, out.n);
		return -1;
	}
	*files = out.v;
	*n = out.n;
	return 0;
}
