"""Sliding-window and strided views (unfold, as_strided), scatter_reduce, renorm and the bit
shifts. A view's gradient adds each of its entries' gradients back to the input entry it
reads (entries read more than once, as overlapping windows do, collect every share).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Primitive
from ._axis_alias import dim_alias
from ._util import wrap_dim
from .arithmetic import type_name
from .compare import _bitwise
from .gather_scatter import Scatter, _along_index, _as_1d, _check_index
from .indexing import index_add_into
from .shape import _view_of


def _positions(shape, steps, offset) -> np.ndarray:
    """The flat storage position of every entry of a strided layout (element steps)."""
    pos = np.full(tuple(shape), offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(shape, steps)):
        sh = [1] * len(shape)
        sh[k] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(sh)
    return pos


class Unfold(Primitive):
    """y[..., w, ..., k] = x[..., w*step + k, ...] (windows along dim);
    dL/dx = zeros with each window's gradient added back where it was read."""

    node_name = "UnfoldBackward0"

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.args = (np.shape(x), dim, size, step)
        win = sliding_window_view(x, size, axis=dim, writeable=step >= size and
                                  x.flags.writeable)
        return _on_root(win[(slice(None),) * dim + (slice(None, None, step),)], x)

    @staticmethod
    def backward(ctx, g):
        shape, dim, size, step = ctx.args
        nd, n_out = len(shape), np.ndim(g)
        idx = []
        for j, n in enumerate(shape):
            sh = [1] * n_out
            if j == dim:
                sh[j] = np.shape(g)[j]
                start = (np.arange(sh[j]) * step).reshape(sh)
                sh2 = [1] * n_out
                sh2[nd] = size
                idx.append(start + np.arange(size).reshape(sh2))
            else:
                sh[j] = n
                idx.append(np.arange(n).reshape(sh))
        return index_add_into(shape, tuple(idx), g), None, None, None


def unfold(self, dimension, size, step):
    """``Tensor.unfold``: a view of every ``size``-long window along ``dimension``, ``step``
    apart, as a new last dim."""
    x = self if self._data.ndim else self.reshape(1)
    d = wrap_dim(dimension, x._data.ndim)
    n = x._data.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    out = Unfold.apply(x, d, size, step)
    if not self._data.ndim:
        out = out.reshape(out._data.shape[1:])
    return _view_of(out, self)


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _on_root(view: np.ndarray, x: np.ndarray) -> np.ndarray:
    """NumPy's stride tricks hang their result off a stand-in object; rebuild it on x's
    memory-owning array, so storage_offset() and view tracking see the real root."""
    root = _root(x)
    try:
        out = np.ndarray(view.shape, view.dtype, buffer=root,
                         offset=_address(view) - _address(root), strides=view.strides)
    except (TypeError, ValueError):  # a root that exports no buffer (broadcast): keep as is
        return view
    if not view.flags.writeable:
        out.flags.writeable = False
    return out


