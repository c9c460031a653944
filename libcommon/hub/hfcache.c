/* hfcache.c - the huggingface_hub cache layout (see hfcache.h).
 *
 * What huggingface_hub does, and so what this file does (file_download.py,
 * constants.py and _local_folder.py of huggingface_hub; cache-management.ts
 * and download-file-to-cache-dir.ts of huggingface.js):
 *
 *   - the repo folder is "datasets" + "--" + the repo id with '/' turned
 *     into "--" (repo_folder_name, REPO_ID_SEPARATOR = "--");
 *   - a blob is blobs/ETAG, ETAG the normalized ETag header (quotes and
 *     W/ dropped), i.e. the sha256 of an LFS file or the git sha1 of a
 *     small one;
 *   - snapshots/COMMIT/PATH is a symlink whose target is
 *     os.path.relpath(blob, dirname(pointer)), so "../../blobs/ETAG" for a
 *     top-level file and one "../" more per directory of PATH
 *     (_create_symlink);
 *   - refs/REVISION holds the commit with no newline (Path.write_text
 *     of the bare hash, in _cache_commit_hash_for_specific_revision), is
 *     written through a temporary name and os.replace, only when it
 *     changed, never when REVISION is the commit itself; REVISION is
 *     joined as is, so refs/convert/parquet lives in refs/refs/convert/;
 *   - the lock is .locks/datasets--ORG--NAME/ETAG.lock, taken with
 *     flock(LOCK_EX) by the filelock package (WeakFileLock), mode 0664;
 *   - the blob gets the mode a new file gets in blobs/ (_chmod_and_move
 *     probes it with a fresh file): we create the .incomplete file with
 *     0666 and let the umask (and default ACLs) decide, which is the same;
 *   - CACHEDIR.TAG is put in the cache root (_create_cachedir_tag).
 *
 * The download resumes from blobs/ETAG.incomplete as huggingface_hub did
 * until June 2026 (open("ab"), resume_size = tell()); its newer releases
 * download into a process-unique ETAG.<8 hex>.incomplete and delete it on
 * failure, so they neither resume from ours nor leave one for us; both
 * end in the same blobs/ETAG under the same lock, which is what matters
 * for sharing.
 *
 * Symlinks: the cache root and the repo folder are the user's (a cache
 * moved to another disk through a symlink is common), so they are
 * followed.  Below the repo folder, and below the cache root for .locks,
 * every directory is opened with openat(O_NOFOLLOW | O_DIRECTORY), one
 * component at a time from the descriptor of its parent, and files are
 * created with O_NOFOLLOW or by renameat within a directory held open.
 * huggingface_hub never makes a directory symlink there, so refusing them
 * costs nothing; and unlike a realpath() check followed by an open of the
 * path, nothing can be swapped between the check and the use: the
 * descriptor we write through is the directory we checked.  The only
 * symlinks followed are the snapshot links, and only when their target is
 * exactly the relative "../…/blobs/ETAG" this layout makes. */
#define _GNU_SOURCE /* O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, flock with c11 */
#include "hub/hfcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"

#define REPO_PART_MAX 96   /* huggingface_hub's REPO_ID_REGEX: [\w\-.]{1,96} */
#define REV_MAX 255        /* a ref or commit name */
#define PATH_MAX_LEN 4000  /* a file path in the repo */
#define COMP_MAX 255       /* one path component (NAME_MAX) */
#define ETAG_MAX 128       /* leaves room for ".incomplete" and ".lock" */
#define INCOMPLETE ".incomplete"

struct hfcache {
	char *root;   /* the cache root */
	char *folder; /* datasets--ORG--NAME */
	char *dir;    /* root/folder */
	int rootfd;   /* opened on demand, -1 until then */
	int fd;       /* the repo folder, -1 until opened */
};

struct hfcache_blob {
	struct hfcache *c;
	char *etag;
	char *incomplete; /* ETAG.incomplete */
	int lockfd;
	int fd;        /* the .incomplete file, -1 when the blob was complete */
	int blobsfd;   /* blobs/ */
	uint64_t size; /* bytes in the .incomplete file */
	int failed;    /* a write failed: the file's end is unknown */
};

/* ---- errors ---- */

/* A name as it may be shown: printable ASCII kept, anything else as \xNN,
 * cut at about 80 bytes, so a hostile name cannot break the one-line error. */
static const char *shown(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < n; p++) {
		if (o >= 80) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", *p);
	}
	out[o] = '\0';
	return out;
}

/* ---- the root ---- */

static char *join2(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 2);
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return xstrdup(h);
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir && *res->pw_dir)
		return xstrdup(res->pw_dir);
	return xstrdup(".");
}

