"""Special functions: erf, erfc, erfinv, lgamma, digamma, polygamma (torch.special is a
namespace of its own; this module is named apart from it).

NumPy has none of them and scipy is not a dependency, so:

* erf, erfc, lgamma call Python's ``math`` functions (the C library's, correctly rounded to
  about an ulp) through ``np.frompyfunc``: exact, but a Python call per element (~0.1 us), so
  ~1 ms for 10^4 entries. These are rarely on a hot path.
* erfinv starts from a closed-form approximation (relative error ~2e-3) and takes three
  Halley steps on erf (erfc in the tails, where 1 - |y| is exact): float64 accuracy.
* digamma and polygamma are vectorised: the recurrence psi(x) = psi(x + 1) - 1/x shifts x
  above 10 (or above 12 + n), then the asymptotic (Euler-Maclaurin) series; negative x by
  reflection (digamma) or by summing the series from x (polygamma).

Each computes in float64 and rounds once to the input's dtype.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import elementwise
from .elementwise import _float

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma"]

_F64 = np.float64


def _lgamma_scalar(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # the poles at 0, -1, -2, ...: log|Gamma| is +inf there (PyTorch)
        return math.inf


def _elementwise(fn):
    """A Python float function as a NumPy function of float64 arrays."""
    ufunc = np.frompyfunc(fn, 1, 1)

    def f(x: np.ndarray) -> np.ndarray:
        return np.asarray(ufunc(np.asarray(x, _F64)), _F64)

    return f


erf64, erfc64, lgamma64 = (_elementwise(f) for f in (math.erf, math.erfc, _lgamma_scalar))


def erfinv64(y: np.ndarray) -> np.ndarray:
    """The inverse of erf in float64: +-inf at +-1, nan outside [-1, 1]."""
    y = np.asarray(y, _F64)
    a = np.abs(y)
    # Winitzki's closed form for the start (relative error < 2e-3).
    ln = np.log1p(-a) + np.log1p(a)  # ln(1 - a^2) without cancelling near a = 1
    t = 2 / (math.pi * 0.147) + ln / 2
    x = np.sqrt(np.sqrt(t * t - ln / 0.147) - t)
    tail = a > 0.5
    c = 1 - a  # exact for a > 0.5: the tails solve erfc(x) = 1 - a instead
    f = np.empty_like(x)
    for _ in range(3):  # Halley's steps (cubic; two leave ~3 ulps in the tails): f" = -2x f'
        f[tail] = erfc64(x[tail]) - c[tail]  # (each entry through one of the two only)
        f[~tail] = erf64(x[~tail]) - a[~tail]
        slope = (2 / math.sqrt(math.pi)) * np.exp(-x * x)
        u = f / np.where(tail, -slope, slope)
        x = x - u / (1 + x * u)
    x = np.where(a == 1, math.inf, np.where(a > 1, math.nan, x))
    return np.copysign(x, y)


# Bernoulli numbers B_2, B_4, ..., B_16: the asymptotic series' coefficients.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _digamma_positive(x: np.ndarray) -> np.ndarray:
    """psi(x) for x > 0: shift above 10, then ln x - 1/2x - sum B_2k / (2k x^2k)."""
    acc = np.zeros_like(x)
    for _ in range(10):
        low = x < 10
        acc -= np.where(low, 1 / x, 0)
        x = np.where(low, x + 1, x)
    z = 1 / (x * x)
    series = np.zeros_like(x)
    for k in range(len(_BERNOULLI) - 1, 0, -1):  # Horner in 1/x^2, from the last term
        series = (series + _BERNOULLI[k - 1] / (2 * k)) * z
    return acc + np.log(x) - 0.5 / x - series


def digamma64(x: np.ndarray) -> np.ndarray:
    """psi = Gamma'/Gamma in float64, with PyTorch's values at its poles: -inf at +0, +inf at
    -0, nan at negative integers and -inf."""
    x = np.asarray(x, _F64)
    neg = x < 0
    # Reflection for x < 0: psi(x) = psi(1 - x) - pi / tan(pi x); tan has period 1, so
    # reducing x to its fractional part first keeps pi x exact enough.
    r = x - np.floor(x)
    safe = np.where(neg, 1 - x, np.where(x > 0, x, 1))
    out = _digamma_positive(safe)
    out = np.where(neg, out - math.pi / np.tan(math.pi * r), out)
    out = np.where(neg & (r == 0), math.nan, out)
    zero = np.where(np.signbit(x), math.inf, -math.inf)
    return np.where(x == 0, zero, np.where(np.isnan(x), math.nan, out))


def _hurwitz_zeta(s: int, x: np.ndarray) -> np.ndarray:
    """zeta(s, x) = sum_k 1/(x + k)^s for an integer s >= 2: terms summed until x + k >= N,
    then the Euler-Maclaurin tail. (A very negative x takes ~|x| vector steps, as Cephes.)"""
    n_shift = 12.0 + s
    acc = np.zeros_like(x)
    low = x < n_shift
    while np.any(low):
        acc += np.where(low, np.power(x, -float(s)), 0)
        x = np.where(low, x + 1, x)
        low = x < n_shift
    tail = x ** (1.0 - s) / (s - 1) + 0.5 * x ** (-float(s))
    rising, fact, term = float(s), 1.0, x ** (-float(s) - 1)  # (s)_(2j-1), (2j)!, x^-(s+2j-1)
    z = 1 / (x * x)
    for j, b in enumerate(_BERNOULLI, start=1):
        fact *= (2 * j - 1) * (2 * j)
        tail = tail + (b / fact * rising) * term
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        term = term * z
    return acc + tail


def _cot_derivative(k: int, x: np.ndarray) -> np.ndarray:
    """d^k/dx^k cot(pi x), a polynomial in c = cot(pi x): D_0 = c, D_(k+1) = -pi (1 + c^2)
    D_k'(c). cot has period 1, so x is first reduced to its fractional part."""
    P = np.polynomial.polynomial
    coeffs = np.array([0.0, 1.0])
    for _ in range(k):
        coeffs = -math.pi * P.polymul([1.0, 0.0, 1.0], P.polyder(coeffs))
    return P.polyval(1 / np.tan(math.pi * (x - np.floor(x))), coeffs)


