"""``torch.multiprocessing``: Python's multiprocessing, with tensors passed in shared memory.

Everything of :mod:`multiprocessing` is re-exported (Process, Queue, Value, Pool, get_context,
set_start_method, ...). Importing this module registers how tensors travel to other processes
(``_shm``): a tensor sent through a Queue or given to a spawned Process is moved to shared
memory and the receiver maps the same memory, so Hogwild / A3C code works with every start
method. ``spawn`` runs ``fn(i, *args)`` in ``nprocs`` processes, as PyTorch's.
"""

import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from . import _shm
from .spawn import (ProcessContext, ProcessExitedException, ProcessRaisedException,  # noqa: F401
                    SpawnContext, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           *multiprocessing.__all__]

# ember's memory is always passed as file descriptors (see _shm); both of PyTorch's Linux names
# are accepted so programs that pick one run unchanged.
_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Set the strategy for sharing CPU tensors (one of ``get_all_sharing_strategies()``)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, "
                             f"expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current strategy for sharing CPU tensors."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The sharing strategies this system supports."""
    return _all_sharing_strategies


_shm.register()


from ..run import keep_alias_in_spawned_children  # noqa: E402

keep_alias_in_spawned_children()
