"""Indexed writes: ``x[idx] = v`` (``Tensor.__setitem__``), with PyTorch's checks and
messages. Recorded, the write is an ``IndexPut`` (``CopySlices`` for a basic index): the
gradient is zero at the overwritten entries for x and the picked gradient for v."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..autograd.grad_mode import STATE
from ..tensor import Tensor
from ._index_check import (has_mask as _has_mask, strip_leading_ones, torch_permutation,
                           zeroed as _zeroed)
from .indexing import (_check_steps, _index_arrays, _index_message, _is_basic,
                       _raise_torch_error)


class IndexPut(Primitive):
    """y = x with y[idx] = v;  dL/dx = dL/dy with zeros at idx,  dL/dv = dL/dy[idx]."""

    node_name = "IndexPutBackward0"

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


class CopySlices(IndexPut):
    node_name = "CopySlices"


def _mask_of(shape, idx):
    m = np.zeros(shape, dtype=bool)
    m[idx] = True
    return m


def setitem(input, idx, value):
    """``input[idx] = value``, in place (recorded when gradients are tracked)."""
    if idx is False:
        return input  # PyTorch: an assignment to nothing, whatever the value
    np_idx = _index_arrays(idx)
    _check_steps(input, idx, np_idx)
    basic = _is_basic(np_idx)
    v = value if isinstance(value, Tensor) else Tensor._make(
        np.asarray(value, dtype=input._data.dtype), False, None)
    if STATE.enabled and input._rg and input.grad_fn is None:
        raise RuntimeError(("a view of a leaf Variable" if basic else "a leaf Variable") +
                           " that requires grad is being used in an in-place operation.")
    if not basic and _has_mask(np_idx):
        _raise_torch_error(input, np_idx, v._data)
    if v._data.ndim and v._data.shape[0] == 1:  # PyTorch drops a value's leading 1s
        v = v.reshape(strip_leading_ones(v._data.shape))
    axes = None if basic else torch_permutation(input._data.shape, np_idx)
    try:
        if axes is not None and v._data.ndim:  # lay the value out as NumPy's target is
            _raise_torch_error(input, np_idx, v._data)
            target = np.shape(input._data[np_idx])
            v = v.expand(tuple(target[a] for a in axes)).permute(tuple(np.argsort(axes)))
        if STATE.enabled and (input._rg or v._rg):
            result = (CopySlices if basic else IndexPut).apply(input._graph_input(), v, np_idx)
            return input._write(result)
        input._check_inplace()
        arr = input._ensure_array()
        if not arr.flags.writeable:
            raise RuntimeError(_SHARED_WRITE)
        arr[np_idx] = v._data
    except (IndexError, ValueError, TypeError) as e:
        _raise_torch_error(input, (np_idx,) if isinstance(idx, Tensor) else np_idx, v._data)
        if isinstance(e, IndexError):
            if not np.size(input._data[_zeroed(np_idx)]):
                return input  # out-of-range values aimed at an empty region: nothing to write
            raise IndexError(_index_message(e, input, np_idx)) from None
        raise RuntimeError(_put_message(input, np_idx, v._data.shape, basic)) from None
    input._bump()
    return input


_SHARED_WRITE = ("unsupported operation: more than one element of the written-to tensor refers "
                 "to a single memory location. Please clone() the tensor before performing the "
                 "operation.")


def _put_message(input, np_idx, vshape, basic: bool) -> str:
    """PyTorch's words for a value that does not broadcast to the indexed region."""
    target = np.shape(input._data[np_idx])
    if basic and len(vshape) <= len(target):
        lead = len(target) - len(vshape)
        for i, (want, have) in enumerate(zip(target[lead:], vshape)):
            if have not in (1, want):
                return (f"The expanded size of the tensor ({want}) must match the existing size "
                        f"({have}) at non-singleton dimension {i + lead}.  Target sizes: "
                        f"{list(target)}.  Tensor sizes: {list(vshape)}")
    return (f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
            f"indexing result of shape {list(target)}")
