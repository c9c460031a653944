/* tokload.c - tokenizer files and names (see tokload.h). */
#include "tok/tokload.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "hub/hfcache.h"
#include "hub/hfhub.h"
#include "tok/bytelevel.h"
#include "tok/pretok.h"
#include "tok/tokfetch.h"
#include "tok/tokreg.h"

#ifndef SLUICE_DATADIR
#define SLUICE_DATADIR "/usr/local/share/sluice"
#endif

const char *tokload_pattern_by_name(const char *name)
{
	if (strcmp(name, "gpt2") == 0)
		return PRETOK_PATTERN_GPT2;
	if (strcmp(name, "cl100k") == 0)
		return PRETOK_PATTERN_CL100K;
	if (strcmp(name, "o200k") == 0)
		return PRETOK_PATTERN_O200K;
	return name;
}

static char *slurp(const char *path, size_t *len, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct buf b = {0};
	for (;;) {
		buf_reserve(&b, 1 << 16);
		ssize_t n = read(fd, b.data + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errorf(err, errn, "%s: %s", path, strerror(errno));
			close(fd);
			buf_free(&b);
			return NULL;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	buf_addc(&b, '\0');
	*len = b.len - 1;
	return b.data;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = xmalloc(a + b + 2);
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- tiktoken rank files: "base64 rank" lines ---- */

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int b64_decode(const char *s, size_t n, struct buf *out)
{
	buf_clear(out);
	uint32_t acc = 0;
	int bits = 0;
	size_t i = 0;
	for (; i < n && s[i] != '='; i++) {
		int v = b64_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)(acc >> bits));
		}
	}
	for (; i < n; i++)
		if (s[i] != '=')
			return -1;
	return out->len ? 0 : -1;
}

/* A named encoding's special tokens, its reserved ones included. */
static int add_specials(struct tokenizer *t, const struct tokreg_encoding *e, const char *path, char *err,
                        size_t errn)
{
	for (size_t i = 0; i < e->n_specials; i++)
		if (bpe_add_special(t->bpe, e->specials[i].text, strlen(e->specials[i].text), e->specials[i].id) < 0)
			return errorf(err, errn, "%s: the special token %s clashes with a rank", path, e->specials[i].text);
	for (uint32_t id = e->reserved_from; id < e->reserved_to; id++) {
		bool named = false;
		for (size_t i = 0; i < e->n_specials && !named; i++)
			named = e->specials[i].id == id;
		char text[32];
		int n = snprintf(text, sizeof text, "<|reserved_%u|>", (unsigned)id);
		if (!named && bpe_add_special(t->bpe, text, (size_t)n, id) < 0)
			return errorf(err, errn, "%s: the special token %s clashes with a rank", path, text);
	}
	return 0;
}

static int load_tiktoken(struct tokenizer *t, const char *path, const char *encoding,
                         char *err, size_t errn)
{
	size_t len;
	char *text = slurp(path, &len, err, errn);
	if (!text)
		return -1;
	struct buf tok = {0};
	int rc = 0;
	size_t line = 1;
	for (char *p = text, *end = text + len; p < end; line++) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		char *sp = memchr(p, ' ', (size_t)(eol - p));
		char *num_end = NULL;
		unsigned long long rank = 0;
		if (sp) {
			errno = 0;
			rank = strtoull(sp + 1, &num_end, 10);
		}
		if (eol == p) { /* a blank line, e.g. at the end */
			p = eol + 1;
			continue;
		}
		if (!sp || num_end == sp + 1 || (num_end != eol && !(num_end + 1 == eol && *num_end == '\r')) ||
		    errno || rank >= BPE_NO_ID || b64_decode(p, (size_t)(sp - p), &tok) < 0) {
			rc = errorf(err, errn, "%s:%zu: not a tiktoken rank line (base64, a space, a rank)", path, line);
			break;
		}
		if (bpe_add_token(t->bpe, tok.data, tok.len, (uint32_t)rank) < 0) {
			rc = errorf(err, errn, "%s:%zu: rank %llu or its bytes appear twice", path, line, rank);
			break;
		}
		p = eol + 1;
	}
	buf_free(&tok);
	free(text);
	if (rc < 0)
		return rc;
	bpe_derive_merges(t->bpe);
	bpe_set_whole_piece(t->bpe, true);
	const struct tokreg_encoding *e = encoding ? tokreg_find(encoding) : NULL;
	if (e) {
		if (add_specials(t, e, path, err, errn) < 0)
			return -1;
		t->pattern = xstrdup(e->pattern);
	} else {
		t->pattern = xstrdup(PRETOK_PATTERN_CL100K);
	}
	return 0;
}

