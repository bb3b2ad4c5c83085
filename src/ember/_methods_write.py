"""Tensor's in-place writes of given values: ``zero_``, ``fill_`` and ``copy_``.

Each writes straight into the tensor's array when no graph is recorded, and records a node
(``_fill_nodes.py``) when one is; a read-only (expanded) tensor is written as PyTorch writes
its shared memory. ``_methods.py`` binds them on Tensor; they live apart only to keep that
file short, and keep its ``__module__``.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .autograd.grad_mode import STATE
from .ops._index_write import fill_shared
from .ops.masked import check_fill_value, checked_value
from .tensor import Tensor


def zero_(self):
    self._check_inplace()
    if self.grad_fn is not None and STATE.enabled:
        from ._fill_nodes import zero_node

        return self._write(zero_node().apply(self._graph_input(), np.zeros((), self._data.dtype)))
    arr = self._ensure_array()
    try:
        arr.fill(0)
    except ValueError:  # read-only: an expanded tensor, whose memory PyTorch fills
        fill_shared(self, arr, 0)
    self._bump()
    return self


def fill_(self, value):
    self._check_inplace()
    if not isinstance(value, Tensor):  # PyTorch's parser and checked conversion (masked.py)
        check_fill_value(value)  # None, a str, an array: NumPy filled nan or failed oddly
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    v = value.item() if isinstance(value, Tensor) else value
    if self.grad_fn is not None and STATE.enabled or isinstance(value, Tensor) and value._rg:
        from ._fill_nodes import FillTensor, fill_scalar_node

        if isinstance(value, Tensor):
            return self._write(FillTensor.apply(self._graph_input(), value))
        return self._write(fill_scalar_node().apply(self._graph_input(),
                                                    np.full(self._data.shape, v)))
    arr = self._ensure_array()
    v = checked_value(v, arr.dtype)
    try:
        arr.fill(v)
    except ValueError:  # read-only: an expanded tensor, whose memory PyTorch fills
        fill_shared(self, arr, v)
    self._bump()
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast) into this tensor; recorded when gradients are tracked."""
    self._check_inplace()
    if src is None or isinstance(src, (str, bytes, dict, set, list, tuple)):  # (asarray(None): nan)
        from ._typename import arg_type_name

        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{arg_type_name(src)}")
    s = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src), False, None)
    shape = self._data.shape
    if s._data.shape != shape:
        ops._util.check_broadcast(shape, s._data.shape)
        full = np.broadcast_shapes(shape, s._data.shape)
        if full != shape:  # src has more (or wider) dims than self: PyTorch's message
            raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast "
                               f"shape {list(full)}")
    if STATE.enabled and (self._rg or s._rg):
        from ._fill_nodes import Copy

        return self._write(Copy.apply(self._graph_input(), s))
    arr = self._ensure_array()
    src_arr = s._data
    try:
        # np.broadcast_to (~1.5 us of Python) only when the shapes differ: a soft target
        # update copies same-shape tensors (3-256-256-1 critic: 68 -> 57 us for all six).
        np.copyto(arr, src_arr if src_arr.shape == arr.shape
                  else np.broadcast_to(src_arr, arr.shape), casting="unsafe")
    except ValueError as e:  # an expanded (read-only) tensor: PyTorch's message
        self._write_failed(e, arr, s._data)  # (or a read-only NumPy array's: now copied)
        return self.copy_(s)
    self._bump()
    return self


for _fn in (zero_, fill_, copy_):
    _fn.__module__ = "ember._methods"  # their home before the split, as Tensor.fill_ shows
del _fn
