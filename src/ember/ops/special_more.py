"""Primitives behind ``ember.special`` that ``torch`` has only there: ndtri, log_ndtr, erfcx,
entr, xlog1py, zeta, gammainc/gammaincc; the Bessel functions (i0e, i1, i1e, bessel_j0/j1)
are in ``special_bessel`` and re-exported here.

All compute in float64 (vectorised series, asymptotic expansions or Newton steps; no scipy)
and round once to the input's dtype. Each class states its derivative, PyTorch's formula; where
PyTorch has none (zeta's first argument, gammainc's ``input``) backward raises its error.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import promote
from .elementwise import _float
from .special_bessel import (SpecialI0E, SpecialI1, SpecialI1E, _Unary,  # noqa: F401
                             bessel_j, i0e64, i1_64, i1e64)
from .special_fns import _BERNOULLI, erfc64, erfinv64, lgamma64, polygamma64

_F64 = np.float64
_SQRT2PI = math.sqrt(2 * math.pi)


def log_ndtr64(x):
    """ln Phi(x): through erfc where Phi is representable, the asymptotic series below -20."""
    x = np.asarray(x, _F64)
    pos = np.log1p(-0.5 * erfc64(np.maximum(x, 0) / math.sqrt(2)))
    mid = np.log(0.5 * erfc64(-np.clip(x, -20, 0) / math.sqrt(2)))
    lo = np.minimum(x, -20.0)
    z, term, series = 1 / (lo * lo), np.ones_like(lo), np.ones_like(lo)
    for k in range(1, 13):  # 1 - 1/x^2 + 3/x^4 - 15/x^6 ...
        term = term * -(2 * k - 1) * z
        series = series + term
    tail = -0.5 * lo * lo - np.log(-lo) - math.log(_SQRT2PI) + np.log(series)
    return np.where(x > 0, pos, np.where(x > -20, mid, tail))


def ndtri64(p):
    """Phi^-1(p): Newton's method on ln Phi(x) = ln q for q = min(p, 1 - p) (exact), from
    erfinv's value or, in the far tail, the leading asymptotic term."""
    p = np.asarray(p, _F64)
    q = np.minimum(p, 1 - p)
    qs = np.clip(q, 1e-300, 0.5)
    t = np.sqrt(-2 * np.log(qs))
    start = np.where(qs > 1e-10, math.sqrt(2) * erfinv64(2 * qs - 1),
                     -(t - (np.log(t) + math.log(_SQRT2PI)) / t))
    x, target = start, np.log(qs)
    for _ in range(6):
        lp = log_ndtr64(x)  # f = ln Phi(x) - ln q,  f' = phi(x) / Phi(x)
        x = x - (lp - target) * _SQRT2PI * np.exp(0.5 * x * x + lp)
    x = np.where(q == 0.5, 0.0, x)
    x = np.where(p > 0.5, -x, x)
    x = np.where(p == 0, -math.inf, np.where(p == 1, math.inf, x))
    return np.where((p < 0) | (p > 1) | np.isnan(p), math.nan, x)


def erfcx64(x):
    """exp(x^2) erfc(x): directly below 25, the asymptotic series above."""
    x = np.asarray(x, _F64)
    lo = np.minimum(x, 25.0)
    direct = np.exp(lo * lo) * erfc64(lo)
    hi = np.maximum(x, 25.0)
    z, term, series = 1 / (2 * hi * hi), np.ones_like(hi), np.ones_like(hi)
    for k in range(1, 12):  # 1 - 1/2x^2 + 3/4x^4 - ...
        term = term * -(2 * k - 1) * z
        series = series + term
    return np.where(x < 25, direct, series / (hi * math.sqrt(math.pi)))