/* ---- GPT-2's encoder.json and vocab.bpe ---- */

static json_t *load_json(const char *path, char *err, size_t errn)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_ALLOW_NUL, &je);
	if (!j)
		errorf(err, errn, "%s:%d: %s", path, je.line, je.text);
	return j;
}

/* Adds the entries of a {token: id} object, byte-level strings, except
 * those whose id is in skip (added tokens handled as specials). */
static int add_bytelevel_vocab(struct tokenizer *t, json_t *vocab, const char *path,
                               const json_t *specials, char *err, size_t errn)
{
	struct bytelevel bl;
	bytelevel_init(&bl);
	struct buf bytes = {0};
	const char *key;
	json_t *val;
	int rc = 0;
	json_object_foreach(vocab, key, val) {
		if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) >= BPE_NO_ID) {
			rc = errorf(err, errn, "%s: the id of token \"%s\" is not a valid id", path, key);
			break;
		}
		uint32_t id = (uint32_t)json_integer_value(val);
		if (specials && json_object_get(specials, key))
			continue;
		if (bytelevel_decode(&bl, key, strlen(key), &bytes) < 0) {
			rc = errorf(err, errn, "%s: token \"%s\" is not in the byte-level alphabet (not a byte-level BPE)", path, key);
			break;
		}
		if (bpe_add_token(t->bpe, bytes.data, bytes.len, id) < 0) {
			rc = errorf(err, errn, "%s: token \"%s\" or its id %u appears twice", path, key, id);
			break;
		}
	}
	buf_free(&bytes);
	return rc;
}

/* A merge "a b": the ids of a, b and a+b in the vocabulary. */
static int merge_ids(const struct tokenizer *t, const struct bytelevel *bl, const char *a, size_t alen,
                     const char *b, size_t blen, uint32_t ids[3])
{
	struct buf x = {0}, y = {0};
	int rc = -1;
	if (bytelevel_decode(bl, a, alen, &x) == 0 && bytelevel_decode(bl, b, blen, &y) == 0) {
		ids[0] = bpe_lookup(t->bpe, x.data, x.len);
		ids[1] = bpe_lookup(t->bpe, y.data, y.len);
		buf_add(&x, y.data, y.len);
		ids[2] = bpe_lookup(t->bpe, x.data, x.len);
		rc = ids[0] == BPE_NO_ID || ids[1] == BPE_NO_ID || ids[2] == BPE_NO_ID ? -1 : 0;
	}
	buf_free(&x);
	buf_free(&y);
	return rc;
}