class AsStridedView(Primitive):
    """y = storage[pos] (pos from size, stride, offset);  dL/dx = the gradient each storage
    place collected, read back at x's own places."""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        root = _root(x)
        item = x.itemsize
        pos = _positions(size, stride, offset)
        own = (_address(x) - _address(root)) // item
        ctx.root_size, ctx.pos = root.size, pos
        ctx.xpos = _positions(x.shape, [s // item for s in x.strides], own)
        start = root.reshape(-1, order="A")[offset:] if offset < root.size else root[:0]
        unique = np.unique(pos).size == pos.size
        view = _np_as_strided(start, tuple(size), tuple(s * item for s in stride),
                              writeable=unique and x.flags.writeable)
        return _on_root(view, x)

    @staticmethod
    def backward(ctx, g):
        flat = index_add_into((ctx.root_size,), ctx.pos, g)
        return flat[ctx.xpos], None, None, None


def as_strided(input, size, stride, storage_offset=None):
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    a = np.asarray(input._data)
    root = _root(a)
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        raise RuntimeError("ember's as_strided needs a tensor whose storage is one contiguous "
                           "array.\nHint: call .contiguous() first.")
    offset = (_address(a) - _address(root)) // a.itemsize if storage_offset is None \
        else storage_offset
    need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > root.size:
        item = a.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size {root.nbytes}")
    return _view_of(AsStridedView.apply(input, size, stride, offset), input)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}
_REDUCES = ("sum", "prod", "mean", "amax", "amin")
# PyTorch's scatter_reduce forward also takes "max" and "min" (its reduction enum's old
# names), but its backward refuses them (and index_reduce takes neither).
_ALIASES = {"max": "amax", "min": "amin"}
_MISSING = object()


def _identity(reduce: str, dt: np.dtype):
    if reduce in _IDENTITY:
        return _IDENTITY[reduce]
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    if dt.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Primitive):
    """y[p] = reduce of x[p] (if include_self) and the src entries scattered to p.
    sum: dx = g (0 where excluded), dsrc = g[idx].  mean: both get g / count.
    prod: each contributor gets g times the product of the others.
    amax/amin: g is shared evenly among the contributors equal to the result.
    ("max"/"min" reduce as amax/amin; their backward raises, as PyTorch's.)"""

    @staticmethod
    def forward(ctx, x, src, dim, idx, reduce, include_self):
        ctx.given, reduce = reduce, _ALIASES.get(reduce, reduce)
        where = _along_index(dim, idx)
        s = src[tuple(slice(n) for n in idx.shape)]
        out = np.array(x, copy=True)
        hit = np.zeros(x.shape, bool)
        hit[where] = True
        if not include_self:
            out[where] = _identity(reduce, x.dtype)
        ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}.get(reduce, np.add)
        ufunc.at(out, where, s)
        keep = include_self | ~hit  # x's entries that took part
        ctx.where, ctx.src_shape, ctx.block = where, np.shape(src), np.shape(idx)
        ctx.reduce, ctx.keep = reduce, keep
        if reduce == "mean":
            count = keep.astype(x.dtype)
            np.add.at(count, where, 1)
            out = out // count if x.dtype.kind in "iub" else out / count
            ctx.share = count
        elif reduce == "prod":
            ctx.others_x, ctx.others_s = _prod_parts(keep, x, s, where)
        elif reduce in ("amax", "amin"):
            x_tie = (x == out) & keep
            ties = x_tie.astype(x.dtype)
            src_tie = s == out[where]
            np.add.at(ties, where, src_tie)
            ctx.x_tie, ctx.src_tie, ctx.share = x_tie, src_tie, ties
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        where, reduce = ctx.where, ctx.reduce
        if ctx.given != reduce:
            raise RuntimeError("Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                               f"'amin' but got {ctx.given}.")
        if reduce == "sum":
            gx, gs = g * ctx.keep, g[where]
        elif reduce == "mean":
            gx = g * ctx.keep / ctx.share
            gs = (g / ctx.share)[where]
        elif reduce == "prod":
            gx = g * ctx.others_x * ctx.keep
            gs = g[where] * ctx.others_s
        else:
            gx = g * ctx.x_tie / ctx.share
            gs = (g / ctx.share)[where] * ctx.src_tie
        if ctx.needs_input_grad[1] and tuple(ctx.src_shape) != tuple(ctx.block):
            gs = index_add_into(ctx.src_shape, tuple(slice(n) for n in ctx.block), gs)
        return gx, gs, None, None, None, None


def _prod_parts(keep, x, s, where) -> tuple:
    """Each contributor's product of the others, exact with zeros: from the product of the
    nonzero contributors and the count of zero ones at every place."""
    nz = np.where(keep & (x != 0), x, 1).astype(x.dtype)
    zeros = (keep & (x == 0)).astype(np.int64)
    np.multiply.at(nz, where, np.where(s != 0, s, 1))
    np.add.at(zeros, where, (s == 0).astype(np.int64))

    def others(v, p, z):
        return np.where(v != 0, np.where(z == 0, p / np.where(v != 0, v, 1), 0),
                        np.where(z == 1, p, 0))

    return others(x, nz, zeros), others(s, nz[where], zeros[where])


class ScatterReduceNothing(Scatter):
    """scatter_reduce through an empty index: y = x;  dL/dx = dL/dy,  dL/dsrc = 0."""

    node_name = "ScatterReduceBackward0"


def _scatter_reduce_fn(name: str, at: int):
    """torch.scatter_reduce (index, src, reduce: arguments 3-5) and the methods (2-4: self
    left out), one body each so that a method costs no extra call."""

    def scatter_reduce(input, dim, index, src, reduce=_MISSING, *, include_self=True):
        if reduce is _MISSING:  # PyTorch's argument parser's wording
            raise TypeError(f'{name}() missing 1 required positional arguments: "reduce"')
        if not (isinstance(reduce, str) and _ALIASES.get(reduce, reduce) in _REDUCES):
            if not isinstance(reduce, str):
                raise TypeError(f"{name}(): argument 'reduce' (position {at + 2}) must be str, "
                                f"not {type(reduce).__name__}")
            raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, "
                               f"got {reduce}")
        d = wrap_dim(dim, input._data.ndim)
        try:
            same = src._data.dtype == input._data.dtype
        except AttributeError:
            raise TypeError(f"{name}(): argument 'src' (position {at + 1}) must be Tensor, not "
                            f"{type(src).__name__}") from None
        if not same:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        _check_index(input, d, index, "scatter", src, name, at)
        if not index._data.size:  # nothing reduced: self's values (src's gradient zero)
            return ScatterReduceNothing.apply(input, src, d, index._data, True)
        if not (input._data.ndim and index._data.ndim):  # 0-d acts as 1-d, as in scatter
            x, i, s = _as_1d(input, index, src)
            out = ScatterReduce.apply(x, s, d, i, reduce, bool(include_self))
            return out if input._data.ndim else out.reshape(())
        return ScatterReduce.apply(input, src, d, index._data, reduce, bool(include_self))

    scatter_reduce.__qualname__ = "scatter_reduce"
    return scatter_reduce


