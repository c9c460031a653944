/* ddp.c - ranks from the launcher's environment, a TCP rendezvous, and NCCL
 * loaded with dlopen (see ddp.h).
 *
 * No CUDA or NCCL header is used: this file is plain C in every build.  The
 * few NCCL types it needs are declared here from NCCL's documented ABI
 * (nccl.h, stable since 2.x): results, data types and reduction operators
 * are C enums (int-sized), a communicator is an opaque pointer and the
 * unique id a 128-byte struct passed by value.
 *
 * The rendezvous protocol, all integers little-endian:
 *   hello (rank > 0 to rank 0): magic, rank u32, world u32, len u64,
 *                               ok u32, message length u32, message
 *   reply (rank 0 to each):     magic, ok u32, message length u32, message,
 *                               then len bytes of blob when ok
 * A rank that failed before the rendezvous still joins with ok = 0 and its
 * reason, and rank 0 answers every rank with the first reason it has, so a
 * failure on one rank ends all of them at once with the same message. */
#define _GNU_SOURCE /* SOCK_CLOEXEC, accept4 */
#include "train/ddp.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/le.h"

/* ---- ranks from the environment ---- */

/* A launcher's variables; local may be absent from the environment. */
struct launcher {
	const char *rank, *world, *local;
	/* Set only where this launcher's variables describe the processes
	 * really started: Slurm's batch script carries SLURM_PROCID and
	 * SLURM_NTASKS of the whole allocation, but is one process until srun,
	 * which sets SLURM_STEP_ID, starts the tasks. */
	const char *only_with;
};

static const struct launcher launchers[] = {
	{"RANK", "WORLD_SIZE", "LOCAL_RANK", NULL},
	{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", NULL},
	{"PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", NULL},
	{"SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_STEP_ID"},
};

/* Beyond any machine's count of GPU processes; it bounds rank 0's table. */
#define DDP_MAX_WORLD 65536

static int env_int(const char *name, int *out, char *err, size_t errn)
{
	const char *s = getenv(name);
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	/* strtol takes leading blanks and a sign; a launcher writes neither. */
	if (s[0] < '0' || s[0] > '9' || *end != '\0')
		return errorf(err, errn, "%s='%s' is not a non-negative integer", name, s);
	if (errno == ERANGE || v > DDP_MAX_WORLD)
		return errorf(err, errn, "%s=%s is out of range (at most %d)", name, s, DDP_MAX_WORLD);
	*out = (int)v;
	return 0;
}

int ddp_from_env(struct ddp_info *out, char *err, size_t errn)
{
	*out = (struct ddp_info){0, 1, 0};
	for (size_t i = 0; i < sizeof launchers / sizeof launchers[0]; i++) {
		const struct launcher *l = &launchers[i];
		bool has_rank = getenv(l->rank), has_world = getenv(l->world), has_local = getenv(l->local);
		if (!has_rank && !has_world && !has_local)
			continue;
		if (l->only_with && !getenv(l->only_with))
			continue;
		if (!has_rank && !has_world)
			return errorf(err, errn, "%s is set without %s and %s", l->local, l->rank, l->world);
		if (!has_rank || !has_world)
			return errorf(err, errn, "%s is set but %s is not: set both (or neither)",
			            has_rank ? l->rank : l->world, has_rank ? l->world : l->rank);
		struct ddp_info d;
		if (env_int(l->rank, &d.rank, err, errn) || env_int(l->world, &d.world, err, errn))
			return -1;
		d.local_rank = d.rank;
		if (has_local && env_int(l->local, &d.local_rank, err, errn))
			return -1;
		if (d.world < 1)
			return errorf(err, errn, "%s=%d: a run has at least one process", l->world, d.world);
		if (d.rank >= d.world)
			return errorf(err, errn, "%s=%d is not below %s=%d", l->rank, d.rank, l->world, d.world);
		if (d.local_rank >= d.world)
			return errorf(err, errn, "%s=%d is not below %s=%d", l->local, d.local_rank, l->world,
			            d.world);
		*out = d;
		return 0;
	}
	return 0;
}

/* ---- sockets with a deadline ---- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits for events on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, ms_left(deadline));
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -1;
	}
}

/* Reads n bytes: n, fewer at end of stream, -1 on error (ETIMEDOUT past
 * the deadline). */
static ssize_t recv_all(int fd, void *p, size_t n, int64_t deadline)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, (char *)p + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int w = wait_fd(fd, POLLIN, deadline);
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return (ssize_t)got;
}

