"""A PyTorch data pipe over sluice batch records (torch is needed here only).

    from torch.utils.data import DataLoader
    from sluice.pytorch import BatchDataset, to_device

    ds = BatchDataset("train-*.rec")            # files, a glob, a list, or "-"
    for x, y in DataLoader(ds, batch_size=None, num_workers=2, pin_memory=True):
        x, y = to_device((x, y), "cuda")        # pinned, non-blocking copies
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1),
                               ignore_index=-1)

Each batch record of batchify(1) holds B rows of T+1 ids; the dataset yields
x = rows[:, :-1] and y = rows[:, 1:] as int64 tensors [B, T] (the batches
are already made: DataLoader's batch_size must be None).  A target that a
batch's mask marks as padding (batchify --pad, and the last row of a packed
stream) is -1 in y, nanoGPT's ignore_index, so that cross_entropy leaves it
out as train-step does; mask=True also yields the mask of counted targets,
a bool tensor [B, T].

Shares.  The process's part of the input is its rank's (rank and
world_size given, else torch.distributed's when it is initialised, else the
RANK and WORLD_SIZE variables torchrun sets, else 0 of 1), split again among
DataLoader workers: part rank * workers + worker of world_size * workers.
split="files" (the default) gives part i the inputs i, i+N, i+2N...; a rank
left without an input is an error, since DDP would wait for it forever.
split="batches" gives part i the batches i, i+N, i+2N... of all inputs in
order, read by every part: train-step's rule for its ranks, for one file or
a stream copied to every rank.  Either way the parts are disjoint and come
in a fixed order.

Even shares.  DDP runs a collective every step, so a rank that runs out of
batches before the others leaves them waiting forever.  With several ranks
(even=None, the default, or even=True) every rank therefore yields the same
number of batches, the smallest rank's, and the batches past it are left
out, as DistributedSampler's drop_last leaves them; the rank says on
stderr how many, once.  split="batches" leaves out the last round of
batches that not every part has a batch of (fewer than N); split="files"
counts the batches of every file when the dataset is made (a pass over
their frames, mapped, no checksums) and takes the ones left out from the parts of a rank
that have the most.  even=False yields every batch of the share, for a
loop that joins uneven ranks itself (torch.distributed.algorithms.Join).
Even shares of files need files: inputs that are streams cannot be counted
before they are read, and are refused.

A stream (standard input, a pipe, a file object) can be read once, by one
reader, in the main process: with DataLoader workers it is an error (use
num_workers=0, or write the batches to files with batchify -o).
"""
import glob
import os
import stat
import sys

import numpy as np

try:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info
except ImportError as e:  # the rest of the package works without torch
    raise ImportError("sluice.pytorch needs PyTorch (python3-torch, or pip install torch)") from e

from .frames import BATCH, TYPE_NAMES
from .records import open as open_records

IGNORE = -1  # y's value at padding: nanoGPT's ignore_index


def _is_stream(src):
    """True for what can be read only once, in one process."""
    if not isinstance(src, (str, bytes, os.PathLike)) or src == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(src).st_mode)
    except OSError:
        return False  # open() will say what is wrong


def _expand(source):
    """The inputs, in order: globs expanded and sorted, lists as given."""
    items = source if isinstance(source, (list, tuple)) else [source]
    out = []
    for s in items:
        if isinstance(s, str) and s != "-" and glob.has_magic(s):
            found = sorted(glob.glob(s))
            if not found:
                raise FileNotFoundError("%s: no file matches" % s)
            out.extend(found)
        else:
            out.append(s)
    if not out:
        raise ValueError("BatchDataset: no input")
    return out


def _name(src):
    if isinstance(src, (str, bytes, os.PathLike)):
        return "<stdin>" if src == "-" else os.fsdecode(src)
    return getattr(src, "name", None) if isinstance(getattr(src, "name", None), str) else "<input>"