# (axis= for dim=, as PyTorch's parser: _axis_alias.py)
scatter_reduce = dim_alias(_scatter_reduce_fn("scatter_reduce", 3))
scatter_reduce_method = dim_alias(_scatter_reduce_fn("scatter_reduce", 2))
scatter_reduce_inplace = dim_alias(_scatter_reduce_fn("scatter_reduce_", 2))  # (wrapped by _inplace)


class Renorm(Primitive):
    """y = x * f(n) per slice along dim, n the slice's p-norm, f = maxnorm / (n + 1e-7) where
    n > maxnorm else 1;  dL/dx = g f + f'(n) sum(g x) dn/dx,  f' = -maxnorm / (n + 1e-7)^2."""

    @staticmethod
    def forward(ctx, x, p, dim, maxnorm):
        axes = tuple(k for k in range(x.ndim) if k != dim)
        a = np.abs(x)
        n = a.max(axis=axes, keepdims=True) if p == np.inf else \
            (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        over = n > maxnorm
        f = np.where(over, maxnorm / (n + 1e-7), 1.0).astype(x.dtype)
        ctx.args = (x, p, axes, n, over, f, maxnorm)
        return x * f

    @staticmethod
    def backward(ctx, g):
        x, p, axes, n, over, f, maxnorm = ctx.args
        df = np.where(over, -maxnorm / (n + 1e-7) ** 2, 0.0).astype(x.dtype)
        a = np.abs(x)
        if p == np.inf:
            top = a == n
            dn = np.sign(x) * top / top.sum(axis=axes, keepdims=True)
        elif p == 1:
            dn = np.sign(x)
        else:
            dn = np.sign(x) * a ** (p - 1) / np.where(n > 0, n, 1) ** (p - 1)
        s = (g * x).sum(axis=axes, keepdims=True)
        return g * f + dn.astype(x.dtype) * (s * df), None, None, None


def renorm(input, p, dim, maxnorm):
    x = input._data
    if x.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(x.dtype)}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    return Renorm.apply(input, float(p), wrap_dim(dim, x.ndim), maxnorm)


def _shift(left: bool):
    name = "lshift" if left else "rshift"

    def fn(a, b):
        # After promotion a tensor operand has the result dtype (a number keeps to it).
        dt = next(v.dtype for v in (a, b) if isinstance(v, (np.ndarray, np.generic)))
        if dt == np.bool_:
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')
        bits = dt.itemsize * 8
        a, b = np.asarray(a).astype(dt, copy=False), np.asarray(b).astype(dt, copy=False)
        if left:  # a shift by the width or more gives 0 (NumPy's C shift would wrap it)
            return np.where(b >= bits, 0, np.left_shift(a, np.minimum(b, bits - 1))).astype(dt)
        out = np.right_shift(a, np.minimum(b, bits - 1))  # signed: the sign fills in
        return np.where(b >= bits, 0, out).astype(dt) if dt.kind == "u" else out

    return fn


bitwise_left_shift = _bitwise(_shift(True), "lshift")
bitwise_left_shift.__name__ = "bitwise_left_shift"
bitwise_right_shift = _bitwise(_shift(False), "rshift")
bitwise_right_shift.__name__ = "bitwise_right_shift"

__all__ = ["as_strided", "scatter_reduce", "renorm", "bitwise_left_shift",
           "bitwise_right_shift"]


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    """``torch.nan_to_num_``: the method form, as a function."""
    return input.nan_to_num_(nan, posinf, neginf)


def index_put_(input, indices, values, accumulate=False):
    """``torch.index_put_``: the method form, as a function."""
    return input.index_put_(indices, values, accumulate)
