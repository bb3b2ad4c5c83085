"""PyTorch's other names for existing ops (NumPy's spellings, mostly): the same functions.

Where PyTorch records a different node for the alias (clamp_min is ClampMinBackward0, sgn is
SgnBackward0), the op is a thin subclass of the original rule under PyTorch's node name.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._util import as_scalar, promote
from .arithmetic import abs, div, mul, neg, sub
from .binary_more import atan2
from .elementwise import _float, _PiecewiseConstant, sign_nan_zero, trunc
from .selection import Clamp, ClampTensor
from .unary_more import acos, acosh, asin, asinh, atan, atanh

__all__ = ["multiply", "divide", "true_divide", "subtract", "negative", "absolute", "fix",
           "sgn", "clamp_min", "clamp_max", "arccos", "arcsin", "arctan", "arccosh", "arcsinh",
           "arctanh", "arctan2"]

multiply, divide, subtract, negative, absolute, fix = mul, div, sub, neg, abs, trunc
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def true_divide(input, other) -> Tensor:
    """input / other, always a floating result: div without a rounding mode."""
    return div(input, other)


_Sgn = type("Sgn", (_PiecewiseConstant,), {"node_name": "SgnBackward0"})


def sgn(input: Tensor) -> Tensor:
    """sign for real tensors (bool stays bool), 0 at nan, under PyTorch's node name."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.dtype == np.bool_:
        return input.clone()
    return _Sgn.apply(input, sign_nan_zero)

_ClampMin = type("ClampMin", (Clamp,), {"node_name": "ClampMinBackward0"})
_ClampMax = type("ClampMax", (Clamp,), {"node_name": "ClampMaxBackward0"})
_ClampMinTensor = type("ClampMinTensor", (ClampTensor,), {"node_name": "ClampMinBackward1"})
_ClampMaxTensor = type("ClampMaxTensor", (ClampTensor,), {"node_name": "ClampMaxBackward1"})


def _one_bound(input, bound, upper: bool):
    """clamp with one bound, as clamp does it (same promotion), under PyTorch's node names."""
    if isinstance(bound, Tensor):
        x, b = promote(input, bound)
        cls = _ClampMaxTensor if upper else _ClampMinTensor
        return cls.apply(x, None, b) if upper else cls.apply(x, b, None)
    bound = as_scalar(bound)
    if input._data.dtype.kind in "iub" and isinstance(bound, float):
        input = _float(input)
    return _ClampMax.apply(input, None, bound) if upper else _ClampMin.apply(input, bound, None)


def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(input, min): clamp with only a lower bound (a number or a tensor)."""
    return _one_bound(input, min, False)


def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002 - PyTorch's name
    """min(input, max): clamp with only an upper bound (a number or a tensor)."""
    return _one_bound(input, max, True)
