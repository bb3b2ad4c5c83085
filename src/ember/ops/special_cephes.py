"""Airy Ai, the Bessel functions Y0/Y1, the modified Bessel functions I0/I1/K0/K1 (and the
exponentially scaled K0/K1) and the spherical Bessel j0 behind ``ember.special``.

PyTorch evaluates these with Cephes' rational and Chebyshev approximations in the input's own
precision (float32 arithmetic for float32 tensors). The functions here do the same steps,
vectorised over a NumPy array of the input's dtype, so that float32 results round as
PyTorch's do: the coefficient tables are Cephes' (``_cephes_coefs``), and each expression keeps
C's order of operations, which decides the rounding. PyTorch's CPU kernels are compiled with
fused multiply-adds: the compiler turns ``a * b + c`` into one rounding where the product has
no other use, and ``fma`` below rounds the same way (through float64 for float32, by
double-double arithmetic for float64).
Every branch is computed on the whole array and the right one picked per element (errors from
the unused branches are silenced).
"""

from __future__ import annotations

import math

import numpy as np

from . import _cephes_coefs as C

_F64 = np.float64
_SPLIT = 134217729.0  # 2^27 + 1: Dekker's split of a double into two 26-bit halves


def fma(a, b, c):
    """a * b + c with one rounding, in the dtype of the arrays."""
    if np.result_type(a, b, c) == np.float32:
        return (np.asarray(a, _F64) * b + np.asarray(c, _F64)).astype(np.float32)
    r = _fma64(a, b, c)
    bad = ~np.isfinite(r)
    if bad.any():  # near overflow (Dekker's split overflows first): again, scaled by 2^-600
        r = np.where(bad, _fma64(a * 2.0 ** -300, b * 2.0 ** -300, c * 2.0 ** -600)
                     * 2.0 ** 600, r)
        r = np.where(np.isfinite(r), r, a * b + c)  # inf or nan in the inputs
    return r


def _fma64(a, b, c):
    p = a * b  # p + e == a * b exactly (Dekker's product), s + err == p + c (Knuth's sum)
    t = _SPLIT * a
    ah = t - (t - a)
    t = _SPLIT * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    v = s - p
    err = (p - (s - v)) + (c - v)
    return s + (err + e)


def _libm(f):
    """NumPy's float32 sin/cos/exp/log are its own SIMD code, a few ulps off; through float64
    they round as C's sinf/cosf/expf/logf (correctly rounded almost always) do."""
    def g(x):
        return f(x.astype(_F64)).astype(np.float32) if x.dtype == np.float32 else f(x)
    return g


_sin, _cos, _exp, _log = (_libm(f) for f in (np.sin, np.cos, np.exp, np.log))


def _horner(coefs, z, dt):
    """C's ``acc = 0; for c: acc = acc * z + c`` (0 * inf is nan there too)."""
    acc = np.zeros_like(z)
    for c in coefs:
        acc = fma(acc, z, dt.type(c))
    return acc


def _clenshaw(coefs, y, dt):
    """Cephes' chbevl: the Chebyshev series at y, returned as (a, p) for 0.5 * (a - p)."""
    a, p, q = np.full_like(y, coefs[0]), np.zeros_like(y), np.zeros_like(y)
    for c in coefs[1:]:
        p, q = q, a
        a = fma(y, q, -p) + dt.type(c)
    return a, p


def _k(v, dt):
    return dt.type(v)


def j0(x):
    dt = x.dtype
    x = np.abs(x)
    xx = x * x
    small = (xx - _k(5.78318596294678452118e+00, dt)) * (xx - _k(3.04712623436620863991e+01, dt)) \
        * _horner(C.J0_RP, xx, dt) / _horner(C.J0_RQ, xx, dt)
    small = np.where(x < _k(1e-5, dt), _k(1, dt) - xx / _k(4, dt), small)
    w = _k(25, dt) / xx
    ph = x - _k(0.785398163397448309615660845819875721, dt)
    big = fma(_horner(C.J0_PP, w, dt) / _horner(C.J0_PQ, w, dt), _cos(ph),
              -(_k(5, dt) / x * (_horner(C.J0_QP, w, dt) / _horner(C.J0_QQ, w, dt))
                * _sin(ph))) * _k(0.797884560802865355879892119868763737, dt) / np.sqrt(x)
    return np.where(x <= _k(5, dt), small, big)


