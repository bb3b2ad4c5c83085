"""Elementwise step functions (sign, floor, ceil, trunc, round: zero gradient almost
everywhere), the isnan/isinf/isfinite predicates, nan_to_num and square."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import elementwise
from ._util import zero_grad
from .elementwise import _not_for


class _PiecewiseConstant(Primitive):
    """y = f(x) for a step function f (sign, floor, ...);  dy/dx = 0 almost everywhere."""

    @staticmethod
    def forward(ctx, x, fn):
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        return (zero_grad(g), None)


def sign_nan_zero(a: np.ndarray) -> np.ndarray:
    """np.sign, but 0 at nan, as PyTorch's CPU sign (and sgn) gives."""
    s = np.sign(a)
    return np.where(np.isnan(a), 0, s).astype(a.dtype, copy=False) if a.dtype.kind == "f" else s


sign_nan_zero.__name__ = "sign"


def _step_op(fn, node_name):
    cls = type(node_name[:-9], (_PiecewiseConstant,), {"node_name": node_name})

    def op(input):
        try:
            is_bool = input._data.dtype == np.bool_
        except AttributeError:  # a str, list, number: PyTorch's parser error
            from ._int_args import not_tensor

            raise not_tensor(input) from None
        if is_bool:
            if fn is sign_nan_zero:
                return input.clone()  # sign of a bool is itself
            _not_for(f"{fn.__name__}_vml_cpu", input)
        return cls.apply(input, fn)

    op.__name__ = fn.__name__
    op.__qualname__ = op.__name__  # what TypeErrors name
    op.__code__ = op.__code__.replace(co_name=op.__name__, co_qualname=op.__name__)
    return op


sign = _step_op(sign_nan_zero, "SignBackward0")
floor = _step_op(np.floor, "FloorBackward0")
ceil = _step_op(np.ceil, "CeilBackward0")
trunc = _step_op(np.trunc, "TruncBackward0")
_Round = type("Round", (_PiecewiseConstant,), {"node_name": "RoundBackward0"})


_RoundDecimals = type("RoundDecimals", (_PiecewiseConstant,), {"node_name": "RoundBackward1"})


def round(input, *, decimals=0):  # noqa: A001 - PyTorch's name
    try:
        kind = input._data.dtype.kind
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if decimals and kind != "f" or kind == "b":
        _not_for("round_cpu" if decimals else "round_vml_cpu", input)
    if decimals:
        return _RoundDecimals.apply(input, lambda a: np.round(a, decimals))
    return _Round.apply(input, np.round)


def isnan(input):
    try:
        return Tensor._make(np.isnan(input._data), False, None)
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None


def isinf(input):
    try:
        return Tensor._make(np.isinf(input._data), False, None)
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None


def isfinite(input):
    try:
        return Tensor._make(np.isfinite(input._data), False, None)
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None


@elementwise  # np.nan_to_num copies x's strides: an expanded x's result is row-major
class NanToNum(Primitive):
    """y = x with nan, +inf, -inf replaced by numbers;  dy/dx = 1 where x is finite, else 0."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        if ctx.needs_input_grad:
            ctx.finite = np.isfinite(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return (np.where(ctx.finite, g, 0), None, None, None)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    for pos, (name, v) in enumerate((("nan", nan), ("posinf", posinf), ("neginf", neginf))):
        if isinstance(v, Tensor):
            if v._data.size != 1:  # PyTorch reads a one-element tensor as its number
                raise TypeError(f"nan_to_num(): argument '{name}' (position {pos + 2}) must be "
                                "float, not Tensor")
            v = v.item()
            nan, posinf, neginf = ((v, posinf, neginf) if pos == 0 else
                                   (nan, v, neginf) if pos == 1 else (nan, posinf, v))
    return NanToNum.apply(input, nan, posinf, neginf)


def square(input):
    """x ** 2 (PyTorch records it as a power)."""
    from .arithmetic import pow

    return pow(input, 2)
