"""Cumulative ops along one dim: cumsum and cumprod, with their gradients (reversed scans)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import reduced
from ._util import dims
from .reduction import _int_accumulator, _raw


def _acc(dt):
    """PyTorch's CPU scan accumulator (acc_type): float32 runs in float64 and float16 in
    float32, each partial result rounded back to the input's dtype; others as they are."""
    return np.float64 if dt == np.float32 else np.float32 if dt == np.float16 else dt


def _scan(f, x, axis):
    """np.cumsum / np.cumprod of x along axis with PyTorch's accumulator. dtype=: NumPy would
    widen small ints; it also makes 0-d inputs 1-d."""
    return f(x, axis=axis, dtype=_acc(x.dtype)).astype(x.dtype, copy=False).reshape(np.shape(x))


def _rev_cumsum(g, d):
    return np.flip(_scan(np.cumsum, np.flip(g, d), d), d)


class Cumsum(Primitive):
    """y_i = sum_{j <= i} x_j;  dL/dx_j = sum_{i >= j} dL/dy_i (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return reduced(_scan(np.cumsum, x, dim), x)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        if np.ndim(g) == 0:
            return (g, None)
        if isinstance(g, Tensor):  # create_graph: differentiable reversed cumsum
            return (np.flip(np.cumsum(np.flip(g, d), axis=d), d), None)
        return (_rev_cumsum(g, d), None)


def _scan_input(input, dtype):
    acc = _int_accumulator(input._data, dtype)
    return input if acc is None else input.to(acc)


_NO_DIM = object()


def scan_dim(name, dim, axis):
    """The dim of a scan, given as dim or as NumPy's ``axis=`` (PyTorch takes both names,
    e.g. d2l's ``A.cumsum(axis=0)``), with PyTorch's TypeError when it is missing."""
    if axis is not _NO_DIM:
        if dim is not _NO_DIM:
            raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
        return axis
    if dim is _NO_DIM:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    if dim is None:
        raise TypeError(f"{name}(): argument 'dim' must be int, not NoneType")
    return dim


def cumsum(input, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
    d = dims(scan_dim("cumsum", dim, axis), input._data.ndim)[0]
    return Cumsum.apply(_scan_input(input, dtype), d)


class Cumprod(Primitive):
    """y_i = prod_{j <= i} x_j;  dL/dx_j = sum_{i >= j} g_i prod_{k <= i, k != j} x_k,
    which is reversed-cumsum(g * y)_j / x_j when no x is 0."""

    @staticmethod
    def forward(ctx, x, dim):
        y = reduced(_scan(np.cumprod, x, dim), x)
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        d = ctx.dim
        if np.ndim(g) == 0:
            return (g, None)
        if not np.any(_raw(x) == 0):
            if isinstance(x, Tensor) or isinstance(g, Tensor):
                return (np.flip(np.cumsum(np.flip(g * y, d), axis=d), d) / x, None)
            return (_rev_cumsum(g * y, d) / x, None)
        if isinstance(x, Tensor):
            return (_cumprod_grad_graph(x, g, d), None)
        return (_cumprod_grad_zeros(x, g, d), None)


def _cumprod_grad_zeros(x, g, d):
    """The division-free gradient: (exclusive cumprod from the left) * R, where
    R_j = g_j + x_{j+1} R_{j+1} runs from the right."""
    xm, gm = np.moveaxis(x, d, -1), np.moveaxis(g, d, -1)
    left = np.cumprod(np.concatenate([np.ones_like(xm[..., :1]), xm[..., :-1]], -1), -1)
    r = np.empty(np.broadcast_shapes(xm.shape, gm.shape), np.result_type(xm, gm))
    r[..., -1] = gm[..., -1]
    for j in range(xm.shape[-1] - 2, -1, -1):
        r[..., j] = gm[..., j] + xm[..., j + 1] * r[..., j + 1]
    return np.moveaxis(left * r, -1, d)


def _cumprod_grad_graph(x, g, d):
    """The same gradient as a differentiable expression (create_graph): copy j of x has a 1 at
    j, its cumprod gives prod_{k <= i, k != j} x_k, summed against g over i >= j."""
    n = x.shape[d]
    shape = [1] * (x.ndim + 1)
    shape[0] = shape[d + 1] = n
    eye = np.eye(n, dtype=bool).reshape(shape)
    later = (np.arange(n)[:, None] <= np.arange(n)[None, :]).reshape(shape)  # i >= j
    p = cumprod(np.where(eye, 1.0, np.expand_dims(x, 0)), d + 1)
    terms = np.where(later, np.expand_dims(g, 0) * p, 0)
    grad = np.sum(terms, axis=d + 1, keepdims=True)
    return np.reshape(np.swapaxes(grad, 0, d + 1), np.shape(x))


def cumprod(input, dim=_NO_DIM, *, dtype=None, axis=_NO_DIM):
    d = dims(scan_dim("cumprod", dim, axis), input._data.ndim)[0]
    return Cumprod.apply(_scan_input(input, dtype), d)
