"""BLAS thread policy: one thread for small products, measured choice for large ones.

NumPy's OpenBLAS starts one thread per core. What that buys depends on whether the other
cores are free, which on a shared machine changes from minute to minute. Measurements on the
2-core development machine (AMD EPYC, OpenBLAS 0.3, load average 3-5 from other users):

* 256x784 @ 784x512 (W4's first layer, 103M multiply-adds), 150 alternating products each:
  1 thread median 2.0 ms (mean 4.0-4.8 ms); 2 threads median 13-34 ms (mean 21-28 ms), but
  1.1 ms at best, when the other core happens to be idle.
* After any multi-threaded product OpenBLAS's idle worker spins for about 80 ms of CPU time,
  competing with everything else on the machine.
* W4 training step (784-512-512-10, batch 256), interleaved: the former fixed-size policy
  (all cores above 2M multiply-adds) median 48 ms, 1 thread 29 ms, 2 threads 60 ms.
* Small products (an RL policy's 200x64 @ 64x64, 0.8M): threads gain nothing worth the
  risk; under load a 2-thread product of that size took 23 ms against 49 us with 1 thread.

So products below ``LARGE`` multiply-adds always run on one thread. For larger ones the
policy measures instead of guessing: per product shape it keeps a moving average of the time
per multiply-add with 1 thread and with all cores, uses the faster, and now and then tries
the other again (less often the worse it was, so a bad setting costs at most a few percent).
On an idle machine that settles on all cores; on a loaded one, on one thread. Timing a
product costs two clock reads, nothing next to a product of this size.

``set_num_threads(n)`` replaces the policy with a fixed count; ``EMBER_NUM_THREADS`` sets
one from the environment.
"""

from __future__ import annotations

import os
from time import perf_counter

import numpy as np

LARGE = 1 << 21  # ~2M multiply-adds: about 0.5 ms on one core
PROBE_EVERY = 32  # large products between tries of the other setting, times its slowdown
PROBE_MAX = 512
_SMOOTH = 0.5  # weight of a new timing in the moving average
_MAX_SHAPES = 256  # forget old product shapes beyond this many


class _Pool:
    controller = None  # threadpoolctl's handle on NumPy's BLAS, created on first use
    current = None  # the thread count last set
    fixed = None  # set_num_threads(n), or EMBER_NUM_THREADS
    cores = 1  # set below by _default_threads()
    stats: dict = {}  # (a.shape, b.shape) -> [cost with 1 thread, cost with all, countdown]


def _env_count(name: str, default: int) -> int:
    """A positive thread count from the environment variable ``name``, else ``default``."""
    val = os.environ.get(name, "").strip()
    return int(val) if val.isdigit() and int(val) > 0 else default


def _default_threads() -> int:
    """PyTorch's default intra-op pool size: MKL_NUM_THREADS, else OMP_NUM_THREADS (either
    at most the machine's cores), else the CPUs this process may run on (its affinity mask,
    so ``taskset -c 1 python ...`` gets 1, as OpenMP counts them)."""
    total = os.cpu_count() or 1
    n = _env_count("MKL_NUM_THREADS", _env_count("OMP_NUM_THREADS", 0))
    if n > 0:
        return min(n, total)
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # no affinity API (macOS, Windows)
        return total


_Pool.cores = _default_threads()

_env = os.environ.get("EMBER_NUM_THREADS", "")
if _env.isdigit() and int(_env) > 0:
    _Pool.fixed = int(_env)


_one = False  # BLAS is set to one thread: small products need no other check


def _set(n: int) -> None:
    global _one
    if _Pool.controller is None:
        from threadpoolctl import ThreadpoolController

        _Pool.controller = ThreadpoolController().select(user_api="blas")
    for lib in _Pool.controller.lib_controllers:
        lib.set_num_threads(n)
    _Pool.current = n
    _one = n == 1


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul`` with the thread count the policy picks for this product."""
    if _one and a.size * b.shape[-1] <= LARGE:  # the common case, on a module global
        return np.matmul(a, b)
    want = _Pool.fixed
    if want is None:
        if a.size * (b.shape[-1] if b.ndim > 1 else 1) > LARGE and _Pool.cores > 1:
            return _measured(a, b)
        want = 1
    if want != _Pool.current:
        _set(want)
    return np.matmul(a, b)


def _measured(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A large product on the thread count that has been faster for its shape."""
    key = (a.shape, b.shape)
    st = _Pool.stats.get(key)
    if st is None:
        if len(_Pool.stats) >= _MAX_SHAPES:
            _Pool.stats.clear()
        st = _Pool.stats[key] = [None, None, 0]
    slot = _choose(st)
    n = _Pool.cores if slot else 1
    if n != _Pool.current:
        _set(n)
    t0 = perf_counter()
    out = np.matmul(a, b)
    cost = perf_counter() - t0
    old = st[slot]
    st[slot] = cost if old is None else old + _SMOOTH * (cost - old)
    return out


def _choose(st: list) -> int:
    """0 (one thread) or 1 (all cores): each once first, then the faster with a try of the
    slower every PROBE_EVERY * slowdown products."""
    one, many = st[0], st[1]
    if one is None:
        return 0
    if many is None:
        return 1
    best = 0 if one <= many else 1
    st[2] -= 1
    if st[2] > 0:
        return best
    slowdown = max(one, many) / max(min(one, many), 1e-12)
    st[2] = min(PROBE_MAX, int(PROBE_EVERY * slowdown))
    return 1 - best


def set_num_threads(n: int) -> None:
    """Use ``n`` BLAS threads for every product from now on (replaces ember's policy)."""
    if not hasattr(n, "__index__"):  # set_num_threads(cores / 2)
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _Pool.fixed = n
    _set(n)


def get_num_threads() -> int:
    """The thread count for large products (PyTorch's meaning: the intra-op pool size)."""
    return _Pool.fixed if _Pool.fixed is not None else _Pool.cores


def get_num_interop_threads() -> int:
    return 1


def set_num_interop_threads(n: int) -> None:
    """Accepted for PyTorch compatibility; ember runs ops on the calling thread."""