def j1(x):
    dt = x.dtype
    ax = np.abs(x)
    xx = ax * ax  # shared, so (as in C) the products below are not fused with the subtraction
    small = _horner(C.J1_RP, xx, dt) / _horner(C.J1_RQ, xx, dt) * ax \
        * (xx - _k(1.46819706421238932572e+01, dt)) * (xx - _k(4.92184563216946036703e+01, dt))
    w = _k(5, dt) / ax * (_k(5, dt) / ax)
    ph = ax - _k(2.356194490192344928846982537459627163, dt)
    big = fma(_horner(C.J1_PP, w, dt) / _horner(C.J1_PQ, w, dt), _cos(ph),
              -(_k(5, dt) / ax * (_horner(C.J1_QP, w, dt) / _horner(C.J1_QQ, w, dt))
                * _sin(ph))) \
        * _k(0.797884560802865355879892119868763737, dt) / np.sqrt(ax)
    out = np.where(ax <= _k(5, dt), small, big)
    return np.where(x < 0, -out, out)


def _hankel_y(pp, pq, qp, qq, w, ph, x, dt):
    """Y_n(x) for x > 5 by Hankel's asymptotic form, as ATen's Cephes code writes it:
    sqrt(2/pi)/sqrt(x) * (P(w)/Q(w) sin(ph) + 5/x * QP(w)/QQ(w) cos(ph))."""
    return fma(_horner(pp, w, dt) / _horner(pq, w, dt), _sin(ph),
               _k(5, dt) / x * (_horner(qp, w, dt) / _horner(qq, w, dt)) * _cos(ph)) \
        * _k(0.797884560802865355879892119868763737, dt) / np.sqrt(x)


def y0(x):
    dt = x.dtype
    xx = x * x
    small = fma(_k(0.636619772367581343075535053490057448, dt) * _log(x), j0(x),
                _horner(C.Y0_YP, xx, dt) / _horner(C.Y0_YQ, xx, dt))
    w = _k(25, dt) / xx
    ph = x - _k(0.785398163397448309615660845819875721, dt)
    big = _hankel_y(C.J0_PP, C.J0_PQ, C.J0_QP, C.J0_QQ, w, ph, x, dt)
    small = np.where(x == 0, -math.inf, np.where(x < 0, math.nan, small))
    return np.where(x <= _k(5, dt), small, big)


def y1(x):
    dt = x.dtype
    xx = x * x
    small = fma(x, _horner(C.Y1_YP, xx, dt) / _horner(C.Y1_YQ, xx, dt),
                _k(0.636619772367581343075535053490057448, dt)
                * fma(j1(x), _log(x), -(_k(1, dt) / x)))
    w = _k(5, dt) / x * (_k(5, dt) / x)
    ph = x - _k(2.356194490192344928846982537459627163, dt)
    big = _hankel_y(C.J1_PP, C.J1_PQ, C.J1_QP, C.J1_QQ, w, ph, x, dt)
    small = np.where(x == 0, -math.inf, np.where(x < 0, math.nan, small))
    return np.where(x <= _k(5, dt), small, big)


def i0(x):
    dt = x.dtype
    ax = np.abs(x)
    a, p = _clenshaw(C.I0_A, ax / _k(2, dt) - _k(2, dt), dt)
    b, pb = _clenshaw(C.I0_B, _k(32, dt) / ax - _k(2, dt), dt)
    e = _exp(ax)
    return np.where(ax <= _k(8, dt), e * (_k(0.5, dt) * (a - p)),
                    e * (_k(0.5, dt) * (b - pb)) / np.sqrt(ax))


def i1(x):
    dt = x.dtype
    ax = np.abs(x)
    a, p = _clenshaw(C.I1_A, ax / _k(2, dt) - _k(2, dt), dt)
    b, pb = _clenshaw(C.I1_B, _k(32, dt) / ax - _k(2, dt), dt)
    e = _exp(ax)
    out = np.where(ax <= _k(8, dt), _k(0.5, dt) * (a - p) * ax * e,
                   e * (_k(0.5, dt) * (b - pb)) / np.sqrt(ax))
    return np.where(x < 0, -out, out)


def _k_small(order, x):
    """The x <= 2 series of K0 (order 0) or K1 without the log term, and that term's
    I factor: K = series - log(x/2) I0  or  log(x/2) I1 + series / x."""
    dt = x.dtype
    a, p = _clenshaw(C.K0_A if order == 0 else C.K1_A, fma(x, x, -_k(2, dt)), dt)
    half = _k(0.5, dt) * (a - p)
    return (half, i0(x)) if order == 0 else (half / x, i1(x))


def _k_large(order, x):
    """0.5 (b - p) / sqrt(x), the x > 2 Chebyshev series: exp(x) K(x)."""
    dt = x.dtype
    b, p = _clenshaw(C.K0_B if order == 0 else C.K1_B, _k(8, dt) / x - _k(2, dt), dt)
    return _k(0.5, dt) * (b - p), np.sqrt(x)


def _k_domain(x, out):
    return np.where(x == 0, math.inf, np.where(x < 0, math.nan, out))


