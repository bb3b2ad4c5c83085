"""float16 arithmetic with Python numbers, computed as PyTorch's CPU kernels compute it.

PyTorch does half precision arithmetic in float32 ("opmath"). For ``t * c``, ``c * t`` and
``t / c`` the number c is converted to float32, the float16 operand widened, and the result
rounded once to float16. NumPy instead rounds c to float16 first (1e-8 to 0, 70000 to inf,
0.01 to 0.010002): 1000 * 1e-8 would give 0 instead of 1e-05, and 0 * 1e30 nan instead of 0.
Only those forms keep c in float32: ``torch.mul(c, t)``, ``torch.div(c, t)``, add and sub
round c to float16 first, as NumPy does. ``c / t`` is ``t.reciprocal() * c``, the reciprocal
rounded to float16. add/sub with ``alpha`` round alpha to float16 (an error where it
overflows) and compute ``a + alpha * b`` in float32, rounded once.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor

F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def opmath(ufunc, a, b):
    """``ufunc(a, b)`` for float16 and a Python number: in float32, rounded once to float16."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):  # a backward building a graph:
        return ufunc(a, b)  # ember's op, which comes back here with arrays
    return ufunc(a, b, dtype=_F32).astype(F16)


def times(g, number):
    """``g * number`` for a gradient: float16 in float32, as PyTorch's backward computes it."""
    if isinstance(g, Tensor) or g.dtype != F16:
        return g * number
    return opmath(np.multiply, g, number)


def add_scaled(a, b, alpha):
    """``a + alpha * b`` in float16 as PyTorch's add: numbers (alpha, a or b) rounded to
    float16, the arithmetic in float32, rounded once. (That is PyTorch's vectorised loop; its
    scalar loop, which finishes the last len % 32 elements or a non-contiguous tensor, rounds
    alpha * b to float16 on its own first, so PyTorch disagrees with itself there.)"""
    def wide(x):
        return np.asarray(x, F16).astype(_F32)

    return (wide(a) + wide(alpha) * wide(b)).astype(F16)


def check_number(value) -> None:
    """PyTorch's error for an alpha that float16 cannot hold (its largest finite is 65504)."""
    if isinstance(value, (int, float)) and math.isfinite(value) and abs(value) > 65504:
        raise RuntimeError("value cannot be converted to type c10::Half without overflow")


class HalfMul(Primitive):
    """z = a * c for a float16 tensor a and a number c, in float32;  dz/da = c (in float32)."""

    node_name = "MulBackward0"
    shown_args = (0, 1)  # PyTorch's node lists the number as a tensor

    @staticmethod
    def forward(ctx, a, c):
        ctx.c = c
        return opmath(np.multiply, a, c)

    @staticmethod
    def backward(ctx, g):
        return opmath(np.multiply, g, ctx.c), None


class HalfDiv(Primitive):
    """z = a / c for a float16 tensor a and a number c, in float32;  dz/da = 1/c (g / c)."""

    node_name = "DivBackward0"
    shown_args = (0, 1)  # PyTorch's node lists the number as a tensor

    @staticmethod
    def forward(ctx, a, c):
        ctx.c = c
        return opmath(np.true_divide, a, c)

    @staticmethod
    def backward(ctx, g):
        return opmath(np.true_divide, g, ctx.c), None
