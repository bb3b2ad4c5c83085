"""Tensor creation with PyTorch's dtype inference: Python floats give float32 (the default
dtype), ints give int64, bools give bool; NumPy arrays and scalars and Tensors keep their dtype,
and a list takes the promotion of its items' dtypes."""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from ._rg_arg import rg_bool, rg_overloads
from ._warn import warn
from ._from_data import (_check_shared, _check_strides, _infer_np_dtype, _to_array,  # noqa: F401
                         as_scalar)
from .autograd._inference import ACTIVE as _INF_ACTIVE, fresh_vc as _fresh_vc
from .dtypes import _FROM_NP
from .tensor import Tensor


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr, False, None)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients\n"
                "Hint: make it floats, e.g. torch.tensor([1., 2.]) or dtype=torch.float32.")
        t._rg = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("tensor", dtype)
    if type(requires_grad) is not bool:  # (t.new_tensor(...) comes here: its own name)
        import sys

        rg_bool("new_tensor" if sys._getframe(1).f_code.co_name == "new_tensor" else "tensor",
                requires_grad, False)
    _check_device(device, moving=True)
    if isinstance(data, Tensor):  # PyTorch's nudge: the copy silently drops data's graph
        warn("To copy construct from a tensor, it is recommended to use "
             "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
             ".requires_grad_(True), rather than torch.tensor(sourceTensor).")
    return _leaf(_to_array(data, dtype), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor of the right dtype."""
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("as_tensor", dtype)
    if device is not None:  # (no call for the usual as_tensor(obs): ~0.06 us an RL step)
        _check_device(device, moving=True)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == D.to_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == D.to_np(dtype)):
        D.from_numpy_dtype(data.dtype)
        _check_shared(data)
        return Tensor._make(data, False, None)
    if isinstance(data, np.ndarray):  # PyTorch wraps the array, then converts it
        from ._from_data import warn_if_readonly

        warn_if_readonly(data)
    return tensor(data, dtype=dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """as_tensor with PyTorch's keyword-only options: ``copy=True`` never shares memory with
    ``obj``; ``requires_grad=True`` makes the result a leaf that requires grad."""
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("asarray", requires_grad)
    out = as_tensor(obj, dtype, device)
    if copy and (out is obj or np.shares_memory(out._data, getattr(obj, "_data", obj))):
        out = Tensor._make(np.array(out._data, copy=True), False, None)
    if requires_grad:
        out = (out.detach() if out is obj else out).requires_grad_()
    return out


_new = object.__new__


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``: changes to one show in the other."""
    if type(ndarray) is np.ndarray and ndarray.dtype in _FROM_NP:
        f = ndarray.flags
        if f.c_contiguous and f.writeable and (not ndarray.ndim or min(ndarray.strides) >= 0):
            # The usual observation, with nothing to warn about or remember: the checks
            # below and Tensor._make inline (an RL loop calls this every step: 0.6 -> 0.3 us).
            t = _new(Tensor)
            t._data = ndarray
            t._rg = False
            t.grad_fn = t._grad = t._base = t._hooks = None
            t._vc = _fresh_vc() if _INF_ACTIVE[0] else None
            return t
    if not isinstance(ndarray, np.ndarray):
        from ._typename import arg_type_name  # numpy.float64, as PyTorch names a scalar

        raise TypeError(f"expected np.ndarray (got {arg_type_name(ndarray)})")
    D.from_numpy_dtype(ndarray.dtype)
    _check_shared(ndarray)
    return Tensor._make(ndarray, False, None)


def _check_device(device, moving: bool = False, op: str = "aten::empty.memory_format") -> None:
    """PyTorch's error for any device but the CPU (``moving``: ``.to(device)``'s and
    ``tensor(data, device=)``'s wording; ``op``: see cuda._no_cuda)."""
    if device is None:
        return
    from .tensor import device as Device

    d = Device(device) if not isinstance(device, Device) else device
    if d.type != "cpu":
        from .cuda import _no_cuda

        _no_cuda(d, moving, op)


def _is_int(n) -> bool:
    return (isinstance(n, (int, np.integer)) and not isinstance(n, bool)) or (
        isinstance(n, Tensor) and n._data.size == 1 and n._data.dtype.kind in "iu")


def _size(size, name: str = "empty", kw_size=None) -> tuple:
    """A size given as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``, checked as PyTorch."""
    if kw_size is not None:
        size = (kw_size,)
    elif not size:  # zeros(): PyTorch's parser wants a size (zeros(()) is the 0-d one)
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    given = size
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for i, n in enumerate(size):
        if not _is_int(n):  # (a float from n / 2): PyTorch's words, then a hint
            from .ops._int_args import size_error

            raise size_error(name, given, i, n, keyword=kw_size is not None)
    size = tuple(int(n) for n in size)
    if any(n < 0 for n in size):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    return size


# keywords the factories take besides their named parameters (PyTorch 2.13: no ``names=``)
_MORE_KW = {"zeros": ("size", "layout", "pin_memory"), "ones": ("size", "layout", "pin_memory"),
            "empty": ("size", "layout", "pin_memory", "memory_format"),
            "like": ("layout", "pin_memory", "memory_format")}


def _check_kw(fn: str, kw: dict, group: str = "") -> None:
    """PyTorch's TypeError for a keyword it does not take (``zeros(3, requires_gard=True)``
    would otherwise be silently ignored)."""
    for k in kw:
        if k not in _MORE_KW[group or fn]:
            raise TypeError(f"{fn}() got an unexpected keyword argument '{k}'")


def _check_dtype(fn: str, dtype) -> None:
    """PyTorch's parser takes a torch.dtype (or Python's float/int/bool) for ``dtype=`` and
    refuses a NumPy dtype or a string: ``zeros(2, dtype=np.float32)`` is its TypeError.
    Called only for a dtype given that is not ember's (ember's own code passes those)."""
    if dtype is float or dtype is int or dtype is bool:
        return
    from ._random_checks import _parser_type

    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {_parser_type(dtype)}")


def _float_dtype(dtype) -> np.dtype:
    return D._Defaults.float_np if dtype is None else D.to_np(dtype)


def zeros(*size, out=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("zeros", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("zeros", requires_grad, True,
                                lambda: _size(size, "zeros", kw.get("size")))
    _check_device(device)
    shape = _size(size, "zeros", kw.get("size"))
    if kw:
        _check_kw("zeros", kw)
    return _leaf(np.zeros(shape, _float_dtype(dtype)), requires_grad)


def ones(*size, out=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("ones", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("ones", requires_grad, True,
                                lambda: _size(size, "ones", kw.get("size")))
    _check_device(device)
    shape = _size(size, "ones", kw.get("size"))
    if kw:
        _check_kw("ones", kw)
    return _leaf(np.ones(shape, _float_dtype(dtype)), requires_grad)


def empty(*size, out=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("empty", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("empty", requires_grad, True,
                                lambda: _size(size, "empty", kw.get("size")))
    _check_device(device)
    shape = _size(size, "empty", kw.get("size"))
    if kw:
        _check_kw("empty", kw)
    return _leaf(np.zeros(shape, _float_dtype(dtype)), requires_grad)


def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _full(size, fill_value, dtype, device, requires_grad, "full")


def _full(size, fill_value, dtype, device, requires_grad, name: str) -> Tensor:
    """full, or new_full (``name``): the arguments checked in the parser's order."""
    if not isinstance(size, (tuple, list)):
        from ._new_factories import position
        from ._typename import arg_type_name

        raise TypeError(f"{name}(): argument 'size'{position('size', 1)} must be tuple of ints, "
                        f"not {arg_type_name(size)}")
    shape = _size((size,), name)
    if not isinstance(fill_value, (int, float, np.number, np.bool_)):  # (bool is an int)
        from ._new_factories import check_fill

        check_fill(name, fill_value)
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype(name, dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool(name, requires_grad)
    _check_device(device)
    fill_value = fill_value.item() if isinstance(fill_value, Tensor) else \
        as_scalar(fill_value)  # (a NumPy number is a Python number to PyTorch's parser)
    np_dtype = _infer_np_dtype(fill_value) if dtype is None else D.to_np(dtype)
    if np_dtype.kind in "iu" and type(fill_value) in (int, float):  # PyTorch's checked cast
        from .ops._index_write import _checked_number

        value = _checked_number(fill_value, np_dtype)
    else:
        value = _to_array(fill_value, np_dtype) if isinstance(fill_value, int) else fill_value
    return _leaf(np.full(shape, value, np_dtype), requires_grad)


def _like_dtype(t: Tensor, dtype):
    return t._data.dtype if dtype is None else D.to_np(dtype)


def _array_of(input, fn: str) -> np.ndarray:
    """input's array; anything but a Tensor (a list, an ndarray) gets PyTorch's TypeError."""
    try:
        return input._data
    except AttributeError:
        from ._typename import arg_type_name

        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{arg_type_name(input)}") from None


def _like(input, dtype, fill, fn, fmt=None) -> np.ndarray:
    """A new array of input's shape holding ``fill``, laid out as PyTorch's preserve_format
    lays it out: a dense input's strides exactly, else (a slice, an expanded view) dense
    strides in input's dimension order (``ops._layout.empty_like``). The row-major case,
    nearly every call, keeps np.zeros/np.ones (np.full and the *_like functions cost ~0.7 us
    more)."""
    try:
        a = input._data
    except AttributeError:
        _array_of(input, fn)  # raises PyTorch's TypeError
    dt = _like_dtype(input, dtype)
    if fmt is not None:  # an explicit memory_format (see _memory_format.format_array)
        from ._memory_format import format_array

        out = format_array(np.shape(a), dt, fmt, fn)
        if out is not None:
            out[...] = fill
            return out
    if type(a) is np.ndarray and not a.flags.c_contiguous:
        from ._rng_layout import layout_axes
        from .ops._layout import empty_like

        if 0 not in a.strides or layout_axes(a) is not None:
            out = empty_like(a, dt)
            out[...] = fill
            return out
    shape = np.shape(a)
    if fill == 0:
        return np.zeros(shape, dt)
    return np.ones(shape, dt) if fill == 1 else np.full(shape, fill, dt)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("zeros_like", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("zeros_like", requires_grad, True, lambda: _array_of(input, "zeros_like"))
    _check_device(device, op="aten::empty_strided")
    if kw:
        _check_kw("zeros_like", kw, "like")
    return _leaf(_like(input, dtype, 0, "zeros_like", kw.get("memory_format")),
                 requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("ones_like", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("ones_like", requires_grad, True, lambda: _array_of(input, "ones_like"))
    _check_device(device, op="aten::empty_strided")
    if kw:
        _check_kw("ones_like", kw, "like")
    return _leaf(_like(input, dtype, 1, "ones_like", kw.get("memory_format")),
                 requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("empty_like", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("empty_like", requires_grad, True, lambda: _array_of(input, "empty_like"))
    _check_device(device, op="aten::empty_strided")
    if kw:
        _check_kw("empty_like", kw, "like")
    return _leaf(_like(input, dtype, 0, "empty_like", kw.get("memory_format")),
                 requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, **kw):
    if dtype is not None and type(dtype) is not D.dtype:
        _check_dtype("full_like", dtype)
    if type(requires_grad) is not bool:
        requires_grad = rg_bool("full_like", requires_grad, True, lambda: _array_of(input, "full_like"))
    _check_device(device, op="aten::empty_strided")
    if kw:
        _check_kw("full_like", kw, "like")
    return _leaf(_like(input, dtype, fill_value, "full_like", kw.get("memory_format")),
                 requires_grad)


def _num(v):
    return v.item() if isinstance(v, Tensor) else v


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if type(requires_grad) is not bool:
        requires_grad = rg_overloads("eye", requires_grad)
    _check_device(device)
    if not hasattr(n, "__index__"):  # eye(n / 2)
        raise TypeError(f"eye(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if m is not None and not hasattr(m, "__index__"):
        raise TypeError(f"eye() received an invalid combination of arguments - got "
                        f"({type(n).__name__}, {type(m).__name__}), but expected one of:")
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _leaf(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def _rebuild(arr, requires_grad):
    t = Tensor._make(arr, False, None)
    t._rg = requires_grad
    return t


# arange, linspace, logspace (moved for size; ember.* and _affine_grid find them here)
from ._arange import arange  # noqa: E402,F401
from ._linspace import _linspace_values, linspace, logspace  # noqa: E402,F401