def k0(x):
    dt = x.dtype
    half, i = _k_small(0, x)
    # Math.h takes this log in double (its 0.5 is a double literal): so do we
    small = fma(-_log(0.5 * x.astype(_F64)), i.astype(_F64), half.astype(_F64)).astype(dt)
    num, root = _k_large(0, x)
    return _k_domain(x, np.where(x <= _k(2, dt), small, _exp(-x) * num / root))


def k1(x):
    dt = x.dtype
    frac, i = _k_small(1, x)
    num, root = _k_large(1, x)
    return _k_domain(x, np.where(x <= _k(2, dt), fma(_log(_k(0.5, dt) * x), i, frac),
                                 _exp(-x) * num / root))


def k0e(x):
    dt = x.dtype
    half, i = _k_small(0, x)
    num, root = _k_large(0, x)
    return _k_domain(x, np.where(x <= _k(2, dt),
                                 fma(-_log(_k(0.5, dt) * x), i, half) * _exp(x),
                                 num / root))


def k1e(x):
    dt = x.dtype
    frac, i = _k_small(1, x)
    num, root = _k_large(1, x)
    return _k_domain(x, np.where(x <= _k(2, dt),
                                 fma(_log(_k(0.5, dt) * x), i, frac) * _exp(x),
                                 num / root))


def spherical_j0(x):
    """sin(x) / x; its Taylor polynomial (to x^12) below |x| = 0.5, 0 at +-inf."""
    dt = x.dtype
    xx = x * x
    poly = _k(1, dt) / _k(6227020800.0, dt)  # each coefficient a division in dtype, as in C
    for c in (-39916800.0, 362880.0, -5040.0, 120.0, -6.0):
        poly = fma(xx, poly, _k(math.copysign(1, c), dt) / _k(abs(c), dt))
    poly = fma(xx, poly, _k(1, dt))
    out = np.where(np.abs(x) < _k(0.5, dt), poly, _sin(x) / x)
    return np.where(np.isinf(x), _k(0, dt), out)


def airy_ai(x):
    dt = x.dtype
    eps = np.finfo(dt).eps
    # x < -2.09: the oscillating asymptotic form
    zeta_n = _k(-2, dt) * x * np.sqrt(-x) / _k(3, dt)
    z = _k(1, dt) / zeta_n
    zz = z * z
    afn, afd = _horner(C.AIRY_AFN, zz, dt), _horner(C.AIRY_AFD, zz, dt)
    agn, agd = _horner(C.AIRY_AGN, zz, dt), _horner(C.AIRY_AGD, zz, dt)
    t = zeta_n + _k(0.25, dt) * _k(math.pi, dt)
    neg = _k(5.64189583547756286948e-01, dt) / np.sqrt(np.sqrt(-x)) \
        * fma(_sin(t), _k(1, dt) + z * z * afn / afd, -(_cos(t) * (z * agn / agd)))
    # x >= 2.09: the decaying asymptotic form
    zeta = _k(2, dt) * x * np.sqrt(x) / _k(3, dt)
    inv = _k(1, dt) / zeta
    pos = _k(5.64189583547756286948e-01, dt) * (_horner(C.AIRY_AN, inv, dt)
                                                / _horner(C.AIRY_AD, inv, dt)) \
        / (_k(2, dt) * np.sqrt(np.sqrt(x)) * _exp(zeta))
    # in between: the Maclaurin series f - c g, each element stopping where Cephes' loop does
    xs = np.where((x >= _k(-2.09, dt)) & (x < _k(2.09, dt)), x, _k(0, dt))
    f, g, m, n = np.ones_like(xs), xs.copy(), np.ones_like(xs), xs.copy()
    z3 = xs * xs * xs
    k = _k(1, dt)
    live = np.ones(xs.shape, bool)
    while live.any():
        m2 = m * z3 / (k + 1)
        n2 = n * z3 / (k + 2)
        m2 = m2 / (k + 2)
        f2 = f + m2
        n2 = n2 / (k + 3)
        k = k + _k(3, dt)
        f, g = np.where(live, f2, f), np.where(live, g + n2, g)
        m, n = np.where(live, m2, m), np.where(live, n2, n)
        live &= np.abs(m / f) > eps
    mid = fma(_k(0.355028053887817239260, dt), f, -(_k(0.258819403792806798405, dt) * g))
    out = np.where(x < _k(-2.09, dt), neg, np.where(x >= _k(2.09, dt), pos, mid))
    out = np.where(x > _k(103.892, dt), _k(0, dt), out)
    return np.where(np.isinf(x) | np.isnan(x), math.nan, out)


FUNCS = {"airy_ai": airy_ai, "bessel_y0": y0, "bessel_y1": y1, "modified_bessel_i0": i0,
         "modified_bessel_i1": i1, "modified_bessel_k0": k0, "modified_bessel_k1": k1,
         "scaled_modified_bessel_k0": k0e, "scaled_modified_bessel_k1": k1e,
         "spherical_bessel_j0": spherical_j0}
