"""Indexing: reading picks entries, so the gradient puts each picked gradient back where it
came from, adding where an entry was picked more than once (``np.add.at``)."""

from __future__ import annotations

import re
import warnings

import numpy as np

from ..autograd._inference import refuse_saved_index
from ..autograd.function import Primitive
from ..autograd.grad_mode import STATE  # (also ember.ops.STATE, via the star import)
from ..tensor import Tensor
from .._warn import warn as _warn
from ._index_check import (bad_step, first_out_of_range, has_mask as _has_mask, index_error,
                           index_select_error, plain_mask,
                           strip_leading_ones,  # noqa: F401 (as STATE)
                           torch_permutation, zeroed as _zeroed)
from ._layout import contig, indexed
from ._util import wrap_dim


_BYTE_MASK = "indexing with dtype torch.uint8 is now deprecated, please use a dtype " \
    "torch.bool instead."
_MASKS_READ = [0]  # uint8 masks _index_arrays has read (and warned about): getitem counts


def _rewarn_byte_masks(ctx) -> None:
    """PyTorch's backward of an index reads its saved uint8 masks again and repeats their
    deprecation warning, once per mask."""
    for _ in range(ctx.__dict__.get("_byte_masks", 0)):
        warnings.warn(_BYTE_MASK, UserWarning, stacklevel=3)


def _index_arrays(idx):
    """Turn a PyTorch index (Tensors, lists, slices, None, Ellipsis) into a NumPy index."""
    if isinstance(idx, tuple):
        return tuple(_index_arrays(i) for i in idx)
    if isinstance(idx, np.ndarray) and idx.dtype == np.uint8 and idx.ndim:
        idx = Tensor._make(idx, False, None)  # a mask, as the byte tensor it converts to
    if isinstance(idx, Tensor):
        a = idx._data
        kind = a.dtype.kind
        if kind not in "biu" or (kind == "i" and a.dtype.itemsize < 4 and a.ndim):
            # PyTorch indexes with int64, int32, uint8 (a mask) and bool tensors; an int8 or
            # int16 one is refused unless it is 0-d (read as a plain int, via __index__)
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if a.dtype == np.uint8:  # PyTorch reads a byte tensor as a mask, and warns
            if a.ndim == 0:  # ... except for a 0-d one: x[t] is x[None] or x[None][:0]
                return a.astype(bool)
            warnings.warn(_BYTE_MASK, UserWarning, stacklevel=3)
            _MASKS_READ[0] += 1
            return a.astype(bool)
        if a.ndim == 0 and a.dtype.kind in "iu":
            return int(a)  # PyTorch reads a 0-d integer tensor as a plain int: a view
        return np.asarray(a)
    if isinstance(idx, list):
        if not idx:
            return np.zeros(0, np.int64)  # x[[]]: no rows
        if _sequence_as_tuple(idx):
            _warn("Using a non-tuple sequence for multidimensional indexing is deprecated and "
                  "will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In "
                  "pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], "
                  "which will result either in an error or a different result")
            return _index_arrays(tuple(idx))
        return _truncated(np.asarray(idx))
    if isinstance(idx, np.ndarray) and idx.dtype.kind == "f":
        return _truncated(idx)
    if isinstance(idx, np.integer):  # q[np.argmax(...)]: PyTorch reads it as an int (a view)
        return int(idx)
    if isinstance(idx, (float, str, np.floating, np.bool_)):
        from .._typename import arg_type_name

        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got {arg_type_name(idx)})")
    return idx


def _truncated(a: np.ndarray) -> np.ndarray:
    """PyTorch turns a list or NumPy array of floats used as an index into int64 indices,
    truncated toward zero (x[[1.5, -1.7]] is x[[1, -1]]); NumPy refuses float indices."""
    return a.astype(np.int64) if a.dtype.kind == "f" else a


def _sequence_as_tuple(seq: list) -> bool:
    """PyTorch's (and old NumPy's) rule: a short list holding a sequence, slice, tensor, None
    or Ellipsis is a tuple of indices (x[[[0, 1]]] is x[[0, 1]]), otherwise one index."""
    return len(seq) < 32 and any(
        isinstance(i, (list, tuple, slice, Tensor, np.ndarray)) or i is None or i is Ellipsis
        for i in seq)


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
        ctx.idx, ctx.in_shape = idx, x.shape  # x: an array or NumPy scalar (np.shape: +0.3 us)
        return x[idx]

    @staticmethod
    def backward(ctx, g):
        return (index_add_into(ctx.in_shape, ctx.idx, g), None)


