"""torch_shares.py - what tests/python-torch.bats checks the shares of
workers and ranks with, imported from the directory of b0.rec ... b4.rec:
every batch of the five files keyed by its ids (each differs, which it
asserts, or the test could not tell a batch read twice), and the order of a
DataLoader whose workers read given shares of the files."""
import torch
from sluice.pytorch import BatchDataset

FILES = ["b0.rec", "b1.rec", "b2.rec", "b3.rec", "b4.rec"]


def key(b):
    return tuple(b[0].flatten().tolist()) + tuple(b[1][:, -1].tolist())


def of(files):
    """The batches of files read whole, whatever RANK and WORLD_SIZE say."""
    return [key(b) for f in files for b in BatchDataset(f, rank=0, world_size=1)]


ALL = of(FILES)
assert len(set(ALL)) == len(ALL), "two batches alike: the test cannot tell them apart"


def interleave(shares):
    """DataLoader's order over workers reading the given shares of files."""
    return interleave_lists([of(s) for s in shares])


def interleave_lists(lists):
    """DataLoader's order: one batch from each worker in turn, skipping
    those that have ended."""
    lists, out = [list(l) for l in lists], []
    while any(lists):
        for l in lists:
            if l:
                out.append(l.pop(0))
    return out


def loader(ds, workers):
    return [key(b) for b in torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers)]
