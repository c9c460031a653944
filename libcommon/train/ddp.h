/* ddp.h - process-level data parallelism: which rank this process is (from
 * the launcher's environment), a TCP rendezvous that hands rank 0's bytes to
 * every rank, and NCCL, loaded with dlopen only when a run has several GPU
 * processes, so that CPU and single-GPU runs never need NCCL or MPI.
 *
 * Launchers, first match wins:
 *   torchrun and hand launches   RANK, WORLD_SIZE, LOCAL_RANK
 *   Open MPI's mpirun            OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK
 *   MPICH / Intel MPI (Hydra)    PMI_RANK, PMI_SIZE, MPI_LOCALRANKID
 *   Slurm's srun                 SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID
 * The local rank (the GPU to use on this host) defaults to the rank when a
 * launcher does not give it: right for one host.
 *
 * The rendezvous: rank 0 listens on MASTER_PORT (default 29500), on
 * MASTER_ADDR itself when that is a loopback address (the default,
 * 127.0.0.1), else on every address of its family, since a host name may
 * resolve to a loopback address on the host that owns it.  Every other rank
 * connects to MASTER_ADDR:MASTER_PORT.  Under torchrun, whose agent serves
 * its own store on MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE=True), the
 * rendezvous takes the port after it. */
#ifndef SLUICE_DDP_H
#define SLUICE_DDP_H

#include <stddef.h>

struct ddp_info {
	int rank, world, local_rank;
};

/* Fills out from the environment (the launchers above); nothing set: rank
 * 0 of 1.  -1 with a one-line message in err for a malformed value (not a
 * decimal integer), an inconsistent one (rank or local rank not below the
 * world size, a world size of 0) or a launcher's set given half. */
int ddp_from_env(struct ddp_info *out, char *err, size_t errn);

/* Rank 0's len bytes at blob reach blob on every other rank (all ranks
 * pass the same len); no rank returns before every rank has arrived, so it
 * is also a barrier.  A world of 1 returns at once.  -1 with a message in
 * err when a rank does not arrive within timeout_s seconds (rank 0 names
 * the ranks missing), a peer disagrees on the world size or len, or the
 * network fails. */
int ddp_rendezvous(const struct ddp_info *d, void *blob, size_t len, int timeout_s,
                   char *err, size_t errn);

/* For a rank that cannot go on (bad data, no GPU) when the others will be
 * waiting in ddp_rendezvous: it joins with its reason instead, and every
 * rank's rendezvous fails at once with "rank R: why" instead of timing out.
 * Always -1, with the rendezvous's message in err. */
int ddp_rendezvous_abort(const struct ddp_info *d, size_t len, int timeout_s, const char *why,
                         char *err, size_t errn);

/* How long ddp_nccl_open waits for the other ranks. */
#define DDP_NCCL_TIMEOUT_S 300

struct ddp_nccl;

/* Loads NCCL (libnccl.so.2, or the file $NCCL_LIBRARY names), makes
 * cuda_device current (through the CUDA runtime this program is linked
 * with), and joins every rank in one communicator: rank 0 makes NCCL's
 * unique id and the rendezvous shares it.  A rank that fails before the
 * rendezvous still joins it to say so, so its peers fail at once with its
 * reason instead of waiting out the timeout.  NULL with a message in err
 * when NCCL cannot be loaded (or is older than 2.10, which brought the
 * average), the device cannot be used, or the communicator cannot be made. */
struct ddp_nccl *ddp_nccl_open(const struct ddp_info *d, int cuda_device, char *err, size_t errn);

/* Replaces the n floats at the device pointer dev with their average over
 * all ranks (NCCL's ncclAvg: no scaling is left to the caller), enqueued on
 * stream (a cudaStream_t; NULL: the legacy default stream).  -1 with a
 * message in err when NCCL refuses it; the result arrives asynchronously, so
 * errors on the GPU surface at the stream's next synchronisation. */
int ddp_nccl_allreduce_avg_f32(struct ddp_nccl *c, void *dev, size_t n, void *stream,
                               char *err, size_t errn);

/* NCCL's version as major*10000 + minor*100 + patch (2.28.9: 22809). */
int ddp_nccl_version(const struct ddp_nccl *c);

/* Frees the communicator (NULL: nothing).  NCCL stays loaded: its threads
 * and exit handlers may still refer to it. */
void ddp_nccl_close(struct ddp_nccl *c);

#endif
