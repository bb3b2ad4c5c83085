"""softmax and log_softmax: primitives, because composing them from exp/sum overflows."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ._util import wrap_dim


class LogSoftmax(Primitive):
    """y = x - logsumexp(x);  dL/dx = g - softmax(x) * sum(g)  with softmax(x) = exp(y)."""

    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:  # nothing to normalise (NumPy's max refuses empty axes)
            y = np.array(x, copy=True)
        else:
            shifted = x - np.max(x, axis=dim, keepdims=True)
            # A row of all -inf gives nan, as in PyTorch.
            y = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g - np.exp(y) * g.sum(axis=ctx.dim, keepdims=True), None)


class Softmax(Primitive):
    """y = exp(x - max) / sum(exp(x - max));  dL/dx = y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:
            y = np.array(x, copy=True)
        else:
            e = np.exp(x - np.max(x, axis=dim, keepdims=True))
            y = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (y * (g - (g * y).sum(axis=ctx.dim, keepdims=True)), None)


def _prep(input, dim, dtype, name="softmax"):
    x = input if dtype is None else input.to(dtype)
    if dim is None:
        dim = 0 if x._data.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    d = wrap_dim(dim, x._data.ndim)
    if x._data.dtype.kind != "f" and x._data.size:  # PyTorch passes empty tensors through
        from .elementwise import _not_for

        last = d == x._data.ndim - 1 or x._data.ndim == 0
        _not_for(f"{name}_{'lastdim_' if last else ''}kernel_impl", x)
    return x, d


def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    x, d = _prep(input, dim, dtype, "softmax")
    return Softmax.apply(x, d)


def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    x, d = _prep(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, d)
