"""BLAS thread control. NumPy's OpenBLAS starts one thread per core; on the small matrices of
RL policies and tutorial MLPs, waking those threads costs more than the product itself.

ember's policy (``EMBER_NUM_THREADS`` overrides it): leave the BLAS pool as NumPy configured it
until the user calls ``set_num_threads``. See benchmarks/ for the measurements behind it.
"""

from __future__ import annotations

import os

_state = {"n": None}


def _limiter():
    from threadpoolctl import threadpool_limits

    return threadpool_limits


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for BLAS calls (matrix products) from now on."""
    n = int(n)
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _limiter()(limits=n, user_api="blas")
    _state["n"] = n


def get_num_threads() -> int:
    if _state["n"] is not None:
        return _state["n"]
    env = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS")
    return int(env) if env and env.isdigit() else (os.cpu_count() or 1)


def get_num_interop_threads() -> int:
    return 1


def set_num_interop_threads(n: int) -> None:
    pass
