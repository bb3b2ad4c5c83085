"""The modified Bessel functions I0e, I1, I1e and the Bessel functions J0, J1 behind
``ember.special``.

All compute in float64 (power series and Hankel's asymptotic expansions, or the trapezoidal
rule for J; no scipy) and round once to the input's dtype. The I classes state their
derivative, PyTorch's formula; the J functions are not differentiable in PyTorch, so their
results never require grad.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from .elementwise import _float

_F64 = np.float64


def _asym_coeffs(nu: int, n: int) -> list:
    """a_k(nu) = prod_{j<=k} (4nu^2 - (2j-1)^2) / (k! 8^k): the Hankel expansions' terms."""
    out, c = [1.0], 1.0
    for k in range(1, n):
        c *= (4 * nu * nu - (2 * k - 1) ** 2) / (k * 8)
        out.append(c)
    return out


def _ive64(nu: int, x: np.ndarray) -> np.ndarray:
    """exp(-|x|) I_nu(|x|) for nu in {0, 1}: the power series below 30, above it the
    asymptotic series (its smallest term there is ~e^-60)."""
    a = np.abs(np.asarray(x, _F64))
    small = np.minimum(a, 30.0)
    half2 = (small / 2) ** 2
    term = (small / 2) ** nu
    acc = term.copy()
    for k in range(1, 90):  # all terms positive: no cancellation
        term = term * half2 / (k * (k + nu))
        acc = acc + term
    series = acc * np.exp(-small)
    big = np.maximum(a, 30.0)
    asym = np.zeros_like(big)
    for c in reversed(_asym_coeffs(nu, 30)):  # Horner in -1/x
        asym = asym * (-1 / big) + c
    asym = asym / np.sqrt(2 * math.pi * big)
    out = np.where(a < 30, series, asym)
    return np.where(np.isnan(a), math.nan, np.where(a == math.inf, 0.0, out))


def i0e64(x):
    return _ive64(0, x)


def i1e64(x):
    return np.sign(x) * _ive64(1, x)


def i1_64(x):
    return np.sign(x) * _ive64(1, x) * np.exp(np.abs(np.asarray(x, _F64)))


def _jn64(nu: int, x: np.ndarray) -> np.ndarray:
    """J_nu(|x|): the trapezoidal rule on (1/2pi) int cos(nu t - x sin t) over a period
    (exponentially accurate, 64 nodes, for |x| <= 25), Hankel's expansion beyond."""
    a = np.abs(np.asarray(x, _F64))
    t = np.arange(64) * (2 * math.pi / 64)
    small = np.minimum(a, 25.0)[..., None]
    quad = np.cos(nu * t - small * np.sin(t)).mean(axis=-1)
    big = np.maximum(a, 25.0)
    c = _asym_coeffs(nu, 40)
    p, q = np.zeros_like(big), np.zeros_like(big)
    for k in range(19, -1, -1):  # P = sum (-1)^k a_2k / x^2k, Q = sum (-1)^k a_2k+1 / x^2k+1
        p = p * (-1 / big ** 2) + c[2 * k]
        q = q * (-1 / big ** 2) + c[2 * k + 1]
    chi = big - (nu / 2 + 0.25) * math.pi
    asym = np.sqrt(2 / (math.pi * big)) * (p * np.cos(chi) - q / big * np.sin(chi))
    out = np.where(a <= 25, quad, asym)
    return np.where(np.isnan(a), math.nan, np.where(a == math.inf, 0.0, out))


def _on(fn64, name):
    """fn64 on an array, or the recorded ember function on a Tensor (higher order)."""
    def f(x):
        if isinstance(x, Tensor):
            import ember.special as sp

            return getattr(sp, name)(x)
        return fn64(x).astype(x.dtype)
    return f


_i0e, _i1, _i1e = _on(i0e64, "i0e"), _on(i1_64, "i1"), _on(i1e64, "i1e")


def _i0_tensor(x: Tensor) -> Tensor:
    from .misc_prims import i0

    return i0(x)


class _Unary(Primitive):
    """A unary primitive whose value is ``fn64`` (float64) rounded to the input's dtype;
    ``special_more``'s unary classes share it."""
    fn64 = None

    @classmethod
    def _value(cls, x):
        return np.asarray(cls.fn64(x), x.dtype)


class SpecialI0E(_Unary):
    """y = exp(-|x|) I0(x);  dy/dx = i1e(x) - sgn(x) y."""
    fn64 = staticmethod(i0e64)

    @staticmethod
    def forward(ctx, x):
        y = SpecialI0E._value(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * (_i1e(x) - np.sign(x) * y),)


class SpecialI1(_Unary):
    """y = I1(x);  dy/dx = I0(x) - y/x (1/2 at 0)."""
    fn64 = staticmethod(i1_64)

    @staticmethod
    def forward(ctx, x):
        y = SpecialI1._value(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        i0 = _i0_tensor(x) if isinstance(x, Tensor) else np.i0(x).astype(x.dtype)
        safe = np.where(x == 0, 1, x)
        return (g * np.where(x == 0, 0.5, i0 - y / safe),)


class SpecialI1E(_Unary):
    """y = exp(-|x|) I1(x);  dy/dx = i0e(x) - y (sgn(x) + 1/x) (1/2 at 0)."""
    fn64 = staticmethod(i1e64)

    @staticmethod
    def forward(ctx, x):
        y = SpecialI1E._value(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        safe = np.where(x == 0, 1, x)
        return (g * np.where(x == 0, 0.5, _i0e(x) - y * (np.sign(x) + 1 / safe)),)


def bessel_j(nu: int, input: Tensor) -> Tensor:
    """J0/J1: not differentiable in PyTorch, so the result never requires grad."""
    x = _float(input)._data
    y = _jn64(nu, x)
    if nu == 1:
        y = np.sign(x) * y
    return Tensor._make(np.asarray(y, x.dtype), False, None)
