"""``torch.distributed``, the part a single process sees.

ember runs in one process and has no process groups: ``is_initialized()`` is False and the
functions that need the default group (``get_rank``, ``get_world_size``, ``barrier``) raise
PyTorch's ValueError for a program that never called ``init_process_group``, as do the
collectives (``all_reduce``, ``all_gather``, ... in _collectives.py). Helper code that
only asks (``dist.is_available() and dist.is_initialized()``) or checks a model output
against ``torch.distributed.rpc.api.RRef`` (rasbt's ``helper_evaluate.compute_accuracy``)
runs unchanged.
"""

from __future__ import annotations

from . import rpc  # noqa: F401
from ._collectives import *  # noqa: F401,F403
from ._collectives import _NO_GROUP, __all__ as _collectives_all

__all__ = ["is_available", "is_initialized", "is_torchelastic_launched", "get_rank",
           "get_world_size", "barrier", "rpc"] + _collectives_all


def is_available() -> bool:
    """True, as on PyTorch's Linux builds: the package imports; no group is set up."""
    return True


def is_initialized() -> bool:
    """Whether the default process group exists: never in ember."""
    return False


def is_torchelastic_launched() -> bool:
    """Whether torchrun started this process (it sets TORCHELASTIC_RUN_ID)."""
    import os

    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def get_rank(group=None) -> int:
    """This process's rank in ``group``: needs a process group (PyTorch's ValueError)."""
    raise ValueError(_NO_GROUP)


def get_world_size(group=None) -> int:
    """The number of processes in ``group``: needs a process group (PyTorch's ValueError)."""
    raise ValueError(_NO_GROUP)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait for every process of ``group``: needs a process group (PyTorch's ValueError)."""
    raise ValueError(_NO_GROUP)
