"""Tensor's conversion methods: ``to`` (dtype, device, another tensor), the casts
(``float()``, ``long()``, ...), the legacy ``type()`` with its type names, ``cpu``/``cuda``."""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from ._size_device import device as _Device
from .ops._layout import preserved
from .ops.elementwise import Cast
from .tensor import Tensor


def to(self, *args, **kwargs):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: a recorded cast;
    ``memory_format=torch.channels_last`` lays the result out NHWC, as PyTorch."""
    fmt = kwargs.pop("memory_format", None)
    if kwargs and not kwargs.keys() <= _TO_KEYWORDS:  # to(dtype, bogus=1): no overload
        raise TypeError(_to_refusal(args, kwargs))
    if fmt is not None:
        from ._memory_format import memory_format, preserve_format

        if not isinstance(fmt, memory_format):  # to(memory_format=3): no overload takes it
            raise TypeError(_to_refusal(args, {**kwargs, "memory_format": fmt}))
        if fmt is not preserve_format:  # (preserve: the cast keeps the layout, or self)
            return _to(self, *args, **kwargs).contiguous(memory_format=fmt)
    return _to(self, *args, **kwargs)


def _to(self, *args, **kwargs):
    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    copy = kwargs.get("copy")
    if args:
        first = args[0]
        if type(first) is str:  # .to("cpu") in every RL step: the first test
            device = first
        elif isinstance(first, Tensor):
            dtype = first.dtype
        elif _dtype_like(first):
            dtype = first
        elif first is not None:
            device = first
        if len(args) > 1:  # (one argument, the usual call, needs no look)
            _check_positions(args, kwargs)
            flags = args[1:]
            if not (isinstance(first, Tensor) or _dtype_like(first)):  # (device, dtype, ...)
                flags = args[2:]
                if args[1] is not None:
                    dtype = args[1]
            copy = copy or len(flags) == 2 and flags[1]  # (non_blocking: nothing to wait for)
    if dtype is not None and type(dtype) is not D.dtype:
        _check_user_dtype(dtype, args, kwargs)
    # .to("cpu") / .to(torch.device("cpu")) in every RL step: no import, no device parsed
    if device is not None and not (type(device) is str and device == "cpu" or
                                   type(device) is _Device and device.type == "cpu"):
        from .creation import _check_device

        _check_device(device, moving=True)
    # copy=True, or a device with an index ("cpu:0": another device to PyTorch), copies
    copy = copy or device is not None and (
        ":" in device if type(device) is str else getattr(device, "index", None) is not None)
    np_dtype = self._data.dtype if dtype is None else D.to_np(dtype)
    if np_dtype == self._data.dtype and not copy:
        return self
    if np_dtype.kind not in "fc":  # no gradient flows to integers: an untracked leaf
        return Tensor._make(preserved(self._data.astype(np_dtype), self._data), False, None)
    return Cast.apply(self, np_dtype)


def _dtype_like(a) -> bool:
    return isinstance(a, (D.dtype, np.dtype)) or isinstance(a, type) and a is not str


def _check_positions(args, kwargs) -> None:
    """PyTorch's three overloads by position: (device, dtype, non_blocking, copy), (dtype,
    non_blocking, copy) and (tensor, non_blocking, copy), the flags Python bools only; else
    its TypeError (``x.to("cpu", True)``: ember read True as the device)."""
    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were "
                        "given")
    first, rest = args[0], args[1:]
    if not (isinstance(first, Tensor) or _dtype_like(first)):  # a device (or None)
        if not (rest[0] is None and first is not None or _dtype_like(rest[0])) \
                or "dtype" in kwargs:
            raise TypeError(_to_refusal(args, kwargs))
        rest = rest[1:]
    if len(rest) > 2 or any(type(a) is not bool for a in rest):
        raise TypeError(_to_refusal(args, kwargs))


_TO_OVERLOADS = "".join(
    f"\n * ({head}bool non_blocking = False, bool copy = False, *, torch.memory_format "
    "memory_format = None)" for head in (
        "torch.device device = None, torch.dtype dtype = None, ", "torch.dtype dtype, ",
        "Tensor tensor, ")) + "\n"


def _check_user_dtype(dtype, args, kwargs) -> None:
    """A NumPy dtype (or type) given to ``to()`` by user code is PyTorch's TypeError (ember's
    own code casts with NumPy dtypes, so only calls from outside ember are checked)."""
    if dtype is float or dtype is int or dtype is bool:
        return
    import sys

    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is None or frame.f_globals.get("__name__", "").startswith("ember"):
        return
    raise TypeError(_to_refusal(args, kwargs))


_TO_KEYWORDS = frozenset(("dtype", "device", "non_blocking", "copy"))


def _to_refusal(args, kwargs) -> str:
    """PyTorch's parser message for a ``to()`` call no overload takes."""
    from ._random_checks import _parser_type

    got = [_parser_type(a) for a in args] + [f"{k}={_parser_type(v)}" for k, v in kwargs.items()]
    tail = ", " if got and not args else ""
    return (f"to() received an invalid combination of arguments - got "
            f"({', '.join(got)}{tail}), but expected one of:" + _TO_OVERLOADS)


