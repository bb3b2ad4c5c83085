"""index_reduce: reduce (prod, mean, amax, amin) source slices into ``input`` at positions
along a dim, optionally counting ``input``'s own values (``include_self``).

The backward rule is PyTorch's index_reduce_backward, written with ember's ops so that one
text serves both orders: on arrays it runs on untracked Tensors, under
``create_graph=True`` on the engine's tracked ones (including PyTorch's refusal of a double
backward through prod when two zeros of source meet at one place).
"""

from __future__ import annotations

import numpy as np

from .._warn import warn
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._util import wrap_dim
from .arithmetic import type_name

_REDUCES = ("prod", "mean", "amax", "amin")
_WARNED: list = []
_TWO_ZEROS = ("index_reduce(): Double backward is unsupported for source when >1 zeros in source "
              "are scattered to the same position in self")


def _identity(reduce: str, dt: np.dtype):
    if reduce in ("prod", "mean"):
        return 1 if reduce == "prod" else 0
    if dt.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dt)
    return info.min if reduce == "amax" else info.max


def _forward(x, src, d: int, idx, reduce: str, include_self: bool):
    where = (slice(None),) * d + (idx,)
    out = np.array(x, copy=True)
    if not include_self:
        out[where] = _identity(reduce, x.dtype)
    ufunc = {"prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}
    ufunc[reduce].at(out, where, src)
    if reduce == "mean":
        counts = np.full(x.shape, 1 if include_self else 0, x.dtype)
        np.add.at(counts, where, 1)
        counts[counts == 0] = 1
        out = out // counts if x.dtype.kind in "iu" else out / counts
    return out.astype(x.dtype, copy=False)


class _DelayedError(Primitive):
    """y = x, whose gradient cannot be taken (PyTorch's DelayedError node)."""

    node_name = "DelayedError"

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(_TWO_ZEROS)


def _tensor(a) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor._make(np.asarray(a), False, None)


def _prod_grads(g, x, src, out, d, idx, include_self):
    from ..creation import zeros_like
    masked_x = x.masked_fill(x == 0, 1)
    gx = g * index_reduce(masked_x, d, idx, src, "prod", include_self=include_self) / masked_x
    src_zero = src == 0
    zeros = zeros_like(x).index_add(d, idx, src_zero.to(x.dtype)).index_select(d, idx)
    single = src_zero & (zeros == 1)
    masked_src_result = index_reduce(x, d, idx, src.masked_fill(single, 1), "prod",
                                     include_self=include_self)
    from .selection import where

    gs = where(single, (g * masked_src_result).index_select(d, idx),
               (g * out).index_select(d, idx) / src.masked_fill(src_zero, 1))
    if gs._rg and bool((zeros._data > 1).any()):
        gs = _DelayedError.apply(gs)
    return gx, gs


def _grads(g, x, src, out, d, idx, reduce, include_self):
    """PyTorch's index_reduce_backward on Tensors (idx an int64 Tensor)."""
    from ..creation import ones_like, zeros_like

    if reduce == "prod":
        gx, gs = _prod_grads(g, x, src, out, d, idx, include_self)
    elif reduce == "mean":
        n = (ones_like(g) if include_self else zeros_like(g)).index_add(d, idx, ones_like(src))
        n = n.masked_fill(n == 0, 1)
        gx = g / n
        gs = g.index_select(d, idx) / n.index_select(d, idx)
    else:
        x_is = (x == out).to(x.dtype)
        s_is = (src == out.index_select(d, idx)).to(x.dtype)
        share = g / x_is.index_add(d, idx, s_is)
        gx = x_is * share
        gs = s_is * share.index_select(d, idx)
    if not include_self:
        gx = gx.index_fill(d, idx, 0)
    return gx, gs


class IndexReduce(Primitive):
    """y = x with y[idx[i] along dim] reduced with src[i along dim] (and x itself when
    include_self).  prod: each factor gets g times the product of the others;  mean: g / count;
    amax/amin: g shared evenly among the values equal to the result."""

    @staticmethod
    def forward(ctx, x, src, d, idx, reduce, include_self):
        out = _forward(x, src, d, idx, reduce, include_self)
        ctx.save_for_backward(x, src, out)
        ctx.args = (d, idx, reduce, include_self)
        return out

    @staticmethod
    def backward(ctx, g):
        x, src, out = ctx.saved_tensors
        d, idx, reduce, include_self = ctx.args
        arrays = not isinstance(g, Tensor)
        ts = [_tensor(a) for a in (g, x, src, out)]
        gx, gs = _grads(*ts, d, _tensor(idx), reduce, include_self)
        if arrays:
            gx, gs = gx._data, gs._data
        return gx, gs, None, None, None, None


def _check(input: Tensor, d: int, index: Tensor, source: Tensor, name: str) -> np.ndarray:
    i, x, s = index._data, input._data, source._data
    if i.ndim > 1:
        raise IndexError(f"{name}_(): Index is supposed to be a vector, but got dim: {i.ndim} "
                         f"with type: {type_name(i.dtype)} and size: {list(i.shape)}")
    if i.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}_(): Expected dtype int32/int64 for index but got: "
                           f"{type_name(i.dtype)}")
    if x.dtype != s.dtype:
        raise RuntimeError(f"{name}_(): self ({type_name(x.dtype)}) and source "
                           f"({type_name(s.dtype)}) must have the same scalar type")
    if not (d == 0 or d < s.ndim):
        raise RuntimeError(f"{name}_(): Indexing dim {d} is out of bounds of the source tensor "
                           f"with dim {s.ndim}")
    ns = s.shape[d] if s.ndim else 1
    if i.size != ns:
        raise RuntimeError(f"{name}_(): Number of indices ({i.size}) should be equal to "
                           f"source.size(dim): ({ns}), for dim: {d}")
    xs, ss = list(x.shape), list(s.shape)
    if x.ndim and s.ndim:
        del xs[d], ss[d]
    if xs != ss:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(s.shape)}")
    return i.reshape(-1).astype(np.int64)


def _check_range(flat: np.ndarray, n: int) -> None:
    if flat.size and (flat.min() < 0 or flat.max() >= n):
        raise IndexError("index out of range in self")


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """``input`` with each ``source`` slice i reduced into slice ``index[i]`` along ``dim``."""
    if reduce not in _REDUCES:
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")
    d = wrap_dim(dim, input._data.ndim)
    i = _check(input, d, index, source, "index_reduce")
    if not _WARNED:  # PyTorch warns once, after the shape and dtype checks
        _WARNED.append(True)
        warn("index_reduce() is in beta and the API may change at any time.")
    _check_range(i, input._data.shape[d] if input._data.ndim else 1)  # PyTorch: after the warning
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"index_func_\" not implemented for 'Bool'")
    x = input if input._data.ndim else input.reshape(1)
    s = source if source._data.ndim else source.reshape(1)
    out = IndexReduce.apply(x, s, d, i, reduce, bool(include_self))
    return out if input._data.ndim else out.reshape(())