static int load_gpt2(struct tokenizer *t, const char *encoder_path, const char *vocab_path,
                     char *err, size_t errn)
{
	json_t *enc = load_json(encoder_path, err, errn);
	if (!enc)
		return -1;
	if (!json_is_object(enc)) {
		json_decref(enc);
		return errorf(err, errn, "%s: not a JSON object of tokens", encoder_path);
	}
	/* GPT-2's one special token sits in encoder.json among the others. */
	json_t *specials = json_pack("{s:i}", "<|endoftext|>", 0);
	int rc = add_bytelevel_vocab(t, enc, encoder_path, specials, err, errn);
	json_t *eot = json_object_get(enc, "<|endoftext|>");
	if (rc == 0 && json_is_integer(eot) &&
	    bpe_add_special(t->bpe, "<|endoftext|>", 13, (uint32_t)json_integer_value(eot)) < 0)
		rc = errorf(err, errn, "%s: <|endoftext|> clashes with another token", encoder_path);
	json_decref(specials);
	json_decref(enc);
	if (rc < 0)
		return rc;
	/* GPT-2's vocab.bpe is only checked: tiktoken's gpt2 encoding merges by
	 * the rank of the concatenation, and the ranks are encoder.json's ids.
	 * A model's vocab.json + merges.txt is read as HF tokenizers reads it:
	 * the merges in the order of the file, whatever the ids, which is the
	 * same for GPT-2's own files and right for a vocabulary whose ids do
	 * not follow its merges. */
	bool hf_merges = strcmp(base_name(encoder_path), "vocab.json") == 0;
	uint32_t rank = 0;
	size_t len;
	char *text = slurp(vocab_path, &len, err, errn);
	if (!text)
		return -1;
	struct bytelevel bl;
	bytelevel_init(&bl);
	size_t line = 0;
	for (char *p = text, *end = text + len; p < end && rc == 0;) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		line++;
		size_t n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n && !(line == 1 && p[0] == '#')) {
			char *sp = memchr(p, ' ', n);
			uint32_t ids[3];
			if (!sp || merge_ids(t, &bl, p, (size_t)(sp - p), sp + 1, n - (size_t)(sp - p) - 1, ids) < 0)
				rc = errorf(err, errn, "%s:%zu: not a merge of two tokens of %s", vocab_path, line,
				            base_name(encoder_path));
			else if (hf_merges && bpe_add_merge(t->bpe, ids[0], ids[1], rank++, ids[2]) < 0)
				rc = errorf(err, errn, "%s:%zu: the merge appears twice", vocab_path, line);
		}
		p = eol + 1;
	}
	free(text);
	if (rc < 0)
		return rc;
	if (!hf_merges)
		bpe_derive_merges(t->bpe);
	bpe_set_whole_piece(t->bpe, !hf_merges);
	t->pattern = xstrdup(PRETOK_PATTERN_GPT2);
	return 0;
}

/* ---- HF tokenizer.json ---- */

static bool json_false_or_null(const json_t *j) { return !j || json_is_null(j) || json_is_false(j); }

static int hf_pretokenizer(struct tokenizer *t, const json_t *pt, const char *path, bool *isolated,
                           char *err, size_t errn)
{
	const char *type = json_string_value(json_object_get(pt, "type"));
	if (!type)
		return errorf(err, errn, "%s: pre_tokenizer: no ByteLevel pre-tokenizer (only byte-level BPE is supported)", path);
	if (strcmp(type, "ByteLevel") == 0) {
		if (json_is_true(json_object_get(pt, "add_prefix_space"))) {
			t->add_prefix_space = true;
			t->prefix_each_piece = t->pattern != NULL; /* it acts on each split so far */
		}
		const json_t *use_regex = json_object_get(pt, "use_regex");
		if (!use_regex || json_is_true(use_regex)) {
			if (t->pattern)
				return errorf(err, errn, "%s: pre_tokenizer: two regex splits in a row are not supported", path);
			t->pattern = xstrdup(PRETOK_PATTERN_GPT2);
			*isolated = false;
		}
		return 0;
	}
	if (strcmp(type, "Split") == 0) {
		const char *behavior = json_string_value(json_object_get(pt, "behavior"));
		const json_t *pat = json_object_get(pt, "pattern");
		const char *regex = json_string_value(json_object_get(pat, "Regex"));
		if (!behavior || strcmp(behavior, "Isolated") != 0 || !json_false_or_null(json_object_get(pt, "invert")))
			return errorf(err, errn, "%s: pre_tokenizer: only Split with behavior Isolated is supported", path);
		if (!regex)
			return errorf(err, errn, "%s: pre_tokenizer: only Split by a Regex pattern is supported", path);
		if (t->pattern)
			return errorf(err, errn, "%s: pre_tokenizer: two regex splits in a row are not supported", path);
		t->pattern = xstrdup(regex);
		*isolated = true;
		return 0;
	}
	if (strcmp(type, "Sequence") == 0) {
		const json_t *list = json_object_get(pt, "pretokenizers");
		size_t i;
		const json_t *v;
		if (!json_is_array(list))
			return errorf(err, errn, "%s: pre_tokenizer: a Sequence without pretokenizers", path);
		json_array_foreach(list, i, v) if (hf_pretokenizer(t, v, path, isolated, err, errn) < 0) return -1;
		return 0;
	}
	return errorf(err, errn, "%s: pre_tokenizer %s is not supported (only ByteLevel and Split)", path, type);
}

