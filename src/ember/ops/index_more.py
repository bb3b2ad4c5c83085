"""Writing into a tensor at given positions: index_add/copy/fill/put, masked_scatter, put
(select/slice_scatter and fill_diagonal_: _scatter_views.py). Each result is a new array (the ``_`` forms write it back
through ``Tensor._write``). Gradients: entries that were overwritten get none from the output;
written values get the output's gradient read back at the places they went to.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._index_check import first_out_of_range
from ._util import wrap_dim
from .arithmetic import type_name
from .indexing import _mask_of, index_add_into


def _along(ndim: int, dim: int, idx):
    """The NumPy index of positions ``idx`` along ``dim`` (every entry along the others)."""
    return (slice(None),) * dim + (idx,)


def _zeroed(g, where):
    """g with zeros where the output was overwritten (arrays or, for create_graph, Tensors)."""
    return np.where(_mask_of(np.shape(g), where), 0, g)


class IndexAdd(Primitive):
    """y = x; y[idx along dim] += alpha * src;  dL/dx = g,  dL/dsrc = alpha * g[idx]."""

    @staticmethod
    def forward(ctx, x, src, where, alpha):
        ctx.where, ctx.alpha = where, alpha
        out = np.array(x, copy=True)
        np.add.at(out, where, src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        gs = g[ctx.where] if ctx.needs_input_grad[1] else None
        return g, (gs * ctx.alpha if ctx.alpha != 1 and gs is not None else gs), None, None


class IndexCopy(Primitive):
    """y = x; y[idx along dim] = src;  dL/dx = g zeroed at idx,  dL/dsrc = g[idx]."""

    @staticmethod
    def forward(ctx, x, src, where):
        ctx.where = where
        out = np.array(x, copy=True)
        out[where] = src
        return out

    @staticmethod
    def backward(ctx, g):
        gx = _zeroed(g, ctx.where) if ctx.needs_input_grad[0] else None
        return gx, (g[ctx.where] if ctx.needs_input_grad[1] else None), None


class IndexPutAcc(IndexAdd):
    """y = x; y[idx] += v (repeats add up);  dL/dx = g,  dL/dv = g[idx]."""

    node_name = "IndexPutBackward0"


class IndexPutSet(IndexCopy):
    """y = x; y[idx] = v;  dL/dx = g zeroed at idx,  dL/dv = g[idx]."""

    node_name = "IndexPutBackward0"


class Put(IndexCopy):
    """y = x; y.flat[idx] = src;  dL/dx = g zeroed at idx,  dL/dsrc = g.flat[idx]."""

    @staticmethod
    def forward(ctx, x, src, where):
        ctx.where, ctx.src_shape = where, np.shape(src)
        # C order: a transposed x would copy its own order, and reshape(-1) copy again
        out = np.array(x, copy=True, order="C")
        out.reshape(-1)[where] = np.reshape(src, -1)
        return out

    @staticmethod
    def backward(ctx, g):
        flat = np.reshape(g, (-1,))
        gx = np.reshape(_zeroed(flat, ctx.where), np.shape(g)) if ctx.needs_input_grad[0] \
            else None
        gs = np.reshape(flat[ctx.where], ctx.src_shape) if ctx.needs_input_grad[1] else None
        return gx, gs, None


class PutAcc(Put):
    """y = x; y.flat[idx] += src;  dL/dx = g,  dL/dsrc = g.flat[idx]."""

    node_name = "PutBackward0"

    @staticmethod
    def forward(ctx, x, src, where):
        ctx.where, ctx.src_shape = where, np.shape(src)
        out = np.array(x, copy=True, order="C")  # (as Put)
        np.add.at(out.reshape(-1), where, np.reshape(src, -1))
        return out

    @staticmethod
    def backward(ctx, g):
        flat = np.reshape(g, (-1,))
        gs = np.reshape(flat[ctx.where], ctx.src_shape) if ctx.needs_input_grad[1] else None
        return g, gs, None


class IndexFill(IndexCopy):
    """y = x with y[idx along dim] = value (IndexCopy's forward);  dL/dx = g zeroed at idx,
    dL/dvalue (a 0-d tensor) = sum of g[idx]."""

    @staticmethod
    def backward(ctx, g):
        gx = _zeroed(g, ctx.where) if ctx.needs_input_grad[0] else None
        gv = g[ctx.where].sum() if ctx.needs_input_grad[1] else None
        return gx, gv, None


class IndexFillTensor(IndexFill):
    node_name = "IndexFillBackward1"


class MaskedScatter(Primitive):
    """y = x with y[mask] = the first mask.sum() entries of src (row-major);
    dL/dx = g zeroed where mask,  dL/dsrc = g[mask] in src's first entries, zeros after."""

    @staticmethod
    def forward(ctx, x, src, mask):
        ctx.mask, ctx.src_shape = mask, np.shape(src)
        out = np.array(x, copy=True)
        n = int(np.count_nonzero(mask))
        out[mask] = np.reshape(src, -1)[:n]
        return out

    @staticmethod
    def backward(ctx, g):
        mask = ctx.mask
        gx = np.where(mask, 0, g) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            size = int(np.prod(ctx.src_shape))
            gs = index_add_into((size,), slice(0, int(np.count_nonzero(mask))), g[mask])
            gs = np.reshape(gs, ctx.src_shape)
        return gx, gs, None


def _index_vector(index, name: str, dims_word: str = "dim"):
    i = index._data
    if i.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got {dims_word}: "
                         f"{i.ndim} with type: {type_name(i.dtype)} and size: {list(i.shape)}")
    return i.reshape(-1)


