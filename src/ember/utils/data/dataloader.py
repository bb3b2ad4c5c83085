"""DataLoader: batches of samples from a dataset, in the main process.

``num_workers > 0`` runs simulated workers in the main process (see ``_workers.py``): the same
batches in the same order, the same ``get_worker_info()``, worker seeds and random draws as
PyTorch's worker processes give. For a ``TensorDataset`` (or a Subset of one) with
the default collate, a batch is gathered with one NumPy fancy-index per tensor instead of
``batch_size`` item lookups and a stack: the same values, dtypes and shapes, much faster.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Generic, Iterable, TypeVar

import numpy as np

from ...tensor import Tensor
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from ._workers import WorkerPool, check_worker_number, get_worker_info
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None


def _tensor_source(dataset) -> tuple[tuple, Any] | None:
    """(tensors, index map) when batches can be fancy-indexed straight from arrays."""
    indices = None
    while type(dataset) is Subset:
        sub = dataset.indices
        indices = sub if indices is None else [sub[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    tensors = dataset.tensors
    if any(not isinstance(t, Tensor) or t._rg for t in tensors):
        return None
    return tensors, (None if indices is None else np.asarray(indices, dtype=np.int64))


def _check_options(dataset, shuffle, sampler, batch_sampler, batch_size, drop_last,
                   num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if isinstance(dataset, IterableDataset):
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"{name} option, but got {name}={value}")
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                      or drop_last):
        raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                         "shuffle, sampler, and drop_last")
    if batch_sampler is None and batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually "
                         "exclusive with drop_last")


_T_co = TypeVar("_T_co", covariant=True)


class DataLoader(Generic[_T_co]):
    """Iterate over ``dataset`` in batches (``torch.utils.data.DataLoader``)."""

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
               "persistent_workers")

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        _check_options(dataset, shuffle, sampler, batch_sampler, batch_size, drop_last,
                       num_workers, timeout, prefetch_factor, persistent_workers)
        self._iterable = isinstance(dataset, IterableDataset)
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2  # PyTorch's default: batches loaded ahead per worker
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.collate_fn, self.pin_memory = num_workers, collate_fn, pin_memory
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context, self.generator = multiprocessing_context, generator
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self.__initialized = True
        check_worker_number(num_workers)

    def __setattr__(self, attr: str, value) -> None:
        if self.__dict__.get("_DataLoader__initialized") and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self) -> "_SingleProcessDataLoaderIter":
        # PyTorch draws a base seed per iterator; persistent workers reuse theirs
        reuse = self.persistent_workers and self.num_workers > 0
        draw_seed = not (reuse and getattr(self, "_base_seed", None) is not None)
        cls = _MultiProcessingDataLoaderIter if self.num_workers > 0 else \
            _SingleProcessDataLoaderIter
        it = cls(self, draw_seed)
        # PyTorch warns as each iterator starts (once for persistent workers, whose iterator
        # is reused), after the check of the worker count that starts its workers; ember
        # never has an accelerator to pin for
        if self.pin_memory and not (reuse and getattr(self, "_pin_warned", False)):
            self._pin_warned = True
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", UserWarning, stacklevel=2)
        if draw_seed:
            self._base_seed = it._base_seed
        return it


def _primed(it):
    """``it`` with its first item already taken (its draws made now), then the rest."""
    import itertools

    first = list(itertools.islice(it, 1))
    return itertools.chain(first, it)


class _SingleProcessDataLoaderIter:
    """One pass over a DataLoader.

    PyTorch's draws, in its order: creating the iterator draws the base seed (for workers)
    ``empty((), dtype=int64).random_(generator=loader.generator)`` (random64() mod 2**63; not
    again for persistent workers); the sampler's own draws (RandomSampler's seed and
    permutation) come at the first batch with ``num_workers == 0``, and at once with workers,
    whose prefetching starts the sampler as the iterator is made."""

    def __init__(self, loader: DataLoader, draw_seed: bool = True) -> None:
        self._loader = loader
        self._collate = loader.collate_fn
        self._dataset = loader.dataset
        self._fast = None
        if not loader._iterable and loader._auto_collation and \
                loader.collate_fn is default_collate:
            self._fast = _tensor_source(loader.dataset)
        index_iter = None if loader._iterable else iter(
            loader.batch_sampler if loader._auto_collation else loader.sampler)
        self._base_seed = loader.__dict__.get("_base_seed")
        if draw_seed:
            from ... import _torch_rng as _T
            from ..._random_checks import bad_generator
            from ...random import Generator, _gen

            if loader.generator is not None and not isinstance(loader.generator, Generator):
                raise bad_generator("random_", (), loader.generator)
            self._base_seed = int(_T.random_full(_gen(loader.generator).bits, 1, np.int64)[0])
        if loader.num_workers > 0:
            if not loader.prefetch_factor > 0:  # (0 passes DataLoader's own check)
                raise AssertionError("prefetch_factor must be greater than 0 for "
                                     "MultiProcessingDataLoaderIter")
            self._gen = self._worker_batches(loader, index_iter)
        elif loader._iterable:
            self._gen = self._iterable_batches()
        elif loader._auto_collation:
            self._gen = self._map_batches(index_iter)
        else:
            self._gen = (self._collate(self._dataset[i]) for i in index_iter)

    def _worker_batches(self, loader, index_iter):
        """The batches from simulated workers (``_workers.py``), started as PyTorch starts
        its processes: when the iterator is made, once for all with persistent workers."""
        pool = loader.__dict__.get("_pool") if loader.persistent_workers else None
        if pool is None:
            check_worker_number(loader.num_workers)
            pool = WorkerPool(loader, self._base_seed)
            if loader.persistent_workers:
                loader._pool = pool
        pool.start_epoch(loader._iterable)
        if loader._iterable:
            return pool.iterable_batches(loader.batch_size, loader.drop_last, self._collate)
        index_iter = _primed(index_iter)  # prefetching starts the sampler
        if self._fast is not None:  # no user code runs: no need to switch to the worker
            return self._map_batches(index_iter)
        return pool.map_batches(index_iter, self._fetch)

    def _fetch(self, dataset, idx):
        """PyTorch's _MapDatasetFetcher.fetch on a worker's dataset copy."""
        if not self._loader._auto_collation:
            return self._collate(dataset[idx])
        getitems = getattr(dataset, "__getitems__", None)
        if callable(getitems):
            return self._collate(getitems(idx))
        return self._collate([dataset[i] for i in idx])

    def __iter__(self) -> "_SingleProcessDataLoaderIter":
        return self

    def __next__(self):
        return next(self._gen)

    @property
    def next(self):
        """Python 2's ``dataiter.next()``, still in old tutorials: PyTorch's AttributeError,
        with the spelling that works."""
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'next'\n"
                             "Hint: Python 3 iterators have no .next() method; use "
                             "next(dataiter).", name="next", obj=self)

    def __len__(self) -> int:
        return len(self._loader)

    def _map_batches(self, batches):
        fast, ds, collate = self._fast, self._dataset, self._collate
        getitems = getattr(ds, "__getitems__", None)
        for idx in batches:
            if fast is not None:
                tensors, index_map = fast
                rows = np.asarray(idx, dtype=np.int64)
                if index_map is not None:
                    rows = index_map[rows]
                # row-major as torch.stack gives it, whatever the source tensor's strides
                yield [Tensor._make(np.ascontiguousarray(np.asarray(t._data)[rows]), False, None)
                       for t in tensors]
            elif callable(getitems):
                yield collate(getitems(idx))
            else:
                yield collate([ds[i] for i in idx])

    def _iterable_batches(self):
        loader, collate = self._loader, self._collate
        if loader.batch_size is None:
            for x in self._dataset:
                yield collate(x)
            return
        batch = []
        for x in self._dataset:
            batch.append(x)
            if len(batch) == loader.batch_size:
                yield collate(batch)
                batch = []
        if batch and not loader.drop_last:
            yield collate(batch)


class _MultiProcessingDataLoaderIter(_SingleProcessDataLoaderIter):
    """A pass over a loader with ``num_workers > 0`` (its workers simulated in this process):
    PyTorch's class, whose name its repr and errors show."""
