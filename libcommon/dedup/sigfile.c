/* sigfile.c - rec-dedup's signature files (sigfile.h). */
#include "dedup/sigfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"
#include <xxhash.h>

#define SIG_MAGIC 0x3147495344444c53ull /* "SLDDSIG1" */
#define SIG_VERSION 1
#define FLAG_NEAR 1u
#define FLAG_SETS 2u
#define FLAG_NO_DEDUP 4u

bool sig_params_equal(const struct sig_params *a, const struct sig_params *b)
{
	if (a->near != b->near || a->no_dedup != b->no_dedup || a->mode != b->mode || a->decontam_ngram != b->decontam_ngram)
		return false;
	return !a->near || (a->ngram == b->ngram && a->bands == b->bands && a->rows == b->rows && a->seed == b->seed);
}

struct sig_writer {
	struct outbuf out;
	struct sig_params p;
	uint64_t n;
	/* The sections after the entries wait in unlinked temporary files,
	 * so memory stays the same however many records there are. */
	int keys_fd, sets_fd, key_off_fd, set_off_fd;
	struct outbuf keys, sets, key_off, set_off;
	uint64_t key_bytes, set_words;
	uint64_t digest;
};

struct sig_writer *sig_writer_new(int fd, const char *name, const struct sig_params *p, const char *tmpdir)
{
	struct sig_writer *w = xcalloc(1, sizeof *w);
	w->p = *p;
	outbuf_init(&w->out, fd, name, 1 << 20);
	outbuf_write_back(&w->out);
	w->keys_fd = io_temp_file(tmpdir, name);
	outbuf_init(&w->keys, w->keys_fd, name, 1 << 16);
	w->key_off_fd = io_temp_file(tmpdir, name);
	outbuf_init(&w->key_off, w->key_off_fd, name, 1 << 16);
	w->sets_fd = w->set_off_fd = -1;
	if (p->sets) {
		w->sets_fd = io_temp_file(tmpdir, name);
		outbuf_init(&w->sets, w->sets_fd, name, 1 << 20);
		w->set_off_fd = io_temp_file(tmpdir, name);
		outbuf_init(&w->set_off, w->set_off_fd, name, 1 << 16);
	}
	return w;
}

void sig_writer_add(struct sig_writer *w, const uint64_t *entry, const char *key, size_t key_len,
                    const uint64_t *set, size_t nset)
{
	outbuf_write(&w->out, entry, sig_entry_words(&w->p) * sizeof *entry);
	outbuf_write(&w->key_off, &w->key_bytes, sizeof w->key_bytes);
	outbuf_write(&w->keys, key, key_len);
	w->key_bytes += key_len;
	if (w->p.sets) {
		outbuf_write(&w->set_off, &w->set_words, sizeof w->set_words);
		if (nset)
			outbuf_write(&w->sets, set, nset * sizeof *set);
		w->set_words += nset;
	}
	w->n++;
}

/* Appends a temporary file's first n bytes to the output. */
static void copy_back(struct sig_writer *w, struct outbuf *tmp, int fd, uint64_t n)
{
	outbuf_flush(tmp);
	if (lseek(fd, 0, SEEK_SET) != 0)
		die(STATUS_FAIL, "%s: a temporary file:", w->out.name);
	char block[1 << 16];
	while (n > 0) {
		size_t want = n < sizeof block ? (size_t)n : sizeof block;
		ssize_t got = read_full(fd, block, want);
		if (got != (ssize_t)want)
			die(STATUS_FAIL, "%s: reading back a temporary file:", w->out.name);
		outbuf_write(&w->out, block, want);
		n -= want;
	}
}

void sig_writer_finish(struct sig_writer *w, uint64_t digest)
{
	w->digest = digest;
	static const char zeros[8];
	outbuf_write(&w->key_off, &w->key_bytes, sizeof w->key_bytes);
	copy_back(w, &w->key_off, w->key_off_fd, (w->n + 1) * 8);
	copy_back(w, &w->keys, w->keys_fd, w->key_bytes);
	outbuf_write(&w->out, zeros, (size_t)(-w->key_bytes & 7));
	if (w->p.sets) {
		outbuf_write(&w->set_off, &w->set_words, sizeof w->set_words);
		copy_back(w, &w->set_off, w->set_off_fd, (w->n + 1) * 8);
		copy_back(w, &w->sets, w->sets_fd, w->set_words * 8);
	}
	const struct sig_params *p = &w->p;
	uint64_t footer[SIG_FOOTER_WORDS] = {
		SIG_MAGIC,
		SIG_VERSION,
		(p->near ? FLAG_NEAR : 0) | (p->sets ? FLAG_SETS : 0) | (p->no_dedup ? FLAG_NO_DEDUP : 0),
		(uint64_t)p->mode,
		(uint64_t)p->ngram,
		(uint64_t)p->bands,
		(uint64_t)p->rows,
		p->seed,
		w->n,
		sig_entry_words(p),
		w->key_bytes,
		w->set_words,
		(uint64_t)p->decontam_ngram,
		w->digest,
	};
	outbuf_write(&w->out, footer, sizeof footer);
	outbuf_free(&w->out);
	outbuf_free(&w->keys);
	close(w->keys_fd);
	outbuf_free(&w->key_off);
	close(w->key_off_fd);
	if (w->p.sets) {
		outbuf_free(&w->sets);
		close(w->sets_fd);
		outbuf_free(&w->set_off);
		close(w->set_off_fd);
	}
	free(w);
}

