"""Indexed writes: ``x[idx] = v`` (``Tensor.__setitem__``), with PyTorch's checks and
messages. Recorded, the write is an ``IndexPut`` (``CopySlices`` for a basic index, or an
advanced one next to an int, None or partial slice, which PyTorch writes through a view): the
gradient is zero at the overwritten entries for x and the picked gradient for v."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..autograd.grad_mode import STATE
from ..tensor import Tensor
from ._index_check import (has_mask as _has_mask, index_error, plain_mask,
                           strip_leading_ones, torch_permutation, zeroed as _zeroed)
from .arithmetic import type_name
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
    """``input[idx] = value``, in place (recorded when gradients are tracked); returns None,
    as Tensor.__setitem__ does in PyTorch."""
    if idx is False:
        return None  # PyTorch: an assignment to nothing, whatever the value
    if not isinstance(value, (Tensor, bool, int, float, complex, np.integer)):
        raise TypeError(f"can't assign a {_py_type_name(value)} to a {_legacy_name(input)}")
    if _byte_mask_fill(idx, value):
        _refuse_byte_mask_fill(input, idx)
    np_idx = _index_arrays(idx)
    _check_steps(input, idx, np_idx)
    basic = _is_basic(np_idx)
    v = value if isinstance(value, Tensor) else Tensor._make(
        _checked_number(value, input._data.dtype), False, None)
    if STATE.enabled and input._rg and input.grad_fn is None:
        on_leaf = _writes_leaf_itself(idx, input._data.shape)
        raise RuntimeError(("a leaf Variable" if on_leaf else "a view of a leaf Variable") +
                           " that requires grad is being used in an in-place operation.")
    if not basic and v is value and v._data.dtype != input._data.dtype:
        _check_put_dtype(input, np_idx, v._data)
    if not basic and _has_mask(np_idx) and not _plain_mask_write(input._data, np_idx, v._data):
        _raise_torch_error(input, np_idx, v._data)
    if v._data.ndim and v._data.shape[0] == 1:  # PyTorch drops a value's leading 1s
        v = v.reshape(strip_leading_ones(v._data.shape))
    axes = None if basic else torch_permutation(input._data.shape, np_idx)
    try:
        if axes is not None and v._data.ndim:  # lay the value out as NumPy's target is
            _raise_torch_error(input, np_idx, v._data)
            target = np.shape(input._data[np_idx])
            v = v.expand(tuple(target[a] for a in axes)).permute(tuple(np.argsort(axes)))
        # an integer tensor records no graph, whatever value it is given
        if STATE.enabled and (input._rg or v._rg and input._data.dtype.kind in "fc"):
            # PyTorch slices first (an int, None or partial slice makes a view) and puts the
            # advanced part into that view: the write then records CopySlices on the base
            whole = _writes_leaf_itself(idx, input._data.shape)
            if basic and whole and _broadcasts(v._data.shape, input._data.shape):
                # slices covering every dim hand back the tensor itself: PyTorch fills it from
                # a number or 0-dim tensor (FillBackward3), else copy_s into it (CopyBackwards)
                from .._fill_nodes import Copy, FillTensor  # noqa: PLC0415 - imports ours

                scalar = not isinstance(value, Tensor) or value._data.ndim == 0
                result = (FillTensor if scalar else Copy).apply(input._graph_input(), v)
            else:
                try:
                    result = (CopySlices if basic or not whole else IndexPut).apply(
                        input._graph_input(), v, np_idx)
                except RuntimeError:  # a value that does not fit: PyTorch's words for it
                    _raise_torch_error(input, np_idx, v._data)
                    raise
            input._write(result)
            return None
        input._check_inplace()
        arr = input._ensure_array()
        if not arr.flags.writeable:
            arr = input._data if input._own_copy() else \
                _expanded_target(arr, np_idx) if basic else None
            if arr is None:
                raise RuntimeError(_SHARED_WRITE)
        arr[np_idx] = v._data
    except (IndexError, ValueError, TypeError) as e:
        _raise_torch_error(input, (np_idx,) if isinstance(idx, Tensor) else np_idx, v._data)
        if isinstance(e, IndexError):
            if not np.size(input._data[_zeroed(np_idx)]):
                return None  # out-of-range values aimed at an empty region: nothing to write
            raise IndexError(_index_message(e, input, np_idx)) from None
        raise RuntimeError(_put_message(input, np_idx, v._data.shape, basic)) from None
    input._bump()
    return None


def _check_put_dtype(input, np_idx, value: np.ndarray) -> None:
    """An advanced-index write of a tensor goes to index_put_, which takes no other dtype than
    the destination's (torch-ac's ``self.actions[inds] = action``, int into int32, raises)
    after the index and shape checks, before the range check; a single-element value under
    one bool mask (and only basic items beside it) is a masked_fill_, which casts."""
    items = np_idx if type(np_idx) is tuple else (np_idx,)
    adv = [i for i in items if isinstance(i, (np.ndarray, range))]
    one_mask = len(adv) == 1 and getattr(adv[0], "dtype", None) == np.bool_
    if not adv or one_mask and value.size == 1:
        return  # (x[True] = v is a copy into x.unsqueeze(0))
    err = index_error(input._data.shape, np_idx, value, ranges=False)
    if err is not None:
        raise err from None
    raise RuntimeError("Index put requires the source and destination dtypes match, got "
                       f"{type_name(input._data.dtype)} for the destination and "
                       f"{type_name(value.dtype)} for the source.")


def _plain_mask_write(arr, mask, value) -> bool:
    """``x[mask] = value`` with a bool mask of x's leading shape and a value of the selected
    shape or a single value (DQN's next_state_values[non_final_mask] = ...): every check of
    PyTorch's passes, so its ~20 us walk in _index_check is skipped."""
    if not plain_mask(arr.shape, mask):
        return False
    vshape = strip_leading_ones(value.shape)
    return not vshape or vshape == (np.count_nonzero(mask),) + arr.shape[mask.ndim:]


def writable_alias(view: np.ndarray):
    """A writable array on the same memory as a read-only ``view`` (an expanded tensor's
    broadcast), or None where the memory itself is read-only (a NumPy array the user locked)."""
    root = view
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.writeable:
        return None
    at = view.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    try:
        return np.ndarray(view.shape, view.dtype, buffer=root, offset=at, strides=view.strides)
    except (TypeError, ValueError):
        return None


def fill_shared(t, arr: np.ndarray, v) -> None:
    """fill_/zero_ of tensor t's read-only array: an expanded tensor's broadcast is filled
    through its memory, as PyTorch does (every element then holds v)."""
    if t._own_copy():  # (a read-only NumPy array's: see _own_copy)
        return t._data.fill(v)
    alias = writable_alias(arr)
    if alias is None:
        arr.fill(v)  # NumPy's read-only error
    alias.fill(v)


def _expanded_target(arr: np.ndarray, np_idx):
    """An expanded tensor's read-only broadcast, made writable for a basic-index write whose
    region has no element twice (x.expand(3, 4)[:, 0] = v, as PyTorch; a row is refused)."""
    alias = writable_alias(arr)
    if alias is None:
        return None
    region = alias[np_idx]
    if isinstance(region, np.ndarray) and any(
            st == 0 and n > 1 for n, st in zip(region.shape, region.strides)):
        return None
    return alias


def _broadcasts(src_shape, shape) -> bool:
    """Whether a value of ``src_shape`` broadcasts to ``shape`` (else the sliced write raises
    PyTorch's error)."""
    try:
        return np.broadcast_shapes(src_shape, shape) == tuple(shape)
    except ValueError:
        return False


def _writes_leaf_itself(idx, shape) -> bool:
    """Whether PyTorch writes the leaf itself, not a view of it: its slicing skips slices that
    cover their whole dim (``w[:] = 0``, ``w[..., :n]`` with n >= size) and Ellipses, and an
    advanced index writes with index_put_; an int, None or partial slice makes a view."""
    if idx is True:
        return False  # a new leading dim of 1: a view
    parts = idx if isinstance(idx, tuple) else (idx,)
    used = [_dims_used(p) for p in parts]
    if None in used:
        return False  # an int, None, bool or another view-making part
    dim, fill = 0, len(shape) - sum(used)
    for p, k in zip(parts, used):
        if p is Ellipsis:
            dim += fill
            continue
        if isinstance(p, slice) and (dim >= len(shape) or p.start not in (None, 0) or
                                     p.step not in (None, 1) or not (p.stop is None or (
                                         isinstance(p.stop, int) and p.stop >= shape[dim]))):
            return False
        dim += k
    return True


def _dims_used(part):
    """The dims an index part consumes where it keeps the write on the leaf, else None."""
    if part is Ellipsis:
        return 0
    if isinstance(part, slice):
        return 1
    if isinstance(part, (list, np.ndarray, Tensor)) and np.ndim(part):
        dt = part.dtype if isinstance(part, (np.ndarray, Tensor)) else None
        return np.ndim(part) if dt is not None and str(dt).endswith("bool") else 1
    return None


def _py_type_name(value) -> str:
    """The type's C name, as PyTorch prints it (numpy.ndarray, numpy.float32, torch.Size)."""
    t = type(value)
    if t.__module__ == "numpy" or t.__module__.startswith("ember"):
        return ("numpy." if t.__module__ == "numpy" else "torch.") + t.__name__
    return t.__name__


def _legacy_name(input) -> str:
    try:
        return input.type()
    except KeyError:  # no name in Tensor.type()'s table
        return {"complex64": "torch.ComplexFloatTensor", "complex128": "torch.ComplexDoubleTensor",
                "bfloat16": "torch.BFloat16Tensor"}.get(input.dtype.name, str(input.dtype))


_C_TYPES = {"float32": "float", "float64": "double", "float16": "double", "int64": "int64_t",
            "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t"}


_F32_MAX = float(np.finfo(np.float32).max)
_INT_RANGE = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
              for t in (np.int8, np.int16, np.int32, np.int64, np.uint8)}


