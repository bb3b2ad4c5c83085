"""Tensor.new_full / new_zeros / new_ones / new_empty / new_empty_strided: the factories with
the tensor's dtype, their errors naming the method as PyTorch's parser does ("new_zeros():
argument 'size' ...", not the factory they share code with)."""

from __future__ import annotations

import sys

import numpy as np

from . import dtypes as D
from ._typename import arg_type_name
from .tensor import Tensor


def position(arg: str, pos: int) -> str:
    """" (position 2)" as the parser words it, or "" where the user's call named ``arg``."""
    from .ops._int_args import _ROOT, _keywords

    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        frame = frame.f_back
    return "" if frame is not None and arg in _keywords(frame) else f" (position {pos})"


def check_fill(name: str, value) -> None:
    """A fill value must be a Number (a one-element Tensor passes): full((2,), 'a')."""
    if isinstance(value, (complex, np.generic)) and not isinstance(value, (str, bytes, np.str_)):
        return
    if isinstance(value, Tensor) and value.numel() == 1:
        return
    raise TypeError(f"{name}(): argument 'fill_value'{position('fill_value', 2)} must be Number, "
                    f"not {arg_type_name(value)}")


def new_full(self, size, fill_value, *, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    from .creation import _full

    return _full(size, fill_value, self.dtype if dtype is None else dtype, device,
                 requires_grad, "new_full")


def new_filled(fill, name: str):
    """new_zeros (fill 0), new_ones (1), new_empty (0: uninitialised in PyTorch)."""
    def method(self, *size, dtype=None, layout=None, device=None, pin_memory=False,
               requires_grad=False, **kw):
        from .creation import _check_device, _check_dtype, _leaf, _size

        kw_size = None
        if kw:  # size= is the only other keyword PyTorch takes
            if "size" not in kw or len(kw) > 1:
                bad = next(k for k in kw if k != "size")
                raise TypeError(f"{name}() got an unexpected keyword argument '{bad}'")
            if size:
                raise TypeError(f"{name}() got multiple values for argument 'size'")
            kw_size = kw["size"]
            if kw_size is None or not isinstance(kw_size, (tuple, list)):
                raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                                f"{arg_type_name(kw_size)}")
            size = (kw_size,)
        elif not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        shape = _size(size, name)
        if dtype is not None and type(dtype) is not D.dtype:
            _check_dtype(name, dtype)
        if type(requires_grad) is not bool:
            from ._rg_arg import rg_bool

            requires_grad = rg_bool(name, requires_grad)
        _check_device(device)
        arr = np.full(shape, fill, dtype=D.to_np(dtype) if dtype else self._data.dtype)
        return _leaf(arr, requires_grad)

    method.__name__ = method.__qualname__ = name
    return method


def check_strided(size, stride, name: str) -> None:
    """empty_strided's size and stride must be sequences of ints."""
    for arg, pos, v in (("size", 1, size), ("stride", 2, stride)):
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                            f"not {arg_type_name(v)}")
        from .creation import _is_int

        for i, n in enumerate(v):
            if not _is_int(n):
                what = arg_type_name(n)
                if i == 0:
                    raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple "
                                    f"of ints, but found element of type {what} at pos 0")
                raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos "
                                f"{i + 1} with error \"type must be tuple of ints,but got "
                                f"{what}\"")