def _ranks(rank, world_size):
    """This process's rank and the number of ranks."""
    if (rank is None) != (world_size is None):
        raise ValueError("BatchDataset: give rank and world_size together")
    if rank is None:
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized():
            rank, world_size = dist.get_rank(), dist.get_world_size()
        else:
            env_rank, env_world = os.environ.get("RANK"), os.environ.get("WORLD_SIZE")
            if env_world is None:
                return 0, 1
            if env_rank is None:
                raise ValueError("WORLD_SIZE is set but RANK is not")
            try:
                rank, world_size = int(env_rank), int(env_world)
            except ValueError:
                raise ValueError("RANK=%r, WORLD_SIZE=%r: not numbers" % (env_rank, env_world)) from None
    if not 0 <= rank < world_size:
        raise ValueError("rank %d is not one of the %d ranks" % (rank, world_size))
    return rank, world_size


def batch_tensors(frame, mask=False):
    """(x, y) int64 tensors [B, T] of a batch frame, y = -1 where its mask
    says padding; (x, y, counted) with mask=True.  The tensors are copies:
    torch has no uint16, and they outlive the reader's mapping or chunk."""
    if frame.type != BATCH:
        raise ValueError("%s:%d: a %s record where a batch was expected (make batches "
                         "with batchify)" % (frame.input, frame.offset,
                                             TYPE_NAMES.get(frame.type, "unknown")))
    ids = frame.batch
    B, T1 = ids.shape
    x = torch.empty((B, T1 - 1), dtype=torch.int64)
    y = torch.empty((B, T1 - 1), dtype=torch.int64)
    x.numpy()[...] = ids[:, :-1]  # the widening is the one copy
    y.numpy()[...] = ids[:, 1:]
    m = frame.mask
    counted = None
    if m is not None:
        counted = torch.from_numpy(m[:, 1:] != 0)
        y[~counted] = IGNORE
    if not mask:
        return x, y
    if counted is None:
        counted = torch.ones((B, T1 - 1), dtype=torch.bool)
    return x, y, counted


def _count_batches(path, verify):
    """The batch frames of a file; the reader's own checks, unverified."""
    with open_records(path, verify=False if verify is None else verify) as r:
        return sum(1 for f in r if f.type == BATCH)


def _quotas(counts, keep):
    """How many batches each part of a rank yields so that they add up to
    keep: the parts with the most give up theirs first (the ceiling is
    lowered until enough are left out; ties give from the last part)."""
    drop = sum(counts) - keep
    if drop <= 0:
        return list(counts)
    lo, hi = 0, max(counts)  # the lowest ceiling that drops at most `drop`
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(max(0, c - mid) for c in counts) <= drop:
            hi = mid
        else:
            lo = mid + 1
    quotas = [min(c, lo) for c in counts]
    more = drop - (sum(counts) - sum(quotas))
    for i in reversed(range(len(counts))):
        if more and quotas[i] == lo and lo > 0:
            quotas[i] -= 1
            more -= 1
    return quotas


