"""The activations PyTorch also has at the top level (torch.selu, torch.prelu, ...) and as
Tensor methods (x.hardshrink, x.prelu): the same functions as ``ember.nn.functional``'s.

ember.nn loads after ember.ops, so each wrapper imports its function on first call.
"""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["selu", "selu_", "celu", "celu_", "rrelu", "rrelu_", "prelu", "threshold",
           "threshold_", "hardshrink"]


def _f():
    from ..nn.functional import _activation2

    return _activation2


def selu(input: Tensor) -> Tensor:
    return _f().selu(input)


def selu_(input: Tensor) -> Tensor:
    return _f().selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _f().celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _f().celu(input, alpha, inplace=True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, generator=None) -> Tensor:
    return _f()._rrelu(input, lower, upper, training, False, generator)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False, generator=None) -> Tensor:
    return _f()._rrelu(input, lower, upper, training, True, generator)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return _f().prelu(input, weight)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return _f().threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _f().threshold(input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _f().hardshrink(input, lambd)