/* os.path.expanduser for "~" and "~/...". */
static char *expand_user(const char *p)
{
	if (p[0] == '~' && (p[1] == '\0' || p[1] == '/')) {
		char *h = home_dir();
		char *r = p[1] ? join2(h, p + 2) : xstrdup(h);
		free(h);
		return r;
	}
	return xstrdup(p);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* constants.py: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE (the old name),
 * else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 * ~/.cache/huggingface/hub; "~" expanded.  An empty variable counts as
 * unset.  The JS library reads the same variables in the same order. */
char *hfcache_root(void)
{
	const char *v;
	if ((v = env("HF_HUB_CACHE")) || (v = env("HUGGINGFACE_HUB_CACHE")))
		return expand_user(v);
	char *home;
	if ((v = env("HF_HOME"))) {
		home = expand_user(v);
	} else if ((v = env("XDG_CACHE_HOME"))) {
		char *x = expand_user(v);
		home = join2(x, "huggingface");
		free(x);
	} else {
		char *h = home_dir();
		home = join2(h, ".cache/huggingface");
		free(h);
	}
	char *r = join2(home, "hub");
	free(home);
	return r;
}

/* ---- names ---- */

static bool is_word(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

static bool repo_part_ok(const char *s, size_t n)
{
	if (n < 1 || n > REPO_PART_MAX)
		return false;
	/* \b at both ends of huggingface_hub's REPO_ID_REGEX: a word character
	 * first and last, so no leading '-' or '.' and no trailing ones. */
	if (!is_word((unsigned char)s[0]) || !is_word((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!is_word(ch) && ch != '-' && ch != '.')
			return false;
		/* validate_repo_id: "--" and ".." are forbidden ("--" would make
		 * the folder name ambiguous: scan_cache_dir turns it back into '/'). */
		if (i + 1 < n && (ch == '-' || ch == '.') && s[i + 1] == ch)
			return false;
	}
	return true;
}

bool hfcache_valid_repo(const char *repo_id)
{
	if (!repo_id)
		return false;
	const char *slash = strchr(repo_id, '/');
	if (!slash || strchr(slash + 1, '/'))
		return false;
	return repo_part_ok(repo_id, (size_t)(slash - repo_id)) && repo_part_ok(slash + 1, strlen(slash + 1));
}

/* Components separated by single '/', none empty, "." or "..", each at
 * most COMP_MAX bytes, no control byte, DEL or backslash anywhere. */
static bool components_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	const char *p = s;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len > COMP_MAX)
			return false;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)p[i];
			if (ch < 0x20 || ch == 0x7f || ch == '\\')
				return false;
		}
		if (!e)
			return true;
		p = e + 1;
	}
}

bool hfcache_valid_revision(const char *rev)
{
	/* Git's rule too: no ".." anywhere in a ref name. */
	return rev && components_ok(rev, REV_MAX) && !strstr(rev, "..");
}

/* A commit names one directory of snapshots/. */
static bool valid_commit(const char *commit)
{
	return hfcache_valid_revision(commit) && !strchr(commit, '/');
}

bool hfcache_valid_etag(const char *etag)
{
	if (!etag)
		return false;
	size_t n = strlen(etag);
	if (n == 0 || n > ETAG_MAX || etag[0] == '.' || etag[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_word((unsigned char)etag[i]) && etag[i] != '-' && etag[i] != '.')
			return false;
	/* "X.incomplete" would be blob X's download in progress. */
	size_t k = strlen(INCOMPLETE);
	return !(n > k && strcmp(etag + n - k, INCOMPLETE) == 0);
}

bool hfcache_valid_path(const char *path)
{
	if (!path || !components_ok(path, PATH_MAX_LEN))
		return false;
	/* validateRelativeFilename (huggingface.js) and _validate_relative_filename
	 * (huggingface_hub) also refuse Windows drive prefixes in any part, so
	 * that a cache made here stays safe when read on Windows. */
	for (const char *p = path; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) && p[1] == ':')
			return false;
	return true;
}

/* ---- directories, one component at a time ---- */

/* Opens the directory REL (components separated by '/') below dirfd,
 * never following a symlink, creating what is missing when create.
 * Returns the descriptor, -1 with a message, or -2 when a component is
 * missing and !create.  SHOWN names dirfd in messages. */
static int open_dirs(int dirfd, const char *shown_base, const char *rel, size_t rel_len, bool create, char *err,
                     size_t errn)
{
	int fd = dup(dirfd);
	if (fd < 0)
		return errorf(err, errn, "%s: %s", shown_base, strerror(errno));
	size_t i = 0;
	char comp[COMP_MAX + 1];
	while (i < rel_len) {
		size_t j = i;
		while (j < rel_len && rel[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 0 || len > COMP_MAX) {
			close(fd);
			return errorf(err, errn, "%s: bad path component", shown_base);
		}
		memcpy(comp, rel + i, len);
		comp[len] = '\0';
		if (create && mkdirat(fd, comp, 0777) != 0 && errno != EEXIST) {
			int e = errno;
			close(fd);
			char sb[128];
			return errorf(err, errn, "%s/%s: %s", shown_base, shown(rel, sb, sizeof sb), strerror(e));
		}
		int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			int e = errno;
			struct stat st;
			bool link = fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
			close(fd);
			if (e == ENOENT && !create)
				return -2;
			char sb[128], pb[128];
			snprintf(pb, sizeof pb, "%.*s", (int)(j < sizeof pb - 1 ? j : sizeof pb - 1), rel);
			if (link)
				return errorf(err, errn, "%s/%s: is a symlink, refusing to follow it", shown_base,
				            shown(pb, sb, sizeof sb));
			return errorf(err, errn, "%s/%s: %s", shown_base, shown(pb, sb, sizeof sb), strerror(e));
		}
		close(fd);
		fd = nfd;
		i = j + 1;
	}
	return fd;
}

