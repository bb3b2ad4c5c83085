"""Flags PyTorch exposes at ``torch.autograd``: multithreaded backward and view replay.

ember's engine runs on one thread and never replays views, so these record the setting
(read back as PyTorch's would) without changing how gradients are computed.
"""

from __future__ import annotations

from .grad_mode import _decorate, set_multithreading_enabled

__all__ = ["is_multithreading_enabled", "is_view_replay_enabled",
           "_force_original_view_tracking"]

_VIEW_REPLAY = {"on": False}


def is_multithreading_enabled() -> bool:
    """Whether ``set_multithreading_enabled`` last turned multithreaded backward on."""
    return set_multithreading_enabled.multithreading


def is_view_replay_enabled() -> bool:
    return _VIEW_REPLAY["on"]


class _force_original_view_tracking:  # noqa: N801 - PyTorch's name
    """Sets view replay on or off at once; undone on exit when used in ``with``, or around
    each call when used as a decorator."""

    def __init__(self, mode: bool) -> None:
        self._prev = _VIEW_REPLAY["on"]
        self._value = bool(mode)
        _VIEW_REPLAY["on"] = self._value

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        _VIEW_REPLAY["on"] = self._prev
        return False

    def __call__(self, fn):
        _VIEW_REPLAY["on"] = self._prev
        value = self._value
        return _decorate(fn, lambda: _force_original_view_tracking(value))

    def clone(self):
        return _force_original_view_tracking(self._value)
