/* plot.c - loss curves into a PNG by gnuplot (see plot.h). */
#define _GNU_SOURCE
#include "train/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/die.h"

/* ---- the gnuplot script ---- */

/* The shortest decimal that reads back as the same double. */
static void add_number(struct buf *b, double v)
{
	char s[40];
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(s, sizeof s, "%.0f", v);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(s, sizeof s, "%.*g", prec, v);
			if (strtod(s, NULL) == v)
				break;
		}
	}
	buf_adds(b, s);
}

/* A gnuplot single-quoted string of s and then suffix: nothing is special
 * in it but the quote, which is doubled; a control character (a newline
 * would end the command) becomes a space. */
static void add_quoted(struct buf *b, const char *s, const char *suffix)
{
	buf_addc(b, '\'');
	for (int part = 0; part < 2; part++, s = suffix) {
		for (; s && *s; s++) {
			if (*s == '\'')
				buf_adds(b, "''");
			else if ((unsigned char)*s < 0x20 || *s == 0x7f)
				buf_addc(b, ' ');
			else
				buf_addc(b, *s);
		}
	}
	buf_addc(b, '\'');
}

static void add_block(struct buf *b, const char *what, size_t run, const struct series *s)
{
	buf_printf(b, "$%s%zu << EOD\n", what, run + 1);
	for (size_t i = 0; i < s->n; i++) {
		add_number(b, s->x[i]);
		buf_addc(b, ' ');
		add_number(b, s->y[i]);
		buf_addc(b, '\n');
	}
	buf_adds(b, "EOD\n");
}

/* The script, writing its PNG to out (NULL: gnuplot's stdout). */
void plot_script(const struct plot *p, const char *out, struct buf *b)
{
	/* matplotlib's tab10, one colour a run */
	static const char *const colours[] = {"1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd",
	                                      "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf"};
	enum { N_COLOURS = sizeof colours / sizeof *colours };
	buf_printf(b, "# train-plot (sluice) %s; run it with: gnuplot FILE\n", SLUICE_VERSION);
	buf_printf(b,
	           "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {\n"
	           "    set terminal pngcairo size %u,%u noenhanced font ',10'\n"
	           "} else {\n"
	           "    set terminal png truecolor size %u,%u noenhanced\n"
	           "}\n",
	           p->width, p->height, p->width, p->height);
	buf_adds(b, "set output");
	if (out) {
		buf_addc(b, ' ');
		add_quoted(b, out, NULL);
	}
	buf_addc(b, '\n');
	if (p->title) {
		buf_adds(b, "set title ");
		add_quoted(b, p->title, NULL);
		buf_addc(b, '\n');
	}
	buf_adds(b, "set xlabel 'step'\nset ylabel 'loss'\nset grid\nset key top right\n");
	if (p->logy)
		buf_adds(b, "set logscale y\n");
	for (size_t i = 0; i < p->n_runs; i++) {
		const struct metrics_log *r = &p->runs[i];
		add_block(b, "train", i, &r->train);
		if (p->smooth)
			add_block(b, "smooth", i, &r->smooth);
		if (r->val.n)
			add_block(b, "val", i, &r->val);
	}
	buf_adds(b, "plot");
	for (size_t i = 0; i < p->n_runs; i++) {
		const struct metrics_log *r = &p->runs[i];
		const char *c = colours[i % N_COLOURS];
		buf_adds(b, i ? ", \\\n     " : " \\\n     ");
		if (p->smooth) {
			/* The raw curve faint (alpha 0xB0 of 0xFF transparent), untitled. */
			buf_printf(b, "$train%zu using 1:2 with lines lc rgb '#B0%s' lw 1 notitle, \\\n     ", i + 1, c);
			buf_printf(b, "$smooth%zu using 1:2 with lines lc rgb '#%s' lw 2 title ", i + 1, c);
		} else {
			buf_printf(b, "$train%zu using 1:2 with lines lc rgb '#%s' lw 1.5 title ", i + 1, c);
		}
		add_quoted(b, r->label, NULL);
		if (r->val.n) {
			buf_printf(b, ", \\\n     $val%zu using 1:2 with linespoints lc rgb '#%s' dt 2 lw 1.5 pt 7 ps 0.8 title ",
			           i + 1, c);
			add_quoted(b, r->label, " (val)");
		}
	}
	buf_adds(b, "\nunset output\n");
}

/* ---- running gnuplot ---- */

/* The path of an executable name on $PATH (searched as execvp does), or
 * NULL; the caller frees it. */
