"""Variance and standard deviation (var, std, var_mean, std_mean) over dims, as PyTorch.

float32 and half accumulate in float64 and round once, as PyTorch's Welford kernel does;
var/std of a whole float tensor follow PyTorch's own two-pass loop (_var_all).
"""

from __future__ import annotations

import builtins

import numpy as np

from .._aten_sum import total as _aten_total, use as _aten_order
from .._warn import warn
from ..autograd.function import Primitive
from ._axis_alias import dim_alias
from ._axis_alias import numpy_names
from ._layout import reduced
from ._outputs import MergedNode
from ._util import dims, keep_reduced as _keep
from .reduction import Mean, _axes, _count


def _correction(unbiased, correction) -> int:
    if correction is None:
        return 1 if unbiased is None or unbiased else 0
    return int(correction)


def _both_error(name, dim, unbiased, keepdim, correction) -> TypeError:
    """The parser's refusal of unbiased with correction (no overload takes both)."""
    from .._call_site import refusal

    t = lambda v: type(v).__name__  # noqa: E731
    return refusal(name, {"input": "Tensor", "dim": "bool" if dim is None else t(dim),
                          "unbiased": t(unbiased), "keepdim": t(keepdim),
                          "correction": t(correction)})


_NARROW = (np.dtype(np.float32), np.dtype(np.float16))
_VAR64 = [None, None]  # the last narrow variance Var returned, and its float64 value


class Var(Primitive):
    """y = sum((x - mean)^2) / (N - c);  dy/dx = 2 (x - mean) / (N - c).

    N <= c divides by zero: inf or nan, as PyTorch.
    """

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, for_std=False, two_pass=False):
        n = _count(x, axes)
        denom = builtins.max(n - correction, 0)
        ctx.axes, ctx.keepdim, ctx.n, ctx.denom = axes, keepdim, n, denom
        ctx.save_for_backward(x)
        # float32 and half: PyTorch accumulates in float64 (Welford) and rounds once; two
        # passes in float64 give the same float64 to rounding, so the same float32 result.
        wide = x.dtype in _NARROW
        # var/std of all of a float tensor (not var_mean's Welford): PyTorch's own two-pass
        # loop (_var_all); float64 needs its order always, float32 only for a far-off mean
        full = two_pass and (axes is None or len(axes) == x.ndim) and _aten_order(x)
        if full and x.dtype.char == "d":
            return reduced(_var_all(x, n, denom, keepdim), x)
        # np.add.reduce is what np.sum calls, without its ~1.2 us Python wrapper (x.std() of
        # PPO's advantages every minibatch)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.add.reduce(x, axis=axes, keepdims=True, dtype=np.float64 if wide else None)
            d = np.subtract(x, m / builtins.max(n, 1))  # float64 for a narrow x: no copy of x
            d *= d  # (in place; a 0-d input gives a NumPy scalar)
            v = np.asarray(np.add.reduce(d, axis=axes, keepdims=keepdim) / denom)
            if full and (m.item() / n) ** 2 > 256 * v.item():
                # |mean| > 16 std: PyTorch's float32 mean is off by enough to show
                v = _var_all(x, n, denom, keepdim)
        out = reduced(v.astype(x.dtype, copy=False), x)  # (astype keeps v's layout)
        if wide and for_std:
            _VAR64[:] = out, v  # std's sqrt is also taken in float64 (StdFromVar)
        return out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = x - x.sum(axis=ctx.axes, keepdims=True) / builtins.max(ctx.n, 1)
        scale = 2.0 / ctx.denom if ctx.denom else float("inf")  # a Python float keeps x's dtype
        return (_keep(g, ctx.axes, ctx.keepdim) * (d * scale), None, None, None, None, None)