/* Words from the file's start to `words` more, or -1 past the end. */
static int take(uint64_t *at, uint64_t words, uint64_t total)
{
	if (words > total || *at > total - words)
		return -1;
	*at += words;
	return 0;
}

static bool offsets_ok(const uint64_t *off, uint64_t n, uint64_t end)
{
	if (off[0] != 0 || off[n] != end)
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (off[i] > off[i + 1])
			return false;
	return true;
}

int sig_open_fd(struct sig_file *s, int fd, const char *name, char *err, size_t errn)
{
	memset(s, 0, sizeof *s);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		errorf(err, errn, "%s: %s", name, strerror(errno));
		return -2;
	}
	if (!S_ISREG(st.st_mode) || st.st_size % 8 || (uint64_t)st.st_size < SIG_FOOTER_WORDS * 8)
		return errorf(err, errn, "%s: not a rec-dedup signature file", name);
	s->map_len = (size_t)st.st_size;
	s->map = mmap(NULL, s->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		errorf(err, errn, "%s: %s", name, strerror(errno));
		return -2;
	}
	const uint64_t *w = s->map;
	uint64_t total = s->map_len / 8 - SIG_FOOTER_WORDS;
	const uint64_t *f = w + total;
	s->name = xstrdup(name);
	if (f[0] != SIG_MAGIC)
		goto foreign;
	if (f[1] != SIG_VERSION) {
		errorf(err, errn, "%s: a signature file of version %llu (this rec-dedup reads version %d)", name,
		       (unsigned long long)f[1], SIG_VERSION);
		goto fail;
	}
	struct sig_params *p = &s->p;
	p->near = f[2] & FLAG_NEAR;
	p->sets = f[2] & FLAG_SETS;
	p->no_dedup = f[2] & FLAG_NO_DEDUP;
	if (f[3] > NORMALIZE_LOWER_PUNCT || f[4] > 1000 || f[5] > 1024 || f[6] > 1024 || f[12] > 1000)
		goto damaged;
	p->mode = (enum normalize_mode)f[3];
	p->ngram = (int)f[4];
	p->bands = (int)f[5];
	p->rows = (int)f[6];
	p->seed = f[7];
	p->decontam_ngram = (int)f[12];
	s->digest = f[13];
	s->n = f[8];
	s->entry_words = sig_entry_words(p);
	if (f[9] != s->entry_words || s->n > total / s->entry_words)
		goto damaged;
	uint64_t at = 0, key_words = (f[10] + 7) / 8;
	s->entries = w;
	if (take(&at, s->n * s->entry_words, total) < 0)
		goto damaged;
	s->key_off = w + at;
	if (take(&at, s->n + 1, total) < 0 || f[10] > total * 8)
		goto damaged;
	s->keys = (const char *)(w + at);
	if (take(&at, key_words, total) < 0 || !offsets_ok(s->key_off, s->n, f[10]))
		goto damaged;
	if (p->sets) {
		s->set_off = w + at;
		if (take(&at, s->n + 1, total) < 0)
			goto damaged;
		s->sets = w + at;
		if (take(&at, f[11], total) < 0 || !offsets_ok(s->set_off, s->n, f[11]))
			goto damaged;
	}
	if (at != total)
		goto damaged;
	return 0;
foreign:
	errorf(err, errn, "%s: not a rec-dedup signature file", name);
	goto fail;
damaged:
	errorf(err, errn, "%s: a damaged signature file (its sizes disagree with its length)", name);
fail:
	sig_close(s);
	return -1;
}

int sig_open(struct sig_file *s, const char *path, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(s, 0, sizeof *s);
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return -2;
	}
	int rc = sig_open_fd(s, fd, path, err, errn);
	close(fd);
	return rc;
}

bool sig_is_sig_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	uint64_t magic = 0;
	bool yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= SIG_FOOTER_WORDS * 8 &&
	           pread(fd, &magic, 8, st.st_size - SIG_FOOTER_WORDS * 8) == 8 && magic == SIG_MAGIC;
	close(fd);
	return yes;
}

void sig_close(struct sig_file *s)
{
	if (s->map)
		munmap(s->map, s->map_len);
	free(s->name);
	memset(s, 0, sizeof *s);
}

uint64_t sig_fingerprint(const struct sig_file *sigs, int n)
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(st);
	for (int i = 0; i < n; i++) {
		const struct sig_params *p = &sigs[i].p;
		uint64_t words[] = {p->near, p->sets, p->no_dedup, (uint64_t)p->mode, (uint64_t)p->ngram, (uint64_t)p->bands,
		                    (uint64_t)p->rows, p->seed, (uint64_t)p->decontam_ngram, sigs[i].n, sigs[i].digest};
		XXH3_64bits_update(st, words, sizeof words);
	}
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

int sig_check_same(const struct sig_file *sigs, int n, char *err, size_t errn)
{
	for (int i = 1; i < n; i++)
		if (!sig_params_equal(&sigs[0].p, &sigs[i].p))
			return errorf(err, errn, "%s: made with other options than %s (mode, normalisation, "
			              "n-gram, bands, rows, seed or decontamination)", sigs[i].name, sigs[0].name);
	return 0;
}
