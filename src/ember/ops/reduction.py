"""Reductions over dims. ``dim`` is None (all), an int, or a tuple; ``keepdim`` as PyTorch.

A reduction's gradient must be spread back over the reduced axes: rules first restore the
reduced axes as size 1 (``_keep``) so that NumPy broadcasting does the spreading.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from .._aten_sum import full_sum as _full_sum, total as _aten_total, use as _aten_order
from ._axis_alias import numpy_names
from ._layout import reduced
from ._numpy_method_call import ABSENT, numpy_call
from ._util import dims, keep_reduced as _keep
from .arithmetic import type_name
from .extrema import amax, amin, argmax, argmin, max, min, values_indices  # noqa: F401



_F16 = np.dtype(np.float16)


def _axes(x, dim):
    """Reduced axes: None for all. A 0-d input accepts dim 0/-1 and reduces nothing."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    axes = dims(dim, np.ndim(x))
    return () if axes is not None and np.ndim(x) == 0 else axes


class Sum(Primitive):
    """y = sum(x over axes);  dy/dx = 1 (the gradient broadcasts back over the axes)."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.axes, ctx.keepdim, ctx.in_shape = axes, keepdim, np.shape(x)
        if dtype is not None:
            ctx._exact = False  # the gradient comes in the asked dtype, not x's
        if dtype is None and _aten_order(x) and (axes is None or len(axes) == x.ndim):
            s = _aten_total(x)  # a float total, in ATen's order
            return s.reshape((1,) * x.ndim) if keepdim else s
        if dtype is None and x.dtype == _F16:  # PyTorch adds half in float32, rounds once
            s = np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=np.float32)
            return reduced(np.asarray(s).astype(_F16), x)
        # np.add.reduce: np.sum's own call, without its ~1.2 us Python wrapper
        return reduced(np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=dtype), x)

    @staticmethod
    def backward(ctx, g):
        return (_spread(_keep(g, ctx.axes, ctx.keepdim), ctx.in_shape), None, None, None)


class SumDim(Sum):
    node_name = "SumBackward1"  # PyTorch's name when a dim is given


def _int_accumulator(x: np.ndarray, dtype):
    """PyTorch adds and multiplies bools and integers as int64 unless told a dtype."""
    if dtype is not None:
        from ..dtypes import to_np

        return to_np(dtype)
    return np.dtype(np.int64) if x.dtype.kind in "biu" and x.dtype != np.int64 else None


def sum(input, dim=None, keepdim=False, *, dtype=None,  # noqa: A001
        axis=None, keepdims=None, out=ABSENT):
    if out is not ABSENT:  # np.sum(tensor): NumPy's call of the method
        raise numpy_call("sum", dim, axis, dtype, keepdims, out, True)
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names("sum", dim, keepdim, axis, keepdims)
    try:
        x = input._data
    except AttributeError:  # torch.sum([a, b]): the parser's refusal
        raise _refused(input, "input", "Tensor") from None
    if keepdim is not False and keepdim is not True:  # sum(x, 0, 1): PyTorch wants a bool
        raise _bad_keepdim(keepdim, dim, x.ndim)
    cls = Sum if dim is None else SumDim
    return cls.apply(input, _axes(x, dim), keepdim, _int_accumulator(x, dtype))


def _refused(value, arg: str, what: str) -> TypeError:
    from ._int_args import bad_arg

    return bad_arg(value, arg, what)


def _bad_keepdim(keepdim, dim, ndim: int) -> TypeError:
    from ._int_args import bad_keepdim

    return bad_keepdim(keepdim, dim, ndim)


def _count(x: np.ndarray, axes) -> int:
    """How many entries each output of a reduction over ``axes`` combines."""
    return x.size if axes is None else math.prod([x.shape[a] for a in axes])


class Mean(Primitive):
    """y = sum(x over axes) / n;  dy/dx = 1/n (the gradient spreads evenly over the axes)."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        if dtype is not None:
            ctx._exact = False  # the gradient comes in the asked dtype, not x's
        n = _count(x, axes)  # (ctx is write-only in forward: it records nothing without grad)
        ctx.axes, ctx.keepdim, ctx.in_shape, ctx.n = axes, keepdim, np.shape(x), n
        if n:  # the method and no errstate: 1.5 us against 3.4 us for a small mean
            if axes is None and dtype is None and type(x) is np.ndarray:
                # A NumPy scalar of x's dtype (the usual loss.mean()): the ops after it, and
                # its gradient, then run on scalars (~0.3 us less each than on 0-d arrays).
                # CPU mean is sum / n; the sum in ATen's order when it can (last bits).
                if x.dtype == _F16:  # in float32, rounded once
                    return (x.sum(dtype=np.float32) / np.float32(n)).astype(_F16)
                return _full_sum(x) / n
            if dtype is None and axes and len(axes) == x.ndim and _aten_order(x):  # all dims
                s = np.asarray(_aten_total(x) / n)  # an array, as the general path gives
                return s.reshape((1,) * x.ndim) if keepdim else s
            acc = np.float32 if dtype is None and x.dtype == _F16 else dtype  # (half: in float32)
            return reduced(np.asarray(x.sum(axis=axes, keepdims=keepdim, dtype=acc) / n,
                                      dtype=dtype or x.dtype), x)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty: nan, as PyTorch
            return np.asarray(np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype) / n,
                              dtype=dtype or x.dtype)

    @staticmethod
    def backward(ctx, g):
        g = _keep(g, ctx.axes, ctx.keepdim) / builtins.max(ctx.n, 1)
        return (_spread(g, ctx.in_shape), None, None, None)


