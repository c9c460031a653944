/* train-plot - train-step's metrics JSONL into a PNG loss curve, drawn by
 * gnuplot.  The logs are read whole first (so bad input leaves nothing
 * behind), then one gnuplot script with the points inline as datablocks is
 * either printed (--script) or piped to gnuplot, whose PNG goes to a
 * temporary name beside the output and is renamed into place only when
 * gnuplot succeeded. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "rec/rec.h"

static const char usage[] =
	"Usage: train-plot [OPTION]... LOG.jsonl...\n"
	"Draw the training loss (and the validation loss, where the log has it) of\n"
	"the metrics logs that train-step writes against the step, as a PNG made\n"
	"by gnuplot.  Several logs are several runs on one plot; LOG - is stdin.\n"
	"\n"
	"Plot:\n"
	"      --label TEXT         the legend of the next run (repeatable; default:\n"
	"                           the LOG name as given)\n"
	"      --smooth N           also draw the trailing mean of the last N training\n"
	"                           losses, the raw curve faint behind it\n"
	"      --logy               logarithmic loss axis\n"
	"      --title TEXT         a title above the plot\n"
	"      --size W,H           the image in pixels (default 900,540)\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE        write the PNG to FILE atomically (default loss.png;\n"
	"                           - is stdout)\n"
	"      --script             print the gnuplot script, data inline, on stdout\n"
	"                           instead of running gnuplot\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or gnuplot missing or failing, 2 usage,\n"
	"8 malformed log: a line that is not a JSON object, a record without a\n"
	"numeric step or with a loss that is not a number, a log without step\n"
	"records.  See train-plot(1).\n";

enum {
	OPT_LABEL = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_SMOOTH,
	OPT_LOGY,
	OPT_TITLE,
	OPT_SIZE,
	OPT_SCRIPT,
};

/* Points of one curve, in the order of the log. */
struct series {
	double *x, *y;
	size_t n, cap;
};

/* One log: one run on the plot. */
struct runlog {
	const char *path, *label;
	struct series train, val, smooth;
	uint64_t steps, evals, nonfinite;
};

struct plot {
	struct runlog *runs;
	size_t n_runs;
	const char *title, *output;
	uint64_t smooth;
	unsigned width, height;
	bool logy, script;
	struct progress progress;
};

static void series_add(struct series *s, double x, double y)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->x = xrealloc(s->x, s->cap * sizeof *s->x);
		s->y = xrealloc(s->y, s->cap * sizeof *s->y);
	}
	s->x[s->n] = x;
	s->y[s->n] = y;
	s->n++;
}

static void series_free(struct series *s)
{
	free(s->x);
	free(s->y);
	*s = (struct series){0};
}

/* ---- reading a log ---- */

/* train-step prints a diverged loss with printf ("nan", "-inf"), Python's
 * json module as NaN or Infinity: neither is JSON.  Such bare words as
 * values (after a colon, outside strings) become the strings "nan" or
 * "inf" (with their sign), which number_of() reads as the non-finite
 * values they are.  Returns false when the line has none. */
static bool quote_nonfinite(const char *line, struct buf *out)
{
	static const char *const words[] = {"infinity", "nan", "inf"};
	bool in_string = false, found = false;
	char prev = 0; /* the last character outside strings but blanks */
	buf_clear(out);
	for (const char *p = line; *p;) {
		if (in_string) {
			if (*p == '\\' && p[1]) {
				buf_add(out, p, 2);
				p += 2;
				continue;
			}
			if (*p == '"')
				in_string = false;
			buf_addc(out, *p++);
			continue;
		}
		if (*p == '"') {
			in_string = true;
			prev = '"';
			buf_addc(out, *p++);
			continue;
		}
		/* only a value: the word follows a colon */
		bool at_word = prev == ':';
		if (!isspace((unsigned char)*p))
			prev = *p;
		const char *q = p;
		if (at_word && (*q == '-' || *q == '+'))
			q++;
		size_t len = 0;
		for (size_t i = 0; at_word && i < sizeof words / sizeof *words && !len; i++) {
			size_t n = strlen(words[i]);
			if (strncasecmp(q, words[i], n) == 0 && !isalnum((unsigned char)q[n]) && q[n] != '_')
				len = n;
		}
		if (!len) {
			buf_addc(out, *p++);
			continue;
		}
		buf_addc(out, '"');
		buf_add(out, p, (size_t)(q - p) + len);
		buf_addc(out, '"');
		p = q + len;
		found = true;
	}
	buf_addc(out, '\0');
	return found;
}

/* A JSON number, or a string that strtod reads whole as NaN or an
 * infinity; false for anything else. */
static bool number_of(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return false;
	char *end;
	double d = strtod(s, &end);
	if (*end || isfinite(d))
		return false;
	*out = d;
	return true;
}