/* mkdir -p of the cache root (the user's path: symlinks followed). */
static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return r;
}

static const char CACHEDIR_TAG[] = "Signature: 8a477f597d28d172789f06886806bc55\n"
                                   "# This file is a cache directory tag created by huggingface_hub.\n"
                                   "# For information about cache directory tags, see:\n"
                                   "#\thttps://bford.info/cachedir/\n";

/* The root's descriptor (created when create). -2 if absent and !create. */
static int root_fd(struct hfcache *c, bool create, char *err, size_t errn)
{
	if (c->rootfd >= 0)
		return c->rootfd;
	if (create && mkdir_p(c->root) != 0)
		return errorf(err, errn, "%s: %s", c->root, strerror(errno));
	int fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !create)
			return -2;
		return errorf(err, errn, "%s: %s", c->root, strerror(errno));
	}
	if (create) {
		/* As huggingface_hub does on a download: best effort, but never
		 * a tag cut short (a full disk left an empty one, which the
		 * next run would keep): one not written whole goes again. */
		int t = openat(fd, "CACHEDIR.TAG", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (t >= 0) {
			ssize_t w = write(t, CACHEDIR_TAG, sizeof CACHEDIR_TAG - 1);
			if (close(t) != 0 || w != (ssize_t)sizeof CACHEDIR_TAG - 1)
				unlinkat(fd, "CACHEDIR.TAG", 0);
		}
	}
	c->rootfd = fd;
	return fd;
}

/* The repo folder's descriptor; -2 when it does not exist and !create. */
static int repo_fd(struct hfcache *c, bool create, char *err, size_t errn)
{
	if (c->fd >= 0)
		return c->fd;
	int r = root_fd(c, create, err, errn);
	if (r < 0)
		return r;
	if (create && mkdirat(r, c->folder, 0777) != 0 && errno != EEXIST)
		return errorf(err, errn, "%s: %s", c->dir, strerror(errno));
	/* The repo folder itself may be a symlink the user made (see the top). */
	int fd = openat(r, c->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !create)
			return -2;
		return errorf(err, errn, "%s: %s", c->dir, strerror(errno));
	}
	c->fd = fd;
	return fd;
}

static int fsync_fd_dir(int dfd)
{
	/* Some filesystems refuse fsync on a directory: EINVAL is no error. */
	return fsync(dfd) == 0 || errno == EINVAL ? 0 : -1;
}

/* ---- open / close ---- */