def _cast(name):
    target = D.to_dtype(name)
    D.to_np(target)  # (a dtype NumPy cannot hold fails here, at binding)

    def method(self, memory_format=None):
        return to(self, target)

    method.__name__ = name
    method.__qualname__ = method.__name__  # what TypeErrors name
    return method


def _cast_without_storage(name):
    """``t.bfloat16()``, ``t.cfloat()``, ...: the dtype exists, NumPy cannot hold it."""
    def method(self, memory_format=None):
        raise D.no_storage(D._NAMES[name])

    method.__name__ = name
    method.__qualname__ = method.__name__
    return method


def type_(self, dtype=None, non_blocking=False, **kwargs):
    for k in kwargs:
        if k != "memory_format":  # (PyTorch's type() takes no other keyword)
            raise TypeError(f"type() got an unexpected keyword argument '{k}'")
    names = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
             "int64": "torch.LongTensor", "int32": "torch.IntTensor", "bool": "torch.BoolTensor",
             "float16": "torch.HalfTensor", "uint8": "torch.ByteTensor",
             "int8": "torch.CharTensor", "int16": "torch.ShortTensor"}
    if dtype is None:
        return names[self.dtype.name]
    if dtype is Tensor or dtype == "torch.Tensor":  # the default tensor type
        dtype = D.get_default_dtype()
    if isinstance(dtype, type) and hasattr(dtype, "_ember_type_name"):
        dtype = dtype._ember_type_name  # a legacy class: x.type(torch.DoubleTensor)
    if isinstance(dtype, str) and dtype.startswith("torch.cuda."):
        from .cuda import NO_ATEN_CUDA

        raise RuntimeError(NO_ATEN_CUDA)
    if isinstance(dtype, str):  # only the legacy type names, as PyTorch
        by_name = {v: k for k, v in names.items()}
        if dtype not in by_name:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = by_name[dtype]
    elif isinstance(dtype, type):
        raise ValueError(f"invalid type: '{_type_name(dtype)}'")
    elif type(dtype) is not D.dtype:
        raise TypeError("dtype must be a type, str, or dtype object")
    return to(self, D.to_dtype(dtype))


def _type_name(cls) -> str:
    from ._typename import class_name

    return class_name(cls)


def _cpu(self, *args, **kwargs):
    return self


def _no_accelerator(kind: str):
    """``t.xpu()`` / ``t.ipu()`` / ``t.mtia()``: PyTorch's error in a CPU-only build."""
    def method(self, *args, **kwargs):
        from .nn.modules._convert import _no_accelerator as refuse

        refuse(kind)

    method.__name__ = method.__qualname__ = kind
    return method


def _cuda(self, device=None, non_blocking=False, memory_format=None, **kwargs):
    """PyTorch's checks, in its order, on a build without CUDA: the argument's type, an index
    (no accelerator to resolve it against), a non-CUDA device, then CUDA's missing runtime."""
    from ._typename import arg_type_name
    from .cuda import _no_cuda

    if kwargs:
        raise TypeError(f"cuda() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if isinstance(device, bool) or not isinstance(device, (type(None), int, str, _Device)):
        raise TypeError("cuda(): argument 'device' (position 1) must be torch.device, not "
                        f"{arg_type_name(device)}")
    if isinstance(device, int):
        if device < 0:
            raise RuntimeError("Device index must not be negative")
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if device is not None and _Device(device).type != "cuda":
        raise RuntimeError("Invalid device, must be cuda device")
    _no_cuda("cuda" if device is None else str(device))
