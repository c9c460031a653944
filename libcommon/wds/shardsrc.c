/* shardsrc.c - see shardsrc.h */
#include "wds/shardsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/die.h"
#include "net/http.h"

enum shardsrc_kind shardsrc_kind_of(const char *name)
{
	if (strcmp(name, "-") == 0)
		return SHARDSRC_STDIN;
	if (strncmp(name, "pipe:", 5) == 0)
		return SHARDSRC_PIPE;
	if (strncmp(name, "http://", 7) == 0 || strncmp(name, "https://", 8) == 0)
		return SHARDSRC_HTTP;
	if (s3_is_url(name))
		return SHARDSRC_S3;
	return SHARDSRC_FILE;
}

struct pipe_src {
	int fd;
	pid_t pid;
	int reaped;
	char *command;
	char err[256];
};

/* Waits for the command; a failure becomes the source's error. */
static int pipe_reap(struct pipe_src *p)
{
	int status;
	p->reaped = 1;
	while (waitpid(p->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(p->err, sizeof p->err, "waiting for the command: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(p->err, sizeof p->err, "the command exited with status %d", WEXITSTATUS(status));
	else
		snprintf(p->err, sizeof p->err, "the command was killed by signal %d", WTERMSIG(status));
	return -1;
}

static ssize_t pipe_read(void *ctx, void *buf, size_t n)
{
	struct pipe_src *p = ctx;
	if (p->reaped)
		return p->err[0] ? -1 : 0;
	ssize_t got;
	do
		got = read(p->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		snprintf(p->err, sizeof p->err, "read error: %s", strerror(errno));
		return -1;
	}
	if (got == 0 && pipe_reap(p) < 0)
		return -1;
	return got;
}

static const char *pipe_error(void *ctx) { return ((struct pipe_src *)ctx)->err; }

static void pipe_close(void *ctx)
{
	struct pipe_src *p = ctx;
	close(p->fd);
	if (!p->reaped) {
		/* Stopped early (--take, a bad shard): the command gets SIGPIPE on
		 * its next write; one that is not writing is told to stop. */
		kill(p->pid, SIGTERM);
		int status;
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	free(p->command);
	free(p);
}

static int pipe_open(struct source *out, const char *command, char *err, size_t errn)
{
	int fds[2];
	if (pipe(fds) < 0)
		return errorf(err, errn, "pipe: %s", strerror(errno));
	fcntl(fds[0], F_SETFD, FD_CLOEXEC); /* later commands must not hold it open */
	pid_t pid = fork();
	if (pid < 0) {
		errorf(err, errn, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (fds[1] != STDOUT_FILENO) {
			dup2(fds[1], STDOUT_FILENO);
			close(fds[1]);
		}
		/* The shell and its children should die of SIGPIPE, not inherit
		 * whatever disposition we were started with. */
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	struct pipe_src *p = xcalloc(1, sizeof *p);
	p->fd = fds[0];
	p->pid = pid;
	p->command = xstrdup(command);
	*out = (struct source){p, pipe_read, pipe_error, pipe_close, 0};
	return 0;
}

/* An s3:// shard, streamed; a failure says what S3 said of the object. */
static int s3_open(struct source *out, const char *name, struct s3 *s3, char *err, size_t errn)
{
	char msg[1024];
	if (s3_open_stream(s3, name, out, msg, sizeof msg) == 0)
		return 0;
	/* the caller names the shard: leave out the "s3://B/K: " */
	size_t n = strlen(name);
	const char *what = strncmp(msg, name, n) == 0 && msg[n] == ':' ? msg + n + 1 : msg;
	return errorf(err, errn, "%s", what + strspn(what, " "));
}

int shardsrc_expand_s3(char ***names, size_t *n, const struct s3_opts *o, char *err, size_t errn)
{
	char **out = NULL;
	size_t nout = 0, i = 0;
	int rc = 0;
	for (; i < *n && rc == 0; i++) {
		rc = s3_expand_names((*names)[i], o, &out, &nout, err, errn);
		free((*names)[i]);
	}
	for (; i < *n; i++)
		free((*names)[i]);
	free(*names);
	if (rc) {
		for (size_t j = 0; j < nout; j++)
			free(out[j]);
		free(out);
		*names = NULL, *n = 0;
		return -1;
	}
	*names = xrealloc(out, (nout + 1) * sizeof *out);
	*n = nout;
	return 0;
}

int shardsrc_open(struct source *out, const char *name, struct http *http, struct s3 *s3, char *err, size_t errn)
{
	switch (shardsrc_kind_of(name)) {
	case SHARDSRC_STDIN:
		*out = source_fd(STDIN_FILENO, 0);
		return 0;
	case SHARDSRC_PIPE:
		return pipe_open(out, name + 5, err, errn);
	case SHARDSRC_HTTP: {
		if (!http)
			return errorf(err, errn, "URLs are not read here");
		char why[512];
		if (http_open_stream(http, name, NULL, out, why, sizeof why) < 0) {
			/* http's messages name the URL already ("GET URL: 404 ..."). */
			return errorf(err, errn, "%s", why);
		}
		return 0;
	}
	case SHARDSRC_S3:
		if (!s3)
			return errorf(err, errn, "s3:// URLs are not read here");
		return s3_open(out, name, s3, err, errn);
	case SHARDSRC_FILE:
		break;
	}
	if (source_open(out, name) < 0)
		return errorf(err, errn, "%s", strerror(errno));
	return 0;
}