static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *dir = path;; dir++) {
		const char *end = strchr(dir, ':');
		size_t n = end ? (size_t)(end - dir) : strlen(dir);
		struct buf full = {0};
		if (n)
			buf_add(&full, dir, n);
		else
			buf_addc(&full, '.');
		buf_printf(&full, "/%s%c", name, '\0');
		struct stat st;
		if (stat(full.data, &st) == 0 && S_ISREG(st.st_mode) && access(full.data, X_OK) == 0)
			return full.data;
		buf_free(&full);
		if (!end)
			return NULL;
		dir = end;
	}
}

/* Feeds the script to gnuplot on its stdin and waits for it; dies when it
 * cannot be started or fails.  gnuplot's stdout goes to our stderr
 * unless the PNG is to go to our stdout. */
static void run_gnuplot(const struct buf *s, bool png_to_stdout)
{
	char *exe = find_in_path("gnuplot");
	if (!exe)
		die(STATUS_FAIL, "gnuplot not found: install gnuplot-nox");
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		die(STATUS_FAIL, "a pipe to gnuplot:");
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		die(STATUS_FAIL, "starting gnuplot:");
	if (pid == 0) {
		if (dup2(fds[0], 0) < 0 || (!png_to_stdout && dup2(2, 1) < 0))
			_exit(127);
		char *const args[] = {"gnuplot", NULL};
		execv(exe, args);
		int e = errno;
		char msg[512];
		int n = snprintf(msg, sizeof msg, "%s: %s: %s\n", prog_name(), exe, strerror(e));
		if (n > 0 && write(2, msg, (size_t)n) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[0]);
	/* gnuplot may end before reading it all (an error): its pipe is then
	 * closed, which is its exit status's to report, not SIGPIPE's. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	size_t done = 0;
	while (done < s->len) {
		ssize_t w = write(fds[1], s->data + done, s->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno != EPIPE)
				warn("writing to gnuplot:");
			break;
		}
		done += (size_t)w;
	}
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(STATUS_FAIL, "waiting for gnuplot:");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		die(STATUS_FAIL, "gnuplot (%s) could not be run", exe);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		die(STATUS_FAIL, "gnuplot failed (exit status %d): no PNG written", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		die(STATUS_FAIL, "gnuplot was killed by signal %d: no PNG written", WTERMSIG(status));
	if (done < s->len)
		die(STATUS_FAIL, "gnuplot did not read its whole script: no PNG written");
	free(exe);
}

/* The temporary file holds a whole PNG: gnuplot said nothing wrong, but
 * it says nothing of a write that failed either (a full disk left a PNG
 * cut short, or an empty file, and gnuplot exited 0).  Whole means the
 * signature first and the IEND chunk last. */
static void check_png(int fd, const char *name)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
	unsigned char head[8], tail[12];
	struct stat st;
	if (fstat(fd, &st) != 0)
		die(STATUS_FAIL, "%s: reading back gnuplot's output:", name);
	ssize_t n = pread(fd, head, sizeof head, 0);
	ssize_t m = st.st_size >= (off_t)(sizeof head + sizeof tail)
	                ? pread(fd, tail, sizeof tail, st.st_size - (off_t)sizeof tail)
	                : 0;
	if (n < 0 || m < 0)
		die(STATUS_FAIL, "%s: reading back gnuplot's output:", name);
	if (n == (ssize_t)sizeof head && m == (ssize_t)sizeof tail && memcmp(head, sig, sizeof sig) == 0 &&
	    memcmp(tail, iend, sizeof iend) == 0)
		return;
	/* Say why when the file system it went to is full. */
	struct statvfs vfs;
	if (fstatvfs(fd, &vfs) == 0 && vfs.f_bavail == 0)
		die(STATUS_FAIL, "%s: write error: %s", name, strerror(ENOSPC));
	die(STATUS_FAIL, "%s: gnuplot wrote no whole PNG: nothing written", name);
}

void plot_write(const struct plot *p, const char *output, bool script_only, struct atomic_file *af)
{
	bool to_stdout = strcmp(output, "-") == 0;
	struct buf s = {0};
	if (script_only) {
		plot_script(p, to_stdout ? NULL : output, &s);
		write_all(1, s.data, s.len, "<stdout>");
	} else if (to_stdout) {
		plot_script(p, NULL, &s);
		run_gnuplot(&s, true);
	} else {
		if (atomic_open(af, output) != 0)
			die(STATUS_FAIL, "%s:", output);
		atomic_guard(af);
		/* A device or FIFO is written in place, by its own name. */
		plot_script(p, af->tmp ? af->tmp : output, &s);
		run_gnuplot(&s, false);
		if (af->tmp)
			check_png(af->fd, output);
		if (atomic_commit(af) != 0)
			die(STATUS_FAIL, "%s:", output);
	}
	buf_free(&s);
}
