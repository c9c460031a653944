/* deduprun.c - rec-dedup's one-shot run (deduprun.h). */
#include "dedup/deduprun.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "dedup/buckets.h"

int *dedup_open_inputs(int n, char **inputs, const char *tmpdir)
{
	int *fds = xcalloc((size_t)(n ? n : 1), sizeof *fds);
	for (int i = 0; i < n; i++) {
		int fd = strcmp(inputs[i], "-") == 0 ? dup(0) : open(inputs[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(STATUS_FAIL, "%s:", inputs[i]);
		int seekable = io_seekable_in(fd, inputs[i], tmpdir);
		if (seekable != fd)
			close(fd);
		fds[i] = seekable;
	}
	return fds;
}

void dedup_close_inputs(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

void dedup_run(const struct dedup_opts *o, int nin, char **inputs, struct rec_writer *out,
               struct rec_writer *removed, struct progress *progress, struct remove_counts *counts)
{
	char err[512];
	const char *tmpdir = o->sign.tmpdir;
	int *fds = dedup_open_inputs(nin, inputs, tmpdir);

	int sig_fd = io_temp_file(tmpdir, "signatures");
	sign_inputs(&o->sign, nin, fds, inputs, sig_fd, "signatures", progress);
	struct sig_file sig;
	if (sig_open_fd(&sig, sig_fd, "signatures", err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	close(sig_fd);

	int bkt_fd = io_temp_file(tmpdir, "buckets");
	buckets_run(&sig, 1, 0, sig_band_count(&sig.p), o->mem, tmpdir, bkt_fd, "buckets");
	struct bkt_reader bkt;
	if (bkt_open_fd(&bkt, bkt_fd, "buckets", err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);

	int drop_fd = io_temp_file(tmpdir, "drop list");
	struct rec_writer *drops = rec_writer_fdopen(drop_fd, "drop list");
	struct clusters_opts co = {.verify = o->verify, .mem = o->mem, .tmpdir = tmpdir, .argc = o->argc, .argv = o->argv};
	struct clusters_counts cc;
	clusters_run(&co, &sig, 1, &bkt, 1, &drops, &cc);
	rec_writer_free(drops);
	bkt_close(&bkt);
	sig_close(&sig);

	struct remove_opts ro = {.field = o->sign.field, .argc = o->argc, .argv = o->argv};
	remove_run(&ro, nin, fds, inputs, drop_fd, "drop list", out, removed, NULL, counts);
	close(drop_fd);
	dedup_close_inputs(fds, nin);
}
