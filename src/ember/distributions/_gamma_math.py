"""Float64 numerics for the Gamma family: the regularised incomplete gamma P(a, x) and the
exact implicit derivative dx/da of x ~ Gamma(a) at fixed P (for gammainc's derivative in a;
rsample uses PyTorch's approximations instead, see _reparam_grads).

For x ~ Gamma(a, 1) with CDF F(x; a), holding F fixed gives dx/da = -(dF/da) / p(x; a).
Differentiating under the integral, dF/da = int_0^x p(t; a) (log t - psi(a)) dt, and
dividing by p(x) removes the huge and tiny factors:

* x < a (lower side), t = x e^-s:
  dx/da = -x int_0^inf exp(-a s + x (1 - e^-s)) (log x - s - psi(a)) ds
* x >= a (upper side, via 1 - F), t = x e^s:
  dx/da = x int_0^inf exp(a s - x (e^s - 1)) (log x + s - psi(a)) ds

Both exponents are 0 at s = 0 and decrease (their slopes are x - a and a - x there), so a
Gauss-Legendre rule on [0, S], with S where the exponent has surely fallen below -40, is
accurate to float64 rounding for every (x, a) a sampler can produce.
"""

from __future__ import annotations

import numpy as np

from ..ops.special_fns import digamma64, lgamma64

_NODES = {}


def _legendre(n: int = 96):
    """Gauss-Legendre nodes and weights on [0, 1]."""
    if n not in _NODES:
        t, w = np.polynomial.legendre.leggauss(n)
        _NODES[n] = ((t + 1) / 2, w / 2)
    return _NODES[n]


def _quadrature_span(x, a):
    """S beyond which the integrand is below e^-40 of its value at s = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(x - a)
        # upper: h(s) <= -(x - a) s - x s^2 / 2, and x (e^s - 1) >= 108 past log1p(40/x) + 1
        up = np.minimum(80 / (d + np.sqrt(d * d + 80 * x)), np.log1p(40 / x) + 1)
        # lower: k(s) <= -(a - x) s, k(s) <= x - a s, and k(s) <= -(a-x) s - x s^2/3 (s <= 1)
        s3 = 80 / (d + np.sqrt(d * d + 160 * x / 3))
        low = np.minimum(np.minimum(40 / d, (40 + x) / a), np.where(s3 <= 1, s3, np.inf))
    return np.where(x >= a, up, low)


def standard_gamma_grad64(x, a) -> np.ndarray:
    """dx/da for x ~ Gamma(a, 1), holding the CDF value fixed (float64, any shapes)."""
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    out = np.zeros(x.shape)
    ok = (x > 0) & (a > 0) & np.isfinite(x) & np.isfinite(a)
    xs, as_ = x[ok][:, None], a[ok][:, None]
    if xs.size:
        t, w = _legendre()
        span = _quadrature_span(xs, as_)
        s = span * t
        logx, psi = np.log(xs), digamma64(as_)
        upper = xs >= as_
        with np.errstate(over="ignore", invalid="ignore"):
            expo = np.where(upper, as_ * s - xs * np.expm1(s), -as_ * s - xs * np.expm1(-s))
            factor = np.where(upper, logx + s - psi, logx - s - psi)
        integral = (np.exp(expo) * factor * w).sum(-1, keepdims=True) * span
        out[ok] = (np.where(upper, 1.0, -1.0) * xs * integral)[:, 0]
    return out


def gamma_log_density64(x, a) -> np.ndarray:
    """log p(x; a) for Gamma(a, 1)."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a - 1) * np.log(x) - x - lgamma64(a)


def gammainc64(a, x) -> np.ndarray:
    """Regularised lower incomplete gamma P(a, x): the series below x = a + 1, Legendre's
    continued fraction for 1 - P above (modified Lentz), each to float64 rounding."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    out[(x == 0) & (a > 0)] = 0.0
    out[(x == np.inf) & (a > 0)] = 1.0
    ok = (x > 0) & (a > 0) & np.isfinite(x)
    series = ok & (x < a + 1)
    cf = ok & ~series
    if series.any():
        out[series] = _p_series(a[series], x[series])
    if cf.any():
        out[cf] = 1 - _q_fraction(a[cf], x[cf])
    return out


def _prefactor(a, x):
    return np.exp(a * np.log(x) - x - lgamma64(a))


def _p_series(a, x):
    term = 1 / a
    total = term.copy()
    n = a.copy()
    for _ in range(100000):
        n += 1
        term = term * x / n
        total += term
        if (np.abs(term) < np.abs(total) * 1e-17).all():
            break
    return total * _prefactor(a, x)


def _q_fraction(a, x):
    tiny = 1e-300
    b = x + 1 - a
    c = np.full(a.shape, 1 / tiny)
    d = 1 / b
    h = d.copy()
    for i in range(1, 100000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = d * c
        h = h * delta
        if (np.abs(delta - 1) < 1e-16).all():
            break
    return h * _prefactor(a, x)