class BatchDataset(IterableDataset):
    """Batches of sluice batch records as (x, y) tensors; see the module.

    source      a path, a glob ("train-*.rec"), a list of them, "-" for
                standard input, or a binary file object
    mask        also yield the bool mask [B, T] of counted targets
    rank, world_size
                this process's share (default: torch.distributed's, or
                RANK and WORLD_SIZE, or the whole input)
    split       "files" or "batches": what the shares are made of
    even        every rank yields as many batches as the others (default:
                when there are several ranks)
    verify      checksums, as sluice.open's verify
    """

    def __init__(self, source="-", mask=False, rank=None, world_size=None, split="files",
                 even=None, verify=None):
        if split not in ("files", "batches"):
            raise ValueError("split must be 'files' or 'batches', not %r" % (split,))
        self.inputs = _expand(source)
        self.mask = mask
        self.split = split
        self.verify = verify
        self.rank, self.world_size = _ranks(rank, world_size)
        self.even = self.world_size > 1 if even is None else bool(even)
        streams = [s for s in self.inputs if _is_stream(s)]
        self.stream = _name(streams[0]) if streams else None
        if split == "files" and self.world_size > len(self.inputs):
            raise ValueError("%d inputs for %d ranks: rank %d would have none (give at least "
                             "one file a rank, or split='batches')"
                             % (len(self.inputs), self.world_size, self.world_size - 1))
        if split == "files" and self.even and self.stream is not None:
            raise ValueError("%s is a stream: even shares of files need files, whose batches can "
                             "be counted first (write them with batchify -o, use split='batches', "
                             "or even=False)" % self.stream)
        # The batches of each input, for even shares of files: counted once
        # here, so that DataLoader's workers get them with the dataset
        # instead of each counting every file every epoch.
        self._counts = None
        if split == "files" and self.even and self.world_size > 1:
            self._counts = [_count_batches(f, self.verify) for f in self.inputs]
        self._opened = None  # a stream's reader, once .header has read it

    @property
    def header(self):
        """The stream header of the first input (a dict): B, T, vocab_size,
        eot, lineage.  A stream's reader is kept for the iteration."""
        src = self.inputs[0]
        if _is_stream(src):
            if self._opened is None:
                self._opened = open_records(src, verify=self.verify)
            return self._opened.header
        with open_records(src, verify=self.verify) as r:
            return r.header

    def share(self):
        """(part, parts): this rank's and DataLoader worker's share."""
        info = get_worker_info()
        workers, worker = (1, 0) if info is None else (info.num_workers, info.id)
        if info is not None and self.stream is not None:
            # Even one worker cannot: a worker process's stdin is /dev/null
            # (multiprocessing's rule), and a file object is not shared.
            raise RuntimeError(
                "%s is a stream (standard input, a pipe or a file object), which only the "
                "main process can read: use DataLoader(num_workers=0), or write the batches "
                "to files (batchify -o) for workers to share" % self.stream)
        return self.rank * workers + worker, self.world_size * workers

    def _frames(self, inputs):
        for src in inputs:
            # the reader .header opened, if it opened this stream
            kept, self._opened = self._opened, None
            if kept is not None and src is not self.inputs[0]:
                kept.close()  # this share does not read it
                kept = None
            with kept or open_records(src, verify=self.verify) as reader:
                yield from reader

    def _say_dropped(self, have, keep, part, parts):
        """One line on stderr, from the rank's first part, if the rank
        leaves batches out."""
        workers = parts // self.world_size
        if have > keep and part % workers == 0:
            sys.stderr.write("sluice.pytorch: rank %d of %d yields %d of its %d batches, as "
                             "many as every rank has (even=False yields all)\n"
                             % (self.rank, self.world_size, keep, have))

    def _even_file_quota(self, part, parts):
        """How many batches this part yields for its rank to have as many
        as the rank with the fewest."""
        if self._counts is None:  # one rank: nothing to even out
            return None
        per_part = [sum(self._counts[p::parts]) for p in range(parts)]
        workers = parts // self.world_size
        per_rank = [per_part[r * workers:(r + 1) * workers] for r in range(self.world_size)]
        keep = min(sum(r) for r in per_rank)
        mine = per_rank[self.rank]
        self._say_dropped(sum(mine), keep, part, parts)
        return _quotas(mine, keep)[part % workers]

    def __iter__(self):
        part, parts = self.share()
        if self.split == "files":
            quota = self._even_file_quota(part, parts) if self.even else None
            for n, frame in enumerate(self._frames(self.inputs[part::parts])):
                if n == quota:
                    break
                yield batch_tensors(frame, self.mask)
        elif not self.even:
            for i, frame in enumerate(self._frames(self.inputs)):
                if i % parts == part:
                    yield batch_tensors(frame, self.mask)
        else:
            # A part's batch goes out once its round of `parts` batches is
            # complete: the last, incomplete round is the one left out.  (It
            # is held as tensors, which outlive the file it came from.)
            held, seen = None, 0
            for i, frame in enumerate(self._frames(self.inputs)):
                seen = i + 1
                if i % parts == part:
                    held = batch_tensors(frame, self.mask)
                if i % parts == parts - 1:
                    yield held
                    held = None
            workers = parts // self.world_size
            mine = range(self.rank * workers, (self.rank + 1) * workers)
            have = sum(len(range(p, seen, parts)) for p in mine)
            self._say_dropped(have, workers * (seen // parts), part, parts)


def to_device(batch, device, non_blocking=True):
    """The tensors of batch on device: to CUDA through pinned memory (unless
    already pinned, as DataLoader(pin_memory=True) leaves them) with a
    non-blocking copy, which overlaps the next step's transfer with this
    one's compute; elsewhere a plain .to()."""
    device = torch.device(device)
    if device.type != "cuda":
        return tuple(t.to(device) for t in batch)
    return tuple((t if t.is_pinned() else t.pin_memory()).to(device, non_blocking=non_blocking)
                 for t in batch)