static uint32_t find_eot(const struct bpe *m)
{
	static const char *const names[] = {"<|endoftext|>", "<|end_of_text|>", "</s>", "<|im_end|>"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		uint32_t id = bpe_special_lookup(m, names[i], strlen(names[i]));
		if (id != BPE_NO_ID)
			return id;
	}
	return BPE_NO_ID;
}

static int load_hf(struct tokenizer *t, const char *path, char *err, size_t errn)
{
	json_t *root = load_json(path, err, errn);
	if (!root)
		return -1;
	int rc = -1;
	json_t *specials = json_object();
	const json_t *model = json_object_get(root, "model");
	const char *type = json_string_value(json_object_get(model, "type"));
	const json_t *vocab = json_object_get(model, "vocab");
	const json_t *merges = json_object_get(model, "merges");
	if (!json_is_object(root) || !json_is_object(model)) {
		errorf(err, errn, "%s: not a tokenizer.json (no model)", path);
		goto out;
	}
	if (!type || strcmp(type, "BPE") != 0 || !json_is_object(vocab) || !json_is_array(merges)) {
		errorf(err, errn, "%s: the model is %s, not BPE with vocab and merges", path, type ? type : "untyped");
		goto out;
	}
	if (!json_false_or_null(json_object_get(model, "byte_fallback")) ||
	    (json_string_length(json_object_get(model, "continuing_subword_prefix")) > 0) ||
	    (json_string_length(json_object_get(model, "end_of_word_suffix")) > 0) ||
	    !json_false_or_null(json_object_get(model, "dropout"))) {
		errorf(err, errn, "%s: byte_fallback, dropout and subword prefixes or suffixes are not supported (not a byte-level BPE)", path);
		goto out;
	}
	const json_t *norm = json_object_get(root, "normalizer");
	if (norm && !json_is_null(norm)) {
		const char *nt = json_string_value(json_object_get(norm, "type"));
		errorf(err, errn, "%s: normalizer %s is not supported", path, nt ? nt : "?");
		goto out;
	}
	size_t i;
	const json_t *at;
	const json_t *added = json_object_get(root, "added_tokens");
	json_array_foreach(added, i, at) {
		const char *content = json_string_value(json_object_get(at, "content"));
		const json_t *id = json_object_get(at, "id");
		if (!content || !json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) >= BPE_NO_ID) {
			errorf(err, errn, "%s: added_tokens[%zu]: no content or id", path, i);
			goto out;
		}
		if (json_is_true(json_object_get(at, "lstrip")) || json_is_true(json_object_get(at, "rstrip")) ||
		    json_is_true(json_object_get(at, "single_word"))) {
			errorf(err, errn, "%s: added token %s: lstrip, rstrip and single_word are not supported", path, content);
			goto out;
		}
		json_object_set(specials, content, (json_t *)id);
	}
	if (add_bytelevel_vocab(t, (json_t *)vocab, path, specials, err, errn) < 0)
		goto out;
	const char *content;
	json_t *id;
	json_object_foreach(specials, content, id) {
		if (*content && bpe_add_special(t->bpe, content, strlen(content), (uint32_t)json_integer_value(id)) < 0) {
			errorf(err, errn, "%s: added token %s clashes with another token", path, content);
			goto out;
		}
	}
	struct bytelevel bl;
	bytelevel_init(&bl);
	const json_t *mg;
	json_array_foreach(merges, i, mg) {
		const char *a, *b;
		size_t alen, blen;
		if (json_is_string(mg)) { /* "a b" */
			const char *s = json_string_value(mg);
			const char *sp = strchr(s, ' ');
			if (!sp) {
				errorf(err, errn, "%s: merges[%zu] is not \"a b\"", path, i);
				goto out;
			}
			a = s, alen = (size_t)(sp - s), b = sp + 1, blen = strlen(sp + 1);
		} else if (json_is_array(mg) && json_array_size(mg) == 2 && json_is_string(json_array_get(mg, 0)) &&
		           json_is_string(json_array_get(mg, 1))) {
			a = json_string_value(json_array_get(mg, 0)), alen = json_string_length(json_array_get(mg, 0));
			b = json_string_value(json_array_get(mg, 1)), blen = json_string_length(json_array_get(mg, 1));
		} else {
			errorf(err, errn, "%s: merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]", path, i);
			goto out;
		}
		uint32_t ids[3];
		if (merge_ids(t, &bl, a, alen, b, blen, ids) < 0) {
			errorf(err, errn, "%s: merges[%zu]: a token of it, or of the two joined, is not in the vocab", path, i);
			goto out;
		}
		if (bpe_add_merge(t->bpe, ids[0], ids[1], (uint32_t)i, ids[2]) < 0) {
			errorf(err, errn, "%s: merges[%zu] appears twice", path, i);
			goto out;
		}
	}
	bpe_set_whole_piece(t->bpe, json_is_true(json_object_get(model, "ignore_merges")));
	bool isolated = false;
	const json_t *pt = json_object_get(root, "pre_tokenizer");
	if (!pt || json_is_null(pt) || hf_pretokenizer(t, pt, path, &isolated, err, errn) < 0) {
		if (!pt || json_is_null(pt))
			errorf(err, errn, "%s: no pre_tokenizer (only byte-level BPE is supported)", path);
		goto out;
	}
	if (!t->pattern) {
		errorf(err, errn, "%s: pre_tokenizer: no regex split", path);
		goto out;
	}
	t->isolated = isolated;
	rc = 0;
