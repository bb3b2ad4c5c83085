"""The order in which PyTorch's CPU samplers fill a tensor that is not contiguous.

A sampler writes its draws through a TensorIterator, which walks the tensor's memory: the
dimensions sorted by stride (largest outermost; equal strides put the longer dimension
outside), so on a transposed or permuted tensor the k-th draw lands at the k-th element in
memory, not the k-th in row-major order. Fresh tensors made "like" another (``rand_like``,
dropout's noise, ``bernoulli(p)``) copy its layout first (``empty_like``), so they are filled
in the other tensor's memory order. ``iter_axes`` gives that order, ``place`` puts a flat run
of draws into it, and ``empty_like`` makes an array with PyTorch's ``empty_like`` layout.
"""

from __future__ import annotations

import numpy as np

from .ops._layout import iter_perm


def _strides(a: np.ndarray) -> tuple:
    return tuple(s // a.itemsize for s in a.strides) if a.itemsize else (0,) * a.ndim


def iter_axes(shape: tuple, strides: tuple) -> tuple:
    """The axes from outermost to innermost in TensorIterator's walk (reorder_dimensions,
    ``ops._layout.iter_perm`` with this one operand): by descending stride, ties putting the
    longer dim outside; zero strides (broadcast dims) compare as equal to anything."""
    return tuple(reversed(iter_perm(shape, [strides])))


def layout_axes(a: np.ndarray) -> tuple | None:
    """``iter_axes`` of array ``a``, or None when that is plain row-major order."""
    if a.ndim < 2 or a.flags.c_contiguous:
        return None
    strides = _strides(a)
    if any(s < 0 and n > 1 for s, n in zip(strides, a.shape)):
        return None  # a flipped view: ember's stand-in for flip()'s fresh row-major tensor
    # a broadcast (expanded) view: its zero strides are ties that keep their place, the
    # others order the dims (PyTorch's empty_like of a tensor that is not dense)
    axes = iter_axes(a.shape, strides)
    order = tuple(d for d in axes if a.shape[d] != 1)
    return None if list(order) == sorted(order) else axes


def place(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Flat ``values`` (one per element of ``like``, in draw order) as an array of like's
    shape whose k-th element in like's memory order is ``values[k]``."""
    shape = like.shape
    axes = layout_axes(like)
    if axes is None:
        return values.reshape(shape)
    return values.reshape([shape[d] for d in axes]).transpose(np.argsort(axes))


def empty_like(like: np.ndarray, dtype) -> np.ndarray:
    """An uninitialised array of like's shape laid out as PyTorch's ``empty_like`` (preserve
    format): like's dimension order, densely packed."""
    axes = layout_axes(like)
    if axes is None:
        return np.empty(like.shape, dtype)
    return np.empty([like.shape[d] for d in axes], dtype).transpose(np.argsort(axes))


def in_order(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``x`` (of like's shape) flattened in like's memory order: what a sampler reading x
    element by element alongside like meets, draw by draw."""
    axes = layout_axes(like)
    return np.ravel(x) if axes is None else np.ravel(x.transpose(axes))


def fresh_like(input, dtype, requires_grad: bool, fill, fmt=None, fn: str = ""):
    """PyTorch's ``empty_like(input, dtype=dtype, memory_format=fmt)`` then ``fill`` (an
    in-place sampler, which writes in memory order); a leaf that requires grad if asked."""
    from ._memory_format import format_array
    from .creation import _float_dtype
    from .tensor import Tensor

    from .ops._layout import empty_like as exact_like  # a dense input's strides exactly

    np_dtype = np.dtype(input._data.dtype) if dtype is None else _float_dtype(dtype)
    arr = None if fmt is None else format_array(input._data.shape, np_dtype, fmt, fn)
    if arr is None:  # preserve_format
        arr = exact_like(input._data, np_dtype)
    out = fill(Tensor._make(arr, False, None))
    out._rg = bool(requires_grad)
    return out