_FILL_MAX = 1 << 16  # larger gradients stay broadcast views (no memory written)


def _spread(g, shape: tuple):
    """``g`` broadcast to the reduced input's ``shape``: the backward of sum and mean.

    A 0-d gradient (a full reduction, the usual loss) of a small input becomes a filled
    array: 0.9 us where np.broadcast_to's Python wrapper takes 2.8 us, and the array is
    the engine's own, so a leaf takes it as ``.grad`` without a copy.
    """
    if not isinstance(g, Tensor) and g.ndim == 0 and math.prod(shape) <= _FILL_MAX:
        out = np.empty(shape, g.dtype)
        out.fill(g)
        return out
    return np.broadcast_to(g, shape)


class MeanDim(Mean):
    node_name = "MeanBackward1"


def mean(input, dim=None, keepdim=False, *, dtype=None,
         axis=None, keepdims=None, out=ABSENT):
    if out is not ABSENT:  # np.mean(tensor): NumPy's call of the method
        raise numpy_call("mean", dim, axis, dtype, keepdims, out, True)
    try:
        x = input._data
    except AttributeError:  # torch.mean(list_of_losses): the parser's refusal
        raise _refused(input, "input", "Tensor") from None
    if dim is None and axis is None and dtype is None and keepdims is None and \
            keepdim is False and x.dtype.kind == "f":
        return Mean.apply(input, None, False, None)  # loss.mean(): what the rest would pass
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names("mean", dim, keepdim, axis, keepdims)
    if keepdim is not False and keepdim is not True:  # the parser's check comes first
        raise _bad_keepdim(keepdim, dim, x.ndim)
    if x.dtype.kind != "f" and dtype is None:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {type_name(x.dtype)}"
        )
    if dtype is not None:
        from ..dtypes import to_np

        dtype = to_np(dtype)
    cls = Mean if dim is None else MeanDim
    return cls.apply(input, _axes(input._data, dim), keepdim, dtype)


class Prod(Primitive):
    """y = prod(x over axis);  dy/dx_i = prod_{j != i} x_j  (= y / x_i when no x_j is 0)."""

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        y = reduced(np.prod(x, axis=axis, keepdims=keepdim, dtype=x.dtype), x)  # no int widening
        ctx.save_for_backward(x, y)
        ctx.axis, ctx.keepdim = axis, keepdim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:
            g, y = np.reshape(g, (1,) * np.ndim(x)), np.reshape(y, (1,) * np.ndim(x))
        else:
            g, y = _keep(g, (axis,), ctx.keepdim), _keep(y, (axis,), ctx.keepdim)
        if (_raw(x).size if axis is None else _raw(x).shape[axis]) == 1:
            return (g, None, None)  # a product of one factor: no other factors, exactly
        if not np.any(_raw(x) == 0):
            return (g * (y / x), None, None)
        if axis is None:
            others = np.reshape(_prod_others(np.reshape(x, (-1,)), 0), np.shape(x))
        else:
            others = _prod_others(x, axis)
        return (g * others, None, None)


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _prod_others(x, axis):
    """Product of all other entries along ``axis``, without dividing (zeros allowed)."""
    if isinstance(x, Tensor):
        # Higher order needs a differentiable form: stack n copies of x, copy i with a 1 in
        # place of x_i, and multiply along the axis (n^2 work, only under create_graph).
        n = x.shape[axis]
        shape = [1] * (x.ndim + 1)
        shape[0] = shape[axis + 1] = n
        eye = np.eye(n, dtype=bool).reshape(shape)
        p = prod(np.where(eye, 1.0, np.expand_dims(x, 0)), axis + 1, keepdim=True)
        return np.reshape(np.swapaxes(p, 0, axis + 1), np.shape(x))
    # Exclusive cumulative products from both ends.
    ones = np.ones_like(np.take(x, [0], axis=axis))
    head = np.take(x, range(x.shape[axis] - 1), axis=axis)
    tail = np.take(np.flip(x, axis=axis), range(x.shape[axis] - 1), axis=axis)
    left = np.cumprod(np.concatenate([ones, head], axis=axis), axis=axis)
    right = np.cumprod(np.concatenate([ones, tail], axis=axis), axis=axis)
    return left * np.flip(right, axis=axis)


