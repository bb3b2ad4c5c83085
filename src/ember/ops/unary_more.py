"""More elementwise functions: inverse trig, hyperbolic, exp2, logit, frac, sinc, deg2rad.

Each class states its derivative; ``backward`` is that formula. Integer and bool inputs compute
in the default float dtype (as PyTorch), out-of-domain inputs give nan.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from . import _util
from .elementwise import _float, _not_for

__all__ = ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "logit",
           "frac", "sinc", "deg2rad", "rad2deg"]


def on_tensors(np_fn, name: str):
    """``np_fn`` on arrays, ember's op ``name`` on Tensors. Under create_graph the engine runs
    a rule on Tensors, and NumPy's protocol maps only some ufuncs back to ember ops."""
    def f(x):
        if isinstance(x, Tensor):
            from .. import ops

            return getattr(ops, name)(x)
        return np_fn(x)

    return f


_cosh, _sinh = on_tensors(np.cosh, "cosh"), on_tensors(np.sinh, "sinh")


class Asin(Primitive):
    """y = asin(x);  dy/dx = 1/sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.arcsin32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / np.sqrt(1 - x * x),)


class Acos(Primitive):
    """y = acos(x);  dy/dx = -1/sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.arccos32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (-g / np.sqrt(1 - x * x),)


class Atan(Primitive):
    """y = atan(x);  dy/dx = 1/(1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.arctan32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (1 + x * x),)


class Sinh(Primitive):
    """y = sinh(x);  dy/dx = cosh(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.sinh32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * _cosh(x),)


class Cosh(Primitive):
    """y = cosh(x);  dy/dx = sinh(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.cosh32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * _sinh(x),)


class Asinh(Primitive):
    """y = asinh(x);  dy/dx = 1/sqrt(x^2 + 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / np.sqrt(x * x + 1),)


class Acosh(Primitive):
    """y = acosh(x);  dy/dx = 1/sqrt(x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / np.sqrt(x * x - 1),)


class Atanh(Primitive):
    """y = atanh(x);  dy/dx = 1/(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _util.arctanh32(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (1 - x * x),)


class Exp2(Primitive):
    """y = 2^x;  dy/dx = y ln 2."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y * math.log(2.0),)


_F16, _F32 = np.dtype(np.float16), np.dtype(np.float32)


def opmath(x: np.ndarray) -> np.ndarray:
    """float16 as float32, as some of PyTorch's CPU kernels (sinc) compute a half expression:
    rounded once at the end, not after every step."""
    return x.astype(_F32) if x.dtype == _F16 else x


class Logit(Primitive):
    """y = ln(z / (1 - z)) with z = x, or z = clamp(x, eps, 1 - eps) when eps is given;
    dy/dx = 1/(x (1 - x)) inside the clamp, 0 outside it; without eps, nan outside [0, 1]
    (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else np.clip(x, eps, 1 - eps).astype(x.dtype, copy=False)
        return np.log(z / (1 - z))  # (float16 rounds each step, as PyTorch's half logit)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        d = g / (x * (1 - x))
        if eps is None:
            return np.where((x < 0) | (x > 1), math.nan, d), None
        return np.where((x < eps) | (x > 1 - eps), 0, d), None


class Frac(Primitive):
    """y = x - trunc(x);  dy/dx = 1."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return (g,)


class Sinc(Primitive):
    """y = sin(pi x)/(pi x), 1 at x = 0;
    dy/dx = (cos(pi x) pi x - sin(pi x))/(pi x^2), 0 where pi x^2 is 0 (also by underflow)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        px = opmath(x) * math.pi
        return np.where(x == 0, 1, np.sin(px) / px).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        px = x * math.pi
        sq = x * x * math.pi  # PyTorch masks where this underflows to 0, not only at x = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            d = g * (px * np.cos(px) - np.sin(px)) / sq
        return (np.where(sq == 0, 0, d),)


class Deg2Rad(Primitive):
    """y = x pi/180;  dy/dx = pi/180."""

    node_name = "Deg2RadBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return x * (math.pi / 180)

    @staticmethod
    def backward(ctx, g):
        return (g * (math.pi / 180),)


class Rad2Deg(Primitive):
    """y = x 180/pi;  dy/dx = 180/pi."""

    node_name = "Rad2DegBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return x * (180 / math.pi)

    @staticmethod
    def backward(ctx, g):
        return (g * (180 / math.pi),)


def _floating(cls, name):
    def op(input: Tensor) -> Tensor:
        return cls.apply(_float(input))

    op.__name__ = name
    op.__qualname__ = op.__name__  # what TypeErrors name
    op.__doc__ = cls.__doc__
    # the code named too: the argument-type error (read from the op's frame) names the op
    op.__code__ = op.__code__.replace(co_name=name, co_qualname=name)
    return op


asin, acos, atan = (_floating(c, n) for c, n in ((Asin, "asin"), (Acos, "acos"),
                                                 (Atan, "atan")))
sinh, cosh = _floating(Sinh, "sinh"), _floating(Cosh, "cosh")
asinh, acosh, atanh = (_floating(c, n) for c, n in ((Asinh, "asinh"), (Acosh, "acosh"),
                                                    (Atanh, "atanh")))
exp2, sinc = _floating(Exp2, "exp2"), _floating(Sinc, "sinc")
deg2rad, rad2deg = _floating(Deg2Rad, "deg2rad"), _floating(Rad2Deg, "rad2deg")


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """ln(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""
    return Logit.apply(_float(input), None if eps is None else float(eps))


def frac(input: Tensor) -> Tensor:
    """x - trunc(x) (the sign of x); floating inputs only, as PyTorch."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.dtype.kind != "f":
        _not_for("frac_cpu", input)
    return Frac.apply(input)
