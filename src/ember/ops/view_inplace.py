"""In-place changes through a view of a tensor that is part of a graph (``y[0].mul_(3)``).

The view and its base share memory, so the new values are already in the base; what must
change is the graph. The base gets a new node, ``CopySlices`` (base with the view's entries
replaced by the new values), and the view gets a node that reads its entries back out of the
new base (``AsStrided``). The entries are found from memory offsets, so this works for any
view (slices, select, transpose, reshape) of a base, contiguous or not.

Every other view of the same base that is part of a graph (kept as weak references on the
base) is re-pointed the same way after any recorded in-place write to the base or to one of
its views: ``d = y[0]; y.mul_(2)`` then differentiates d through the multiplication, as in
PyTorch.

Views of a base without a graph (``b = zeros(3); v = b[0:2]; b.mul_(w)``) follow too, but are
not registered when made: slicing a tensor that needs no gradient is the commonest thing RL
code does (observations, every step), and a weak reference per view, made, pruned and freed,
measured 0.1-0.2 us, over the budget of a slice that costs ~1.5 us in all. They are looked for
instead at the one moment they can start to matter, the recorded write that first gives the
base a graph (``adopt_views``), and from then on are registered like any view with a graph.
Making a view costs nothing more; views never needed are never referenced.
"""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor


def _offsets(a: np.ndarray, start: int, size: int) -> np.ndarray:
    """Memory offset (in items, from ``start``) of each element of ``a``, shaped like a."""
    pos = np.full(a.shape, start, dtype=np.int64)
    for k, (n, stride) in enumerate(zip(a.shape, a.strides)):
        shape = [1] * a.ndim
        shape[k] = n
        pos = pos + (np.arange(n, dtype=np.int64) * (stride // size)).reshape(shape)
    return pos


def view_positions(base: np.ndarray, view: np.ndarray) -> np.ndarray | None:
    """Flat index (C order) into ``base`` of each element of ``view`` (None if not a view of
    it). A base that is not C-contiguous (a transposed result: ``b = a.t() * 1``, then
    ``b[:, 1].fill_(7)``) is located through the memory offsets of its own elements."""
    if base.dtype != view.dtype or view.size == 0:
        return None
    size = base.dtype.itemsize
    offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if offset % size or any(s % size for s in view.strides + base.strides):
        return None
    pos = _offsets(view, offset // size, size)
    if base.flags.c_contiguous:
        if pos.min() < 0 or pos.max() >= base.size:
            return None
        return pos
    where = _offsets(base, 0, size).reshape(-1)
    order = np.argsort(where, kind="stable")
    ranked = where[order]
    if base.size > 1 and not (ranked[1:] != ranked[:-1]).all():
        return None  # elements sharing memory (an expanded base): no single position
    i = np.searchsorted(ranked, pos)
    if (i >= ranked.size).any() or (ranked[np.minimum(i, ranked.size - 1)] != pos).any():
        return None
    return order[i]


class CopySlices(Primitive):
    """y = base with y.flat[pos] = value;
    dL/dbase = g with zeros at pos,  dL/dvalue = g.flat[pos]."""

    node_name = "CopySlices"  # PyTorch's name for this node (no "Backward0")

    @staticmethod
    def forward(ctx, base, value, pos):
        ctx.pos = pos
        out = np.array(base, copy=True, order="C")  # reshape(-1) a view, not a copy
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


def remember_view(root: Tensor, view: Tensor) -> None:
    """Keep a weak reference to ``view`` on its base ``root``. Dead ones are dropped whenever
    the list reaches a power of two from 16 on (amortised O(1) even if all stay alive), so a
    long-lived base viewed every step keeps a short list."""
    views = root.__dict__.get("_views")
    if views is None:
        root.__dict__["_views"] = [weakref.ref(view)]
        return
    n = len(views)
    if n >= 16 and not n & (n - 1):
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


def refresh_views(root: Tensor, written: Tensor, node=None) -> None:
    """After a recorded in-place write to ``written`` (``root`` or one of its views), give
    every other live view of ``root`` a node that reads its entries out of root's new value.
    ``node`` (the write's op node) is given when root had no graph before the write: its
    views made meanwhile are found first (``adopt_views``)."""
    if node is not None:
        adopt_views(root, written, node)
    views = root.__dict__.get("_views")
    if not views:
        return
    graph_root = None
    for ref in views:
        v = ref()
        if v is None or v is written:
            continue
        pos = view_positions(root._data, v._data)
        if pos is None:  # not locatable (a non-contiguous base): left as it was
            continue
        if graph_root is None:
            graph_root = Tensor._make(root._data, True, root.grad_fn)
        v.grad_fn = AsStrided.apply(graph_root, pos).grad_fn
        v._rg = True


def _refs(root: Tensor) -> int:
    """References to root's version counter (a list every view of root shares)."""
    return sys.getrefcount(root._vc)


def _refs_alone() -> int:
    """``_refs`` of a tensor whose counter nothing else holds, with the caller holding it in
    a local as ``adopt_views`` does (measured rather than assumed: interpreters differ)."""
    t = Tensor._make(None, False, None)
    vc = [0]  # held in a local, like adopt_views' vc
    t._vc = vc
    return _refs(t)


_ALONE = _refs_alone()


def adopt_views(root: Tensor, written: Tensor, node) -> None:
    """Register the live views of ``root`` made while it had no graph, which a recorded
    write (by op ``node`` into ``written``) is now giving it.

    Every view holds root's version counter, so when its reference count is what the root,
    ``written`` and ``node``'s saved-version entries account for, no other view is alive and
    nothing is searched (the common case: ``buf[t] = h`` into a fresh buffer). Otherwise the
    tensors holding the counter are found through the garbage collector's referrer search
    (a walk over all tracked objects, ~1 ms; taken only at a base's first graph, and only
    when something else holds its counter) and those that are views of root registered."""
    vc = root._vc
    if vc is None:
        return
    known = 0
    for e in node._versions:  # (a loop: a generator would hold vc in a cell)
        if e[0] is vc:
            known += 1
    if written is not root and written._vc is vc:
        known += 1
    if _refs(root) - _ALONE <= known:
        return
    views = root.__dict__.get("_views") or ()
    seen = {id(v) for v in (r() for r in views) if v is not None}
    for t in gc.get_referrers(vc):
        if isinstance(t, Tensor) and t._base is root and t is not written and id(t) not in seen:
            remember_view(root, t)
