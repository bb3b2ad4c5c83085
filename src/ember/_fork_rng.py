"""``torch.random.fork_rng`` and ``torch.random.thread_safe_generator``.

ember has only a CPU generator, so forking saves the default generator's state on entry and
restores it on exit; the ``devices`` and ``device_type`` arguments are accepted and checked
the way PyTorch checks them, and there is no device state to fork.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Run the block and then put the default CPU generator back as it was before it.

    Anything the block draws (``rand``, dropout masks, DataLoader shuffles) leaves the
    global stream untouched afterwards, as ``torch.random.fork_rng`` does; with
    ``enabled=False`` it does nothing.
    """
    from . import random as _random
    if device_type == "meta" or not enabled:
        yield
        return
    if devices is not None:
        devices = list(devices)  # a one-shot iterable is consumed once, as in PyTorch
    state = _random.get_rng_state()
    try:
        yield
    finally:
        _random.set_rng_state(state)


def thread_safe_generator():
    """The generator DataLoader thread workers should draw from; ``None`` outside them.

    ember's DataLoader loads in the calling thread (no thread workers), so this returns
    ``None`` and samplers fall back to the default generator, as PyTorch does in the main
    process and in process workers.
    """
    from .utils.data import get_worker_info
    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread" \
            and getattr(info, "rng", None) is not None:
        return info.rng.torch_generator
    return None
