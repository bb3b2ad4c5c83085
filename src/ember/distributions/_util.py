"""Helpers shared by the distributions: expand, the float info of a parameter, noise."""

from __future__ import annotations

import numpy as np

from ..random import _rng
from ..tensor import Size, Tensor
from .distribution import Distribution


def checked_instance(self, cls, _instance=None):
    """A bare instance for expand (PyTorch's rule: a subclass with its own __init__ must
    define its own expand)."""
    if _instance is None and type(self).__init__ != cls.__init__:
        raise NotImplementedError(
            f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
            "__init__ method must also define a custom .expand() method.")
    return self.__new__(type(self)) if _instance is None else _instance


def expand_params(self, cls, names, batch_shape, _instance=None, event_shape=()):
    """expand for a distribution whose parameters ``names`` have shape batch + event."""
    new = checked_instance(self, cls, _instance)
    batch_shape = Size(batch_shape)
    for name in names:
        new.__dict__[name] = self.__dict__[name].expand(tuple(batch_shape) + tuple(event_shape))
    Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
    new._validate_args = self._validate_args
    return new


def finfo(t):
    return np.finfo(t._data.dtype)


def noise(arr: np.ndarray, like: Tensor) -> Tensor:
    """A constant Tensor of ``like``'s float dtype from a float64 draw."""
    return Tensor._make(np.asarray(arr, dtype=like._data.dtype), False, None)


def rng():
    return _rng(None)