out:
	json_decref(specials);
	json_decref(root);
	return rc;
}

/* ---- resolution ---- */

enum kind { K_NONE, K_TIKTOKEN, K_HF, K_GPT2 };

struct found {
	enum kind kind;
	char *path, *path2; /* path2: vocab.bpe beside encoder.json */
	const char *encoding; /* known tiktoken encoding name */
	bool temporary;       /* files to remove once read */
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* What a file or directory at path holds, by its name. */
static int classify(const char *path, struct found *f)
{
	if (is_dir(path)) {
		char *p = path_join(path, "tokenizer.json");
		if (is_file(p))
			return f->kind = K_HF, f->path = p, 0;
		free(p);
		p = path_join(path, "encoder.json");
		char *q = path_join(path, "vocab.bpe");
		if (is_file(p) && is_file(q))
			return f->kind = K_GPT2, f->path = p, f->path2 = q, 0;
		free(p);
		free(q);
		return -1;
	}
	if (!is_file(path))
		return -1;
	const char *base = base_name(path);
	if (ends_with(base, ".tiktoken")) {
		char *enc = xstrndup(base, strlen(base) - strlen(".tiktoken"));
		const struct tokreg_encoding *e = tokreg_find(enc);
		free(enc);
		f->kind = K_TIKTOKEN, f->path = xstrdup(path), f->encoding = e ? e->name : NULL;
		return 0;
	}
	if (strcmp(base, "encoder.json") == 0 || strcmp(base, "vocab.json") == 0) {
		size_t dlen = (size_t)(base - path);
		char *dir = dlen ? xstrndup(path, dlen - 1) : xstrdup(".");
		char *q = path_join(dir, strcmp(base, "vocab.json") == 0 ? "merges.txt" : "vocab.bpe");
		free(dir);
		if (!is_file(q)) {
			free(q);
			return -1;
		}
		f->kind = K_GPT2, f->path = xstrdup(path), f->path2 = q;
		return 0;
	}
	f->kind = ends_with(base, ".json") ? K_HF : K_TIKTOKEN;
	f->path = xstrdup(path);
	return 0;
}

static const char *hub_cache_dir(struct buf *b)
{
	const char *e = getenv("HF_HUB_CACHE");
	if (e && *e)
		return e;
	buf_clear(b);
	const char *home = getenv("HF_HOME");
	if (home && *home) {
		buf_printf(b, "%s/hub", home);
	} else {
		const char *xdg = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
		if (xdg && *xdg)
			buf_printf(b, "%s/huggingface/hub", xdg);
		else
			buf_printf(b, "%s/.cache/huggingface/hub", h ? h : "");
	}
	buf_addc(b, '\0');
	return b->data;
}

/* huggingface_hub's directory for a model repo: models--ORG--NAME. */
static void add_repo_dir(struct buf *b, const char *cache, const char *repo)
{
	buf_printf(b, "%s/models--", cache);
	for (const char *s = repo; *s; s++)
		if (*s == '/')
			buf_adds(b, "--");
		else
			buf_addc(b, *s);
}

/* The snapshot directory of a model in the Hub cache, if it is there. */
static char *hub_snapshot(const char *cache, const char *repo)
{
	struct buf b = {0};
	add_repo_dir(&b, cache, repo);
	size_t repo_len = b.len;
	buf_adds(&b, "/refs/main");
	buf_addc(&b, '\0');
	char err[256];
	size_t n;
	char *ref = is_file(b.data) ? slurp(b.data, &n, err, sizeof err) : NULL;
	char *snap = NULL;
	if (ref) {
		while (n && (ref[n - 1] == '\n' || ref[n - 1] == '\r' || ref[n - 1] == ' '))
			ref[--n] = '\0';
		b.len = repo_len;
		buf_printf(&b, "/snapshots/%s", ref);
		buf_addc(&b, '\0');
		if (n && !strchr(ref, '/') && is_dir(b.data))
			snap = xstrdup(b.data);
		free(ref);
	}
	buf_free(&b);
	return snap;
}

/* The data directory's NAME.tiktoken, NAME.json or NAME/. */
static int data_dir_file(const char *name, struct found *f, struct buf *looked)
{
	const char *data = getenv("SLUICE_DATA_DIR");
	struct buf db = {0};
	if (!data || !*data) {
		buf_printf(&db, "%s/tokenizers", SLUICE_DATADIR);
		buf_addc(&db, '\0');
		data = db.data;
	}
	buf_printf(looked, "%s%s/%s.{tiktoken,json}", looked->len ? ", " : "", data, name);
	static const char *const suffixes[] = {".tiktoken", ".json", ""};
	int rc = -1;
	for (size_t i = 0; i < 3 && rc < 0 && !strchr(name, '/'); i++) {
		struct buf p = {0};
		buf_printf(&p, "%s/%s%s", data, name, suffixes[i]);
		buf_addc(&p, '\0');
		if (classify(p.data, f) == 0)
			rc = 0;
		buf_free(&p);
	}
	buf_free(&db);
	return rc;
}

/* A Hub model's files (tokfetch_hub) as what they hold. */
static void hub_found(char *paths[2], struct found *f)
{
	if (paths[1])
		f->kind = K_GPT2, f->path = paths[0], f->path2 = paths[1];
	else
		f->kind = K_HF, f->path = paths[0];
}

/* A tiktoken encoding: its cache, then (gpt2) the Hub cache's GPT-2, then
 * the data directory, then a download. */
static int resolve_encoding(const struct tokreg_encoding *e, const struct tokfetch_opts *o, struct found *f,
                            char *err, size_t errn)
{
	struct tokfetch_opts cached = *o;
	cached.offline = true;
	char *paths[2];
	bool temporary = false;
	int rc = tokfetch_tiktoken(e, &cached, paths, &temporary, err, errn);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		f->kind = e->n_files == 2 ? K_GPT2 : K_TIKTOKEN;
		f->path = paths[0], f->path2 = paths[1], f->encoding = e->name;
		return 0;
	}
	/* a cached file that is not the one tiktoken pins, rather than none */
	char stale[512] = "";
	if (rc == 2)
		snprintf(stale, sizeof stale, "%s", err), rc = 1;
	struct buf looked = {0};
	char *dir = tokfetch_tiktoken_dir();
	if (*dir) {
		for (size_t i = 0; i < e->n_files; i++) {
			char *p = tokfetch_tiktoken_path(dir, &e->files[i]);
			buf_printf(&looked, "%s%s", i ? " and " : "", p);
			free(p);
		}
	} else {
		buf_adds(&looked, "no tiktoken cache (TIKTOKEN_CACHE_DIR is empty)");
	}
	free(dir);
	if (strcmp(e->name, "gpt2") == 0) {
		/* the same vocabulary as the Hub's GPT-2, if that is cached */
		struct tokfetch_opts hub = {.offline = true};
		char herr[512];
		if (tokfetch_hub("openai-community/gpt2", NULL, &hub, paths, herr, sizeof herr) == 0)
			hub_found(paths, f), rc = 0;
		char *root = hfcache_root();
		buf_printf(&looked, ", %s/models--openai-community--gpt2", root);
		free(root);
	}
	if (rc == 1 && data_dir_file(e->name, f, &looked) == 0)
		rc = 0;
	if (rc == 1 && o->offline && stale[0]) {
		buf_free(&looked);
		return errorf(err, errn, "%s", stale);
	}
	if (rc == 1 && o->offline) {
		buf_addc(&looked, '\0');
		errorf(err, errn, "tokenizer %s not found, and offline (--offline or HF_HUB_OFFLINE): looked in %s; "
		       "run tok-bpe fetch %s where there is network (it fills these caches), or go online",
		       e->name, looked.data, e->name);
		buf_free(&looked);
		return -1;
	}
	buf_free(&looked);
	if (rc == 0) {
		f->encoding = e->name;
		return 0;
	}
	if (tokfetch_tiktoken(e, o, paths, &temporary, err, errn) != 0)
		return -1;
	f->kind = e->n_files == 2 ? K_GPT2 : K_TIKTOKEN;
	f->path = paths[0], f->path2 = paths[1], f->encoding = e->name, f->temporary = temporary;
	return 0;
}

