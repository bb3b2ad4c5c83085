"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share of a dataset.

ember has no process groups, so ``num_replicas`` and ``rank`` must be given (PyTorch's error
otherwise). The index lists are PyTorch's: a ``randperm`` from a generator seeded
``seed + epoch`` (ember's randperm draws PyTorch's numbers), padded by repeating indices up to
a multiple of ``num_replicas`` (or cut, with ``drop_last``), then every num_replicas-th index
from ``rank`` on.
"""

from __future__ import annotations

import math
from typing import Iterator

from .sampler import Sampler

__all__ = ["DistributedSampler"]

_NO_GROUP = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class DistributedSampler(Sampler):
    def __init__(self, dataset, num_replicas=None, rank=None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            raise ValueError(_NO_GROUP)
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last = 0, drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:  # every replica gets the same, smaller share
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle, self.seed = shuffle, seed

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        if self.shuffle:  # the same permutation on every replica: seeded alike
            from ... import random as _random

            g = _random.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = _random.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            pad = self.total_size - len(indices)
            indices += (indices * math.ceil(pad / len(indices)))[:pad] if pad else []
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """A new shuffle each epoch: call before making the epoch's DataLoader iterator."""
        self.epoch = epoch
