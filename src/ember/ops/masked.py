"""masked_fill, and its argument checks in PyTorch's order: its parser (mask a Tensor, value a
Tensor or a number; an int beyond int64), broadcasting (masked_fill_: the mask's dtype first),
the mask's dtype, then the value's conversion to the input's dtype. Tensor.masked_fill /
masked_fill_ word the parser's refusal for the method (its name, self left out); the in-place
form broadcasts self first."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd._inference import refuse_saved_index
from ..autograd.function import Primitive
from .._typename import arg_type_name as _tname
from ..tensor import Tensor
from ._layout import reduced
from ._util import check_broadcast

_VALUE = (Tensor, numbers.Number, np.bool_)
_C_NAMES = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
            "uint8": "uint8_t", "float32": "float", "float64": "double", "float16": "c10::Half"}

_FMAX = {2: float(np.finfo(np.float16).max), 4: float(np.finfo(np.float32).max)}  # by size


_NO = object()  # an argument not given (x.masked_fill(mask)): the parser refuses that too


def _refused(name: str, given: tuple, lead: bool = True, kw: dict | None = None) -> TypeError:
    """The parser's TypeError, worded for torch.masked_fill (``lead``: the input's "Tensor";
    ``kw``: keywords it does not take, listed last to first as the parser does); marked with
    what was given, for the method to word it again."""
    given = tuple(v for v in given if v is not _NO)
    got = ", ".join((["Tensor"] if lead else []) + [_tname(v) for v in given] +
                    [f"{k}={_tname(v)}" for k, v in reversed((kw or {}).items())])
    got += ", " if kw and not given and not lead else ""
    err = TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                    "but expected one of:")
    err.refused_given = given
    return err


def check_args(mask, value) -> None:
    """PyTorch's parser: anything but (Tensor mask, Tensor or number value) is refused; an int
    is read as int64, or uint64 when above int64's range."""
    if not isinstance(mask, Tensor) or not isinstance(value, _VALUE):
        raise _refused("masked_fill", (mask, value))
    if type(value) is int and not -2 ** 63 <= value < 2 ** 64:
        raise OverflowError("int too big to convert" if value > 0 else
                            "can't convert negative int to unsigned")


def check_fill_value(value) -> None:
    """Tensor.fill_'s parser for a value that is not a tensor: a number, an int in range."""
    if not isinstance(value, _VALUE):
        raise _refused("fill_", (value,), lead=False)
    if type(value) is int and not -2 ** 63 <= value < 2 ** 64:
        raise OverflowError("int too big to convert" if value > 0 else
                            "can't convert negative int to unsigned")


def _overflow(dt) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dt.name, dt.name)} "
                        "without overflow")


def checked_value(value, dt: np.dtype) -> np.ndarray:
    """A number as a 0-d array of ``dt``, refused as PyTorch's checked conversion refuses it:
    an imaginary part, a finite float beyond the dtype's range, or an integer dtype's range
    exceeded (a float truncates; uint8 takes ints down to -255, wrapping)."""
    kind = dt.kind
    if kind == "b":
        return np.asarray(bool(value))
    if isinstance(value, (complex, np.complexfloating)):
        if value.imag:
            raise _overflow(dt)
        value = value.real
    if kind == "f":
        v = float(value)
        if abs(v) > _FMAX.get(dt.itemsize, math.inf) and math.isfinite(v):
            raise _overflow(dt)
        return np.asarray(v, dtype=dt)
    info = np.iinfo(dt)
    lo, hi = (-int(info.max), int(info.max)) if kind == "u" else (int(info.min), int(info.max))
    if isinstance(value, (float, np.floating)):
        if not info.min <= value <= info.max:  # nan fails too
            raise _overflow(dt)
        return np.asarray(value).astype(dt)  # truncated, as a C cast
    if not lo <= int(value) <= hi:
        raise _overflow(dt)
    return np.asarray(int(value) % (hi + 1) if value < 0 and kind == "u" else value, dtype=dt)


def as_method(name: str, op, inplace: bool):
    """Tensor.masked_fill / masked_fill_ from the function (or its in-place wrapper)."""

    def method(self, mask=_NO, value=_NO, *extra, **kw):
        if extra or kw:
            raise _refused(name, (mask, value) + extra, lead=False, kw=kw)
        try:
            if inplace and not (isinstance(mask, Tensor) and mask._data.shape == self._data.shape):
                check_args(mask, value)
                if mask._data.dtype != np.bool_:  # in place: the mask's dtype comes first
                    raise _not_bool(mask._data.dtype)
                check_broadcast(self._data.shape, mask._data.shape)  # self is a, mask b
            return op(self, mask, value)
        except TypeError as err:
            given = getattr(err, "refused_given", None)
            if given is None:
                raise
            raise _refused(name, given, lead=False) from None

    method.__name__ = method.__qualname__ = name
    return method


class MaskedFill(Primitive):
    """y = where(mask, v, x);  dL/dx = dL/dy where not mask,  dL/dv = sum of dL/dy at mask."""

    @staticmethod
    def forward(ctx, x, v, mask):
        ctx.mask = mask
        return reduced(np.where(mask, v, x), x)  # row-major, as PyTorch's

    @staticmethod
    def backward(ctx, g):
        need_x, need_v, _ = ctx.needs_input_grad
        gx = np.where(ctx.mask, 0, g) if need_x else None
        gv = np.where(ctx.mask, g, 0).sum() if need_v else None
        return gx, gv, None


class MaskedFillTensor(MaskedFill):
    node_name = "MaskedFillBackward1"


def _mask_name(dt) -> str:
    from .indexing import _C_NAMES  # (the error path only)

    return _C_NAMES.get(dt.name, dt.name)


def _not_bool(dt) -> RuntimeError:
    return RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                        f"{_mask_name(dt)}")


_INF, _F32, _F64 = float("inf"), np.dtype(np.float32), np.dtype(np.float64)


def masked_fill(input, mask=_NO, value=_NO):
    if type(value) is not float or not isinstance(mask, Tensor):  # (the usual case passes)
        check_args(mask, value)
    m = mask._data
    check_broadcast(m.shape, input._data.shape)  # PyTorch expands the two first
    if m.dtype != np.bool_:
        raise _not_bool(m.dtype)
    if mask._vc is not None and (input._rg or getattr(value, "_rg", False)):
        refuse_saved_index(mask)  # (an inference mask: PyTorch's node saves it)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype == input._data.dtype:
            return MaskedFillTensor.apply(input, value, m)
        checked_value(value.item(), input._data.dtype)  # a value that overflows is refused
        return MaskedFillTensor.apply(input, value.to(input._data.dtype), m)
    dt = input._data.dtype
    if type(value) is float and (dt is _F32 or dt is _F64) and \
            not 3.4e38 < abs(value) < _INF:  # it fits: no checked conversion needed
        return MaskedFill.apply(input, np.asarray(value, dtype=dt), m)
    return MaskedFill.apply(input, checked_value(value, dt), m)
