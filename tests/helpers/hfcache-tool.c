/* hfcache-tool - drives libcommon/hub/hfcache for tests/hfcache.bats.  ROOT
 * "-" means hfcache_root() (the environment's).
 *
 *   hfcache-tool root                              print the cache root
 *   hfcache-tool valid KIND NAME                   exit 0 when NAME is a valid
 *                                                  KIND (repo, revision, etag,
 *                                                  path), 1 if not; NAME takes
 *                                                  \n \t \\ \xNN escapes
 *   hfcache-tool dir ROOT REPO                     print the repo's folder
 *   hfcache-tool ref ROOT REPO REV                 print refs/REV's commit
 *                                                  (exit 3 when there is none)
 *   hfcache-tool setref ROOT REPO REV COMMIT       write refs/REV
 *   hfcache-tool file ROOT REPO COMMIT PATH        print the snapshot file's
 *                                                  path (exit 3: not cached)
 *   hfcache-tool list ROOT REPO COMMIT             print "PATH<TAB>SIZE" lines
 *                                                  (exit 3: no snapshot)
 *   hfcache-tool link ROOT REPO ETAG COMMIT PATH   link to an existing blob
 *   hfcache-tool put [OPTS] ROOT REPO ETAG COMMIT PATH SIZE
 *        stores stdin (the whole file) as a blob, as a download would: prints
 *        "have N" (N the bytes an interrupted run left, or "complete"),
 *        skips that much of stdin, writes the rest and commits with SIZE
 *        ("-": not checked).  OPTS:
 *          --chunk K       write K bytes at a time (default 65536)
 *          --sleep-ms M    sleep M ms after each chunk (widens races)
 *          --stop-after N  write N bytes, then abort (keeps .incomplete)
 *          --kill-after N  write N bytes, then SIGKILL itself
 *          --locked FILE   create FILE once begin holds the lock */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "hub/hfcache.h"

/* Decodes \n \t \\ \xNN; *has_nul when a NUL byte was decoded. */
static char *unescape(const char *s, int *has_nul)
{
	char *o = xmalloc(strlen(s) + 1), *p = o;
	*has_nul = 0;
	while (*s) {
		if (s[0] == '\\' && s[1] == 'n') {
			*p++ = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 't') {
			*p++ = '\t';
			s += 2;
		} else if (s[0] == '\\' && s[1] == '\\') {
			*p++ = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char h[3] = {s[2], s[3], 0};
			char c = (char)strtol(h, NULL, 16);
			if (!c)
				*has_nul = 1;
			*p++ = c;
			s += 4;
		} else {
			*p++ = *s++;
		}
	}
	*p = '\0';
	return o;
}

