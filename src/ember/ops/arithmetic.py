"""Arithmetic: + - * / // % ** and their relatives. Each rule is its derivative, in NumPy.

Operands may be Tensors or Python scalars on either side; ``promote`` applies PyTorch's dtype
rules first. Gradients may come back in the broadcast shape: the engine sums them down.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from . import _half
from ._half import F16 as _F16
from ._util import check_broadcast, promote

_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool"}


def type_name(np_dtype) -> str:
    """PyTorch's ScalarType name for a dtype, as its error messages print it (Long, Float)."""
    return _TYPE_NAMES[np.dtype(np_dtype).name]


def _is_bool(x) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


class Add(Primitive):
    """z = a + b;  dz/da = dz/db = 1. (alpha != 1 is AddAlpha: this common case passes no
    keyword and sets no ctx attribute, ~0.3 us less per call.)"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class AddAlpha(Primitive):
    """z = a + alpha*b;  dz/da = 1,  dz/db = alpha."""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return a + b
        out = a + alpha * b
        if out.dtype is _F16:  # float16: alpha * b not rounded on its own (_half.py)
            return _half.add_scaled(a, b, alpha)
        # bool + bool stays bool whatever alpha is (alpha * b would make it an int)
        return out.astype(np.bool_) if np.result_type(a, b) == np.bool_ else out

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else _half.times(g, ctx.alpha))


def add(input, other, *, alpha=1):
    a, b = promote(input, other)
    if type(alpha) is not int or alpha != 1:
        _check_alpha(a, b, alpha)
        return AddAlpha.apply(a, b, alpha=alpha)
    return Add.apply(a, b)


def _check_alpha(a, b, alpha) -> None:
    """PyTorch's rules for ``alpha`` against the result dtype of add/sub."""
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    kind = dt.kind
    if dt is _F16:
        _half.check_number(alpha)
    if isinstance(alpha, bool) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and kind in "biu":
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number.")


class Sub(Primitive):
    """z = a - alpha*b;  dz/da = 1,  dz/db = -alpha."""

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return a - b
        out = a - alpha * b
        return _half.add_scaled(a, b, -alpha) if out.dtype is _F16 else out  # see AddAlpha

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else _half.times(g, -ctx.alpha))


class Rsub(Sub):
    node_name = "RsubBackward1"  # PyTorch's name for number - tensor


class RsubTensor(Sub):
    node_name = "RsubBackward0"  # torch.rsub(tensor, tensor)


def sub(input, other, *, alpha=1):
    cls = Sub if isinstance(input, Tensor) else Rsub
    return _sub(input, other, alpha, cls)


def _sub(input, other, alpha, cls):
    a_bool, b_bool = _is_bool(input), _is_bool(other)
    if a_bool and b_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    if a_bool or b_bool:  # a Python bool counts as a bool tensor here (x - True)
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    a, b = promote(input, other)
    if type(alpha) is not int or alpha != 1:
        _check_alpha(a, b, alpha)
    return cls.apply(a, b, alpha=alpha)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return _sub(other, input, alpha, RsubTensor if isinstance(other, Tensor) else Rsub)


class Mul(Primitive):
    """z = a * b;  dz/da = b,  dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


def mul(input, other):
    a, b = promote(input, other)
    if not isinstance(b, Tensor) and a._data.dtype is _F16:  # float16 * number: in
        return _half.HalfMul.apply(a, b)  # float32, as PyTorch (opmath; see _half.py)
    return Mul.apply(a, b)


class Div(Primitive):
    """z = a / b;  dz/da = 1/b,  dz/db = -a/b^2 = -z/b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * a / (b * b) if need_b else None
        return ga, gb


class ScalarDiv(Div):
    node_name = "MulBackward0"  # PyTorch computes number / tensor as reciprocal() * number


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    a, b = promote(input, other, floating=True)
    if not isinstance(b, Tensor) and a._data.dtype is _F16:  # float16 / number: in
        return _half.HalfDiv.apply(a, b)  # float32, as PyTorch (opmath; see _half.py)
    return Div.apply(a, b)


def rdiv(input, other):
    """``other / input`` for the reflected operator (``2 / x``)."""
    a, b = promote(other, input, floating=True)
    if isinstance(other, Tensor):
        return Div.apply(a, b)
    if b._data.dtype is _F16 and not isinstance(a, Tensor):  # number / float16 (_half.py)
        return _half.HalfRdiv.apply(a, b)
    return ScalarDiv.apply(a, b)


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
        return g * 0, g * 0, None


def _rounded_div(input, other, mode):
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


def _const(a):
    return Tensor._make(a, False, None)


class FloorDivide(Primitive):
    """z = floor(a / b), piecewise constant;  dz/da = dz/db = 0.

    PyTorch records the op but raises in backward ("derivative for aten::floor_divide is not
    implemented"); ember gives the almost-everywhere derivative, zero.
    """

    @staticmethod
    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        return g * 0, g * 0


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
    a, b = promote(input, other)
    _no_bool(a, b, "div_floor_cpu")
    _check_int_zero(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return FloorDivide.apply(a, b)


class Remainder(Primitive):
    """z = a - floor(a/b)*b;  dz/da = 1,  dz/db = -floor(a/b)."""

    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * np.floor(a / b) if ctx.needs_input_grad[1] else None)


def remainder(input, other):
    a, b = promote(input, other)
    _no_bool(a, b, "remainder_cpu")
    _check_int_zero(a, b)
    return (Remainder if isinstance(b, Tensor) else RemainderScalar).apply(a, b)


class RemainderScalar(Remainder):
    node_name = "RemainderBackward0"  # PyTorch's name for tensor % number


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
    _check_int_zero(a, b)
    return (Fmod if isinstance(b, Tensor) else FmodScalar).apply(a, b)


class FmodScalar(Fmod):
    node_name = "FmodBackward0"  # PyTorch's name for fmod(tensor, number)


class Neg(Primitive):
    """z = -x;  dz/dx = -1."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return (-g,)


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


class Abs(Primitive):
    """z = |x|;  dz/dx = sign(x)  (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * np.sign(x),)


def abs(input):  # noqa: A001
    if input._data.dtype == np.bool_:
        raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
    return Abs.apply(input)


class Reciprocal(Primitive):
    """z = 1/x;  dz/dx = -1/x^2 = -z^2."""

    @staticmethod
    def forward(ctx, x):
        out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return (-g * out * out,)


def reciprocal(input):
    if input._data.dtype.kind != "f":
        input = input.to(np.dtype("float32"))
    return Reciprocal.apply(input)


# Powers live in power.py; re-exported here for ``ops``.
from .power import Pow, PowScalar, RPow, float_power, pow  # noqa: E402,F401
