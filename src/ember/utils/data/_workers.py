"""DataLoader workers, simulated in the main process with PyTorch's observable behaviour.

PyTorch's ``num_workers > 0`` starts processes; ember runs each worker's work in the main
process, one batch at a time, but keeps everything a program can see the same:

* each worker has its own copy of the dataset (a shallow copy, so a ``worker_init_fn`` that
  reassigns ``get_worker_info().dataset.start`` shards as in PyTorch), its ``WorkerInfo``
  (``get_worker_info()`` returns it while the worker's code runs, None elsewhere), and its
  own random streams: ember's default generator and Python's ``random`` seeded with
  ``base_seed + worker_id``, NumPy's global stream with PyTorch's ``_generate_state`` seed;
  the main process's streams are untouched by what workers draw;
* ``worker_init_fn(worker_id)`` runs once as each worker starts: when the iterator is made, or
  once for all epochs with ``persistent_workers`` (whose streams and dataset copies then carry
  over from epoch to epoch);
* map-style: batch ``k`` of an epoch is fetched by worker ``k % num_workers``; iterable-style:
  each worker iterates its own copy and batches it (``drop_last`` per worker), and batches come
  round-robin from the workers that are not yet exhausted, as PyTorch's in-order queue gives;
* an exception in a worker is raised again as PyTorch does: the same type, with the message
  ``Caught <Type> in DataLoader worker process <id>.`` and the original traceback after it.
"""

from __future__ import annotations

import copy
import dataclasses
import random as _pyrandom
import traceback

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info", "WorkerPool", "check_worker_number"]

_current = None


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker (a frozen dataclass, as PyTorch's)."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The running worker's WorkerInfo; None in the main process."""
    return _current


def check_worker_number(num_workers: int) -> None:
    """PyTorch's warning when more workers are asked for than the process may use CPUs."""
    if not num_workers:
        return
    import os
    import warnings

    has_affinity = hasattr(os, "sched_getaffinity")
    suggest = len(os.sched_getaffinity(0)) if has_affinity else os.cpu_count()
    if suggest is not None and num_workers <= suggest:
        return
    if suggest is None:
        why = "DataLoader is not able to compute a suggested max number of worker in current system."
    else:
        why = (f"Our suggested max number of worker in current system is {suggest}"
               f"{'' if has_affinity else ' (`cpuset` is not taken into account)'}, which is "
               "smaller than what this DataLoader is going to create.")
    warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. {why} "
                  "Please be aware that excessive worker creation might get DataLoader running "
                  "slow or even freeze, lower the worker number to avoid potential "
                  "slowness/freeze if necessary.", UserWarning, stacklevel=3)


def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """PyTorch's NumPy seed for a worker: four 32-bit words hashed from its id and base seed
    (NumPy's SeedSequence hashing, as in torch.utils.data._utils.worker)."""
    mask = 0xFFFFFFFF
    hash_a = [0x43B0D7E5]

    def hashed(value):
        value = (value ^ hash_a[0]) & mask
        hash_a[0] = (hash_a[0] * 0x931E8875) & mask
        value = (value * hash_a[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        r = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (r ^ (r >> 16)) & mask

    pool = [hashed(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashed(pool[i_src]))
    hash_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * 0x58F38DED) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


def _reraise(err: Exception, worker_id: int):
    """PyTorch's ExceptionWrapper.reraise: the same type, a message naming the worker."""
    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    msg = f"Caught {type(err).__name__} in DataLoader worker process {worker_id}.\nOriginal {tb}"
    try:
        new = type(err)(msg)
    except Exception:
        raise RuntimeError(msg) from None
    raise new from None


class _Worker:
    """One simulated worker: its dataset copy, WorkerInfo and random streams."""

    def __init__(self, wid: int, num_workers: int, base_seed: int, dataset) -> None:
        from ...random import Generator

        self.id, self.seed = wid, base_seed + wid
        try:
            self.dataset = copy.copy(dataset)
        except Exception:  # an uncopyable dataset is shared, as under fork
            self.dataset = dataset
        self.info = WorkerInfo(id=wid, num_workers=num_workers, seed=self.seed,
                               dataset=self.dataset)
        self._torch = dict(Generator().manual_seed(self.seed).__dict__)
        py = _pyrandom.Random(self.seed)
        self._py = py.getstate()
        np_rs = np.random.RandomState(_generate_state(base_seed, wid))
        self._np = np_rs.get_state()
        self.iterator, self.ended = None, False

    def run(self, fn, *args):
        """``fn(*args)`` as this worker: its streams and WorkerInfo in place meanwhile.
        StopIteration passes through; other exceptions are raised as PyTorch's."""
        global _current
        from ...random import default_generator

        main_torch = dict(default_generator.__dict__)
        main_py, main_np = _pyrandom.getstate(), np.random.get_state()
        default_generator.__dict__.clear()
        default_generator.__dict__.update(self._torch)
        _pyrandom.setstate(self._py)
        np.random.set_state(self._np)
        _current = self.info
        try:
            return fn(*args)
        except StopIteration:
            raise
        except Exception as err:
            _reraise(err, self.id)
        finally:
            _current = None
            self._torch = dict(default_generator.__dict__)
            self._py, self._np = _pyrandom.getstate(), np.random.get_state()
            default_generator.__dict__.clear()
            default_generator.__dict__.update(main_torch)
            _pyrandom.setstate(main_py)
            np.random.set_state(main_np)


class WorkerPool:
    """The workers of one iterator (or of all of them, with persistent_workers)."""

    def __init__(self, loader, base_seed: int) -> None:
        n = loader.num_workers
        self.workers = [_Worker(w, n, base_seed, loader.dataset) for w in range(n)]
        init = loader.worker_init_fn
        if init is not None:
            for w in self.workers:
                w.run(init, w.id)

    def start_epoch(self, iterable: bool) -> None:
        """A new pass: iterable-style workers make a fresh iterator of their dataset copy."""
        for w in self.workers:
            w.iterator, w.ended = None, False
            if iterable:
                w.iterator = w.run(iter, w.dataset)

    def map_batches(self, batches, fetch):
        """Batch k fetched by worker k % num_workers: ``fetch(dataset_copy, indices)``."""
        workers = self.workers
        for k, idx in enumerate(batches):
            w = workers[k % len(workers)]
            yield w.run(fetch, w.dataset, idx)

    def iterable_batches(self, batch_size, drop_last: bool, collate):
        """Round-robin over the workers' own streams, skipping exhausted workers."""
        active = list(self.workers)
        while active:
            for w in list(active):
                try:
                    out = w.run(_fetch_iterable, w, batch_size, drop_last, collate)
                except StopIteration:
                    active.remove(w)
                    continue
                yield out


def _fetch_iterable(w: _Worker, batch_size, drop_last: bool, collate):
    """PyTorch's _IterableDatasetFetcher.fetch in worker ``w``."""
    if w.ended:
        raise StopIteration
    if batch_size is None:
        return collate(next(w.iterator))
    data = []
    for _ in range(batch_size):
        try:
            data.append(next(w.iterator))
        except StopIteration:
            w.ended = True
            break
    if not data or (drop_last and len(data) < batch_size):
        raise StopIteration
    return collate(data)