/* kind is the folder's prefix: "datasets" or "models". */
static struct hfcache *open_kind(const char *root, const char *kind, const char *repo_id, char *err, size_t errn)
{
	char sb[128];
	if (!hfcache_valid_repo(repo_id)) {
		errorf(err, errn, "invalid repo id '%s' (ORG/NAME expected)", shown(repo_id ? repo_id : "", sb, sizeof sb));
		return NULL;
	}
	if (!root || !*root) {
		errorf(err, errn, "no cache directory");
		return NULL;
	}
	struct hfcache *c = xcalloc(1, sizeof *c);
	c->root = xstrdup(root);
	size_t n = strlen(repo_id);
	size_t cap = strlen(kind) + n + 3;
	c->folder = xmalloc(cap + 1);
	char *o = c->folder + snprintf(c->folder, cap + 1, "%s--", kind);
	for (const char *p = repo_id; *p; p++) {
		if (*p == '/') {
			*o++ = '-';
			*o++ = '-';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	c->dir = join2(c->root, c->folder);
	c->rootfd = c->fd = -1;
	return c;
}

struct hfcache *hfcache_open(const char *root, const char *repo_id, char *err, size_t errn)
{
	return open_kind(root, "datasets", repo_id, err, errn);
}

struct hfcache *hfcache_open_model(const char *root, const char *repo_id, char *err, size_t errn)
{
	return open_kind(root, "models", repo_id, err, errn);
}

void hfcache_close(struct hfcache *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->rootfd >= 0)
		close(c->rootfd);
	free(c->root);
	free(c->folder);
	free(c->dir);
	free(c);
}

const char *hfcache_dir(const struct hfcache *c)
{
	return c->dir;
}

/* ---- refs ---- */

/* Splits a relative path into its directory part (length) and last name. */
static const char *last_name(const char *path, size_t *dirlen)
{
	const char *s = strrchr(path, '/');
	*dirlen = s ? (size_t)(s - path) : 0;
	return s ? s + 1 : path;
}

/* Opens PREFIX/DIRPART below the repo folder. */
static int open_under(struct hfcache *c, const char *prefix, const char *rel, size_t rel_len, bool create,
                      char *err, size_t errn)
{
	int r = repo_fd(c, create, err, errn);
	if (r < 0)
		return r;
	size_t pl = strlen(prefix);
	char *p = xmalloc(pl + rel_len + 2);
	memcpy(p, prefix, pl);
	size_t n = pl;
	if (rel_len) {
		p[n++] = '/';
		memcpy(p + n, rel, rel_len);
		n += rel_len;
	}
	p[n] = '\0';
	int fd = open_dirs(r, c->dir, p, n, create, err, errn);
	free(p);
	return fd;
}

/* The directory of snapshots/COMMIT/PATH (created with create), and in
 * *name PATH's last component; open_under's results. */
static int open_snapshot_dir(struct hfcache *c, const char *commit, const char *path, bool create, const char **name,
                             char *err, size_t errn)
{
	size_t dl;
	*name = last_name(path, &dl);
	size_t cl = strlen(commit);
	char *rel = xmalloc(cl + dl + 2);
	memcpy(rel, commit, cl);
	if (dl) {
		rel[cl] = '/';
		memcpy(rel + cl + 1, path, dl);
	}
	rel[cl + (dl ? dl + 1 : 0)] = '\0';
	int dfd = open_under(c, "snapshots", rel, strlen(rel), create, err, errn);
	free(rel);
	return dfd;
}

/* Reads a small file below dirfd without following a symlink: its length,
 * -2 when absent, -1 on error (errno set).  EFBIG when it does not fit. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t n)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -2 : -1;
	size_t got = 0;
	for (;;) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
		if (got == n) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	return (ssize_t)got;
}

int hfcache_read_ref(struct hfcache *c, const char *revision, char *out, size_t n, char *err, size_t errn)
{
	char sb[128];
	if (!hfcache_valid_revision(revision))
		return errorf(err, errn, "invalid revision '%s'", shown(revision ? revision : "", sb, sizeof sb));
	size_t dl;
	const char *name = last_name(revision, &dl);
	int dfd = open_under(c, "refs", revision, dl, false, err, errn);
	if (dfd == -2)
		return 1;
	if (dfd < 0)
		return -1;
	char buf[REV_MAX + 8];
	ssize_t k = read_small(dfd, name, buf, sizeof buf - 1);
	int e = errno;
	close(dfd);
	if (k == -2)
		return 1;
	if (k < 0)
		return errorf(err, errn, "%s/refs/%s: %s", c->dir, shown(revision, sb, sizeof sb), strerror(e));
	/* huggingface_hub writes the bare hash; a hand-edited ref may end
	 * with a newline, which is forgiven here. */
	while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == '\r' || buf[k - 1] == ' ' || buf[k - 1] == '\t'))
		k--;
	buf[k] = '\0';
	if ((size_t)k != strlen(buf) || !valid_commit(buf))
		return errorf(err, errn, "%s/refs/%s: not a commit", c->dir, shown(revision, sb, sizeof sb));
	if ((size_t)k + 1 > n)
		return errorf(err, errn, "%s/refs/%s: commit too long", c->dir, shown(revision, sb, sizeof sb));
	memcpy(out, buf, (size_t)k + 1);
	return 0;
}

/* A temporary name beside NAME, unique enough with O_EXCL and retries;
 * huggingface_hub uses NAME.<8 hex>.tmp too. */
static void tmp_name(char *out, size_t n, const char *name, unsigned attempt)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long v = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 12) ^ (attempt * 2654435761u);
	snprintf(out, n, "%s.%08lx.tmp", name, v & 0xffffffffUL);
}

