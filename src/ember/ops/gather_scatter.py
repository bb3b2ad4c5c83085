"""gather and scatter: reading and writing along one dim at positions given by an index
tensor. Gradients move the other way: gather's gradient is a scatter-add, scatter's is a gather.
"""

from __future__ import annotations

import numpy as np

from ..autograd._inference import refuse_saved_index
from ..autograd.function import Primitive
from ..autograd.grad_mode import STATE
from .._typename import arg_type_name as _tname
from ..tensor import Tensor
from ._axis_alias import dim_alias
from ._index_check import first_out_of_range
from ._util import wrap_dim
from .indexing import _mask_of, index_add_into


class Gather(Primitive):
    """y[i][j] = x[i][idx[i][j]] (dim=1);  dL/dx = zeros with dL/dy added back at idx."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x, dim, idx):
        where = _along_index(dim, idx)
        ctx.dim, ctx.idx, ctx.in_shape, ctx.where = dim, idx, x.shape, where  # (np.shape: 2 frames)
        return x[where]

    @staticmethod
    def backward(ctx, g):
        if type(g) is np.ndarray and ctx.idx.shape[ctx.dim] == 1:
            # One entry per line along dim: no index repeats, so assignment does (np.add.at
            # is slower).
            out = np.zeros(ctx.in_shape, g.dtype)
            out[ctx.where] = g
            return (out, None, None)
        return (index_add_into(ctx.in_shape, ctx.where, g), None, None)


def _along_index(dim, idx):
    """The NumPy index of the entries ``gather(x, dim, idx)`` reads: ``idx`` along ``dim``, the
    position itself along every other dim (``idx`` may be smaller than x there). Built by
    hand: np.ix_ costs ~2 us of Python for a 2-D index."""
    nd = idx.ndim
    grids = []
    for k, n in enumerate(idx.shape):
        if k == dim:
            grids.append(idx)
        else:
            key = (n, k, nd)
            grid = _GRIDS.get(key)
            if grid is None:  # read-only and cached: the same few shapes come back each step
                if len(_GRIDS) > 256:
                    _GRIDS.clear()
                shape = [1] * nd
                shape[k] = n
                grid = _GRIDS[key] = np.arange(n).reshape(shape)
                grid.flags.writeable = False
            grids.append(grid)
    return tuple(grids)


_GRIDS: dict = {}


def scatter_into(shape, dim, idx, g):
    """zeros(shape) with g added at idx along dim (repeated indices accumulate)."""
    return index_add_into(shape, _along_index(dim, idx), g)


_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))  # dtypes: `in` on types is 6x slower


def _check_index(input, dim, index, name, src=None, fn=None, pos=3):
    if not isinstance(index, Tensor):  # (scatter and scatter_add refuse it earlier)
        raise TypeError(f"{fn or name}(): argument 'index' (position {pos}) must be Tensor, not "
                        f"{_tname(index)}")
    if index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    shape, ishape = input._data.shape, index._data.shape
    if not index._data.size:  # PyTorch checks no shapes for an empty index
        return
    if len(ishape) != len(shape) and max(len(ishape), 1) != max(len(shape), 1):  # 0-d as 1-d
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    if src is not None and max(src._data.ndim, 1) != max(len(ishape), 1):  # a 0-d src too
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k, (i, s) in enumerate(zip(ishape, shape)):
        if i > s and k != dim:  # (usually false at its first test: one comparison per dim)
            where = f"Size does not match at dimension {k} expected " if name == "gather" \
                else "Expected "
            raise RuntimeError(f"{where}index {list(ishape)} to be no larger than self "
                               f"{list(shape)} apart from dimension {dim}")
    if src is not None and any(i > s for i, s in zip(ishape, src._data.shape or (1,))):
        raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self "
                           f"{list(shape)} apart from dimension {dim} and to be no larger size "
                           f"than src {list(src._data.shape)}")
    n = shape[dim] if shape else 1
    bad = first_out_of_range(index._data, 0, n, dim)  # no negative indices here
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


_MISSING = object()


def _gather_dim(dim, index, axis):
    """gather's dim from NumPy's ``axis=``, which PyTorch's parser takes for it (not both),
    or its parser's error for a missing argument (its wording, counts included)."""
    if axis is not _MISSING:
        if dim is not _MISSING:
            raise TypeError("gather() got an unexpected keyword argument 'axis'")
        dim = axis
    if dim is _MISSING:
        raise TypeError('gather() missing 2 required positional argument: "dim", "index"')
    if index is _MISSING:
        raise TypeError('gather() missing 1 required positional arguments: "index"')
    return dim


