"""Powers: tensor ** number, tensor ** tensor, number ** tensor (PowBackward0/1/2)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._half import F16 as _F16
from ._layout import contig, elementwise
from ._util import as_scalar, is_scalar, promote, zero_grad


def _scalar(x):
    """A 0-d float array as a NumPy scalar, for products: the same IEEE multiplication with
    5x less NumPy overhead (0.05 against 0.25 us). Not for other powers: NumPy's scalar
    power is a different algorithm from its array power (SIMD), and can round differently.
    (x ** 3 is x * x * x, as in PyTorch: NumPy's float32 power agrees with it 70% of the
    time.)"""
    if type(x) is np.ndarray and x.ndim == 0 and x.dtype.kind == "f":
        return x[()]
    return x


_F32 = np.dtype(np.float32)


def _pow_f32(x, p):
    """A float32 array to a constant power other than 2 and 3, as ATen's CPU kernel computes
    it: 0.5, -0.5, -1 and -2 by sqrt, 1 / sqrt, 1 / x and 1 / (x x); any other power with its
    vectorised pow (Sleef, within an ulp) of x and p rounded to float32, which the float64
    power rounded once matches for ~98% of entries (NumPy's float32 power: ~80%)."""
    if p == 0.5:
        return np.sqrt(x)
    if p == -0.5:
        return np.float32(1) / np.sqrt(x)
    if p == -1:
        return np.float32(1) / x
    if p == -2:
        return np.float32(1) / (x * x)
    return (x.astype(np.float64) ** float(np.float32(p))).astype(np.float32)  # (p as float32)


class PowScalar(Primitive):
    """z = x^p for a constant p;  dz/dx = p * x^(p-1)."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        if p == 2 or p == 3:  # products, as PyTorch computes these two (bit for bit)
            x = _scalar(x)
            if p == 2:
                return x * x
            if x.dtype is _F16:  # the product in float32, rounded once, as PyTorch
                w = x.astype(np.float32)
                return (w * w * w).astype(np.float16)
            return x * x * x
        if x.dtype is _F32 and type(x) is np.ndarray:
            return _pow_f32(x, p)
        return x ** p

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p = ctx.p
        if p == 0:  # zeros, not 0 * x (nan at inf or nan, -0 at negative x), and no graph
            return (zero_grad(g),)
        if isinstance(x, Tensor):
            # create_graph: x^(p-1) as a power node, as PyTorch, so the derivatives of x^2
            # and x^3 stay in the graph until they reach x^0 (whose derivative is no graph)
            return (g * (p * x ** (p - 1)),)
        if p == 2:
            return (g * 2 * _scalar(x),)
        if p == 3:  # PyTorch's grad * (3 * x^2), x^2 as a product
            x = _scalar(x)
            return (g * (3 * (x * x)),)
        if x.dtype is _F32 and type(x) is np.ndarray:  # grad * (p * x^(p-1)), as PyTorch
            q = p - 1
            xq = x * x if q == 2 else x * x * x if q == 3 else x if q == 1 else _pow_f32(x, q)
            return (g * (np.float32(p) * xq),)
        return (g * p * x ** (p - 1),)


@elementwise
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
        if type(out) is np.ndarray and not out.flags.c_contiguous:
            out = contig(out)  # row-major whatever x's layout, as PyTorch's pow(number, x)
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
        if x._data.dtype == np.bool_:  # bool ** True/False stays bool (NumPy gives int8)
            return x.clone() if p else Tensor._make(np.ones_like(x._data), False, None)
        return PowScalar.apply(x, p)
    if not isinstance(input, Tensor):
        if not isinstance(exponent, Tensor):  # (a number and an array or list)
            _refuse_pow("pow", input, exponent)
        x, c = promote(exponent, as_scalar(input))
        from .arithmetic import _no_bool

        _no_bool(x, c, "pow")
        return RPow.apply(x, c)
    a, b = promote(input, exponent)
    from .arithmetic import _no_bool

    _no_bool(a, b, "pow")
    return Pow.apply(a, b)


def _refuse_pow(name: str, input, exponent) -> None:
    """PyTorch's parser: a power takes tensors and numbers only (no array, no list)."""
    from .._call_site import refusal
    from .._typename import arg_type_name

    params = {"input": arg_type_name(input), "exponent": arg_type_name(exponent)}
    raise refusal(name + "_" if name == "float_power" and _called("float_power_") else name,
                  params)


def _called(name: str) -> bool:
    from .._call_site import call_site

    return call_site(name) is not None


def float_power(input, exponent):
    if not (isinstance(exponent, Tensor) or is_scalar(exponent)):
        _refuse_pow("float_power", input, exponent)
    base = input.double() if isinstance(input, Tensor) else float(input)
    exp = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(base, exp)