int hfcache_write_ref(struct hfcache *c, const char *revision, const char *commit, char *err, size_t errn)
{
	char sb[128];
	if (!hfcache_valid_revision(revision))
		return errorf(err, errn, "invalid revision '%s'", shown(revision ? revision : "", sb, sizeof sb));
	if (!valid_commit(commit))
		return errorf(err, errn, "invalid commit '%s'", shown(commit ? commit : "", sb, sizeof sb));
	/* _cache_commit_hash_for_specific_revision: nothing when the revision
	 * is the commit. */
	if (strcmp(revision, commit) == 0)
		return 0;
	size_t dl;
	const char *name = last_name(revision, &dl);
	int dfd = open_under(c, "refs", revision, dl, true, err, errn);
	if (dfd < 0)
		return -1;
	char old[REV_MAX + 8];
	ssize_t k = read_small(dfd, name, old, sizeof old - 1);
	size_t cl = strlen(commit);
	if (k >= 0 && (size_t)k == cl && memcmp(old, commit, cl) == 0) {
		close(dfd);
		return 0; /* unchanged: no write (a read-only cache stays usable) */
	}
	char tmp[COMP_MAX + 32];
	int fd = -1;
	for (unsigned a = 0; a < 100 && fd < 0; a++) {
		tmp_name(tmp, sizeof tmp, name, a);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		close(dfd);
		return errorf(err, errn, "%s/refs/%s: %s", c->dir, shown(revision, sb, sizeof sb), strerror(e));
	}
	size_t off = 0;
	int rc = 0;
	while (off < cl) {
		ssize_t w = write(fd, commit + off, cl - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	int e = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && renameat(dfd, tmp, dfd, name) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return errorf(err, errn, "%s/refs/%s: %s", c->dir, shown(revision, sb, sizeof sb), strerror(e));
	}
	rc = fsync_fd_dir(dfd);
	e = errno;
	close(dfd);
	if (rc != 0)
		return errorf(err, errn, "%s/refs: %s", c->dir, strerror(e));
	return 0;
}

/* ---- snapshots ---- */

/* Whether TARGET is the link a file DEPTH directories below its snapshot
 * makes to a blob: "../" (DEPTH + 2 times) "blobs/" ETAG.  The ETag into
 * etag (ETAG_MAX + 1 bytes). */
static bool blob_target(const char *target, size_t depth, char *etag)
{
	const char *p = target;
	for (size_t i = 0; i < depth + 2; i++) {
		if (strncmp(p, "../", 3) != 0)
			return false;
		p += 3;
	}
	if (strncmp(p, "blobs/", 6) != 0 || !hfcache_valid_etag(p + 6))
		return false;
	strcpy(etag, p + 6);
	return true;
}

/* The size of a snapshot entry's data: 0 with *size, 1 when it is no
 * file (a directory, a broken or foreign link, a missing blob), -1 on an
 * error reading it. */
static int entry_size(int dirfd, const char *name, int blobsfd, size_t depth, uint64_t *size)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 1 : -1;
	if (S_ISREG(st.st_mode)) { /* a copy, as huggingface_hub makes without symlinks */
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return 1;
	char target[PATH_MAX_LEN + 64], etag[ETAG_MAX + 1];
	ssize_t k = readlinkat(dirfd, name, target, sizeof target - 1);
	if (k < 0)
		return -1;
	target[k] = '\0';
	if (blobsfd < 0 || !blob_target(target, depth, etag))
		return 1;
	if (fstatat(blobsfd, etag, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return 1;
	*size = (uint64_t)st.st_size;
	return 0;
}

static size_t count_slashes(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '/';
	return n;
}

int hfcache_snapshot_file(struct hfcache *c, const char *commit, const char *path, char **out, char *err,
                          size_t errn)
{
	char sb[128];
	*out = NULL;
	if (!valid_commit(commit))
		return errorf(err, errn, "invalid commit '%s'", shown(commit ? commit : "", sb, sizeof sb));
	if (!hfcache_valid_path(path))
		return errorf(err, errn, "invalid file path '%s'", shown(path ? path : "", sb, sizeof sb));
	const char *name;
	int dfd = open_snapshot_dir(c, commit, path, false, &name, err, errn);
	if (dfd == -2)
		return 1;
	if (dfd < 0)
		return -1;
	int blobsfd = openat(c->fd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	uint64_t size;
	int r = entry_size(dfd, name, blobsfd, count_slashes(path), &size);
	int e = errno;
	close(dfd);
	if (blobsfd >= 0)
		close(blobsfd);
	if (r < 0)
		return errorf(err, errn, "%s/snapshots/%s/%s: %s", c->dir, commit, shown(path, sb, sizeof sb), strerror(e));
	if (r > 0)
		return 1;
	size_t n = strlen(c->dir) + strlen(commit) + strlen(path) + sizeof "/snapshots//";
	*out = xmalloc(n);
	snprintf(*out, n, "%s/snapshots/%s/%s", c->dir, commit, path);
	return 0;
}

struct list {
	char **paths;
	uint64_t *sizes;
	size_t n, cap;
};

static void list_add(struct list *l, char *path, uint64_t size)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->paths = xrealloc(l->paths, l->cap * sizeof *l->paths);
		l->sizes = xrealloc(l->sizes, l->cap * sizeof *l->sizes);
	}
	l->paths[l->n] = path;
	l->sizes[l->n++] = size;
}

/* Walks the directory dfd (owned: closed here) named PREFIX ("" at the
 * top of the snapshot), DEPTH below it. */
static int list_dir(int dfd, const char *prefix, size_t depth, int blobsfd, struct list *l, const char *shown_dir,
                    char *err, size_t errn)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return errorf(err, errn, "%s: %s", shown_dir, strerror(e));
	}
	if (depth > 64) {
		closedir(d);
		return errorf(err, errn, "%s: directories nested too deep", shown_dir);
	}
	struct dirent *ent;
	int rc = 0;
	errno = 0;
	while (rc == 0 && (ent = readdir(d))) {
		const char *nm = ent->d_name;
		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		size_t pl = strlen(prefix), nl = strlen(nm);
		char *p = xmalloc(pl + nl + 2);
		if (pl) {
			memcpy(p, prefix, pl);
			p[pl] = '/';
			memcpy(p + pl + 1, nm, nl + 1);
		} else {
			memcpy(p, nm, nl + 1);
		}
		struct stat st;
		if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			free(p);
			continue; /* gone meanwhile */
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = list_dir(sub, p, depth + 1, blobsfd, l, shown_dir, err, errn);
			free(p);
			continue;
		}
		uint64_t size;
		int r = entry_size(dirfd(d), nm, blobsfd, depth, &size);
		if (r == 0 && hfcache_valid_path(p))
			list_add(l, p, size);
		else
			free(p);
		errno = 0;
	}
	closedir(d);
	return rc;
}

