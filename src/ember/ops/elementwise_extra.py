"""Small elementwise ops: positive, signbit, isposinf/isneginf/isreal, heaviside, nextafter,
ldexp, gcd, lcm, frexp, mvlgamma.

Each class states its derivative; ``backward`` is that formula. Tests (values, dtypes, errors,
gradients) compare each with PyTorch 2.13 in tests/test_ops_math_more.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..return_types import make as make_return_type
from ..tensor import Tensor
from ._util import check_broadcast, promote, zero_grad
from .elementwise import _float, _not_for
from .selection import _two_tensors
from .special_fns import digamma, digamma64, lgamma64

__all__ = ["positive", "signbit", "isposinf", "isneginf", "isreal", "heaviside", "nextafter",
           "ldexp", "gcd", "lcm", "frexp", "mvlgamma"]


def _bools(arr: np.ndarray) -> Tensor:
    return Tensor._make(arr, False, None)


def positive(input: Tensor) -> Tensor:
    """+input: the tensor itself, as PyTorch (not a copy)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (-0.0 and negative nan included)."""
    try:
        return _bools(np.signbit(input._data))
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None


def isposinf(input: Tensor) -> Tensor:
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return _bools(np.isposinf(input._data) if input._data.dtype.kind == "f"
                  else np.zeros(input._data.shape, np.bool_))


def isneginf(input: Tensor) -> Tensor:
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return _bools(np.isneginf(input._data) if input._data.dtype.kind == "f"
                  else np.zeros(input._data.shape, np.bool_))


def isreal(input: Tensor) -> Tensor:
    """Every real tensor is real (ember has no complex dtypes)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    from ._layout import empty_like

    out = empty_like(input._data, np.bool_)  # ones_like: laid out as x, as PyTorch's
    out[...] = True
    return _bools(out)


class Heaviside(Primitive):
    """y = 0 where x < 0 (and at nan), values where x = 0, 1 where x > 0. PyTorch records the
    op but has no derivative for it: backward raises, as there."""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, values):
        return np.where(x == 0, values, x > 0).astype(np.result_type(x, values), copy=False)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    if not isinstance(input, Tensor) or not isinstance(values, Tensor):
        from ._int_args import first_not_tensor  # (x.heaviside(b): position 1)

        raise first_not_tensor(input=input, values=values)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return Heaviside.apply(input, values)


class Nextafter(Primitive):
    """z = the next float after a toward b;  dz/da = 1 where a != b, else 0 (PyTorch's rule),
    dz/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.moved = a != b
        return np.nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.moved, g, 0), zero_grad(g)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    _two_tensors("nextafter", input, other)
    a, b = promote(input, other)
    check_broadcast(a._data.shape, b._data.shape)  # PyTorch: shapes before the kernel
    if a._data.dtype.kind != "f":
        _not_for("nextafter_cpu", a)
    return Nextafter.apply(a, b)


class Ldexp(Primitive):
    """z = a 2^b;  dz/da = 2^b,  dz/db = a 2^b ln 2.

    (PyTorch 2.13 computes 2^b in integers for an integer b, so its dz/da is 0 where b < 0;
    ember gives 2^b there too.)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * np.exp2(b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # 2.0 ** b from the input, so that create_graph differentiates it too
        p = 2.0 ** b if isinstance(b, Tensor) else np.exp2(b)
        need_a, need_b = ctx.needs_input_grad
        return (g * p if need_a else None), (g * a * p * math.log(2.0) if need_b else None)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2**other, in floating point (integers compute in the default float)."""
    _two_tensors("ldexp", input, other)
    a, b = promote(input, other, floating=True)
    return Ldexp.apply(a, b)


def _integer_pair(name: str, input, other):
    _two_tensors(name, input, other)
    a, b = promote(input, other)
    check_broadcast(a._data.shape, b._data.shape)  # PyTorch: shapes before the kernel
    if a._data.dtype.kind not in "iu":
        _not_for(f"{name}_cpu", a)
    return a._data, b._data


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor (non-negative; gcd(0, 0) = 0); integers only."""
    a, b = _integer_pair("gcd", input, other)
    return Tensor._make(np.gcd(a, b), False, None)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple (non-negative; 0 if either is 0); integers only."""
    a, b = _integer_pair("lcm", input, other)
    return Tensor._make(np.lcm(a, b), False, None)


_FREXP = make_return_type("frexp", ("mantissa", "exponent"))


class Frexp(Primitive):
    """x = m 2^e with 0.5 <= |m| < 1 (m = x, e = 0 for 0, inf, nan);  dm/dx = 2^-e."""

    @staticmethod
    def forward(ctx, x, e):
        ctx.scale = np.exp2(-e.astype(x.dtype))
        return np.frexp(x)[0]

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale, None


def frexp(input: Tensor):
    """(mantissa, exponent) with input = mantissa * 2**exponent; exponent is int32."""
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    e = np.frexp(x)[1].astype(np.int32)
    return _FREXP(Frexp.apply(input, e), Tensor._make(e, False, None))


class Mvlgamma(Primitive):
    """y = sum_{i<p} lgamma(x - i/2) + p(p-1)/4 ln(pi);  dy/dx = sum_{i<p} digamma(x - i/2)."""

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        x64 = x.astype(np.float64)
        y = sum(lgamma64(x64 - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
        return np.asarray(y).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if isinstance(x, Tensor):  # under create_graph: recorded digammas
            d = sum(digamma(x - i / 2) for i in range(ctx.p))
        else:
            x64 = x.astype(np.float64)
            d = sum(digamma64(x64 - i / 2) for i in range(ctx.p)).astype(x.dtype)
        return g * d, None


def mvlgamma(input: Tensor, p: int, *, _name: str = "mvlgamma") -> Tensor:
    """The log of the multivariate gamma function of dimension p."""
    from .special_fns import _check_input, _int_arg

    _check_input(input, _name)
    p = _int_arg(p, _name, "p", 2)
    if input._data.dtype == np.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return Mvlgamma.apply(_float(input), int(p))
