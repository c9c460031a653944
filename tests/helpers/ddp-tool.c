/* ddp-tool - drives libcommon/train/ddp for tests/ddp.bats; ranks from the
 * environment as a launcher sets them:
 *   ddp-tool env                     print "rank R world W local L"
 *   ddp-tool rendezvous SECONDS LEN  rank 0 reads LEN bytes from stdin; every
 *                                    rank prints the LEN bytes it has after
 *   ddp-tool abort SECONDS LEN WHY   join a rendezvous only to fail it
 *   ddp-tool nccl DEVICE [N]         open NCCL on CUDA DEVICE and print its
 *                                    version; with N, average N floats (rank
 *                                    r gives (r+1)*(i+1)) over the ranks and
 *                                    check the result
 * An error is "ddp-tool: MESSAGE", status 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "train/ddp.h"

#define USAGE "usage: ddp-tool env | rendezvous SECONDS LEN | abort SECONDS LEN WHY | nccl DEVICE [N]"

#ifdef SLUICE_CUDA
/* The CUDA runtime's own prototypes (C linkage; its enums are ints), so
 * that this file, like ddp.c, needs no CUDA header.  Calling them also
 * keeps libcudart linked, which ddp_nccl_open finds cudaSetDevice in. */
int cudaMalloc(void **p, size_t n);
int cudaFree(void *p);
int cudaMemcpy(void *dst, const void *src, size_t n, int kind);
enum { HOST_TO_DEVICE = 1, DEVICE_TO_HOST = 2 }; /* cudaMemcpyKind */

static void check_allreduce(struct ddp_nccl *c, const struct ddp_info *d, size_t n)
{
	float *h = xmalloc(n * sizeof *h);
	for (size_t i = 0; i < n; i++)
		h[i] = (float)(d->rank + 1) * (float)(i + 1);
	void *dev;
	char err[512];
	if (cudaMalloc(&dev, n * sizeof *h) != 0)
		die(STATUS_FAIL, "cudaMalloc of %zu floats failed", n);
	if (cudaMemcpy(dev, h, n * sizeof *h, HOST_TO_DEVICE) != 0)
		die(STATUS_FAIL, "cudaMemcpy to the device failed");
	if (ddp_nccl_allreduce_avg_f32(c, dev, n, NULL, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	/* On the legacy default stream, as the reduction: it waits for it. */
	if (cudaMemcpy(h, dev, n * sizeof *h, DEVICE_TO_HOST) != 0)
		die(STATUS_FAIL, "cudaMemcpy from the device failed");
	float mean_rank = (float)(d->world + 1) / 2;
	for (size_t i = 0; i < n; i++) {
		float want = mean_rank * (float)(i + 1);
		if (fabsf(h[i] - want) > 1e-6f * want)
			die(STATUS_FAIL, "element %zu: %g, not the average %g", i, h[i], want);
	}
	cudaFree(dev);
	free(h);
	printf("average of %zu floats over %d ranks ok\n", n, d->world);
}
#else
static void check_allreduce(struct ddp_nccl *c, const struct ddp_info *d, size_t n)
{
	die(STATUS_FAIL, "built without CUDA: no averaging on a GPU");
}
#endif

int main(int argc, char **argv)
{
	io_quiet_sigpipe();
	struct ddp_info d;
	char err[512];
	if (argc < 2)
		die(STATUS_USAGE, USAGE);
	if (ddp_from_env(&d, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (strcmp(argv[1], "env") == 0 && argc == 2) {
		printf("rank %d world %d local %d\n", d.rank, d.world, d.local_rank);
	} else if (strcmp(argv[1], "rendezvous") == 0 && argc == 4) {
		size_t len = strtoull(argv[3], NULL, 10);
		char *blob = xcalloc(len ? len : 1, 1);
		if (d.rank == 0 && read_full(0, blob, len) != (ssize_t)len)
			die(STATUS_FAIL, "stdin: fewer than %zu bytes", len);
		if (ddp_rendezvous(&d, blob, len, atoi(argv[2]), err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		write_all(1, blob, len, "stdout");
		free(blob);
	} else if (strcmp(argv[1], "abort") == 0 && argc == 5) {
		ddp_rendezvous_abort(&d, strtoull(argv[3], NULL, 10), atoi(argv[2]), argv[4], err, sizeof err);
		die(STATUS_FAIL, "%s", err);
	} else if (strcmp(argv[1], "nccl") == 0 && (argc == 3 || argc == 4)) {
		struct ddp_nccl *c = ddp_nccl_open(&d, atoi(argv[2]), err, sizeof err);
		if (!c)
			die(STATUS_FAIL, "%s", err);
		int v = ddp_nccl_version(c);
		printf("NCCL %d.%d.%d rank %d of %d\n", v / 10000, v / 100 % 100, v % 100, d.rank, d.world);
		if (argc == 4)
			check_allreduce(c, &d, strtoull(argv[3], NULL, 10));
		ddp_nccl_close(c);
	} else {
		die(STATUS_USAGE, USAGE);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