static int cmp_idx(const void *a, const void *b, void *paths)
{
	char **p = paths;
	return strcmp(p[*(const size_t *)a], p[*(const size_t *)b]);
}

/* Sorts the (path, size) pairs by path (bytewise), through an index. */
static void sort_list(struct list *l)
{
	if (l->n < 2)
		return;
	size_t *idx = xmalloc(l->n * sizeof *idx);
	for (size_t i = 0; i < l->n; i++)
		idx[i] = i;
	/* qsort_r is not C11; a merge sort on the index keeps this portable. */
	size_t *tmp = xmalloc(l->n * sizeof *tmp);
	for (size_t w = 1; w < l->n; w *= 2) {
		for (size_t lo = 0; lo < l->n; lo += 2 * w) {
			size_t mid = lo + w < l->n ? lo + w : l->n, hi = lo + 2 * w < l->n ? lo + 2 * w : l->n;
			size_t a = lo, b = mid, o = lo;
			while (a < mid && b < hi)
				tmp[o++] = cmp_idx(&idx[a], &idx[b], l->paths) <= 0 ? idx[a++] : idx[b++];
			while (a < mid)
				tmp[o++] = idx[a++];
			while (b < hi)
				tmp[o++] = idx[b++];
		}
		memcpy(idx, tmp, l->n * sizeof *idx);
	}
	char **np = xmalloc(l->n * sizeof *np);
	uint64_t *ns = xmalloc(l->n * sizeof *ns);
	for (size_t i = 0; i < l->n; i++) {
		np[i] = l->paths[idx[i]];
		ns[i] = l->sizes[idx[i]];
	}
	free(l->paths);
	free(l->sizes);
	l->paths = np;
	l->sizes = ns;
	free(idx);
	free(tmp);
}