class ProdDim(Prod):
    node_name = "ProdBackward1"  # PyTorch's name when a dim is given


def prod(input, dim=None, keepdim=False, *, dtype=None,
         axis=None, keepdims=None, out=ABSENT):
    if out is not ABSENT:  # np.prod(tensor): NumPy's call of the method
        raise numpy_call("prod", dim, axis, dtype, keepdims, out, True)
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('prod', dim, keepdim, axis, keepdims)
    if keepdim is not False and keepdim is not True:
        raise _bad_keepdim(keepdim, dim, input._data.ndim)
    try:
        acc = _int_accumulator(input._data, dtype)
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    x = input if acc is None else input.to(acc)
    axis = None
    if dim is not None:
        axis = _axes(x._data, dim)
        axis = axis[0] if axis else None
    return (Prod if dim is None else ProdDim).apply(x, axis, bool(keepdim))


class LogSumExp(Primitive):
    """y = log(sum(exp(x)));  dy/dx = exp(x - y) = softmax(x). Shifted by max for stability."""

    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)  # empty: log(0) = -inf
        m = np.where(np.isfinite(m), m, 0)
        y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        out = reduced(y if keepdim else np.squeeze(y, axis=axes), x)
        ctx.save_for_backward(x, out)  # the output itself: create_graph differentiates it
        ctx.axes, ctx.keepdim = axes, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g, y = _keep(g, ctx.axes, ctx.keepdim), _keep(y, ctx.axes, ctx.keepdim)
        return (g * np.exp(x - y), None, None)


_REQUIRED = object()  # logsumexp's dim has no default: PyTorch's parser names it when missing


def logsumexp(input, dim=_REQUIRED, keepdim=False, *, _name="logsumexp", axis=None,
              keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names(_name, dim, keepdim, axis, keepdims, _REQUIRED)
    from .elementwise import _float

    if dim is _REQUIRED:
        raise TypeError(f'{_name}() missing 1 required positional arguments: "dim"')
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 2) must be tuple of ints, not "
                        "NoneType")
    return LogSumExp.apply(_float(input), _axes(input._data, dim), bool(keepdim))


def _logical_reduce(fn, input, dim, keepdim):
    x = input._data
    if isinstance(dim, (tuple, list)) and not dim:  # dim=(): PyTorch reduces nothing here
        out = x.astype(np.bool_)
    else:
        out = reduced(np.asarray(fn(x, axis=_axes(x, dim), keepdims=bool(keepdim))), x)
    # PyTorch keeps uint8 for uint8 inputs; every other dtype gives bool.
    return Tensor._make(out.astype(np.uint8) if x.dtype == np.uint8 else out, False, None)


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('all', dim, keepdim, axis, keepdims)
    return _logical_reduce(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names('any', dim, keepdim, axis, keepdims)
    return _logical_reduce(np.any, input, dim, keepdim)


def count_nonzero(input, dim=None):
    try:
        axes = _axes(input._data, dim)
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    x = input._data
    return Tensor._make(reduced(np.asarray(np.count_nonzero(x, axis=axes), np.int64), x), False,
                        None)


# Norms live in norms.py; re-exported here for ``ops``.
from .norms import Norm, NormZero, norm  # noqa: E402,F401


# The scans live in their own file; re-exported here, where ops/__init__ gathers them.
from .cumulative import Cumprod, Cumsum, cumprod, cumsum  # noqa: E402,F401


# Variance and standard deviation live in reduction_stats.py; re-exported here for ``ops``.
from .reduction_stats import StdFromVar, Var, std, std_mean, var, var_mean  # noqa: E402,F401