def _gather_fn(index_pos):
    """torch.gather (index at position 3) and Tensor.gather (2: the method leaves self out),
    one body each so that the method costs no extra call."""

    def gather(input, dim=_MISSING, index=_MISSING, *extra, sparse_grad=False, axis=_MISSING):
        if type(index) is Tensor and type(dim) is int and (dim == 1 or dim == -1) \
                and type(input) is Tensor:
            x, i = input._data, index._data
            if x.ndim == 2 and i.ndim == 2 and i.dtype is _I64 and 0 < i.shape[0] <= x.shape[0] \
                    and i.size and not extra and axis is _MISSING:
                out = _gather_rows(input, x, i, index)
                if out is not None:
                    return out
        if extra:  # counted as PyTorch's parser does (the method leaves self out)
            raise TypeError(f"gather() takes {index_pos} positional arguments but "
                            f"{index_pos + len(extra)} were given")
        if dim is _MISSING or index is _MISSING or axis is not _MISSING:
            dim = _gather_dim(dim, index, axis)
        d = wrap_dim(dim, input._data.ndim)
        if not isinstance(index, Tensor):
            raise TypeError(f"gather(): argument 'index' (position {index_pos}) must be Tensor, "
                            f"not {_tname(index)}")
        if not index._data.size:  # PyTorch checks nothing more
            return input.reshape(-1)[:0].reshape(index._data.shape)
        _check_index(input, d, index, "gather")
        if input._rg and index._vc is not None:  # (an inference index: PyTorch's error)
            refuse_saved_index(index)
        i = index._data
        if input._data.ndim and i.ndim:
            return Gather.apply(input, d, i)
        # A 0-d self or index acts as 1-d here, PyTorch's ensure_nonempty rule.
        x = input if input._data.ndim else input.reshape(1)
        return Gather.apply(x, d, i.reshape(-1)).reshape(i.shape)

    return gather


def _gather_rows(input, x, i, index):
    """gather(x, 1, i) for a matrix x and an int64 matrix i of no more rows (Q-values at the
    actions taken, DQN's every step): the checks that can fail here and the NumPy index, a
    few calls instead of the general path's eight (no grad: 4.0 -> 2.5 us alone, ~3 us less
    inside a DQN update, whose BLAS leaves the cache cold). None when the general path must
    word an error."""
    u = i.view(np.uint64)  # negative entries are huge as unsigned: one argmax checks both ends
    if u.item(u.argmax()) >= x.shape[1]:
        return None
    if input._rg and STATE.enabled:
        if index._vc is not None:  # (an inference index: PyTorch's error)
            refuse_saved_index(index)
        return Gather.apply(input, 1, i)
    return Tensor._make(x[_along_index(1, i)], False, None)


_I64 = np.dtype(np.int64)
gather, gather_method = _gather_fn(3), _gather_fn(2)
gather.__qualname__ = gather_method.__qualname__ = "gather"  # Python's argument errors


class Scatter(Primitive):
    """y = x with y[idx along dim] = src;  dL/dx = dL/dy zeroed at idx,  dL/dsrc = gather(dL/dy).

    Only the leading ``idx.shape`` block of src is read, so its gradient is zero elsewhere
    (all of it for an empty index).
    """

    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, src, dim, idx, add):
        ctx.dim, ctx.idx, ctx.add, ctx.src_shape = dim, idx, add, np.shape(src)
        out = np.array(x, copy=True)
        if not idx.size:  # an empty index writes nothing (of a src of any shape)
            return out
        where = _along_index(dim, idx)
        if add:
            np.add.at(out, where, _src_block(src, idx))
        else:
            out[where] = _src_block(src, idx)
        return out

    @staticmethod
    def backward(ctx, g):
        if not ctx.idx.size:  # nothing written: self's gradient passes, src's is zero
            gsrc = np.zeros(ctx.src_shape, g.dtype) if ctx.needs_input_grad[1] else None
            return g, gsrc, None, None, None
        where = _along_index(ctx.dim, ctx.idx)
        gx = g if ctx.add else np.where(_mask_of(np.shape(g), where), 0, g)
        gsrc = None
        if ctx.needs_input_grad[1]:
            gsrc = g[where]
            if len(ctx.src_shape) and tuple(ctx.src_shape) != tuple(np.shape(ctx.idx)):
                block = tuple(slice(n) for n in np.shape(ctx.idx))
                gsrc = index_add_into(ctx.src_shape, block, gsrc)
        return gx, gsrc, None, None, None


def _src_block(src, idx):
    """The part of src that scatter reads: a number broadcast to the index's shape, or the
    leading idx.shape block of a tensor src."""
    if np.ndim(src) == 0:
        return np.broadcast_to(src, idx.shape)
    return src[tuple(slice(n) for n in idx.shape)]


class ScatterValue(Scatter):
    node_name = "ScatterBackward1"


class ScatterAdd(Scatter):
    node_name = "ScatterAddBackward0"


def _scatter_src(input, src):
    if not isinstance(src, Tensor):
        return Tensor._make(np.asarray(src, dtype=input._data.dtype), False, None), ScatterValue
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return src, Scatter