def _check_range(i, n: int, dim: int, prefix: str = "", negative: bool = False, err=RuntimeError):
    bad = first_out_of_range(i, -n if negative else 0, n)
    if bad is not None:
        raise err(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {n}")


def _size_at(input, d):
    return input._data.shape[d] if input._data.ndim else 1


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def index_add(input, dim, index, source, *, alpha=1):
    d = wrap_dim(dim, input._data.ndim)
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{type_name(index._data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({type_name(input._data.dtype)}) and source "
                           f"({type_name(source._data.dtype)}) must have the same scalar type")
    i = _index_vector(index, "index_add_")
    ns = source._data.shape[d] if source._data.ndim else 1
    if i.size != ns:
        raise RuntimeError(f"index_add_(): Number of indices ({i.size}) should be equal to "
                           f"source.size(dim): ({ns}), for dim: {d}")
    xs, ss = list(input._data.shape), list(source._data.shape)
    if xs and ss:
        del xs[d], ss[d]
    if xs != ss:  # a 0-d source does not stand for a 1-d one here (unlike index_copy)
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input._data.shape)} "
                           f"source.shape = {list(source._data.shape)}")
    n, nd = _size_at(input, d), input._data.ndim
    bad = first_out_of_range(i, 0, n)
    if bad is not None:  # PyTorch's per-index loop words it; dim 0 and last go via scatter_add
        if nd <= 1 or 0 < d < nd - 1:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    x, s = _at_least_1d(input), _at_least_1d(source)
    out = IndexAdd.apply(x, s, _along(x._data.ndim, d, i), alpha)
    return out if input._data.ndim else out.reshape(())