def _checked_number(value, dt: np.dtype) -> np.ndarray:
    """A Python number as a 0-d array of ``dt``, refused where PyTorch's checked conversion
    refuses it: an int beyond int64, a complex with an imaginary part, or a value outside an
    integer dtype's range (uint8 wraps ints down to -255) or beyond float32's finite range."""
    kind = dt.kind
    if kind == "f" and type(value) is float:  # the common case: x[i] = 0.5
        if dt.itemsize == 4 and abs(value) > _F32_MAX and math.isfinite(value):
            raise _overflow(dt)
        return np.asarray(value, dtype=dt)
    if isinstance(value, (int, np.integer)) and not -2 ** 63 <= value < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    if isinstance(value, complex) and kind != "c":
        if value.imag and kind != "b":
            raise _overflow(dt)
        value = value.real
    if kind in "iu" and not isinstance(value, bool):
        lo, hi = _INT_RANGE[dt]
        if isinstance(value, float):
            if not lo <= value <= hi:  # NaN fails too
                raise _overflow(dt)
            return np.asarray(value).astype(dt)  # truncated, as a C cast
        if kind == "u":
            lo = -hi
        if not lo <= value <= hi:
            raise _overflow(dt)
        return np.asarray(int(value) % (hi + 1) if value < 0 and kind == "u" else value,
                          dtype=dt)
    if dt == np.float32 and isinstance(value, float) and math.isfinite(value) \
            and abs(value) > _F32_MAX:
        raise _overflow(dt)
    return np.asarray(value, dtype=dt)


