"""In-place changes through a view of a tensor that is part of a graph (``y[0].mul_(3)``).

The view and its base share memory, so the new values are already in the base; what must
change is the graph. The base gets a new node, ``CopySlices`` (base with the view's entries
replaced by the new values), and the view gets a node that reads its entries back out of the
new base (``AsStrided``). The entries are found from memory offsets, so this works for any
view (slices, select, transpose, reshape) of a contiguous base.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor


def view_positions(base: np.ndarray, view: np.ndarray) -> np.ndarray | None:
    """Flat index into ``base`` of each element of ``view`` (None if not a view of it)."""
    if not base.flags.c_contiguous or base.dtype != view.dtype or view.size == 0:
        return None
    size = base.dtype.itemsize
    offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if offset % size or any(s % size for s in view.strides):
        return None
    pos = np.full(view.shape, offset // size, dtype=np.int64)
    for k, (n, stride) in enumerate(zip(view.shape, view.strides)):
        shape = [1] * view.ndim
        shape[k] = n
        pos = pos + (np.arange(n, dtype=np.int64) * (stride // size)).reshape(shape)
    if pos.min() < 0 or pos.max() >= base.size:
        return None
    return pos


class CopySlices(Primitive):
    """y = base with y.flat[pos] = value;  dL/dbase = g with zeros at pos,  dL/dvalue = g.flat[pos]."""

    @staticmethod
    def forward(ctx, base, value, pos):
        ctx.pos = pos
        out = np.array(base, copy=True)
        out.reshape(-1)[pos.reshape(-1)] = np.broadcast_to(value, pos.shape).reshape(-1)
        return out

    @staticmethod
    def backward(ctx, g):
        pos = ctx.pos
        keep = np.ones(np.shape(g), dtype=bool)
        keep.reshape(-1)[pos.reshape(-1)] = False
        flat = np.reshape(g, (-1,))
        return g * keep, flat[pos], None


class AsStrided(Primitive):
    """y = base.flat[pos] (the view's entries);  dL/dbase = zeros with g placed at pos."""

    @staticmethod
    def forward(ctx, base, pos):
        ctx.pos, ctx.base_shape = pos, np.shape(base)
        return np.reshape(base, (-1,))[pos]

    @staticmethod
    def backward(ctx, g):
        from .indexing import index_add_into

        flat = index_add_into((int(np.prod(ctx.base_shape)),), ctx.pos, g)
        return np.reshape(flat, ctx.base_shape), None


def rebase(view: Tensor, base: Tensor, before: Tensor, result: Tensor) -> bool:
    """Give ``base`` and ``view`` the graph of an in-place write of ``result`` into ``view``.

    ``before`` is the base's value and graph position from just before the write. Returns
    False when the view's entries cannot be located in the base (then the caller refuses).
    """
    pos = view_positions(base._data, view._data)
    if pos is None:
        return False
    new_base = CopySlices.apply(before, result, pos)
    base.grad_fn, base._rg = new_base.grad_fn, True
    view.grad_fn = AsStrided.apply(Tensor._make(base._data, True, base.grad_fn), pos).grad_fn
    view._rg = True
    return True