def polygamma64(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma in float64: (-1)^(n+1) n! zeta(n + 1, x) for n >= 1.

    At the poles (0, -1, -2, ...) it is +inf for odd n and -inf for even n."""
    x = np.asarray(x, _F64)
    if n == 0:
        return digamma64(x)
    pole = (x <= 0) & (x == np.floor(x))
    finite = np.isfinite(x) & ~pole
    neg = finite & (x < 0)
    # x < 0 by reflection: zeta(s, x) = (-1)^(s-1)/(s-1)! pi d^(s-1)/dx^(s-1) cot(pi x)
    # - (-1)^s zeta(s, 1 - x). Summing up from x instead takes |x| steps (x = -1e9 + 0.5
    # ran for hours).
    s_ = n + 1
    z = _hurwitz_zeta(s_, np.where(neg, 1 - x, np.where(finite, x, 1.0)))
    if neg.any():
        cot = _cot_derivative(n, np.where(neg, x, 0.5))
        z = np.where(neg, (-1.0) ** n / math.factorial(n) * math.pi * cot
                     - (-1.0) ** s_ * z, z)
    scale = (-1.0) ** (n + 1) * math.factorial(n)
    out = np.where(finite, scale * z, math.nan)
    out = np.where(pole, math.copysign(math.inf, scale), out)
    return np.where(x == math.inf, 0.0, out)


@elementwise  # erf64 & co. copy x's strides: an expanded x's result is row-major
class Erf(Primitive):
    """y = erf(x);  dy/dx = 2/sqrt(pi) exp(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        if x.dtype.itemsize <= 4 and x.size > 128:  # same float32 roundings, ~10x faster
            from ..nn._erf import erf as erf_f32

            return erf_f32(x)
        return erf64(x).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (2 / math.sqrt(math.pi)) * np.exp(-(x * x)),)


@elementwise
class Erfc(Primitive):
    """y = erfc(x) = 1 - erf(x);  dy/dx = -2/sqrt(pi) exp(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erfc64(x).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (-2 / math.sqrt(math.pi)) * np.exp(-(x * x)),)


class Erfinv(Primitive):
    """y = erfinv(x);  dy/dx = sqrt(pi)/2 exp(y^2)."""

    @staticmethod
    def forward(ctx, x):
        y = erfinv64(x).astype(x.dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (math.sqrt(math.pi) / 2) * np.exp(y * y),)


@elementwise
class Lgamma(Primitive):
    """y = ln|Gamma(x)|;  dy/dx = digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return lgamma64(x).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (digamma(x) if isinstance(x, Tensor) else digamma64(x).astype(x.dtype)),)