def _at_least_1d(t):
    return t if t._data.ndim else t.reshape(1)


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def index_copy(input, dim, index, source):
    d = wrap_dim(dim, input._data.ndim)
    if index._data.dtype != np.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{type_name(index._data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {type_name(input._data.dtype)} and (source) "
                           f"{type_name(source._data.dtype)}")
    i = _index_vector(index, "index_copy_")
    ns = source._data.shape[d] if source._data.ndim else 1
    if i.size != ns:
        raise IndexError(f"index_copy_(): Number of indices ({i.size}) should be equal to "
                         f"source.size(dim) ({ns})")
    _check_range(i, _size_at(input, d), d, "index_copy_(): ", err=IndexError)
    x, s = _at_least_1d(input), _at_least_1d(source)
    out = IndexCopy.apply(x, s, _along(x._data.ndim, d, i))
    return out if input._data.ndim else out.reshape(())


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def index_fill(input, dim, index, value):
    d = wrap_dim(dim, input._data.ndim)
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    # PyTorch checks the value before the index's rank, and words the rank check its own way
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    if index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    i = index._data.reshape(-1)
    n = _size_at(input, d)
    _check_range(i, n, d, negative=True, err=IndexError)
    x = _at_least_1d(input)
    where = _along(x._data.ndim, d, np.where(i < 0, i + n, i))
    if isinstance(value, Tensor):
        out = IndexFillTensor.apply(x, value, where)
    else:
        out = IndexFill.apply(x, value, where)
    return out if input._data.ndim else out.reshape(())


def _check_put_args(name: str, indices, values, at: int) -> None:
    """PyTorch's argument parser: indices a tuple or list of Tensors (a bare index tensor,
    x.index_put_(idx, v), is refused), values a Tensor. ``at`` is indices' position."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}(): argument 'indices' (position {at}) must be tuple of "
                        f"Tensors, not {type(indices).__name__}")
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument {at - 1}, but got "
                            f"{type(i).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position {at + 1}) must be Tensor, not "
                        f"{type(values).__name__}")


def index_put(input, indices, values, accumulate=False):
    """``torch.index_put``; the method's arguments are checked in ``index_put_method``."""
    _check_put_args("index_put", indices, values, 2)
    return _index_put(input, indices, values, accumulate)


def index_put_method(self, indices, values, accumulate=False):
    _check_put_args("index_put", indices, values, 1)
    return _index_put(self, indices, values, accumulate)


def index_put_inplace(self, indices, values, accumulate=False):
    """Tensor.index_put_'s out-of-place body (the in-place wrapper writes it back)."""
    _check_put_args("index_put_", indices, values, 1)
    return _index_put(self, indices, values, accumulate)


def _index_put(input, indices, values, accumulate):
    from .indexing import _index_arrays

    if values._data.dtype != input._data.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{type_name(input._data.dtype)} for the destination and "
                           f"{type_name(values._data.dtype)} for the source.")
    if not accumulate:
        r = input.clone()
        r[tuple(indices)] = values  # ember's setitem: PyTorch's checks and messages
        return r
    idx = _index_arrays(tuple(indices))
    shape = input._data.shape
    for k, a in enumerate(idx):
        if isinstance(a, np.ndarray) and a.dtype != np.bool_:
            _check_range(a, shape[k], k, negative=True, err=IndexError)
    v = np.broadcast_shapes(np.shape(input._data[idx]), values._data.shape)
    return IndexPutAcc.apply(input, values.expand(v), idx, 1)


def masked_scatter(input, mask, source):
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {type_name(mask._data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{type_name(input._data.dtype)} and "
                           f"{type_name(source._data.dtype)}")
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    m = np.broadcast_to(mask._data, shape)
    if np.count_nonzero(m) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    x = input if input._data.shape == shape else input.expand(shape)
    return MaskedScatter.apply(x, source, m)


def put(input, index, source, accumulate=False):
    if index._data.dtype != np.int64:
        raise RuntimeError("put_(): Expected a long tensor for index, but got "
                           f"{type_name(index._data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {type_name(input._data.dtype)} and source.dtype = "
                           f"{type_name(source._data.dtype)}")
    if index._data.size != source._data.size:
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source._data.size}, "
                         f"index.numel() = {index._data.size}")
    n = input._data.size
    i = index._data.reshape(-1)
    bad = first_out_of_range(i, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return (PutAcc if accumulate else Put).apply(input, source, np.where(i < 0, i + n, i))


__all__ = ["index_add", "index_copy", "index_fill", "index_put", "masked_scatter", "put"]