def _as_1d(input, index, src):
    """A 0-d self, index or src acts as 1-d of one entry (PyTorch's ensure_nonempty rule),
    e.g. ``zeros(10).scatter_(0, tensor(3), value=1)`` writes position 3 only. Only a 0-d
    self is reshaped (its result is reshaped back), so the usual case keeps its grad_fn."""
    src = src.reshape(-1) if isinstance(src, Tensor) and not src._data.ndim else src
    return input.reshape(-1) if not input._data.ndim else input, index._data.reshape(-1), src


def _refusal(name, args, kwargs, index_pos) -> TypeError:
    """The TypeError of PyTorch's argument parser (marked, so that ``as_method`` can word it
    again for the Tensor method, which names itself and leaves self out): scatter's overloads
    are refused as a whole; scatter_add has one signature, so its 'index' argument is named."""
    err = TypeError(_refusal_line(name, args, kwargs, index_pos))
    err.refused_args = True
    return err


def _refusal_line(name, args, kwargs, index_pos) -> str:
    if name.startswith("scatter_add"):
        return (f"{name}(): argument 'index' (position {index_pos}) must be Tensor, not "
                f"{_tname(args[index_pos - 1] if len(args) >= index_pos else kwargs['index'])}")
    got = ", ".join([_tname(a) for a in args] + [f"{k}={_tname(v)}" for k, v in kwargs.items()])
    lead = "Tensor input, int dim" if index_pos == 3 else "int dim"
    return (f"{name}() received an invalid combination of arguments - got ({got}), but "
            f"expected one of:\n * ({lead}, Tensor index, Tensor src)\n * ({lead}, Tensor "
            f"index, Tensor src, *, str reduce)\n * ({lead}, Tensor index, Number value)\n"
            f" * ({lead}, Tensor index, Number value, *, str reduce)")


def as_method(name, op):
    """Tensor.scatter / scatter_ / scatter_add / scatter_add_ from their function forms."""

    def method(self, *args, **kwargs):
        try:
            return op(self, *args, **kwargs)
        except TypeError as err:
            if getattr(err, "refused_args", False):
                raise _refusal(name, args, kwargs, 2) from None
            raise

    method.__name__ = method.__qualname__ = name
    return method


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if not isinstance(index, Tensor) or (src is None) == (value is None):
        # e.g. scatter_(0, 3, value=1) (an int index) or no src/value: no overload matches
        given = {k: v for k, v in (("value", value), ("reduce", reduce)) if v is not None}
        args = (input, dim, index) if src is None else (input, dim, index, src)
        raise _refusal("scatter", args, given, 3)
    d = wrap_dim(dim, input._data.ndim)
    if isinstance(value, Tensor):  # a Number: a 0-d tensor without grad is read as one
        if value._data.ndim or value.requires_grad:
            raise _refusal("scatter", (input, dim, index), {"value": value}, 3)
        value = value._data.item()  # (no requires_grad warning: PyTorch reads it silently)
    src, cls = _scatter_src(input, value if src is None else src)
    _check_index(input, d, index, "scatter", src if cls is Scatter else None)
    if reduce is not None:
        return _scatter_reduced(input, d, index, src, reduce, cls is Scatter)
    if not (input._data.ndim and index._data.ndim):
        x, i, s = _as_1d(input, index, src)
        out = cls.apply(x, s, d, i, False)
        return out if input._data.ndim else out.reshape(())
    return cls.apply(input, src, d, index._data, False)


_DEPRECATED_REDUCE = (
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
    "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.")


def _scatter_reduced(input, d, index, src, reduce, tensor_src: bool):
    """scatter's legacy ``reduce='add'/'multiply'``: each src entry added to (multiplied into)
    its target, repeats included. PyTorch defines no derivative for it: the result's
    grad_fn is NotImplemented, whose backward raises."""
    from .._config import warn_once
    from .copies import NotImplementedNode

    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if tensor_src:
        warn_once(_DEPRECATED_REDUCE)
    x, i, s = _as_1d(input, index, src) if not (input._data.ndim and index._data.ndim) \
        else (input, index._data, src)
    out = np.array(x._data, copy=True)
    if i.size:  # (an empty index changes nothing)
        (np.add if reduce == "add" else np.multiply).at(out, _along_index(d, i),
                                                        _src_block(s._data, i))
    # (apply records only when grad mode is on and the tensor requires grad)
    return NotImplementedNode.apply(input if input._rg else src, out.reshape(input._data.shape),
                                    "scatter")


@dim_alias  # axis= for dim=, as PyTorch's parser (_axis_alias.py)
def scatter_add(input, dim, index, src):
    if not isinstance(index, Tensor):
        raise _refusal("scatter_add", (input, dim, index, src), {}, 3)
    d = wrap_dim(dim, input._data.ndim)
    src, _ = _scatter_src(input, src)
    _check_index(input, d, index, "scatter", src)
    if not (input._data.ndim and index._data.ndim):
        x, i, s = _as_1d(input, index, src)
        out = ScatterAdd.apply(x, s, d, i, True)
        return out if input._data.ndim else out.reshape(())
    return ScatterAdd.apply(input, src, d, index._data, True)
