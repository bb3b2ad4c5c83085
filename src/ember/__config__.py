"""torch.__config__: how this build was made, as text (environment-report scripts print it)."""

from __future__ import annotations

import os
import platform

import numpy as np

__all__ = ["show", "parallel_info"]


def show() -> str:
    """The build description: ember is Python on NumPy, so it names those versions."""
    return (f"ember (PyTorch API) built with:\n  - Python {platform.python_version()}\n"
            f"  - NumPy {np.__version__}\n  - CPU only (no CUDA, cuDNN or MPS)\n")


def parallel_info() -> str:
    """The thread settings, in PyTorch's layout."""
    from .threads import get_num_interop_threads, get_num_threads

    env = "".join(f"\t{k} : {os.environ.get(k, '[not set]')}\n"
                  for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    return (f"ATen/Parallel:\n\tat::get_num_threads() : {get_num_threads()}\n"
            f"\tat::get_num_interop_threads() : {get_num_interop_threads()}\n"
            f"std::thread::hardware_concurrency() : {os.cpu_count()}\n"
            f"Environment variables:\n{env}ATen parallel backend: ember (NumPy)\n")