def zeta64(s, q):
    """Hurwitz zeta sum_k (q + k)^-s: terms until q + k passes a threshold, then the
    Euler-Maclaurin tail; Cephes' domain (inf at s = 1 and at non-positive integer q, nan for
    s < 1 and for negative q with a non-integer s)."""
    s, q = np.broadcast_arrays(np.asarray(s, _F64), np.asarray(q, _F64))
    bad = np.isnan(s) | np.isnan(q) | (s < 1)
    ok_s = np.where(bad | (s == 1), 2.0, s)
    x = np.where(bad | (q == np.floor(q)) & (q <= 0), 1.0, q)
    bad = bad | (x < 0) & (ok_s != np.floor(ok_s))
    x = np.where(bad | np.isinf(x), 1.0, x)
    # A negative q (integer s) through polygamma's reflection formula: zeta(s, q) =
    # (-1)^s psi^(s-1)(q) / (s-1)!. Summing up from q takes |q| steps (q = -1e9 + 0.5 hung).
    neg = ~bad & (x < 0)
    reflected = np.zeros_like(x)
    for k in np.unique(ok_s[neg]):
        at = neg & (ok_s == k)
        n = int(k) - 1
        reflected[at] = (-1.0) ** (n + 1) / math.factorial(n) * polygamma64(n, x[at])
    x = np.where(neg, 1.0, x)
    limit = np.minimum(12 + ok_s, 60)
    acc = np.zeros_like(x)
    low = x < limit
    while np.any(low):
        acc = acc + np.where(low, np.power(x, -ok_s), 0)
        x = np.where(low, x + 1, x)
        low = x < limit
    tail = x ** (1 - ok_s) / (ok_s - 1) + 0.5 * x ** -ok_s
    rising, fact, term = ok_s.copy(), 1.0, x ** (-ok_s - 1)
    for j, b in enumerate(_BERNOULLI, start=1):
        fact *= (2 * j - 1) * (2 * j)
        tail = tail + (b / fact) * rising * term
        rising = rising * (ok_s + 2 * j - 1) * (ok_s + 2 * j)
        term = term / (x * x)
    out = np.where(neg, reflected, np.where(np.isinf(q) & (q > 0), 0.0, acc + tail))
    out = np.where((s == 1) | (q == np.floor(q)) & (q <= 0), math.inf, out)
    return np.where(bad & ~(s == 1), math.nan, out)


def _igamma64(a, x):
    """(P, Q), the regularised incomplete gamma functions: the series for P below a + 1,
    Lentz's continued fraction for Q above."""
    a, x = np.broadcast_arrays(np.asarray(a, _F64), np.asarray(x, _F64))
    bad = (a < 0) | (x < 0) | np.isnan(a) | np.isnan(x) | (a == 0) & (x == 0)
    aa = np.where(bad | (a == 0) | np.isinf(a), 1.0, a)
    xx = np.where(bad | np.isinf(x), 1.0, x)
    front = np.exp(-xx + aa * np.log(np.where(xx > 0, xx, 1.0)) - lgamma64(aa))
    use_series = xx < aa + 1
    xs = np.where(use_series, xx, 0.0)
    term = 1 / aa
    total = term
    for n in range(1, 2000):
        term = term * xs / (aa + n)
        total = total + term
        if np.all(np.abs(term) <= np.abs(total) * 1e-17):
            break
    p_series = front * total
    xc = np.where(use_series, aa + 2, xx)
    b = xc + 1 - aa
    c, d = np.full_like(b, 1e300), 1 / b
    h = d
    for i in range(1, 2000):
        an = -i * (i - aa)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < 1e-300, 1e-300, d)
        c = b + an / c
        c = np.where(np.abs(c) < 1e-300, 1e-300, c)
        d = 1 / d
        step = d * c
        h = h * step
        if np.all(np.abs(step - 1) <= 1e-16):
            break
    q_cf = front * h
    p = np.where(use_series, p_series, 1 - q_cf)
    q = np.where(use_series, 1 - p_series, q_cf)
    p = np.where(x == 0, 0.0, np.where((a == 0) | (x == math.inf), 1.0, p))
    q = np.where(x == 0, 1.0, np.where((a == 0) | (x == math.inf), 0.0, q))
    return np.where(bad, math.nan, p), np.where(bad, math.nan, q)


class SpecialNdtri(_Unary):
    """y = Phi^-1(x);  dy/dx = sqrt(2 pi) exp(y^2 / 2)."""
    fn64 = staticmethod(ndtri64)

    @staticmethod
    def forward(ctx, x):
        y = SpecialNdtri._value(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * _SQRT2PI * np.exp(y * y / 2),)