static struct hfcache *open_cache(const char *root, const char *repo)
{
	char err[512];
	char *r = strcmp(root, "-") == 0 ? hfcache_root() : xstrdup(root);
	struct hfcache *c = hfcache_open(r, repo, err, sizeof err);
	free(r);
	if (!c)
		die(STATUS_FAIL, "%s", err);
	return c;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int put(int argc, char **argv)
{
	size_t chunk = 65536;
	long sleep = 0;
	long long stop = -1, killat = -1;
	const char *locked = NULL;
	int i = 0;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (!strcmp(argv[i], "--chunk"))
			chunk = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--sleep-ms"))
			sleep = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--stop-after"))
			stop = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--kill-after"))
			killat = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--locked"))
			locked = argv[i + 1];
		else
			die(STATUS_USAGE, "unknown option %s", argv[i]);
	}
	if (argc - i != 6 || chunk == 0)
		die(STATUS_USAGE, "usage: hfcache-tool put [OPTS] ROOT REPO ETAG COMMIT PATH SIZE");
	char **a = argv + i, err[512];
	struct hfcache *c = open_cache(a[0], a[1]);
	uint64_t have;
	struct hfcache_blob *b = hfcache_blob_begin(c, a[2], &have, err, sizeof err);
	if (!b)
		die(STATUS_FAIL, "%s", err);
	if (locked) {
		int fd = open(locked, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			close(fd);
	}
	if (have == UINT64_MAX)
		printf("have complete\n");
	else
		printf("have %llu\n", (unsigned long long)have);
	fflush(stdout);
	char *buf = xmalloc(chunk);
	uint64_t skip = have == UINT64_MAX ? UINT64_MAX : have, written = 0;
	for (;;) {
		size_t want = chunk;
		if (stop >= 0 && (uint64_t)stop - written < want)
			want = (size_t)((uint64_t)stop - written);
		if (killat >= 0 && (uint64_t)killat - written < want)
			want = (size_t)((uint64_t)killat - written);
		if (stop >= 0 && written >= (uint64_t)stop) {
			hfcache_blob_abort(b);
			hfcache_close(c);
			free(buf);
			return 0;
		}
		if (killat >= 0 && written >= (uint64_t)killat)
			raise(SIGKILL);
		size_t n = fread(buf, 1, want ? want : 1, stdin);
		if (n == 0)
			break;
		size_t off = 0;
		if (skip != UINT64_MAX && skip > 0) {
			off = skip < n ? (size_t)skip : n;
			skip -= off;
		}
		if (n > off && skip != UINT64_MAX) {
			if (hfcache_blob_write(b, buf + off, n - off, err, sizeof err) != 0)
				die(STATUS_FAIL, "%s", err);
			written += n - off;
		}
		if (sleep)
			sleep_ms(sleep);
	}
	free(buf);
	uint64_t size = strcmp(a[5], "-") == 0 ? UINT64_MAX : strtoull(a[5], NULL, 10);
	int rc = hfcache_blob_commit(b, size, a[3], a[4], err, sizeof err);
	hfcache_close(c);
	if (rc)
		die(STATUS_FAIL, "%s", err);
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	if (argc == 2 && !strcmp(argv[1], "root")) {
		char *r = hfcache_root();
		printf("%s\n", r);
		free(r);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "valid")) {
		int nul;
		char *s = unescape(argv[3], &nul);
		/* A C string ends at its first NUL: a caller holding a name with
		 * an embedded NUL (from JSON, say) must refuse it itself, and
		 * this driver does so, as they must. */
		int ok;
		if (!strcmp(argv[2], "repo"))
			ok = hfcache_valid_repo(s);
		else if (!strcmp(argv[2], "revision"))
			ok = hfcache_valid_revision(s);
		else if (!strcmp(argv[2], "etag"))
			ok = hfcache_valid_etag(s);
		else if (!strcmp(argv[2], "path"))
			ok = hfcache_valid_path(s);
		else
			die(STATUS_USAGE, "KIND is repo, revision, etag or path");
		free(s);
		return ok && !nul ? 0 : 1;
	}
	if (argc == 4 && !strcmp(argv[1], "dir")) {
		struct hfcache *c = open_cache(argv[2], argv[3]);
		printf("%s\n", hfcache_dir(c));
		hfcache_close(c);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "ref")) {
		struct hfcache *c = open_cache(argv[2], argv[3]);
		char commit[256];
		int rc = hfcache_read_ref(c, argv[4], commit, sizeof commit, err, sizeof err);
		hfcache_close(c);
		if (rc < 0)
			die(STATUS_FAIL, "%s", err);
		if (rc > 0)
			return 3;
		printf("%s\n", commit);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "setref")) {
		struct hfcache *c = open_cache(argv[2], argv[3]);
		int rc = hfcache_write_ref(c, argv[4], argv[5], err, sizeof err);
		hfcache_close(c);
		if (rc)
			die(STATUS_FAIL, "%s", err);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "file")) {
		struct hfcache *c = open_cache(argv[2], argv[3]);
		char *p;
		int rc = hfcache_snapshot_file(c, argv[4], argv[5], &p, err, sizeof err);
		hfcache_close(c);
		if (rc < 0)
			die(STATUS_FAIL, "%s", err);
		if (rc > 0)
			return 3;
		printf("%s\n", p);
		free(p);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "list")) {
		struct hfcache *c = open_cache(argv[2], argv[3]);
		char **paths;
		uint64_t *sizes;
		size_t n;
		int rc = hfcache_snapshot_list(c, argv[4], &paths, &sizes, &n, err, sizeof err);
		hfcache_close(c);
		if (rc < 0)
			die(STATUS_FAIL, "%s", err);
		if (rc > 0)
			return 3;
		for (size_t i = 0; i < n; i++) {
			printf("%s\t%llu\n", paths[i], (unsigned long long)sizes[i]);
			free(paths[i]);
		}
		free(paths);
		free(sizes);
		return 0;
	}
	if (argc == 7 && !strcmp(argv[1], "link")) {
		struct hfcache *c = open_cache(argv[2], argv[3]);
		int rc = hfcache_link(c, argv[4], argv[5], argv[6], err, sizeof err);
		hfcache_close(c);
		if (rc)
			die(STATUS_FAIL, "%s", err);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "put"))
		return put(argc - 2, argv + 2);
	die(STATUS_USAGE, "usage: hfcache-tool root | valid KIND NAME | dir|ref|setref|file|list|link|put ... (see the source)");
}
