"""Indexing: reading picks entries, so the gradient puts each picked gradient back where it
came from, adding where an entry was picked more than once (``np.add.at``)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import wrap_dim


def _index_arrays(idx):
    """Turn a PyTorch index (Tensors, lists, slices, None, Ellipsis) into a NumPy index."""
    if isinstance(idx, tuple):
        return tuple(_index_arrays(i) for i in idx)
    if isinstance(idx, Tensor):
        a = idx._data
        if a.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a
    if isinstance(idx, list):
        if any(isinstance(i, Tensor) for i in idx):
            return np.array([i.item() if isinstance(i, Tensor) else i for i in idx])
        return np.asarray(idx) if idx and not any(isinstance(i, (slice, type(None))) for i in idx
                                                  ) else tuple(idx)
    return idx


def _is_basic(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) and not isinstance(i, bool)
               for i in items)


class _IndexAdd(Primitive):
    """z = zeros(shape) with g added at idx;  dz/dg = g picked at idx (the inverse of Index)."""

    @staticmethod
    def forward(ctx, g, shape, idx):
        ctx.idx = idx
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, idx, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return (gg[ctx.idx], None, None)


def index_add_into(shape, idx, g):
    """zeros(shape) with g added at idx, on arrays or (for create_graph) on Tensors."""
    if isinstance(g, Tensor):
        return _IndexAdd.apply(g, shape, idx)
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(idx):
        out[idx] = g  # basic indexing never repeats an entry: plain assignment is enough
    else:
        np.add.at(out, idx, g)
    return out


class Index(Primitive):
    """y = x[idx];  dL/dx = zeros with dL/dy added at idx (accumulating repeated indices)."""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, np.shape(x)
        return x[idx]

    @staticmethod
    def backward(ctx, g):
        return (index_add_into(ctx.in_shape, ctx.idx, g), None)


def getitem(input, idx):
    np_idx = _index_arrays(idx)
    try:
        out = Index.apply(input, np_idx)
    except IndexError as e:
        raise IndexError(_index_message(e, input, idx)) from None
    if _is_basic(np_idx):
        from .shape import _view_of

        _view_of(out, input)
    return out


def _index_message(e, input, idx) -> str:
    msg = str(e)
    if "out of bounds" in msg:
        import re

        m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
        if m:
            return (f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size "
                    f"{m.group(3)}")
    if "too many indices" in msg:
        return (f"too many indices for tensor of dimension {input._data.ndim}")
    return msg


class IndexPut(Primitive):
    """y = x with y[idx] = v;  dL/dx = dL/dy with zeros at idx,  dL/dv = dL/dy[idx]."""

    @staticmethod
    def forward(ctx, x, v, idx):
        ctx.idx = idx
        out = np.array(x, copy=True)
        out[idx] = v
        return out

    @staticmethod
    def backward(ctx, g):
        gx = np.where(_mask_of(np.shape(g), ctx.idx), 0, g) if ctx.needs_input_grad[0] else None
        gv = g[ctx.idx] if ctx.needs_input_grad[1] else None
        return gx, gv, None


def _mask_of(shape, idx):
    m = np.zeros(shape, dtype=bool)
    m[idx] = True
    return m


def setitem(input, idx, value):
    """``input[idx] = value``, in place (recorded when gradients are tracked)."""
    np_idx = _index_arrays(idx)
    v = value if isinstance(value, Tensor) else Tensor._make(
        np.asarray(value, dtype=input._data.dtype), False, None)
    tracked = input._rg or v._rg
    from ..autograd.grad_mode import STATE

    if tracked and STATE.enabled:
        result = IndexPut.apply(input._graph_input(), v, np_idx)
        return input._write(result)
    input._check_inplace()
    arr = input._ensure_array()
    try:
        arr[np_idx] = v._data
    except IndexError as e:
        raise IndexError(_index_message(e, input, idx)) from None
    input._bump()
    return input


class Gather(Primitive):
    """y[i][j] = x[i][idx[i][j]] (dim=1);  dL/dx = zeros with dL/dy added back at idx."""

    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.dim, ctx.idx, ctx.in_shape = dim, idx, np.shape(x)
        return np.take_along_axis(x, idx, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (scatter_into(ctx.in_shape, ctx.dim, ctx.idx, g), None, None)


def _along_index(shape, dim, idx):
    """The full NumPy index that ``take_along_axis(x, idx, dim)`` reads."""
    grids = np.ogrid[tuple(slice(n) for n in idx.shape)]
    grids[dim] = idx
    return tuple(grids)


def scatter_into(shape, dim, idx, g):
    """zeros(shape) with g added at idx along dim (repeated indices accumulate)."""
    return index_add_into(shape, _along_index(shape, dim, idx), g)


def _check_index(input, dim, index, name):
    if not isinstance(index, Tensor) or index._data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index._data.ndim != input._data.ndim and input._data.ndim:
        raise RuntimeError(
            "Index tensor must have the same number of dimensions as input tensor")
    n = input._data.shape[dim] if input._data.ndim else 1
    if index._data.size and (index._data.max() >= n or index._data.min() < -n):
        raise RuntimeError(
            f"index {int(index._data.max())} is out of bounds for dimension {dim} with size {n}")


def gather(input, dim, index, *, sparse_grad=False):
    d = wrap_dim(dim, input._data.ndim)
    _check_index(input, d, index, "gather")
    return Gather.apply(input, d, index._data)


class Scatter(Primitive):
    """y = x with y[idx along dim] = src;  dL/dx = dL/dy zeroed at idx,  dL/dsrc = gather(dL/dy)."""

    @staticmethod
    def forward(ctx, x, src, dim, idx, add):
        ctx.dim, ctx.idx, ctx.add = dim, idx, add
        out = np.array(x, copy=True)
        where = _along_index(out.shape, dim, idx)
        src = np.broadcast_to(src, idx.shape) if np.ndim(src) == 0 else src[
            tuple(slice(n) for n in idx.shape)]
        if add:
            np.add.at(out, where, src)
        else:
            out[where] = src
        return out

    @staticmethod
    def backward(ctx, g):
        where = _along_index(np.shape(g), ctx.dim, ctx.idx)
        gx = g if ctx.add else np.where(_mask_of(np.shape(g), where), 0, g)
        gsrc = np.take_along_axis(g, ctx.idx, axis=ctx.dim) if ctx.needs_input_grad[1] else None
        return gx, gsrc, None, None, None


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    d = wrap_dim(dim, input._data.ndim)
    _check_index(input, d, index, "scatter")
    if src is None:
        src = value
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src, dtype=input._data.dtype), False, None)
    return Scatter.apply(input, src, d, index._data, reduce == "add")


def scatter_add(input, dim, index, src):
    d = wrap_dim(dim, input._data.ndim)
    _check_index(input, d, index, "scatter_add")
    return Scatter.apply(input, src, d, index._data, True)


def index_select(input, dim, index):
    d = wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return getitem(input, (slice(None),) * d + (index._data.reshape(-1),))


def masked_fill(input, mask, value):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{Tensor._dtype_of(m.dtype).name}")
    from .elementwise import where

    v = value if isinstance(value, Tensor) else Tensor._make(
        np.asarray(value, dtype=input._data.dtype), False, None)
    return where(Tensor._make(m, False, None), v.to(input._data.dtype), input)


def masked_select(input, mask):
    m = np.broadcast_to(mask._data, np.broadcast_shapes(mask._data.shape, input._data.shape))
    return getitem(input.expand(m.shape), Tensor._make(m, False, None))


def nonzero(input, *, as_tuple=False):
    nz = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64), False, None) for a in nz)
    return Tensor._make(np.stack(nz, axis=1).astype(np.int64), False, None)


def take(input, index):
    return getitem(input.reshape(-1), index)