static void nonfinite_point(struct runlog *r, const char *name, uint64_t line, const char *key, double v)
{
	if (r->nonfinite++ == 0)
		warn("%s:%llu: %s is %s: points with a NaN or infinite loss are left out", name, (unsigned long long)line,
		     key, isnan(v) ? "NaN" : v > 0 ? "infinite" : "minus infinity");
}

/* One record: a step record adds a training point, an eval record a
 * validation point; a record with neither is skipped. */
static void take_record(struct runlog *r, json_t *o, const char *name, uint64_t line)
{
	json_t *jstep = json_object_get(o, "step");
	if (!jstep)
		die_at(STATUS_MALFORMED, name, line, "a record without \"step\"");
	double step;
	if (!json_is_number(jstep) || !isfinite(step = json_number_value(jstep)))
		die_at(STATUS_MALFORMED, name, line, "\"step\" is not a number");
	static const char *const keys[] = {"loss", "val_loss"};
	for (int k = 0; k < 2; k++) {
		json_t *v = json_object_get(o, keys[k]);
		if (!v)
			continue;
		double loss;
		if (!number_of(v, &loss))
			die_at(STATUS_MALFORMED, name, line, "\"%s\" is not a number", keys[k]);
		if (k == 0)
			r->steps++;
		else
			r->evals++;
		if (!isfinite(loss))
			nonfinite_point(r, name, line, keys[k], loss);
		else
			series_add(k == 0 ? &r->train : &r->val, step, loss);
	}
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

static void read_log(struct plot *p, struct runlog *r)
{
	bool is_stdin = strcmp(r->path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : r->path;
	FILE *f = is_stdin ? stdin : fopen(r->path, "r");
	if (!f)
		die(STATUS_FAIL, "%s:", r->path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0;
	struct buf fixed = {0};
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		progress_add(&p->progress, (uint64_t)len, 1);
		bool complete = line[len - 1] == '\n';
		if (complete)
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((size_t)len != strlen(line))
			die_at(STATUS_MALFORMED, name, lineno, "not a JSON object (a NUL byte)");
		if (blank(line))
			continue;
		json_t *o = json_loads(line, 0, NULL);
		if (!o && quote_nonfinite(line, &fixed))
			o = json_loads(fixed.data, 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			/* A run still writing its log may have left half a line. */
			if (!complete) {
				warn("%s:%llu: an incomplete last line, left out", name, (unsigned long long)lineno);
				break;
			}
			die_at(STATUS_MALFORMED, name, lineno, "not a JSON object");
		}
		take_record(r, o, name, lineno);
		json_decref(o);
	}
	if (ferror(f))
		die(STATUS_FAIL, "%s: read error:", name);
	free(line);
	buf_free(&fixed);
	if (!is_stdin)
		fclose(f);
	if (!r->steps)
		die(STATUS_MALFORMED, "%s: no step records (a \"step\" with a \"loss\"): nothing to plot", name);
	if (!r->train.n)
		die(STATUS_MALFORMED, "%s: every training loss is NaN or infinite: nothing to plot", name);
}

/* The trailing mean of the last n training losses (fewer at the start).
 * A running sum, summed afresh every n points so that rounding does not
 * build up over a long log. */
static void smooth(struct runlog *r, uint64_t n)
{
	const struct series *t = &r->train;
	double sum = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t first = i + 1 > n ? i + 1 - (size_t)n : 0;
		if (i % n == 0) {
			sum = 0;
			for (size_t j = first; j <= i; j++)
				sum += t->y[j];
		} else {
			sum += t->y[i];
			if (i >= n)
				sum -= t->y[i - n];
		}
		series_add(&r->smooth, t->x[i], sum / (double)(i + 1 - first));
	}
}

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
static void script(const struct plot *p, const char *out, struct buf *b)
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
		const struct runlog *r = &p->runs[i];
		add_block(b, "train", i, &r->train);
		if (p->smooth)
			add_block(b, "smooth", i, &r->smooth);
		if (r->val.n)
			add_block(b, "val", i, &r->val);
	}
	buf_adds(b, "plot");
	for (size_t i = 0; i < p->n_runs; i++) {
		const struct runlog *r = &p->runs[i];
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

/* The temporary file holds a PNG: gnuplot said nothing wrong, but check. */
static void check_png(int fd, const char *name)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned char got[8];
	ssize_t n = pread(fd, got, sizeof got, 0);
	if (n < 0)
		die(STATUS_FAIL, "%s: reading back gnuplot's output:", name);
	if (n != (ssize_t)sizeof got || memcmp(got, sig, sizeof sig) != 0)
		die(STATUS_FAIL, "%s: gnuplot wrote no PNG: nothing written", name);
}