def _overflow(dt: np.dtype) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {_C_TYPES.get(dt.name)} without "
                        "overflow")


def _refuse_byte_mask_fill(input, idx) -> None:
    """PyTorch's masked_fill_ refusal of a uint8 mask, after its checks of the index against
    the tensor (a mask of the wrong shape is that IndexError first)."""
    from ._index_check import index_error

    items = idx if isinstance(idx, tuple) else (idx,)
    as_bool = tuple(i._data.astype(bool) if isinstance(i, Tensor) and i._data.dtype == np.uint8
                    else i for i in items)
    err = index_error(input._data.shape, _index_arrays(as_bool if isinstance(idx, tuple)
                                                       else as_bool[0]))
    if err is not None:
        raise err
    raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                       "unsigned char")


def _byte_mask_fill(idx, value) -> bool:
    """A one-element value written through a lone mask is PyTorch's masked_fill_, which refuses
    a uint8 mask (a uint8 mask still works for reads, and for writes of several values)."""
    if type(idx) is int or type(idx) is slice or \
            isinstance(value, Tensor) and value._data.size != 1:
        return False  # (the usual writes: checked first, as this runs on every x[i] = v)
    if type(idx) is tuple:
        arrays = [i for i in idx if isinstance(i, (Tensor, np.ndarray, list))]
        if len(arrays) != 1:
            return False
        idx = arrays[0]
    if isinstance(idx, Tensor):
        return idx._data.dtype == np.uint8
    return isinstance(idx, np.ndarray) and idx.dtype == np.uint8


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
