"""Reductions over dims. ``dim`` is None (all), an int, or a tuple; ``keepdim`` as PyTorch.

A reduction's gradient must be spread back over the reduced axes: rules first restore the
reduced axes as size 1 (``_keep``) so that NumPy broadcasting does the spreading.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import dims

values_indices = namedtuple("return_types", ["values", "indices"])


def _keep(g, axes, keepdim):
    """Re-insert the reduced axes of a gradient as size 1, so it broadcasts over them."""
    if keepdim or axes is None:
        return g
    for a in sorted(axes):
        g = np.expand_dims(g, a)
    return g


def _axes(x, dim):
    return dims(dim, np.ndim(x))


class Sum(Primitive):
    """y = sum(x over axes);  dy/dx = 1 (the gradient broadcasts back over the axes)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.axes, ctx.keepdim, ctx.in_shape = axes, keepdim, np.shape(x)
        return np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        g = _keep(g, ctx.axes, ctx.keepdim)
        return (np.broadcast_to(g, ctx.in_shape), None, None, None)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001
    dim, keepdim = (axis if dim is None else dim), (keepdims if keepdims is not None else keepdim)
    axes = _axes(input._data, dim)
    if dtype is None and input._data.dtype.kind in "bi" and input._data.dtype != np.int64:
        dtype = np.int64  # PyTorch sums bools and small ints as int64
    elif dtype is not None:
        from ..dtypes import to_np

        dtype = to_np(dtype)
    return Sum.apply(input, axes, bool(keepdim), dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Composite: sum / count."""
    if input._data.dtype.kind != "f" and dtype is None:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}"
        )
    dim, keepdim = (axis if dim is None else dim), (keepdims if keepdims is not None else keepdim)
    axes = _axes(input._data, dim)
    shape = input._data.shape
    n = int(np.prod([shape[a] for a in axes])) if axes is not None else input._data.size
    s = sum(input, axes, keepdim, dtype=dtype)
    return s / n if n else s * float("nan")


class Prod(Primitive):
    """y = prod(x);  dy/dx_i = prod_{j != i} x_j (computed without dividing, so zeros work)."""

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdim = axis, keepdim
        return np.prod(x, axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:
            flat = np.reshape(x, (-1,))
            return (np.reshape(_prod_others(flat, 0), np.shape(x)) * g, None, None)
        g = _keep(g, (axis,), ctx.keepdim)
        return (_prod_others(x, axis) * g, None, None)


def _prod_others(x, axis):
    """Product of all other entries along ``axis``: exclusive cumprods from both ends."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(np.concatenate([ones, np.take(x, range(x.shape[axis] - 1), axis=axis)],
                                     axis=axis), axis=axis)
    rev = np.flip(x, axis=axis)
    right = np.cumprod(np.concatenate([ones, np.take(rev, range(x.shape[axis] - 1),
                                                     axis=axis)], axis=axis), axis=axis)
    return left * np.flip(right, axis=axis)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None:
        dim = dims(dim, input._data.ndim)[0]
    out = Prod.apply(input, dim, bool(keepdim))
    return out if dtype is None else out.to(dtype)


def var(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    """Composite: sum((x - mean)^2) / (N - correction)."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if isinstance(correction, bool):
        correction = int(correction)
    axes = _axes(input._data, dim)
    shape = input._data.shape
    n = int(np.prod([shape[a] for a in axes])) if axes is not None else input._data.size
    mu = mean(input, axes, keepdim=True)
    d = input - mu
    return sum(d * d, axes, keepdim) / max(n - correction, 0)


def std(input, dim=None, *, correction=1, keepdim=False, unbiased=None):
    return var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased).sqrt()


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    return var(input, dim, correction=correction, keepdim=keepdim), mean(input, dim, keepdim)


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    return std(input, dim, correction=correction, keepdim=keepdim), mean(input, dim, keepdim)


class Amax(Primitive):
    """y = max over axes;  dy/dx = 1 at the maxima, shared evenly between ties."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, use_min):
        y = (np.min if use_min else np.max)(x, axis=axes, keepdims=True)
        ctx.save_for_backward(x)
        ctx.peak, ctx.axes, ctx.keepdim = y, axes, keepdim
        return y if keepdim else (np.squeeze(y, axis=axes) if axes is not None else y.reshape(()))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = x == ctx.peak
        count = np.sum(mask, axis=ctx.axes, keepdims=True)
        g = _keep(g, ctx.axes, ctx.keepdim) if ctx.axes is not None else np.reshape(
            g, (1,) * np.ndim(x))
        return (g * mask / count, None, None, None)


def amax(input, dim=(), keepdim=False):
    return _extreme(input, dim, keepdim, False, "amax")


def amin(input, dim=(), keepdim=False):
    return _extreme(input, dim, keepdim, True, "amin")


def _extreme(input, dim, keepdim, use_min, name):
    axes = None if dim == () or dim is None else _axes(input._data, dim)
    if input._data.size == 0:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                         "== 0. Specify the reduction dim with the 'dim' argument.")
    return Amax.apply(input, axes, bool(keepdim), use_min)