static int send_all(int fd, const void *p, size_t n, int64_t deadline)
{
	size_t put = 0;
	while (put < n) {
		ssize_t r = send(fd, (const char *)p + put, n - put, MSG_NOSIGNAL);
		if (r >= 0) {
			put += (size_t)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* ---- the rendezvous ---- */

static const unsigned char magic[8] = {'s', 'l', 'u', 'i', 'c', 'e', 'D', '1'};
#define MSG_MAX 512
#define HELLO_SIZE (8 + 4 + 4 + 8 + 4 + 4 + MSG_MAX)
#define REPLY_SIZE (8 + 4 + 4 + MSG_MAX)

struct endpoint {
	char addr[256], port[16];
	char where[300]; /* "addr:port", for messages */
};

static int endpoint_from_env(struct endpoint *ep, char *err, size_t errn)
{
	const char *addr = getenv("MASTER_ADDR"), *port = getenv("MASTER_PORT");
	if (!addr || !*addr)
		addr = "127.0.0.1";
	if (!port || !*port)
		port = "29500";
	char *end;
	long p = strtol(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end || p < 1 || p > 65535)
		return errorf(err, errn, "MASTER_PORT='%s' is not a port number (1-65535)", port);
	/* torchrun's agent serves its own store on MASTER_PORT when it says
	 * so, and the workers are its clients: the next port is ours. */
	const char *agent = getenv("TORCHELASTIC_USE_AGENT_STORE");
	if (agent && strcmp(agent, "True") == 0 && ++p > 65535)
		return errorf(err, errn, "MASTER_PORT=%s is torchrun's, and there is no port after it for the rendezvous",
		            port);
	if (strlen(addr) >= sizeof ep->addr)
		return errorf(err, errn, "MASTER_ADDR is too long");
	snprintf(ep->addr, sizeof ep->addr, "%s", addr);
	snprintf(ep->port, sizeof ep->port, "%ld", p);
	snprintf(ep->where, sizeof ep->where, strchr(addr, ':') ? "[%s]:%s" : "%s:%s", ep->addr, ep->port);
	return 0;
}

static int resolve(const struct endpoint *ep, struct addrinfo **res, char *err, size_t errn)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	int r = getaddrinfo(ep->addr, ep->port, &hints, res);
	if (r != 0)
		return errorf(err, errn, "rendezvous: MASTER_ADDR %s: %s", ep->addr,
		            r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

static void put_msg(unsigned char *p, const char *msg)
{
	size_t n = msg ? strlen(msg) : 0;
	if (n > MSG_MAX)
		n = MSG_MAX;
	le_put32(p, (uint32_t)n);
	memset(p + 4, 0, MSG_MAX);
	if (n)
		memcpy(p + 4, msg, n);
}

static void get_msg(const unsigned char *p, char *out, size_t outlen)
{
	uint32_t n = le_get32(p);
	if (n > MSG_MAX)
		n = MSG_MAX;
	snprintf(out, outlen, "%.*s", (int)n, (const char *)(p + 4));
}

/* "1, 2, 5" of the ranks without a connection, the first dozen. */
static void missing_ranks(const int *fds, int world, char *out, size_t outlen)
{
	size_t k = 0;
	int listed = 0, more = 0;
	out[0] = '\0';
	for (int r = 1; r < world; r++) {
		if (fds[r] >= 0)
			continue;
		if (listed == 12) {
			more++;
			continue;
		}
		int w = snprintf(out + k, outlen - k, "%s%d", listed ? ", " : "", r);
		if (w < 0 || (size_t)w >= outlen - k)
			break;
		k += (size_t)w;
		listed++;
	}
	if (more && k < outlen)
		snprintf(out + k, outlen - k, " and %d more", more);
}

static int listen_on(const struct endpoint *ep, int world, char *err, size_t errn)
{
	struct addrinfo *res;
	if (resolve(ep, &res, err, errn))
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl = (socklen_t)res->ai_addrlen;
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (!is_loopback((struct sockaddr *)&ss)) {
		/* Every address of the family: MASTER_ADDR names this host as the
		 * others see it, which need not be an address it can bind. */
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
		else
			((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errorf(err, errn, "rendezvous: socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, world < 4096 ? world : 4096) != 0) {
		int e = errno;
		close(fd);
		return errorf(err, errn, "rendezvous: rank 0 cannot listen on %s: %s", ep->where, strerror(e));
	}
	return fd;
}

/* Rank 0: waits for world-1 hellos, then answers each. */
static int rendezvous_root(const struct ddp_info *d, const struct endpoint *ep, void *blob, size_t len,
                           int timeout_s, const char *own_failure, char *err, size_t errn)
{
	int lfd = listen_on(ep, d->world, err, errn);
	if (lfd < 0)
		return -1;
	int *fds = malloc((size_t)d->world * sizeof *fds);
	if (!fds) {
		close(lfd);
		return errorf(err, errn, "rendezvous: out of memory");
	}
	for (int r = 0; r < d->world; r++)
		fds[r] = -1;
	/* failure: the first rank's reason, told to all; fatal: what ended
	 * rank 0's wait (a timeout, a broken socket). */
	char failure[1024] = "", fatal[1024] = "";
	if (own_failure)
		snprintf(failure, sizeof failure, "rank 0: %s", own_failure);
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	int arrived = 1;
	while (arrived < d->world) {
		int w = wait_fd(lfd, POLLIN, deadline);
		if (w < 0) {
			snprintf(fatal, sizeof fatal, "rank 0: poll: %s", strerror(errno));
			break;
		}
		if (w == 0) {
			char list[128];
			missing_ranks(fds, d->world, list, sizeof list);
			snprintf(fatal, sizeof fatal, "rank%s %s never arrived at %s within %d s (%d of %d did)",
			         d->world - arrived > 1 ? "s" : "", list, ep->where, timeout_s, arrived, d->world);
			break;
		}
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
				continue;
			snprintf(fatal, sizeof fatal, "rank 0: accept: %s", strerror(errno));
			break;
		}
		unsigned char h[HELLO_SIZE];
		/* Something else on the port (a scanner, a stale peer of another
		 * run that gave up): not a rank, so not an error either. */
		int64_t hello_deadline = now_ms() + 2000; /* a rank says hello as it connects */
		if (hello_deadline > deadline)
			hello_deadline = deadline;
		if (recv_all(c, h, sizeof h, hello_deadline) != (ssize_t)sizeof h || memcmp(h, magic, 8) != 0) {
			close(c);
			continue;
		}
		uint32_t rank = le_get32(h + 8), world = le_get32(h + 12);
		uint64_t plen = le_get64(h + 16);
		char why[1024] = "";
		/* A process that cannot be the rank it says is told why and
		 * turned away (it is not counted); the run fails all the same. */
		bool stray = true;
		if (world != (uint32_t)d->world)
			snprintf(why, sizeof why, "a process of rank %u says the world size is %u, rank 0 says %d", rank,
			         world, d->world);
		else if (rank == 0 || rank >= world)
			snprintf(why, sizeof why, "a process says it is rank %u of %u", rank, world);
		else if (fds[rank] >= 0)
			snprintf(why, sizeof why, "two processes say they are rank %u", rank);
		else {
			stray = false;
			if (le_get32(h + 24) == 0) {
				char m[MSG_MAX + 1];
				get_msg(h + 28, m, sizeof m);
				snprintf(why, sizeof why, "rank %u: %s", rank, m);
			} else if (plen != len) {
				snprintf(why, sizeof why, "rank %u expects %llu bytes, rank 0 has %zu", rank,
				         (unsigned long long)plen, len);
			}
		}
		if (why[0] && !failure[0])
			snprintf(failure, sizeof failure, "%s", why);
		if (!stray) {
			fds[rank] = c;
			arrived++;
		} else {
			/* Tell the odd one why, then forget it. */
			unsigned char rep[REPLY_SIZE];
			memcpy(rep, magic, 8);
			le_put32(rep + 8, 0);
			put_msg(rep + 12, why);
			send_all(c, rep, sizeof rep, now_ms() + 1000);
			close(c);
		}
	}
	/* Closed before answering: a rank's next rendezvous must not queue on
	 * this listener, which would drop its connection. */
	close(lfd);
	const char *told = failure[0] ? failure : fatal[0] ? fatal : NULL;
	int rc = told ? errorf(err, errn, "rendezvous: %s", told) : 0;
	unsigned char rep[REPLY_SIZE];
	memcpy(rep, magic, 8);
	le_put32(rep + 8, told ? 0 : 1);
	put_msg(rep + 12, told);
	int64_t send_deadline = now_ms() + (int64_t)timeout_s * 1000;
	for (int r = 1; r < d->world; r++) {
		if (fds[r] < 0)
			continue;
		if ((send_all(fds[r], rep, sizeof rep, send_deadline) != 0 ||
		     (!told && send_all(fds[r], blob, len, send_deadline) != 0)) &&
		    rc == 0)
			rc = errorf(err, errn, "rendezvous: sending to rank %d: %s", r, strerror(errno));
		close(fds[r]);
	}
	free(fds);
	return rc;
}

/* Connects to rank 0, retrying until the deadline: it may not listen yet.
 * The socket, or -1 with the last reason in *why. */
static int connect_root(const struct endpoint *ep, int64_t deadline, int *why, char *err, size_t errn)
{
	struct addrinfo *res;
	if (resolve(ep, &res, err, errn))
		return -2;
	*why = ETIMEDOUT;
	for (;;) {
		for (struct addrinfo *a = res; a; a = a->ai_next) {
			int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				*why = errno;
				continue;
			}
			int r = connect(fd, a->ai_addr, a->ai_addrlen);
			if (r != 0 && errno == EINPROGRESS) {
				if (wait_fd(fd, POLLOUT, deadline) > 0) {
					int e = 0;
					socklen_t el = sizeof e;
					getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
					r = e ? -1 : 0;
					errno = e;
				} else {
					errno = ETIMEDOUT;
				}
			}
			if (r == 0) {
				freeaddrinfo(res);
				return fd;
			}
			*why = errno;
			close(fd);
		}
		int left = ms_left(deadline);
		if (left == 0)
			break;
		poll(NULL, 0, left < 50 ? left : 50);
	}
	freeaddrinfo(res);
	return -1;
}

/* A rank above 0: says hello, then waits for rank 0's answer and blob. */
static int rendezvous_peer(const struct ddp_info *d, const struct endpoint *ep, void *blob, size_t len,
                           int timeout_s, const char *own_failure, char *err, size_t errn)
{
	unsigned char h[HELLO_SIZE];
	memcpy(h, magic, 8);
	le_put32(h + 8, (uint32_t)d->rank);
	le_put32(h + 12, (uint32_t)d->world);
	le_put64(h + 16, len);
	le_put32(h + 24, own_failure ? 0 : 1);
	put_msg(h + 28, own_failure);
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	/* Rank 0 answers by its own deadline, which began when it got there:
	 * the grace lets its answer (naming who is missing) arrive first. */
	int64_t answer_deadline = deadline + 3000;
	for (;;) {
		int why;
		int fd = connect_root(ep, deadline, &why, err, errn);
		if (fd == -2)
			return -1;
		if (fd < 0)
			return errorf(err, errn, "rendezvous: rank 0 at %s not reached within %d s: %s", ep->where,
			            timeout_s, strerror(why));
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		unsigned char rep[REPLY_SIZE];
		ssize_t got = -1;
		if (send_all(fd, h, sizeof h, deadline) == 0)
			got = recv_all(fd, rep, sizeof rep, answer_deadline);
		int e = errno;
		if (got == (ssize_t)sizeof rep) {
			if (memcmp(rep, magic, 8) != 0) {
				close(fd);
				return errorf(err, errn, "rendezvous: %s answers, but not as rank 0 of this run does",
				            ep->where);
			}
			if (le_get32(rep + 8) == 0) {
				char m[MSG_MAX + 1];
				get_msg(rep + 12, m, sizeof m);
				close(fd);
				return errorf(err, errn, "rendezvous: %s", m);
			}
			ssize_t b = recv_all(fd, blob, len, answer_deadline);
			e = errno;
			close(fd);
			if (b == (ssize_t)len)
				return 0;
			return errorf(err, errn, "rendezvous: rank 0 at %s: %s", ep->where,
			            b < 0 ? strerror(e) : "connection closed early");
		}
		close(fd);
		if (got < 0 && e == ETIMEDOUT)
			return errorf(err, errn, "rendezvous: rank 0 at %s did not answer within %d s", ep->where,
			            timeout_s);
		/* Closed before a word: a listener of rank 0's that was going
		 * away (the end of an earlier rendezvous); connect again. */
		if (ms_left(deadline) == 0)
			return errorf(err, errn, "rendezvous: rank 0 at %s closed the connection: %s", ep->where,
			            got < 0 ? strerror(e) : "no answer");
		poll(NULL, 0, 20);
	}
}

static int rendezvous(const struct ddp_info *d, void *blob, size_t len, int timeout_s,
                      const char *own_failure, char *err, size_t errn)
{
	if (d->world <= 1)
		return own_failure ? errorf(err, errn, "rendezvous: rank %d: %s", d->rank, own_failure) : 0;
	if (timeout_s < 1)
		return errorf(err, errn, "rendezvous: the timeout must be at least 1 s");
	if (d->rank < 0 || d->rank >= d->world)
		return errorf(err, errn, "rendezvous: rank %d is not below the world size %d", d->rank, d->world);
	struct endpoint ep;
	if (endpoint_from_env(&ep, err, errn))
		return -1;
	if (d->rank == 0)
		return rendezvous_root(d, &ep, blob, len, timeout_s, own_failure, err, errn);
	return rendezvous_peer(d, &ep, blob, len, timeout_s, own_failure, err, errn);
}

int ddp_rendezvous(const struct ddp_info *d, void *blob, size_t len, int timeout_s, char *err, size_t errn)
{
	return rendezvous(d, blob, len, timeout_s, NULL, err, errn);
}

int ddp_rendezvous_abort(const struct ddp_info *d, size_t len, int timeout_s, const char *why, char *err,
                         size_t errn)
{
	/* No blob: with a failure, none is sent or read. */
	if (rendezvous(d, NULL, len, timeout_s, why && *why ? why : "gave up", err, errn) == 0)
		return errorf(err, errn, "rendezvous: %s", why);
	return -1;
}

/* ---- NCCL ---- */

/* From nccl.h's ABI: ncclResult_t ncclSuccess, ncclDataType_t ncclFloat32,
 * ncclRedOp_t ncclAvg (NCCL 2.10 and later). */
enum { NCCL_SUCCESS = 0, NCCL_FLOAT32 = 7, NCCL_AVG = 4 };
#define NCCL_UNIQUE_ID_BYTES 128
struct nccl_unique_id {
	char internal[NCCL_UNIQUE_ID_BYTES];
};

struct ddp_nccl {
	void *lib;
	void *comm;
	int version;
	bool started; /* NCCL made threads and state: never unload it */
	int (*get_version)(int *);
	int (*get_unique_id)(struct nccl_unique_id *);
	int (*comm_init_rank)(void **, int, struct nccl_unique_id, int);
	int (*all_reduce)(const void *, void *, size_t, int, int, void *, void *);
	int (*comm_destroy)(void *);
	const char *(*error_string)(int);
	const char *(*last_error)(void *); /* NCCL 2.13 and later; may be NULL */
};

/* "unhandled system error (run with NCCL_DEBUG=INFO for details)" and
 * NCCL's own last words when it has them. */
static void nccl_why(const struct ddp_nccl *c, int res, char *out, size_t outlen)
{
	const char *s = c->error_string ? c->error_string(res) : NULL;
	const char *last = c->last_error ? c->last_error(c->comm) : NULL;
	snprintf(out, outlen, "%s (NCCL error %d)%s%s", s ? s : "error", res, last && *last ? ": " : "",
	         last && *last ? last : "");
}

/* dlsym gives a function as a void *: POSIX makes the two the same size
 * and representation, which plain C does not promise, so the bytes are
 * copied rather than the pointer converted. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs function pointers the size of void *");
static void set_fn(void *slot, void *fn) { memcpy(slot, &fn, sizeof fn); }

/* Loads NCCL and finds its functions; a message in err otherwise. */
static int nccl_load(struct ddp_nccl *c, char *err, size_t errn)
{
	const char *path = getenv("NCCL_LIBRARY");
	bool given = path && *path;
	if (!given)
		path = "libnccl.so.2";
	dlerror();
	c->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!c->lib) {
		const char *e = dlerror();
		if (given)
			return errorf(err, errn, "NCCL_LIBRARY=%s: cannot load it: %s", path, e ? e : "unknown error");
		return errorf(err, errn,
		            "several GPU processes need NCCL, and %s cannot be loaded (%s): install it "
		            "(Debian: libnccl2) or set NCCL_LIBRARY to its path",
		            path, e ? e : "unknown error");
	}
	struct {
		const char *name;
		void *slot; /* a function pointer of c */
		bool optional;
	} syms[] = {
		{"ncclGetVersion", &c->get_version, false},
		{"ncclGetUniqueId", &c->get_unique_id, false},
		{"ncclCommInitRank", &c->comm_init_rank, false},
		{"ncclAllReduce", &c->all_reduce, false},
		{"ncclCommDestroy", &c->comm_destroy, false},
		{"ncclGetErrorString", &c->error_string, false},
		{"ncclGetLastError", &c->last_error, true},
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *p = dlsym(c->lib, syms[i].name);
		if (!p && !syms[i].optional)
			return errorf(err, errn, "%s: no %s in it: not NCCL?", path, syms[i].name);
		set_fn(syms[i].slot, p);
	}
	int v = 0, res = c->get_version(&v);
	if (res != NCCL_SUCCESS)
		return errorf(err, errn, "%s: ncclGetVersion failed (NCCL error %d)", path, res);
	/* Codes below 2.9 were major*1000 + minor*100 + patch. */
	if (v < 10000)
		v = v / 1000 * 10000 + v / 100 % 10 * 100 + v % 100;
	c->version = v;
	if (v < 21000)
		return errorf(err, errn, "%s is NCCL %d.%d.%d: 2.10 or later is needed (for ncclAvg)", path,
		            v / 10000, v / 100 % 100, v % 100);
	return 0;
}

/* Makes cuda_device current through the CUDA runtime the program has
 * loaded (the CUDA plugin brings it: cudaplug.h); NCCL binds a
 * communicator to the current device. */
static int cuda_use_device(int cuda_device, char *err, size_t errn)
{
	void *self = dlopen(NULL, RTLD_NOW);
	int (*set_device)(int) = NULL;
	const char *(*error_string)(int) = NULL;
	if (self) {
		set_fn(&set_device, dlsym(self, "cudaSetDevice"));
		set_fn(&error_string, dlsym(self, "cudaGetErrorString"));
		dlclose(self);
	}
	if (!set_device)
		return errorf(err, errn, "NCCL needs the CUDA runtime, and this program has not loaded it (built without CUDA?)");
	int r = set_device(cuda_device);
	if (r != 0) {
		const char *s = error_string ? error_string(r) : NULL;
		return errorf(err, errn, "CUDA device %d: %s (CUDA error %d)", cuda_device, s ? s : "cannot be used", r);
	}
	return 0;
}

struct ddp_nccl *ddp_nccl_open(const struct ddp_info *d, int cuda_device, char *err, size_t errn)
{
	struct ddp_nccl *c = calloc(1, sizeof *c);
	if (!c) {
		errorf(err, errn, "out of memory");
		return NULL;
	}
	struct nccl_unique_id id;
	memset(&id, 0, sizeof id);
	char local[512] = "";
	if (nccl_load(c, local, sizeof local) == 0 && cuda_use_device(cuda_device, local, sizeof local) == 0 &&
	    d->rank == 0) {
		c->started = true;
		int res = c->get_unique_id(&id);
		if (res != NCCL_SUCCESS) {
			char why[400];
			nccl_why(c, res, why, sizeof why);
			snprintf(local, sizeof local, "ncclGetUniqueId: %s", why);
		}
	}
	/* Every rank joins, the failed ones too, so that all learn the first
	 * failure now rather than at the timeout. */
	if (rendezvous(d, &id, sizeof id, DDP_NCCL_TIMEOUT_S, local[0] ? local : NULL, err, errn) != 0) {
		if (local[0])
			errorf(err, errn, "%s", local);
		goto failed;
	}
	c->started = true;
	int res = c->comm_init_rank(&c->comm, d->world, id, d->rank);
	if (res != NCCL_SUCCESS) {
		char why[400];
		c->comm = NULL;
		nccl_why(c, res, why, sizeof why);
		errorf(err, errn, "ncclCommInitRank (rank %d of %d, CUDA device %d): %s", d->rank, d->world,
		     cuda_device, why);
		goto failed;
	}
	return c;
failed:
	if (c->lib && !c->started)
		dlclose(c->lib);
	free(c);
	return NULL;
}

int ddp_nccl_allreduce_avg_f32(struct ddp_nccl *c, void *dev, size_t n, void *stream, char *err, size_t errn)
{
	if (n == 0)
		return 0;
	int res = c->all_reduce(dev, dev, n, NCCL_FLOAT32, NCCL_AVG, c->comm, stream);
	if (res != NCCL_SUCCESS) {
		char why[400];
		nccl_why(c, res, why, sizeof why);
		return errorf(err, errn, "ncclAllReduce of %zu floats: %s", n, why);
	}
	return 0;
}

int ddp_nccl_version(const struct ddp_nccl *c) { return c->version; }

void ddp_nccl_close(struct ddp_nccl *c)
{
	if (!c)
		return;
	if (c->comm)
		c->comm_destroy(c->comm);
	free(c);
}