class AdvancedIndex(Index):
    """y = x[idx] for an index with arrays: Index's rule, the result laid out as PyTorch's."""

    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, x.shape
        out = x[idx]
        if type(x) is not np.ndarray or out.flags.c_contiguous and x.flags.c_contiguous:
            return out
        return indexed(out, x, idx)

    @staticmethod
    def backward(ctx, g):
        """Index's rule: dL/dx = zeros with dL/dy added at idx (PyTorch's warning repeated
        for uint8 masks)."""
        _rewarn_byte_masks(ctx)
        return (index_add_into(ctx.in_shape, ctx.idx, g), None)


class PermutedIndex(AdvancedIndex):
    """y = x[idx] with NumPy's dims permuted by ``axes`` into PyTorch's order (ints beside
    arrays: PyTorch selects them first, NumPy broadcasts them with the arrays);  dL/dx as
    Index's, for dL/dy permuted back."""

    @staticmethod
    def forward(ctx, x, idx_axes):
        idx, axes = idx_axes
        ctx.idx, ctx.in_shape, ctx.back = idx, x.shape, tuple(np.argsort(axes))
        out = indexed(x[idx].transpose(axes), x, idx)
        return contig(out) if out.flags.c_contiguous else out  # size-1 dims' strides too

    @staticmethod
    def backward(ctx, g):
        _rewarn_byte_masks(ctx)
        g = g.permute(ctx.back) if isinstance(g, Tensor) else g.transpose(ctx.back)
        return (index_add_into(ctx.in_shape, ctx.idx, g), None)


# The same rule under the names PyTorch gives each kind of index's grad_fn.
class Select(Index):
    pass


class Slice(Index):
    pass


class Alias(Index):
    pass


class UnsqueezeIndex(Index):
    node_name = "UnsqueezeBackward0"


class Split(Index):
    pass


class SplitWithSizes(Index):
    pass


class Unbind(Index):
    pass


class IndexSelect(Index):
    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, x.shape
        return contig(x[idx])  # row-major, as PyTorch's


class Take(Index):
    pass


class MaskedSelect(Index):
    pass


def _basic_kind(items: tuple):
    """PyTorch applies a basic index item by item; its grad_fn is the last real step's."""
    for it in reversed(items):
        if it is Ellipsis or (isinstance(it, slice) and it == slice(None)):
            continue
        return UnsqueezeIndex if it is None else Slice if isinstance(it, slice) else Select
    return Alias  # only full slices and Ellipsis: PyTorch's x[:] is an alias


def basic_index(input, items: tuple, cls=None):
    """``input[items]`` for ints/slices/None/Ellipsis: a view sharing ``input``'s storage."""
    if Ellipsis not in items:
        items = items + (Ellipsis,)  # NumPy then gives a 0-d view, not a scalar copy
    try:
        out = (cls or _basic_kind(items)).apply(input, items)
    except IndexError as e:
        raise IndexError(_index_message(e, input, items)) from None
    return _view_of(out, input)


def advanced_index(input, np_idx, cls=None):
    cls = cls or AdvancedIndex
    try:
        return cls.apply(input, np_idx)
    except IndexError as e:
        _raise_torch_error(input, np_idx)
        # No PyTorch error: out-of-range values that an empty result never reads.
        out = cls.apply(input, _zeroed(np_idx))
        if out._data.size:
            raise IndexError(_index_message(e, input, np_idx)) from None
        return out


def _raise_torch_error(input, np_idx, value=None) -> None:
    err = index_error(input._data.shape, np_idx, value)
    if err is not None:
        raise err from None


def _check_steps(input, idx, np_idx) -> None:
    """NumPy takes negative steps; PyTorch refuses them (after any earlier error)."""
    if type(np_idx) is not int and bad_step(np_idx):
        _raise_torch_error(input, (np_idx,) if isinstance(idx, Tensor) else np_idx)