int hfcache_snapshot_list(struct hfcache *c, const char *commit, char ***paths, uint64_t **sizes, size_t *n,
                          char *err, size_t errn)
{
	char sb[128];
	*paths = NULL;
	*sizes = NULL;
	*n = 0;
	if (!valid_commit(commit))
		return errorf(err, errn, "invalid commit '%s'", shown(commit ? commit : "", sb, sizeof sb));
	int dfd = open_under(c, "snapshots", commit, strlen(commit), false, err, errn);
	if (dfd == -2)
		return 1;
	if (dfd < 0)
		return -1;
	int blobsfd = openat(c->fd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	size_t sn = strlen(c->dir) + strlen(commit) + sizeof "/snapshots/";
	char *sdir = xmalloc(sn);
	snprintf(sdir, sn, "%s/snapshots/%s", c->dir, commit);
	struct list l = {0};
	int rc = list_dir(dfd, "", 0, blobsfd, &l, sdir, err, errn);
	free(sdir);
	if (blobsfd >= 0)
		close(blobsfd);
	if (rc != 0) {
		for (size_t i = 0; i < l.n; i++)
			free(l.paths[i]);
		free(l.paths);
		free(l.sizes);
		return -1;
	}
	sort_list(&l);
	*paths = l.paths;
	*sizes = l.sizes;
	*n = l.n;
	return 0;
}

/* ---- links ---- */

/* snapshots/COMMIT/PATH -> ../(..)/blobs/ETAG, replacing whatever file or
 * link was there (as _create_symlink does), atomically: a new link under a
 * temporary name renamed over it.  The caller holds the blob's lock. */
static int link_locked(struct hfcache *c, const char *etag, const char *commit, const char *path, char *err,
                       size_t errn)
{
	char sb[128];
	const char *name;
	int dfd = open_snapshot_dir(c, commit, path, true, &name, err, errn);
	if (dfd < 0)
		return -1;
	size_t depth = count_slashes(path);
	size_t tn = 3 * (depth + 2) + sizeof "blobs/" + strlen(etag);
	char *target = xmalloc(tn);
	size_t o = 0;
	for (size_t i = 0; i < depth + 2; i++, o += 3)
		memcpy(target + o, "../", 3);
	snprintf(target + o, tn - o, "blobs/%s", etag);

	int rc = 0, e = 0;
	if (symlinkat(target, dfd, name) != 0) {
		e = errno;
		char cur[PATH_MAX_LEN + 64];
		ssize_t k = e == EEXIST ? readlinkat(dfd, name, cur, sizeof cur - 1) : -1;
		if (k >= 0) {
			cur[k] = '\0';
			if (strcmp(cur, target) == 0)
				goto done; /* made by someone else meanwhile: the same link */
		}
		if (e != EEXIST) {
			rc = -1;
		} else {
			char tmp[COMP_MAX + 32];
			rc = -1;
			for (unsigned a = 0; a < 100; a++) {
				tmp_name(tmp, sizeof tmp, name, a);
				if (symlinkat(target, dfd, tmp) == 0) {
					rc = 0;
					break;
				}
				if (errno != EEXIST)
					break;
			}
			e = errno;
			if (rc == 0 && renameat(dfd, tmp, dfd, name) != 0) {
				e = errno;
				unlinkat(dfd, tmp, 0);
				rc = -1;
			}
		}
	}
	if (rc == 0 && fsync_fd_dir(dfd) != 0) {
		e = errno;
		rc = -1;
	}
done:
	close(dfd);
	free(target);
	if (rc != 0)
		return errorf(err, errn, "%s/snapshots/%s/%s: %s", c->dir, commit, shown(path, sb, sizeof sb), strerror(e));
	return 0;
}

/* Takes .locks/datasets--ORG--NAME/ETAG.lock: the descriptor, or -1. */
static int take_lock(struct hfcache *c, const char *etag, char *err, size_t errn)
{
	int r = root_fd(c, true, err, errn);
	if (r < 0)
		return -1;
	size_t fl = strlen(c->folder);
	char *rel = xmalloc(fl + sizeof ".locks/");
	snprintf(rel, fl + sizeof ".locks/", ".locks/%s", c->folder);
	int dfd = open_dirs(r, c->root, rel, strlen(rel), true, err, errn);
	free(rel);
	if (dfd < 0)
		return -1;
	char name[ETAG_MAX + 8];
	snprintf(name, sizeof name, "%s.lock", etag);
	int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0664);
	int e = errno;
	close(dfd);
	if (fd < 0)
		return errorf(err, errn, "%s/.locks/%s/%s: %s", c->root, c->folder, name, strerror(e));
	/* filelock makes its lock files 0664 whatever the umask, so that the
	 * users of a shared cache can all wait on them. */
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid())
		(void)fchmod(fd, 0664);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		close(fd);
		return errorf(err, errn, "%s/.locks/%s/%s: %s", c->root, c->folder, name, strerror(e));
	}
	return fd;
}

static void drop_lock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

