"""Arithmetic: + - * / // % ** and their relatives. Each rule is its derivative, in NumPy.

Operands may be Tensors or Python scalars on either side; ``promote`` applies PyTorch's dtype
rules first. Gradients may come back in the broadcast shape: the engine sums them down.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import as_scalar, check_broadcast, is_scalar, promote

_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool"}


def type_name(np_dtype) -> str:
    """PyTorch's ScalarType name for a dtype, as its error messages print it (Long, Float)."""
    return _TYPE_NAMES[np.dtype(np_dtype).name]


def _is_bool(x) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


class Add(Primitive):
    """z = a + alpha*b;  dz/da = 1,  dz/db = alpha."""

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return a + b
        out = a + alpha * b
        # bool + bool stays bool whatever alpha is (alpha * b would make it an int)
        return out.astype(np.bool_) if np.result_type(a, b) == np.bool_ else out

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


def add(input, other, *, alpha=1):
    a, b = promote(input, other)
    if type(alpha) is not int or alpha != 1:
        _check_alpha(a, b, alpha)
    return Add.apply(a, b, alpha=alpha)


def _check_alpha(a, b, alpha) -> None:
    """PyTorch's rules for ``alpha`` against the result dtype of add/sub."""
    kind = (a if isinstance(a, Tensor) else b)._data.dtype.kind
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
        return a - b if alpha == 1 else a - alpha * b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha)


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
    if a_bool and hasattr(input, "_data") or b_bool and hasattr(other, "_data"):
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
    return Div.apply(a, b)


def rdiv(input, other):
    """``other / input`` for the reflected operator (``2 / x``)."""
    a, b = promote(other, input, floating=True)
    return (Div if isinstance(other, Tensor) else ScalarDiv).apply(a, b)


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


class PowScalar(Primitive):
    """z = x^p for a constant p;  dz/dx = p * x^(p-1)."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        if p == 2:
            return x * x
        return x ** p

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p = ctx.p
        if p == 2:
            return (g * 2 * x,)
        if p == 0:
            return (g * 0 * x,)
        return (g * p * x ** (p - 1),)


class Pow(Primitive):
    """z = a^b;  dz/da = b * a^(b-1) (0 where b = 0),  dz/db = z * ln(a) (0 where a = 0 and
    b >= 0; nan for a < 0, as PyTorch)."""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        out = _int_pow(a, b) if np.asarray(b).dtype.kind in "iu" else a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            # b = 0 gives 0 for da even at a = 0 (where b * a^(b-1) would be 0 * inf).
            ga = np.where(b == 0, 0, g * b * a ** (b - 1)) if need_a else None
            gb = np.where((a == 0) & (b >= 0), 0, g * out * np.log(a)) if need_b else None
        return ga, gb


class RPow(Primitive):
    """z = c^x for a constant c;  dz/dx = z * ln(c)  (0 where c = 0 and x >= 0; nan for c < 0,
    as PyTorch)."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, x, c):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _int_pow(c, x) if np.asarray(x).dtype.kind in "iu" else c ** x
            ctx.logc = np.log(float(c))
        ctx.save_for_backward(x, out)
        ctx.c = c
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        gx = g * out * ctx.logc
        return (np.where(x >= 0, 0, gx) if ctx.c == 0 else gx, None)


def _int_pow(a, b):
    """Integer a ** b where b may be negative (elementwise, where NumPy refuses): PyTorch
    gives 1 for a = 1, +-1 for a = -1, and 0 otherwise (truncated 1 / a^|b|)."""
    neg = b < 0
    if not np.any(neg):
        return a ** b
    out = a ** np.where(neg, 0, b)
    odd = np.where(np.remainder(b, 2) == 1, -1, 1)
    return np.where(neg, np.where(a == 1, 1, np.where(a == -1, odd, 0)), out).astype(out.dtype)


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    if isinstance(input, Tensor) and type(exponent) in (int, float) and \
            input._data.dtype.kind == "f":
        return PowScalar.apply(input, exponent)  # the common case, x ** 2, without promotion
    if isinstance(input, Tensor) and is_scalar(exponent):
        x, p = promote(input, exponent)
        if x._data.dtype.kind in "iu" and p < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return PowScalar.apply(x, p)
    if not isinstance(input, Tensor):
        x, c = promote(exponent, as_scalar(input))
        return RPow.apply(x, c)
    a, b = promote(input, exponent)
    _no_bool(a, b, "pow")
    return Pow.apply(a, b)


def float_power(input, exponent):
    base = input.double() if isinstance(input, Tensor) else float(input)
    exp = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(base, exp)


class Neg(Primitive):
    """z = -x;  dz/dx = -1."""

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