class SpecialLogNdtr(_Unary):
    """y = ln Phi(x);  dy/dx = exp(-x^2/2 - y) / sqrt(2 pi)."""
    fn64 = staticmethod(log_ndtr64)

    @staticmethod
    def forward(ctx, x):
        y = SpecialLogNdtr._value(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * np.exp(-(x * x) / 2 - y) / _SQRT2PI,)


class SpecialErfcx(_Unary):
    """y = exp(x^2) erfc(x);  dy/dx = 2 x y - 2/sqrt(pi)."""
    fn64 = staticmethod(erfcx64)

    @staticmethod
    def forward(ctx, x):
        y = SpecialErfcx._value(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * (2 * x * y - 2 / math.sqrt(math.pi)),)


class SpecialEntr(Primitive):
    """y = -x ln x (0 at 0, -inf below);  dy/dx = -(1 + ln x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), 0)
        out = np.where(x < 0, -math.inf, np.where(np.isnan(x), math.nan, out))
        return out.astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * -(1 + np.log(x)),)


def _xlog1py_values(a, b):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        import ember.special as sp

        return sp.xlog1py(a, b)
    out = np.where(a == 0, 0, a * np.log1p(b))
    return np.where(np.isnan(b), math.nan, out)


class SpecialXlog1Py(Primitive):
    """z = a ln(1 + b), 0 where a = 0, nan where b is nan;
    dz/da = ln(1 + b) (as xlog1py(g, b); 0 where a = 0 and b <= -1),  dz/db = a / (1 + b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        dt = (a if isinstance(a, np.ndarray) else b).dtype
        return np.asarray(_xlog1py_values(a, b), dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = np.where((a == 0) & (b <= -1), 0, _xlog1py_values(g, b)) if need_a else None
        return ga, (g * a / (b + 1) if need_b else None)


class SpecialXlog1PyScalarSelf(SpecialXlog1Py):
    node_name = "SpecialXlog1PyBackward1"


class SpecialXlog1PyScalarOther(SpecialXlog1Py):
    node_name = "SpecialXlog1PyBackward2"


class SpecialZeta(Primitive):
    """z = zeta(s, q) (Hurwitz);  dz/dq = -s zeta(s + 1, q); PyTorch has no dz/ds."""

    @staticmethod
    def forward(ctx, s, q):
        ctx.save_for_backward(s, q)
        dt = (s if isinstance(s, np.ndarray) else q).dtype
        return np.asarray(zeta64(s, q), dt)

    @staticmethod
    def backward(ctx, g):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        s, q = ctx.saved_tensors
        if isinstance(q, Tensor):
            import ember.special as sp

            return None, g * -s * sp.zeta(s + 1, q)
        return None, g * -s * np.asarray(zeta64(s + 1, q), q.dtype)


class SpecialZetaScalarSelf(SpecialZeta):
    node_name = "SpecialZetaBackward1"


class SpecialZetaScalarOther(SpecialZeta):
    node_name = "SpecialZetaBackward2"


class Igamma(Primitive):
    """z = P(a, x), the regularised lower incomplete gamma function;
    dz/dx = exp(-x) x^(a-1) / Gamma(a); PyTorch has no dz/da."""
    sign, which = 1.0, "igamma"

    @classmethod
    def forward(cls, ctx, a, x):
        ctx.save_for_backward(a, x)
        return np.asarray(_igamma64(a, x)[cls.sign < 0], a.dtype)

    @classmethod
    def backward(cls, ctx, g):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(
                f"the derivative for '{cls.which}: input' is not implemented.")
        a, x = ctx.saved_tensors
        lg = a.lgamma() if isinstance(a, Tensor) else lgamma64(a).astype(a.dtype)
        return None, g * cls.sign * np.exp((a - 1) * np.log(x) - x - lg)


class Igammac(Igamma):
    """z = Q(a, x) = 1 - P(a, x);  dz/dx = -exp(-x) x^(a-1) / Gamma(a)."""
    sign, which = -1.0, "igammac"


def unary(cls, input: Tensor) -> Tensor:
    return cls.apply(_float(input))


def binary(classes, input, other) -> Tensor:
    """Promote (integers to floats); pick the class for a number on either side."""
    a, b = promote(input, other, floating=True)
    if not isinstance(a, Tensor):
        return classes[1].apply(float(a), b)
    if not isinstance(b, Tensor):
        return classes[2].apply(a, float(b))
    return classes[0].apply(a, b)