static int resolve_name(const char *name, const struct tokfetch_opts *o, struct found *f, char *err,
                        size_t errn)
{
	const struct tokreg_encoding *e = tokreg_find(name);
	if (e)
		return resolve_encoding(e, o, f, err, errn);
	char *repo, *revision, *paths[2];
	if (strchr(name, '/') && tokfetch_parse_model(name, &repo, &revision) == 0) {
		int rc = tokfetch_hub(repo, revision, o, paths, err, errn);
		free(repo);
		free(revision);
		if (rc == 0)
			hub_found(paths, f);
		return rc;
	}
	/* Anything else: a model of the Hub cache without an organisation
	 * (old ids), or a file in the data directory. */
	struct buf looked = {0};
	struct buf cb = {0};
	const char *cache = hub_cache_dir(&cb);
	if (!strchr(name, '/') && hfcache_valid_revision(name)) {
		char *snap = hub_snapshot(cache, name);
		add_repo_dir(&looked, cache, name);
		if (snap) {
			int rc = classify(snap, f);
			if (rc < 0) {
				char *p = path_join(snap, "vocab.json");
				rc = classify(p, f);
				free(p);
			}
			free(snap);
			if (rc == 0) {
				buf_free(&cb);
				buf_free(&looked);
				return 0;
			}
		}
	}
	buf_free(&cb);
	int rc = data_dir_file(name, f, &looked);
	if (rc < 0) {
		struct buf names = {0};
		for (size_t i = 0; i < tokreg_count(); i++)
			buf_printf(&names, "%s%s", i ? ", " : "", tokreg_at(i)->name);
		buf_addc(&names, '\0');
		buf_addc(&looked, '\0');
		errorf(err, errn, "tokenizer %s not found: not a file, a tiktoken encoding (%s) or a Hub model id "
		       "(ORG/NAME[@REVISION]); looked in %s", name, names.data, looked.data);
		buf_free(&names);
	}
	buf_free(&looked);
	return rc;
}