class MaxDim(Primitive):
    """y = x at the arg-max along a dim;  dy/dx = 1 at that index, 0 elsewhere."""

    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, idx):
        ctx.idx, ctx.dim, ctx.keepdim, ctx.in_shape = idx, dim, keepdim, np.shape(x)
        return np.take_along_axis(x, idx, axis=dim) if keepdim else np.squeeze(
            np.take_along_axis(x, idx, axis=dim), axis=dim)

    @staticmethod
    def backward(ctx, g):
        from .indexing import scatter_into

        g = g if ctx.keepdim else np.expand_dims(g, ctx.dim)
        return (scatter_into(ctx.in_shape, ctx.dim, ctx.idx, g), None, None, None)


def _max_min(input, dim, keepdim, use_min, other=None):
    if other is not None:
        from .elementwise import maximum, minimum

        return (minimum if use_min else maximum)(input, other)
    if dim is None:
        return _extreme(input, None, False, use_min, "min" if use_min else "max")
    d = dims(dim, input._data.ndim)[0]
    x = input._data
    if x.ndim == 0:
        return values_indices(input.clone(), Tensor._make(np.array(0), False, None))
    if x.shape[d] == 0:
        raise IndexError(f"{'min' if use_min else 'max'}(): Expected reduction dim {d} to have "
                         "non-zero size.")
    idx = np.expand_dims((np.argmin if use_min else np.argmax)(x, axis=d), d)
    values = MaxDim.apply(input, d, bool(keepdim), idx)
    indices = idx if keepdim else np.squeeze(idx, axis=d)
    return values_indices(values, Tensor._make(indices.astype(np.int64), False, None))


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001
    if isinstance(dim, Tensor):
        dim, other = None, dim
    return _max_min(input, dim, keepdim, False, other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001
    if isinstance(dim, Tensor):
        dim, other = None, dim
    return _max_min(input, dim, keepdim, True, other)


def _arg(fn, input, dim, keepdim):
    x = input._data
    if dim is None:
        r = np.asarray(fn(x))
        if keepdim:
            r = r.reshape((1,) * x.ndim)
    else:
        d = dims(dim, x.ndim)[0]
        r = fn(x, axis=d, keepdims=keepdim) if x.ndim else np.asarray(0)
    return Tensor._make(np.asarray(r, dtype=np.int64), False, None)


def argmax(input, dim=None, keepdim=False):
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _arg(np.argmin, input, dim, keepdim)


class LogSumExp(Primitive):
    """y = log(sum(exp(x)));  dy/dx = exp(x - y) = softmax(x). Shifted by max for stability."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.keepdim = axes, keepdim
        return y if keepdim else np.squeeze(y, axis=axes)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _keep(g, ctx.axes, ctx.keepdim)
        return (g * np.exp(x - y), None, None)


def logsumexp(input, dim, keepdim=False):
    from .elementwise import _float

    return LogSumExp.apply(_float(input), _axes(input._data, dim), bool(keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Composite: (sum |x|^p)^(1/p); p = 2 / 'fro' as sqrt(sum x^2)."""
    if p in ("fro", 2, 2.0, None):
        return sum(input * input, dim, keepdim).sqrt()
    if p in (float("inf"), "inf"):
        return amax(input.abs(), () if dim is None else dim, keepdim)
    if p in (float("-inf"),):
        return amin(input.abs(), () if dim is None else dim, keepdim)
    if p == 1:
        return sum(input.abs(), dim, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim, keepdim)
    return sum(input.abs() ** p, dim, keepdim) ** (1.0 / p)


class Cumsum(Primitive):
    """y_i = sum_{j <= i} x_j;  dL/dx_j = sum_{i >= j} dL/dy_i (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        return (np.flip(np.cumsum(np.flip(g, d), axis=d), d), None)


def cumsum(input, dim, *, dtype=None):
    d = dims(dim, input._data.ndim)[0]
    x = input if dtype is None else input.to(dtype)
    if x._data.dtype.kind in "bi" and x._data.dtype != np.int64:
        x = x.to(np.dtype(np.int64))
    return Cumsum.apply(x, d)


def cumprod(input, dim, *, dtype=None):
    d = dims(dim, input._data.ndim)[0]
    return Tensor._make(np.cumprod(input._data, axis=d), False, None)


def all(input, dim=None, keepdim=False):  # noqa: A001
    axes = _axes(input._data, dim)
    return Tensor._make(np.asarray(np.all(input._data, axis=axes, keepdims=keepdim)), False, None)


def any(input, dim=None, keepdim=False):  # noqa: A001
    axes = _axes(input._data, dim)
    return Tensor._make(np.asarray(np.any(input._data, axis=axes, keepdims=keepdim)), False, None)


def count_nonzero(input, dim=None):
    axes = _axes(input._data, dim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), np.int64), False,
                        None)