@elementwise
class Polygamma(Primitive):
    """y = psi^(n)(x), the n-th derivative of digamma (n = 0: digamma);
    dy/dx = psi^(n+1)(x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return polygamma64(n, x).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        n = ctx.n + 1
        d = polygamma(n, x) if isinstance(x, Tensor) else polygamma64(n, x).astype(x.dtype)
        return g * d, None


class Digamma(Polygamma):
    """y = digamma(x) = Gamma'(x)/Gamma(x);  dy/dx = polygamma(1, x)."""

    @staticmethod
    def forward(ctx, x, n=0):
        return Polygamma.forward(ctx, x, 0)


def _check_input(input, name: str, pos: int = 1) -> None:
    """PyTorch's parser refuses a non-tensor input (a float, a list) with a TypeError."""
    if not isinstance(input, Tensor):
        from .._typename import arg_type_name

        raise TypeError(f"{name}(): argument 'input' (position {pos}) must be Tensor, not "
                        f"{arg_type_name(input)}")


def _int_arg(n, name: str, arg: str = "n", pos: int = 1) -> int:
    """An int argument (polygamma's n, mvlgamma's p) as PyTorch's parser reads it: Python/NumPy
    ints and 0-dim integer tensors pass; bools, floats and other tensors are a TypeError."""
    if isinstance(n, Tensor):
        ok = n.dim() == 0 and n._data.dtype.kind in "iu"
    else:
        ok = not isinstance(n, (bool, np.bool_)) and hasattr(type(n), "__index__")
    if not ok:
        from .._typename import arg_type_name

        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                        f"{arg_type_name(n)}")
    return int(n)


def erf(input: Tensor, *, _name: str = "erf") -> Tensor:
    _check_input(input, _name)
    return Erf.apply(_float(input))


def erfc(input: Tensor, *, _name: str = "erfc") -> Tensor:
    _check_input(input, _name)
    return Erfc.apply(_float(input))


def erfinv(input: Tensor, *, _name: str = "erfinv") -> Tensor:
    _check_input(input, _name)
    return Erfinv.apply(_float(input))


def lgamma(input: Tensor, *, _name: str = "lgamma") -> Tensor:
    _check_input(input, _name)
    return Lgamma.apply(_float(input))


def digamma(input: Tensor, *, _name: str = "digamma") -> Tensor:
    _check_input(input, _name)
    return Digamma.apply(_float(input), 0)


def polygamma(n: int, input: Tensor, *, _name: str = "polygamma") -> Tensor:
    n = _int_arg(n, _name)
    _check_input(input, _name, 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(_float(input), n)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """Tensor.polygamma(n): the order comes first in torch.polygamma, after self here."""
    return polygamma(n, self)
