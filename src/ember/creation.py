"""Tensor creation with PyTorch's dtype inference: Python floats give float32 (the default
dtype), ints give int64, bools give bool; NumPy arrays keep their dtype."""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes as D
from .tensor import Tensor


def _infer_np_dtype(data) -> np.dtype:
    """PyTorch's dtype for nested Python data: bool < int < float, floats as the default."""
    kind = D._BOOL
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            c = D.category(x._data.dtype)
            if c == D._FLOAT:
                return x._data.dtype if x._data.dtype != np.float16 else D._Defaults.float_np
            kind = max(kind, c)
        elif isinstance(x, np.ndarray):
            if x.dtype.kind == "f":
                return D._Defaults.float_np if kind < D._FLOAT else x.dtype
            kind = max(kind, D.category(x.dtype))
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            pass
        elif isinstance(x, (numbers.Integral, np.integer)):
            kind = max(kind, D._INT)
        elif isinstance(x, (numbers.Real, np.floating)):
            return D._Defaults.float_np
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    return {D._BOOL: np.dtype(np.bool_), D._INT: np.dtype(np.int64)}[kind]


def _to_array(data, dtype=None) -> np.ndarray:
    """Copy ``data`` into a fresh array with PyTorch's dtype rules."""
    if isinstance(data, Tensor):
        a = np.array(data._data, dtype=None if dtype is None else D.to_np(dtype), copy=True)
        return a
    if isinstance(data, np.ndarray):
        if dtype is None:
            D.from_numpy_dtype(data.dtype)  # rejects unsupported dtypes with PyTorch's error
            return np.array(data, copy=True)
        return np.array(data, dtype=D.to_np(dtype), copy=True)
    if isinstance(data, np.generic):
        return np.array(data, dtype=None if dtype is None else D.to_np(dtype))
    np_dtype = D.to_np(dtype) if dtype is not None else _infer_np_dtype(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensors_to_lists(data)
    try:
        return np.array(data, dtype=np_dtype)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists ({e})") from None


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        if data._data.ndim:
            return np.asarray(data._data)
        return data._data.item()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    _check_device(device)
    return _leaf(_to_array(data, dtype), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor of the right dtype."""
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == D.to_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == D.to_np(dtype)):
        D.from_numpy_dtype(data.dtype)
        return Tensor._make(data, False, None)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``: changes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray, False, None)


def _check_device(device) -> None:
    if device is None:
        return
    from .tensor import device as Device

    d = Device(device) if not isinstance(device, Device) else device
    if d.type != "cpu":
        from .cuda import _no_cuda

        _no_cuda(d)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) and not (isinstance(n, Tensor) and n.numel() == 1):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(n).__name__}")
    size = tuple(int(n) for n in size)
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    return size


def _float_dtype(dtype) -> np.dtype:
    return D._Defaults.float_np if dtype is None else D.to_np(dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    _check_device(device)
    return _leaf(np.zeros(_size(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    _check_device(device)
    return _leaf(np.ones(_size(size), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, **kwargs) -> Tensor:
    _check_device(device)
    return _leaf(np.zeros(_size(size), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    _check_device(device)
    if dtype is None:
        dtype = _infer_np_dtype(fill_value)
    return _leaf(np.full(_size((size,)), fill_value, D.to_np(dtype)), requires_grad)


def _like_dtype(t: Tensor, dtype):
    return t._data.dtype if dtype is None else D.to_np(dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return _leaf(np.zeros(input._data.shape, _like_dtype(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return _leaf(np.ones(input._data.shape, _like_dtype(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, **kw):
    return _leaf(np.full(input._data.shape, fill_value, _like_dtype(input, dtype)),
                 requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 unless an argument is a float."""
    if end is None:
        start, end = 0, start
    vals = [_num(v) for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _infer_np_dtype(vals)
    np_dtype = D.to_np(dtype)
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(max(n, 0), dtype=np.float64) * vals[2]).astype(np_dtype)
    if np_dtype.kind in "iu":
        arr = np.arange(vals[0], vals[1], vals[2], dtype=np_dtype)
    return _leaf(arr, requires_grad)


def _num(v):
    return v.item() if isinstance(v, Tensor) else v


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    arr = np.linspace(_num(start), _num(end), int(steps), dtype=np.float64)
    return _leaf(arr.astype(_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    arr = np.logspace(_num(start), _num(end), int(steps), base=base)
    return _leaf(arr.astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _leaf(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def _legacy_tensor(t: Tensor, data=None, *args, **kwargs) -> None:
    """``torch.Tensor(data)`` / ``torch.Tensor(2, 3)``: always the default float dtype."""
    if data is None:
        arr = np.zeros((0,), D._Defaults.float_np)
    elif isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        arr = np.zeros(_size((data,) + args), D._Defaults.float_np)
    elif isinstance(data, (tuple, list)) and not data and args:
        arr = np.zeros((0,), D._Defaults.float_np)
    else:
        arr = _to_array(data, D._Defaults.float)
    Tensor._init_from(t, arr, False)


def _rebuild(arr, requires_grad):
    t = Tensor._make(arr, False, None)
    t._rg = requires_grad
    return t
