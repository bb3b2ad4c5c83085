"""Tensor's ``add_`` and ``mul_``: optimizer and soft-target-update hot paths, with first
branches for the no-graph cases (one NumPy call in place) before the general checks, and the
out-of-place-then-write form (``_inplace``) the recorded cases take."""

from __future__ import annotations

import numpy as np

from . import _old_overloads, ops
from ._fma import fma_into
from ._from_data import as_scalar  # (a NumPy number as PyTorch reads it: np.float64 is
# strong in NumPy 2, so float32 * np.float64(0.3) would round in float64)
from .autograd.grad_mode import STATE
from .ops._util import wrap_int
from .tensor import Tensor

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


def _inplace(op):
    """The in-place form of an op: compute out of place, then write into this tensor."""

    def method(self, *args, **kwargs):
        self._check_inplace()
        return self._write(op(self._graph_input(), *args, **kwargs))

    method.__name__ = op.__name__ + "_"
    return method


def add_(self, other, *old, alpha=1):
    if type(other) is Tensor and type(alpha) is int and alpha == 1 and not old \
            and not (self._rg or other._rg) and self._base is None:
        # p.data.add_(tau * q.data) of a soft target update: two float32/64 arrays of one
        # dtype, nothing to record or promote (~0.2 us less than the general no-grad path)
        arr, o = self._data, other._data
        if type(arr) is np.ndarray and type(o) is np.ndarray and o.dtype is arr.dtype and \
                (arr.dtype is _F32 or arr.dtype is _F64):
            try:
                np.add(arr, o, out=arr)
            except ValueError:  # o does not broadcast to self's shape, or a read-only self:
                pass  # the general path below, for PyTorch's error or behaviour
            else:
                vc = self._vc
                if vc.__class__ is list:
                    vc[0] += 1
                else:
                    self._bump()
                return self
    if old:  # x.add_(alpha, other): PyTorch's deprecated overload (here, not in a wrapper:
        # add_ is an optimizer's hot path)
        (other,), alpha = _old_overloads.scalar_first("add_", (other,) + old, alpha)
    if type(alpha) is not int and type(alpha) is not float:  # (NumPy would read '0.1')
        alpha = ops.arithmetic.alpha_number(alpha, "add")
        if type(alpha) is bool:  # its own rule (_check_alpha), past the fast path
            return _inplace(ops.add)(self, other, alpha=alpha)
    if not (STATE.enabled and (self._rg or (isinstance(other, Tensor) and other._rg))):
        # Fast path for optimizer-style updates: one NumPy call, no graph.
        if self._base is not None and STATE.enabled:  # a view made under no_grad
            self._check_inplace()
        arr = self._data  # (_ensure_array inline: a frame fewer)
        if type(arr) is not np.ndarray:
            arr = self._ensure_array()
        o = other._data if isinstance(other, Tensor) else other if type(other) is float \
            else as_scalar(other)
        if type(o) is list or type(o) is tuple or type(other) is np.ndarray:
            # PyTorch's TypeError (ops.add words it; ember's own arrays go on through it)
            return self._write(ops.add(self, other, alpha=alpha))
        dt = arr.dtype
        if alpha != 1:
            if dt.char in "fd":  # self + alpha*other rounded once: PyTorch's fused kernel
                if type(o) is np.ndarray and o.shape == arr.shape and o.dtype == dt \
                        and o.size > 1:  # (one element: PyTorch reads a number, see ops.add)
                    fma_into(arr, dt.type(alpha), o, arr)  # in place: no copy, no dispatch
                    self._bump()
                    return self
                return self._write(ops.add(self, other, alpha=alpha))
            o = o * alpha
        if type(o) is int and dt.kind in "iu":
            o = wrap_int(o, dt)  # uint8 + 1000 wraps, as PyTorch
        # Not float32/64: an integer result may promote; float16 with alpha computes
        # self + alpha * other in float32, as PyTorch (ops/_half.py). Both through ops.add.
        if dt.char not in "fd" and (dt is _F16 and alpha != 1 or type(o) is np.bool_
                                    or np.result_type(arr, o) != dt):  # (np.bool_: a float)
            return self._write(ops.add(self, other, alpha=alpha))
        try:
            np.add(arr, o, out=arr, casting="unsafe")
        except (ValueError, TypeError):  # o does not broadcast to self's shape, or is None:
            pass  # PyTorch's error instead (below, outside this handler: no NumPy traceback)
        else:
            self._bump()
            return self
        return self._write(ops.add(self, other, alpha=alpha))
    return _inplace(ops.add)(self, other, alpha=alpha)


def mul_(self, other):
    if type(other) is float and not self._rg and self._base is None:
        # p.data.mul_(1 - tau) of a soft target update: a float32/64 array times a number,
        # nothing to record, check or convert (~0.2 us less than the general no-grad path)
        arr = self._data
        if type(arr) is np.ndarray and (arr.dtype is _F32 or arr.dtype is _F64):
            try:
                np.multiply(arr, other, out=arr)
            except ValueError:  # a read-only array: PyTorch's warning and write below
                pass
            else:
                vc = self._vc
                if vc.__class__ is list:
                    vc[0] += 1
                else:
                    self._bump()
                return self
    if not (STATE.enabled and (self._rg or (isinstance(other, Tensor) and other._rg))):
        if self._base is not None and STATE.enabled:  # a view made under no_grad
            self._check_inplace()
        arr = self._data  # (_ensure_array inline: a frame fewer)
        if type(arr) is not np.ndarray:
            arr = self._ensure_array()
        o = other._data if isinstance(other, Tensor) else other if type(other) is float \
            else as_scalar(other)
        if type(o) is list or type(o) is tuple or type(other) is np.ndarray:
            # PyTorch's TypeError (ops.mul words it; ember's own arrays go on through it)
            return self._write(ops.mul(self, other))
        dt = arr.dtype
        if type(o) is int and dt.kind in "iu":
            o = wrap_int(o, dt)  # uint8 * 300 wraps, as PyTorch
        # Not float32/64: an integer result may promote; float16 computes in float32, as
        # PyTorch (ops/_half.py). Both through ops.mul.
        if dt.char not in "fd" and (dt is _F16 or type(o) is np.bool_
                                    or np.result_type(arr, o) != dt):  # (np.bool_: a float)
            return self._write(ops.mul(self, other))
        try:
            np.multiply(arr, o, out=arr, casting="unsafe")
        except (ValueError, TypeError):  # o does not broadcast to self's shape, or is None:
            pass  # PyTorch's error instead (below, outside this handler: no NumPy traceback)
        else:
            self._bump()
            return self
        return self._write(ops.mul(self, other))
    return _inplace(ops.mul)(self, other)