int tokenizer_load(struct tokenizer *t, const char *spec, const char *pattern, char *err, size_t errn)
{
	struct tokfetch_opts o = {.offline = hfhub_env_offline()};
	return tokenizer_open(t, spec, pattern, &o, err, errn);
}

int tokenizer_open(struct tokenizer *t, const char *spec, const char *pattern, const struct tokfetch_opts *o,
                   char *err, size_t errn)
{
	memset(t, 0, sizeof *t);
	t->eot = BPE_NO_ID;
	struct found f = {0};
	bool by_name = false;
	if (classify(spec, &f) < 0) {
		if (strchr(spec, '/') && (spec[0] == '/' || spec[0] == '.' || is_dir(spec) || access(spec, F_OK) == 0)) {
			return errorf(err, errn, "%s: not a tokenizer file or a directory holding one", spec);
		}
		if (resolve_name(spec, o, &f, err, errn) < 0)
			return -1;
		by_name = true;
	}
	t->bpe = bpe_new();
	t->path = xstrdup(f.path);
	int rc;
	switch (f.kind) {
	case K_TIKTOKEN:
		rc = load_tiktoken(t, f.path, f.encoding, err, errn);
		t->name = xstrdup(f.encoding ? f.encoding : base_name(f.path));
		break;
	case K_GPT2:
		rc = load_gpt2(t, f.path, f.path2, err, errn);
		t->name = xstrdup(by_name && !f.encoding ? spec : "gpt2");
		break;
	default:
		rc = load_hf(t, f.path, err, errn);
		t->name = xstrdup(by_name ? (f.encoding ? f.encoding : spec) : base_name(f.path));
		break;
	}
	if (f.temporary) { /* downloaded with tiktoken's cache turned off */
		unlink(f.path);
		if (f.path2)
			unlink(f.path2);
	}
	free(f.path);
	free(f.path2);
	if (rc == 0 && bpe_finish(t->bpe, err + 0, errn) < 0) {
		char why[200];
		snprintf(why, sizeof why, "%s", err);
		rc = errorf(err, errn, "%s: %s", t->path, why);
	}
	if (rc == 0 && pattern) {
		free(t->pattern);
		t->pattern = xstrdup(tokload_pattern_by_name(pattern));
		t->isolated = false;
	}
	if (rc == 0) {
		char why[200];
		t->pretok = pretok_new(t->pattern, t->isolated ? PRETOK_ISOLATED : 0, why, sizeof why);
		if (!t->pretok)
			rc = errorf(err, errn, "%s: the pre-tokenizer pattern: %s", pattern ? "--pattern" : t->path, why);
	}
	if (rc == 0)
		t->eot = find_eot(t->bpe);
	if (rc < 0)
		tokenizer_free(t);
	return rc;
}

void tokenizer_free(struct tokenizer *t)
{
	bpe_free(t->bpe);
	if (t->pretok)
		pretok_free(t->pretok);
	free(t->name);
	free(t->path);
	free(t->pattern);
	memset(t, 0, sizeof *t);
	t->eot = BPE_NO_ID;
}
