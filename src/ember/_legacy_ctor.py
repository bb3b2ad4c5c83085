"""The legacy constructors' rules: ``torch.Tensor(...)``, ``torch.FloatTensor(...)`` & co and
``x.new(...)``, which read their arguments differently from ``torch.tensor``."""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from ._from_data import _SEQ, _to_array
from ._typename import arg_type_name
from .creation import _is_int, _size
from .tensor import Size, Tensor


def legacy_array(dt: D.dtype, data, args: tuple, exact: bool) -> np.ndarray:
    """The array of the legacy constructors ``torch.Tensor(...)`` and ``torch.FloatTensor(...)``
    & co: nothing is an empty 1-d tensor, ints or a Size are a shape (uninitialised in
    PyTorch, zeros here), a tensor is aliased (for a typed constructor, ``exact``, it must have
    that dtype), a sequence or array is data (an array of the constructor's dtype shared, not
    copied: ``torch.FloatTensor(a)`` sees later writes to a float32 ``a``); a lone number is
    not data to them."""
    if data is None:
        if args:  # Tensor(None, 2): a None given as the data (no args is Tensor())
            raise _invalid((data,) + args, {})
        return np.zeros((0,), dt.np)
    if isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "iu":
        data = int(data)  # a 0-d integer array is an index to PyTorch's parser: a size
    if _is_int(data) and not isinstance(data, Tensor) or isinstance(data, Size) and not args:
        return np.zeros(_size((data,) + args if _is_int(data) else (tuple(data),), "new"), dt.np)
    if args:  # new(2.0, 3), new(Size, 3), new([], 3): data takes no size after it
        raise _invalid((data,) + args, {})
    if isinstance(data, Tensor) and not args:
        if exact and data._data.dtype != dt.np:
            from ._methods_more import _options

            raise TypeError(f"expected {_options(dt.np)} (got {_options(data._data.dtype)})")
        return data._ensure_array()  # the same memory, as PyTorch's alias
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, np.ndarray) and data.dtype == dt.np:
        from ._from_data import _check_shared

        _check_shared(data)  # an array of the constructor's dtype is shared, as from_numpy
        return data
    if isinstance(data, np.ndarray):  # wrapped, then converted to the constructor's dtype
        from ._from_data import _check_strides, warn_if_readonly

        warn_if_readonly(data)  # (PyTorch warns before it checks the strides)
        _check_strides(data)
    if not isinstance(data, (_SEQ, np.ndarray, range)) and not (
            hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise TypeError(f"new(): data must be a sequence (got {arg_type_name(data)})")
    return _to_array(data, dt)


def _invalid(given: tuple, kwargs: dict) -> TypeError:
    """The parser's refusal of a call no overload of new() takes."""
    got = ["torch.Size" if isinstance(v, Size) else _arg_type(v) for v in given]
    got += [f"{k}={_arg_type(v)}" for k, v in sorted(kwargs.items())]
    return TypeError(f"new() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:")


def refuse_none_data(args: tuple, kwargs: dict) -> None:
    """``torch.FloatTensor(None)`` & co: a None given as the data is no sequence (only no
    argument at all is the empty tensor); with more arguments or keywords than ``device``,
    no overload fits."""
    if len(args) > 1 or any(k != "device" for k in kwargs):
        raise _invalid(args, {k: v for k, v in kwargs.items() if k != "device"})
    raise TypeError("new(): data must be a sequence (got NoneType)")


def _arg_type(v) -> str:
    """A value's type as PyTorch's argument parser names it."""
    if isinstance(v, Tensor):
        return "Tensor"
    return "torch.dtype" if isinstance(v, D.dtype) else arg_type_name(v)


def check_kwargs(data, args: tuple, kwargs: dict) -> None:
    """The legacy constructors take one keyword, ``device`` (a CPU one); ``dtype=`` or
    ``requires_grad=`` is PyTorch's TypeError rather than silently ignored."""
    if any(k != "device" for k in kwargs):
        given = ([] if data is None else [data]) + list(args)
        got = [_arg_type(v) for v in given]
        got += [f"{k}={_arg_type(v)}" for k, v in sorted(kwargs.items())]
        raise TypeError("new() received an invalid combination of arguments - got "
                        f"({', '.join(got)}{'' if given else ', '}), but expected one of:\n"
                        "Hint: torch.Tensor(data) always makes the default float dtype; use "
                        "torch.tensor(data, dtype=..., requires_grad=...) instead.")
    dev = kwargs.get("device")
    if dev is not None:
        from ._size_device import device

        kind = device(dev).type
        if kind != "cpu":
            raise RuntimeError("legacy constructor expects device type: cpu but device type: "
                               f"{kind} was passed")


def legacy_tensor(t: Tensor, *args, **kwargs) -> None:
    """``torch.Tensor(data)`` / ``torch.Tensor(2, 3)``: always the default float dtype
    (``torch.Tensor()`` is empty; ``torch.Tensor(None)`` is PyTorch's TypeError)."""
    if not args and "data" in kwargs:  # torch.Tensor(data=[...])
        args = (kwargs.pop("data"),)
    if args and args[0] is None and type(t) is Tensor:
        refuse_none_data(args, kwargs)
    data, args = (args[0], args[1:]) if args else (None, ())
    if kwargs and type(t) is Tensor:  # (a subclass's own __new__ may take other keywords)
        check_kwargs(data, args, kwargs)
    Tensor._init_from(t, legacy_array(D._Defaults.float, data, args, False), False)
