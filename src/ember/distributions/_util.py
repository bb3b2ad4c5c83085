"""Helpers shared by the distributions: expand, the float info of a parameter, noise."""

from __future__ import annotations

import numpy as np

from .. import _torch_rng as _T
from ..random import _gen, _rng
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


def expand_binary(self, cls, batch_shape, _instance=None, with_count=False):
    """expand for a distribution given by probs or logits (and a total_count): each of the
    two that exists so far is expanded, as PyTorch keeps whichever it has."""
    new = checked_instance(self, cls, _instance)
    batch_shape = Size(batch_shape)
    if with_count:
        new.total_count = self.total_count.expand(batch_shape)
    for name in ("probs", "logits"):
        if name in self.__dict__:
            new.__dict__[name] = self.__dict__[name].expand(batch_shape)
            new._param = new.__dict__[name]
    Distribution.__init__(new, batch_shape, validate_args=False)
    new._validate_args = self._validate_args
    return new


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
    """NumPy's samplers on the default stream, for LKJCholesky (which samples the exact
    marginals, not PyTorch's draws): reproducible in ember, not PyTorch's numbers."""
    return _rng(None)


def _dtype(like) -> np.dtype:
    return like._data.dtype if isinstance(like, Tensor) else np.dtype(like)


def standard_normal(shape, like) -> Tensor:
    """PyTorch's ``_standard_normal(shape, dtype)``: ``empty(shape, dtype).normal_()``."""
    shape, gen = tuple(shape), _gen(None)
    n = _n(shape)
    return Tensor._make(_T.normal(gen, gen.bits, n, 0.0, 1.0, _dtype(like)).reshape(shape),
                        False, None)


def rand(shape, like) -> Tensor:
    """``torch.rand(shape, dtype=like.dtype)``: u = low bits of the stream times 2**-bits."""
    shape = tuple(shape)
    n = _n(shape)
    return Tensor._make(_T.unit(_gen(None).bits, n, _dtype(like)).reshape(shape), False, None)


def _n(shape) -> int:
    """The element count of ``empty(shape)``, refusing a negative size as it does."""
    n = 1
    for d in shape:  # (np.prod costs a few microseconds on a tuple)
        n *= int(d)
    if n <= 0 and any(d < 0 for d in shape):  # sample((-1,)): not an empty draw
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(d for d in shape if d < 0)}: {list(shape)}")
    return n


def new_uniform(shape, low: float, high: float, like) -> Tensor:
    """PyTorch's ``like.new(shape).uniform_(low, high)``: u * (high - low) + low."""
    shape = tuple(shape)
    arr = _T.uniform(_gen(None).bits, _n(shape), low, high, _dtype(like))
    return Tensor._make(arr.reshape(shape), False, None)


def new_exponential(shape, like) -> Tensor:
    """PyTorch's ``like.new(shape).exponential_()``: -log1p(-u), u a float64 uniform."""
    shape = tuple(shape)
    arr = _T.exponential(_gen(None).bits, _n(shape), 1.0, _dtype(like))
    return Tensor._make(arr.reshape(shape), False, None)


def new_cauchy(shape, like) -> Tensor:
    """PyTorch's ``like.new(shape).cauchy_()``: tan(pi (u - 0.5)), u a float64 uniform."""
    from .. import _torch_rng_more as _M

    shape = tuple(shape)
    arr = _M.cauchy(_gen(None).bits, _n(shape), 0.0, 1.0, _dtype(like))
    return Tensor._make(arr.reshape(shape), False, None)