int hfcache_link(struct hfcache *c, const char *etag, const char *commit, const char *path, char *err,
                 size_t errn)
{
	char sb[128];
	if (!hfcache_valid_etag(etag))
		return errorf(err, errn, "invalid etag '%s'", shown(etag ? etag : "", sb, sizeof sb));
	if (!valid_commit(commit))
		return errorf(err, errn, "invalid commit '%s'", shown(commit ? commit : "", sb, sizeof sb));
	if (!hfcache_valid_path(path))
		return errorf(err, errn, "invalid file path '%s'", shown(path ? path : "", sb, sizeof sb));
	if (repo_fd(c, true, err, errn) < 0)
		return -1;
	/* "Blob exists but pointer must be (safely) created -> take the lock". */
	int lk = take_lock(c, etag, err, errn);
	if (lk < 0)
		return -1;
	int bfd = open_under(c, "blobs", "", 0, false, err, errn);
	struct stat st;
	bool ok = bfd >= 0 && fstatat(bfd, etag, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
	if (bfd >= 0)
		close(bfd);
	int rc = ok ? link_locked(c, etag, commit, path, err, errn)
	            : bfd == -1 ? -1 : errorf(err, errn, "%s/blobs/%s: no such blob", c->dir, etag);
	drop_lock(lk);
	return rc;
}

/* ---- blobs ---- */

static void blob_free(struct hfcache_blob *b)
{
	if (b->fd >= 0)
		close(b->fd);
	if (b->blobsfd >= 0)
		close(b->blobsfd);
	drop_lock(b->lockfd);
	free(b->etag);
	free(b->incomplete);
	free(b);
}

struct hfcache_blob *hfcache_blob_begin(struct hfcache *c, const char *etag, uint64_t *have, char *err,
                                        size_t errn)
{
	char sb[128];
	if (!hfcache_valid_etag(etag)) {
		errorf(err, errn, "invalid etag '%s'", shown(etag ? etag : "", sb, sizeof sb));
		return NULL;
	}
	int blobsfd = open_under(c, "blobs", "", 0, true, err, errn);
	if (blobsfd < 0)
		return NULL;
	struct hfcache_blob *b = xcalloc(1, sizeof *b);
	b->c = c;
	b->etag = xstrdup(etag);
	size_t n = strlen(etag) + sizeof INCOMPLETE;
	b->incomplete = xmalloc(n);
	snprintf(b->incomplete, n, "%s%s", etag, INCOMPLETE);
	b->blobsfd = blobsfd;
	b->fd = -1;
	b->lockfd = take_lock(c, etag, err, errn);
	if (b->lockfd < 0) {
		blob_free(b);
		return NULL;
	}
	/* Under the lock: another process may have finished it meanwhile. */
	struct stat st;
	if (fstatat(blobsfd, etag, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			errorf(err, errn, "%s/blobs/%s: not a regular file", c->dir, etag);
			blob_free(b);
			return NULL;
		}
		b->size = (uint64_t)st.st_size;
		*have = UINT64_MAX;
		return b;
	}
	b->fd = openat(blobsfd, b->incomplete, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (b->fd < 0 || fstat(b->fd, &st) != 0) {
		errorf(err, errn, "%s/blobs/%s: %s", c->dir, b->incomplete, strerror(errno));
		blob_free(b);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		errorf(err, errn, "%s/blobs/%s: not a regular file", c->dir, b->incomplete);
		blob_free(b);
		return NULL;
	}
	b->size = (uint64_t)st.st_size;
	*have = b->size;
	return b;
}

int hfcache_blob_write(struct hfcache_blob *b, const void *data, size_t len, char *err, size_t errn)
{
	if (b->fd < 0)
		return errorf(err, errn, "%s/blobs/%s: the blob is complete, nothing to write", b->c->dir, b->etag);
	const char *p = data;
	while (len) {
		ssize_t w = write(b->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			b->failed = 1;
			return errorf(err, errn, "%s/blobs/%s: %s", b->c->dir, b->incomplete, strerror(errno));
		}
		p += w;
		len -= (size_t)w;
		b->size += (uint64_t)w;
	}
	return 0;
}

int hfcache_blob_commit(struct hfcache_blob *b, uint64_t expect_size, const char *commit, const char *path,
                        char *err, size_t errn)
{
	char sb[128];
	struct hfcache *c = b->c;
	int rc = 0;
	if (!valid_commit(commit)) {
		rc = errorf(err, errn, "invalid commit '%s'", shown(commit ? commit : "", sb, sizeof sb));
	} else if (!hfcache_valid_path(path)) {
		rc = errorf(err, errn, "invalid file path '%s'", shown(path ? path : "", sb, sizeof sb));
	} else if (b->fd < 0) {
		/* Already complete (another process, or an earlier run). */
		if (expect_size != UINT64_MAX && b->size != expect_size)
			rc = errorf(err, errn, "%s/blobs/%s: %llu bytes, expected %llu", c->dir, b->etag,
			          (unsigned long long)b->size, (unsigned long long)expect_size);
	} else {
		struct stat st;
		if (fsync(b->fd) != 0 || fstat(b->fd, &st) != 0) {
			rc = errorf(err, errn, "%s/blobs/%s: %s", c->dir, b->incomplete, strerror(errno));
		} else if (b->failed || (expect_size != UINT64_MAX && (uint64_t)st.st_size != expect_size)) {
			/* Bytes of unknown worth: resuming from them could only
			 * make a wrong blob, so they go. */
			unlinkat(b->blobsfd, b->incomplete, 0);
			rc = errorf(err, errn, "%s/blobs/%s: %llu bytes, expected %llu", c->dir, b->etag,
			          (unsigned long long)st.st_size, (unsigned long long)expect_size);
		} else {
			int fd = b->fd;
			b->fd = -1;
			if (close(fd) != 0)
				rc = errorf(err, errn, "%s/blobs/%s: %s", c->dir, b->incomplete, strerror(errno));
			else if (renameat(b->blobsfd, b->incomplete, b->blobsfd, b->etag) != 0)
				rc = errorf(err, errn, "%s/blobs/%s: %s", c->dir, b->etag, strerror(errno));
			else if (fsync_fd_dir(b->blobsfd) != 0)
				rc = errorf(err, errn, "%s/blobs: %s", c->dir, strerror(errno));
		}
	}
	if (rc == 0)
		rc = link_locked(c, b->etag, commit, path, err, errn);
	blob_free(b);
	return rc;
}

void hfcache_blob_abort(struct hfcache_blob *b)
{
	if (!b)
		return;
	/* What is kept is resumed from, so it must be on disk as long as its
	 * size says: fsync before the lock goes. */
	if (b->fd >= 0)
		(void)fsync(b->fd);
	blob_free(b);
}