static void parse_size(const char *arg, unsigned *w, unsigned *h)
{
	char *end;
	errno = 0;
	unsigned long a = strtoul(arg, &end, 10), b = 0;
	bool ok = isdigit((unsigned char)*arg) && *end == ',' && !errno;
	if (ok) {
		const char *q = end + 1;
		b = strtoul(q, &end, 10);
		ok = isdigit((unsigned char)*q) && !*end && !errno;
	}
	if (!ok || a < 16 || b < 16 || a > 16384 || b > 16384)
		cli_usage_error("--size: '%s' is not W,H in pixels, each from 16 to 16384", arg);
	*w = (unsigned)a;
	*h = (unsigned)b;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"label", required_argument, 0, OPT_LABEL},
		{"smooth", required_argument, 0, OPT_SMOOTH},
		{"logy", no_argument, 0, OPT_LOGY},
		{"title", required_argument, 0, OPT_TITLE},
		{"size", required_argument, 0, OPT_SIZE},
		{"output", required_argument, 0, 'o'},
		{"script", no_argument, 0, OPT_SCRIPT},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init(argc, argv);
	struct plot p = {.output = "loss.png", .width = 900, .height = 540};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char **labels = xmalloc((size_t)argc * sizeof *labels);
	size_t n_labels = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case OPT_LABEL: labels[n_labels++] = optarg; break;
		case OPT_SMOOTH:
			p.smooth = cli_parse_u64(optarg, "--smooth", 0);
			if (p.smooth < 1 || p.smooth > 1u << 30)
				cli_usage_error("--smooth must be from 1 to 1073741824");
			break;
		case OPT_LOGY: p.logy = true; break;
		case OPT_TITLE: p.title = optarg; break;
		case OPT_SIZE: parse_size(optarg, &p.width, &p.height); break;
		case 'o': p.output = optarg; break;
		case OPT_SCRIPT: p.script = true; break;
		default: cli_usage_error("unhandled option");
		}
	}
	int nin = argc - optind;
	if (nin < 1)
		cli_usage_error("no LOG: give train-step's --log file(s)");
	if (n_labels > (size_t)nin)
		cli_usage_error("%zu --label for %d LOG%s", n_labels, nin, nin == 1 ? "" : "s");
	int n_stdin = 0;
	for (int i = 0; i < nin; i++)
		n_stdin += strcmp(argv[optind + i], "-") == 0;
	if (n_stdin > 1)
		cli_usage_error("standard input (-) can be read only once");
	bool to_stdout = strcmp(p.output, "-") == 0;
	if (!*p.output)
		cli_usage_error("-o: an empty file name");
	for (const char *c = p.output; *c; c++)
		if ((unsigned char)*c < 0x20)
			cli_usage_error("-o: a file name with a control character cannot be given to gnuplot");
	if (to_stdout && !p.script && isatty(1))
		cli_usage_error("refusing to write a PNG to a terminal (redirect stdout or use -o)");

	p.n_runs = (size_t)nin;
	p.runs = xcalloc(p.n_runs, sizeof *p.runs);
	progress_init(&p.progress, progress, io_total_size(nin, argv + optind));
	for (size_t i = 0; i < p.n_runs; i++) {
		struct runlog *r = &p.runs[i];
		r->path = argv[optind + (int)i];
		r->label = i < n_labels ? labels[i] : strcmp(r->path, "-") == 0 ? "stdin" : r->path;
		read_log(&p, r);
		if (p.smooth)
			smooth(r, p.smooth);
	}
	progress_end(&p.progress);

	struct buf s = {0};
	if (p.script) {
		script(&p, to_stdout ? NULL : p.output, &s);
		write_all(1, s.data, s.len, "<stdout>");
	} else if (to_stdout) {
		script(&p, NULL, &s);
		run_gnuplot(&s, true);
	} else {
		struct atomic_file af;
		if (atomic_open(&af, p.output) != 0)
			die(STATUS_FAIL, "%s:", p.output);
		atomic_guard(&af);
		/* A device or FIFO is written in place, by its own name. */
		script(&p, af.tmp ? af.tmp : p.output, &s);
		run_gnuplot(&s, false);
		if (af.tmp)
			check_png(af.fd, p.output);
		if (atomic_commit(&af) != 0)
			die(STATUS_FAIL, "%s:", p.output);
	}
	buf_free(&s);
	for (size_t i = 0; i < p.n_runs; i++) {
		series_free(&p.runs[i].train);
		series_free(&p.runs[i].val);
		series_free(&p.runs[i].smooth);
	}
	free(p.runs);
	free(labels);
	/* exit, not return: af, which atomic_guard watches until the end,
	 * lives in this frame. */
	exit(0);
}
