"""Division that rounds: div(rounding_mode=...), floor_divide, remainder and fmod.

Their results are piecewise constant in a (or, for remainder/fmod, linear with slope 1), so
the rules are short; most of the code is PyTorch's checks (integer division by zero, bool).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import elementwise
from ._util import check_broadcast, promote, zero_grad


@elementwise
class DivRounded(Primitive):
    """z = trunc(a / b) or floor(a / b), piecewise constant;  dz/da = dz/db = 0."""

    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        with np.errstate(divide="ignore", invalid="ignore"):
            if mode == "floor":
                return np.floor_divide(a, b)
            if np.result_type(a, b).kind == "f":
                return np.trunc(np.true_divide(a, b))
            q = np.floor_divide(a, b)  # exact for integers: step toward zero where it floored
            return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))

    @staticmethod
    def backward(ctx, g):
        return zero_grad(g), zero_grad(g), None


_NUMBERS = (bool, int, float, complex)


def lift_numbers(input, other):
    """torch.add(1.5, 2.5), torch.sub(2, 3), torch.div(7, 2): with no tensor operand PyTorch
    makes the first number a 0-dim tensor (int64 / the default float dtype / complex64 / bool,
    as torch.tensor(number)) and lets the second take part as a Python number, so
    torch.add(2, 3.5) is a float32 5.5 and torch.add(True, 2) an int64 3."""
    if isinstance(input, _NUMBERS) and isinstance(other, _NUMBERS):
        from ..creation import tensor
        return tensor(input), other
    return input, other


def _rounded_div(input, other, mode):
    input, other = lift_numbers(input, other)
    if mode not in ("trunc", "floor"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{mode}'")
    a, b = promote(input, other)
    _no_bool(a, b, f"div_{mode}_cpu")
    _check_int_zero(a, b)
    return DivRounded.apply(a, b, mode)


def _arr(x):
    return x._data if hasattr(x, "_data") else x


@elementwise
class FloorDivide(Primitive):
    """z = floor(a / b). PyTorch records the op but has no derivative for it: backward raises
    (a zero gradient would silently stop training signal that the user meant to flow)."""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _check_int_zero(a, b) -> None:
    """PyTorch's error for an integer division by zero; an empty result divides nothing."""
    aa, bb = _arr(a), _arr(b)
    if np.issubdtype(np.result_type(aa, bb), np.integer) and np.any(bb == 0):
        check_broadcast(np.shape(aa), np.shape(bb))
        if np.prod(np.broadcast_shapes(np.shape(aa), np.shape(bb))):
            raise RuntimeError("ZeroDivisionError")


def _no_bool(a, b, kernel: str) -> None:
    if _arr(a).dtype == np.bool_ if isinstance(a, Tensor) else _arr(b).dtype == np.bool_:
        if isinstance(a, Tensor) and isinstance(b, Tensor):  # shapes first, as PyTorch
            check_broadcast(a._data.shape, b._data.shape)
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def floor_divide(input, other):
    """a // b, rounding toward -inf (as Python)."""
    input, other = lift_numbers(input, other)
    a, b = promote(input, other)
    _no_bool(a, b, "div_floor_cpu")
    _check_int_zero(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return FloorDivide.apply(a, b)


@elementwise
class Remainder(Primitive):
    """z = a - floor(a/b)*b;  dz/da = 1,  dz/db = -floor(a/b).

    floor(a/b) is taken as floor division does (np.floor_divide, PyTorch's div 'floor'): from
    fmod, so that a quotient such as -1.5 / 0.3 = -5.000...01 rounds as the remainder did."""

    node_name = "RemainderBackward1"
    # Second order: -g * (a // b) stays tied to a and b (zero derivative), as PyTorch's
    # -grad * a.div(b, rounding_mode="floor") is (see autograd/_mask_link.py).
    mask_link = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # a // b is piecewise constant: taken on the arrays, a constant in double backward
        return g, (-g * np.floor_divide(_arr(a), _arr(b)) if ctx.needs_input_grad[1] else None)


def remainder(input, other):
    a, b = promote(input, other)
    _no_bool(a, b, "remainder_cpu")
    _check_int_zero(a, b)
    return (Remainder if isinstance(b, Tensor) else RemainderScalar).apply(a, b)


class RemainderScalar(Remainder):
    node_name = "RemainderBackward0"  # PyTorch's name for tensor % number


@elementwise
class Fmod(Primitive):
    """z = a - trunc(a/b)*b (the sign of a);  dz/da = 1,  dz/db = -trunc(a/b)."""

    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * np.trunc(a / b) if ctx.needs_input_grad[1] else None)


def fmod(input, other):
    a, b = promote(input, other)
    _no_bool(a, b, "fmod_cpu")
    _check_int_zero(a, b)
    return (Fmod if isinstance(b, Tensor) else FmodScalar).apply(a, b)


class FmodScalar(Fmod):
    node_name = "FmodBackward0"  # PyTorch's name for fmod(tensor, number)