def _var_all(x, n, denom, keepdim) -> np.ndarray:
    """The float64 variance of all of x (float32/64) as PyTorch's CPU kernel takes it, up to
    GRAIN_SIZE elements (above, its threads split the sum): the mean in x's own dtype (ATen's
    sum / n: for float32 with a large mean next to a small spread, not the float64 mean's
    result), then sum((x - mean)^2) in float64, one element after another in memory order.
    A float32 result hides that order, so float32 takes NumPy's faster pairwise sum."""
    mean = float(_aten_total(x) / x.dtype.type(n))
    d = np.subtract(x.ravel(order="K"), mean, dtype=np.float64)
    d *= d
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s = np.add.accumulate(d)[-1] if x.dtype.char == "d" else np.add.reduce(d)
        v = np.float64(s) / np.float64(denom)
    return np.full((1,) * x.ndim if keepdim else (), v)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, _name="var",
        axis=None, keepdims=None, _for_std=False):
    """sum((x - mean)^2) / (N - correction); also ``var(x, unbiased)`` as PyTorch."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names(_name, dim, keepdim, axis, keepdims)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:  # PyTorch has no overload taking both
        raise _both_error(_name, dim, unbiased, keepdim, correction)
    correction = _correction(unbiased, correction)
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, (tuple, list)):
        dims(dim, input._data.ndim, in_order=True)  # PyTorch's order of dim errors here
    axes = _axes(input._data, dim)
    factor = _count(input._data, axes) if input._data.size else 0  # in numel / out numel
    if factor - correction <= 0:  # (a lone sample's std is nan: PyTorch says why)
        warn(f"{_name}(): degrees of freedom is <= 0. Correction should be strictly less "
             "than the reduction factor (input numel divided by output numel).")
    return _NAMED_VAR.get(_name, Var).apply(input, axes, correction, bool(keepdim), _for_std,
                                            _name not in _NAMED_VAR)


class StdFromVar(Primitive):
    """y = sqrt(v) for a variance v;  dy/dv = 1/(2y), taken as 0 where y = 0 (as PyTorch)."""

    node_name = "StdBackward0"
    _node_base = MergedNode  # next_functions: var's inputs, as PyTorch's one std node

    @staticmethod
    def forward(ctx, v):
        if _VAR64[0] is v:  # PyTorch's std: sqrt of the float64 variance, rounded once
            y = np.empty_like(v)  # v's layout (Var's output is laid out as PyTorch's)
            np.sqrt(_VAR64[1], out=y, casting="same_kind")
            _VAR64[:] = None, None
        else:
            y = np.sqrt(v)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        nonzero = y != 0
        return (g / (2 * np.where(nonzero, y, 1)) * nonzero,)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, _name="std",
        axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch takes
        dim, keepdim = numpy_names(_name, dim, keepdim, axis, keepdims)
    return _NAMED_STD.get(_name, StdFromVar).apply(
        var(input, dim, unbiased, keepdim, correction=correction, _name=_name, _for_std=True))


# var_mean and std_mean: both outputs show PyTorch's one node's name (VarMeanBackward0, ...).
_NAMED_VAR = {"var_mean": type("VarMean", (Var,), {"node_name": "VarMeanBackward0"})}
_NAMED_STD = {"std_mean": type("StdMean", (StdFromVar,), {"node_name": "StdMeanBackward0"})}


class _WelfordMean(Mean):
    """var_mean's and std_mean's mean: for float32 and half, as PyTorch's Welford pass, the
    float64 mean rounded once (a plain float32 mean sums in float32)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        if dtype is None and x.dtype in _NARROW and x.size:
            n = _count(x, axes)
            ctx.axes, ctx.keepdim, ctx.in_shape, ctx.n = axes, keepdim, np.shape(x), n
            m = np.sum(x, axis=axes, keepdims=keepdim, dtype=np.float64) / n
            return reduced(np.asarray(m).astype(x.dtype), x)
        return Mean.forward(ctx, x, axes, keepdim, dtype)


_NAMED_MEAN = {name: type(name, (_WelfordMean,), {"node_name": name})
               for name in ("VarMeanBackward0", "StdMeanBackward0")}


def _named_mean(input, dim, keepdim, name: str):
    return _NAMED_MEAN[name].apply(input, _axes(input._data, dim), bool(keepdim), None)


def _float_stats(input, name: str) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _float_stats(input, "var_mean")
    return (var(input, dim, unbiased, keepdim, correction=correction, _name="var_mean"),
            _named_mean(input, dim, keepdim, "VarMeanBackward0"))


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _float_stats(input, "std_mean")
    return (std(input, dim, unbiased, keepdim, correction=correction, _name="std_mean"),
            _named_mean(input, dim, keepdim, "StdMeanBackward0"))
