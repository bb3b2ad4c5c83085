"""BLAS thread policy.

NumPy's OpenBLAS starts one thread per core. For the small products of RL policies and
tutorial MLPs, waking and synchronising those threads costs more than the product, and on a
busy 2-core machine it can make a step tens of times slower (benchmarks/: a 200x64 @ 64x64
product took 23 ms with 2 threads and 49 us with 1 under load). Large products, in contrast,
do speed up with more threads.

ember's default policy therefore sizes the pool per product: one thread for products below
``LARGE`` multiply-adds, all cores above (switching costs ~25 us, negligible next to a product
that large, and happens only when the size class changes). ``set_num_threads(n)`` replaces the
policy with a fixed count; ``EMBER_NUM_THREADS`` sets one from the environment.
"""

from __future__ import annotations

import os

import numpy as np

LARGE = 1 << 21  # ~2M multiply-adds: about 0.5 ms on one core


class _Pool:
    controller = None  # threadpoolctl's handle on NumPy's BLAS, created on first use
    current = None  # the thread count last set
    fixed = None  # set_num_threads(n), or EMBER_NUM_THREADS
    cores = os.cpu_count() or 1


_env = os.environ.get("EMBER_NUM_THREADS", "")
if _env.isdigit() and int(_env) > 0:
    _Pool.fixed = int(_env)


def _set(n: int) -> None:
    if _Pool.controller is None:
        from threadpoolctl import ThreadpoolController

        _Pool.controller = ThreadpoolController().select(user_api="blas")
    _Pool.controller.limit = None
    for lib in _Pool.controller.lib_controllers:
        lib.set_num_threads(n)
    _Pool.current = n


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul`` with the thread count the policy picks for this product's size."""
    want = _Pool.fixed
    if want is None:
        work = a.size * (b.shape[-1] if b.ndim > 1 else 1)
        want = _Pool.cores if work > LARGE else 1
    if want != _Pool.current:
        _set(want)
    return np.matmul(a, b)


def set_num_threads(n: int) -> None:
    """Use ``n`` BLAS threads for every product from now on (replaces ember's policy)."""
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