def _plain(idx) -> bool:
    """Whether idx is ints and step-less slices only (x[0], x[:, 1], x[2:5]): nothing to
    convert or check before NumPy's basic indexing (~1.5 us of the general path)."""
    for i in (idx if type(idx) is tuple else (idx,)):
        t = type(i)
        if t is not int and (t is not slice or i.step is not None):
            return False
    return True


def getitem(input, idx):
    if _plain(idx):
        items = idx if type(idx) is tuple else (idx,)
        x = input._data
        if type(x) is np.ndarray and not (input._rg and STATE.enabled):
            # Nothing to record (no_grad, or no grad needed): the view basic_index would
            # return, without its primitive's call (DQN's q[:, 0] of its targets: 1.3 ->
            # 0.7 us alone). NumPy's basic index of an array is always a view of it.
            try:
                out = x[items + (Ellipsis,)]
            except IndexError:
                pass  # the general path below raises PyTorch's error
            else:
                r = Tensor._make(out, False, None)
                r._vc = input._shared_vc()
                r._base = input if input._base is None else input._base
                return r
        # _basic_kind for ints and step-less slices (a bare x[:] is PyTorch's one slice op)
        kind = Slice if type(idx) is slice else Alias
        for it in reversed(items):
            if type(it) is int:
                kind = Select
                break
            if it.start is not None or it.stop is not None:
                kind = Slice
                break
        try:
            return basic_index(input, items + (Ellipsis,), kind)
        except IndexError:
            pass  # the general path below raises PyTorch's error
    if input._rg:
        refuse_saved_index(idx)
    masks_before = _MASKS_READ[0]
    np_idx = _index_arrays(idx)
    _check_steps(input, idx, np_idx)
    if _is_basic(np_idx):
        try:
            if isinstance(np_idx, tuple):
                return basic_index(input, np_idx)
            return basic_index(input, (np_idx,), Slice if type(np_idx) is slice else None)
        except IndexError:
            # A 0-d int tensor is an int to NumPy, but not for PyTorch's 0-d messages.
            _raise_torch_error(input, (np_idx,) if isinstance(idx, Tensor) else np_idx)
            raise
    if _has_mask(np_idx) and not plain_mask(input._data.shape, np_idx):
        _raise_torch_error(input, np_idx)
    axes = torch_permutation(input._data.shape, np_idx)
    if axes is None:
        out = advanced_index(input, np_idx)
    else:
        out = advanced_index(input, (np_idx, tuple(axes)), PermutedIndex)
    if _MASKS_READ[0] != masks_before and out.grad_fn is not None:
        out.grad_fn._byte_masks = _MASKS_READ[0] - masks_before
    return out


def _index_message(e, input, idx) -> str:
    msg = str(e)
    m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size " \
               f"{m.group(3)}"
    if "too many indices" in msg:
        return f"too many indices for tensor of dimension {input._data.ndim}"
    m = re.search(r"along (?:axis|dimension) (\d+)", msg)
    if "boolean index did not match" in msg and m:
        items = idx if isinstance(idx, tuple) else (idx,)
        pos = [k for k, it in enumerate(items) if isinstance(it, np.ndarray)
               and it.dtype == np.bool_]
        mask = items[pos[0]] if pos else None
        if mask is not None:
            return (f"The shape of the mask {list(mask.shape)} at index 0 does not match the "
                    f"shape of the indexed tensor {list(input._data.shape)} at index "
                    f"{m.group(1)}")
    return msg


# Indexed writes, gather/scatter and index_select/masked_select/nonzero/take live in their
# own modules; re-exported here for existing imports (``ember.ops`` takes them from here).
from .index_ops import _C_NAMES, index_select, masked_select, nonzero, take  # noqa: E402,F401
from ._index_write import (CopySlices, IndexPut, _mask_of, _put_message,  # noqa: E402,F401
                           _SHARED_WRITE, setitem)
from .gather_scatter import (gather, scatter, scatter_add, scatter_into, Gather,  # noqa: E402,F401
                             Scatter, ScatterAdd, ScatterValue)
from .masked import MaskedFill, MaskedFillTensor, masked_fill  # noqa: E402,F401
# (shape imports this module through join_split; imported at the bottom, not inside
# basic_index: a function-level import cost every x[i] ~0.9 us)
from .shape import _view_of  # noqa: E402
