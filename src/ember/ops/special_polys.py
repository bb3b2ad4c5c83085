"""The orthogonal polynomials of ``ember.special``: Chebyshev T/U/V/W (and shifted to [0, 1]),
Hermite H/He, Laguerre L and Legendre P, of degree ``n`` at ``x``.

PyTorch truncates ``n`` to an integer (nan, inf and out-of-range values act as negative: the
result is 0), answers the endpoints exactly, uses the trigonometric forms of the Chebyshev
polynomials inside (-1, 1) for large n, and otherwise runs the three-term recurrence in the
input's precision; Hermite gives nan above degree 128 (float32) or 512 (float64). The code
below follows the same cases and the same arithmetic order (with PyTorch's fused
multiply-adds, ``special_cephes.fma``), so results round as PyTorch's do. The recurrence is
vectorised over the elements still running: sorted by degree, those form a shrinking tail of
the arrays.
"""

from __future__ import annotations

import math

import numpy as np

from .special_cephes import fma

_I64_MIN = np.iinfo(np.int64).min
_LIBM: dict = {}


def _libm(name: str, x: np.ndarray) -> np.ndarray:
    """C's acos/cos/sin (acosf/cosf/sinf for float32) element by element: cos(n acos x)
    magnifies each last-bit difference n times, so only the very functions PyTorch calls agree
    (NumPy's vectorised ones differ in the last bit). Used on the trigonometric path only."""
    if x.dtype == np.float64:
        fn = _LIBM.get(name) or _LIBM.setdefault(name, np.frompyfunc(getattr(math, name), 1, 1))
        return fn(x).astype(np.float64)
    key = name + "f"
    if key not in _LIBM:
        import ctypes
        import ctypes.util

        try:
            f = getattr(ctypes.CDLL(ctypes.util.find_library("m")), key)
            f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
            _LIBM[key] = np.frompyfunc(f, 1, 1)
        except (OSError, AttributeError, TypeError):  # no C math library: round from double
            _LIBM[key] = lambda v: getattr(np, "arccos" if name == "acos" else name)(
                v.astype(np.float64))
    return _LIBM[key](x).astype(np.float32)


def degrees(n: np.ndarray) -> np.ndarray:
    """C's static_cast<int64_t>: truncation, and INT64_MIN for nan, inf and |n| >= 2^63."""
    ok = np.isfinite(n) & (np.abs(n) < 2.0 ** 63)
    return np.where(ok, np.trunc(np.where(ok, n, 0)), 0).astype(np.int64) \
        + np.where(ok, 0, _I64_MIN)


def _recur(mult, p0, q0, steps, step):
    """Run ``r = step(k, mult, p, q)`` for k = 0 .. steps - 1 per element (p, q <- q, r);
    returns the last q (q0 where steps is 0)."""
    order = np.argsort(steps, kind="stable")
    st, m = steps[order], mult[order]
    p, q = p0[order].copy(), q0[order].copy()
    lo, top = 0, int(st[-1]) if st.size else 0
    for k in range(top):
        lo = int(np.searchsorted(st, k, side="right"))  # st[lo:] > k still run
        r = step(k, m[lo:], p[lo:], q[lo:])
        p[lo:], q[lo:] = q[lo:], r
        if k % 256 == 255 and np.isnan(q[lo:]).all():
            break  # nan stays nan (PyTorch's loops stop here too)
    out = np.empty_like(q)
    out[order] = q
    return out


def _pick(default, *cases):
    """The first (condition, value) pair that holds, per element; ``default`` otherwise."""
    out = default
    for cond, val in reversed(cases):
        out = np.where(cond, val, out)
    return out


def _chebyshev(x, k, q0, mult, run):
    """The recurrence r = mult q - p from p = 1, q = q0 for degree k >= 2 (where ``run``)."""
    one = np.ones_like(x)
    steps = np.where(run & (k >= 2), k - 1, 0)
    sel = steps > 0
    out = np.array(q0, copy=True)
    out[sel] = _recur(mult[sel], one[sel], q0[sel], steps[sel], lambda j, m, p, q: fma(m, q, -p))
    return out


def _trig(x, k, dt, kind, on, shifted=False):
    """Where ``on``: the Chebyshev kinds via theta = acos(x): cos(k t); sin((k+1) t) / sin t;
    cos((k+1/2) t) / cos(t/2); sin((k+1/2) t) / sin(t/2), with PyTorch's fallbacks where the
    divisor vanishes (the shifted W's ignores the sign of x)."""
    out = np.zeros_like(x)
    x, k = x[on], k[on]
    t = _libm("acos", x)
    kf = k.astype(dt)
    if kind == "t":
        val = _libm("cos", kf * t)
    elif kind == "u":
        k1 = (k + 1).astype(dt)
        s = _libm("sin", t)
        val = np.where(s != 0, _libm("sin", k1 * t) / s, k1 * _libm("cos", k1 * t) / x)
    else:
        odd = (2 * k + 1).astype(dt)
        even = k % 2 == 0
        half, t2 = kf + dt.type(0.5), t / dt.type(2)
        if kind == "v":
            val = np.where(_libm("sin", t2) != 1, _libm("cos", half * t) / _libm("cos", t2),
                           np.where(even, odd, -odd))
        else:
            fallback = np.where((x > 0) & (not shifted), odd, np.where(even, 1, -1))
            val = np.where(_libm("cos", t2) != 1, _libm("sin", half * t) / _libm("sin", t2),
                           fallback)
    out[on] = val
    return out


def _first(kind, y, dt):
    """Degree-1 values: T = y, U = 2y, V = 2y - 1, W = 2y + 1."""
    return {"t": y, "u": y + y, "v": y + y - dt.type(1), "w": y + y + dt.type(1)}[kind]


def chebyshev(kind, x, k):
    dt = x.dtype
    a = np.abs(x)
    even = k % 2 == 0
    n1, odd = (k + 1).astype(dt), (2 * k + 1).astype(dt)
    ends = {"t": np.where((x > 0) | even, 1, -1),
            "u": np.where((x > 0) | even, n1, -n1),
            "v": np.where(x > 0, 1, np.where(even, odd, -odd)),
            "w": np.where(x > 0, odd, np.where(even, 1, -1))}[kind]
    trig_on = (k > (6 if kind == "t" else 8)) & (a < 1)
    q0 = _first(kind, x, dt)
    rec = _chebyshev(x, k, q0, x + x, ~trig_on & (a != 1))
    return _pick(rec, (k < 0, 0), (a == 1, ends), (trig_on, _trig(x, k, dt, kind, trig_on)),
                 (k == 0, 1), (k == 1, q0)).astype(dt)


def shifted_chebyshev(kind, x, k):
    """The Chebyshev polynomials at y = 2x - 1, with PyTorch's own cases at x = 0 and 1."""
    dt = x.dtype
    y = x + x - dt.type(1)
    even = k % 2 == 0
    n1, odd = (k + 1).astype(dt), (2 * k + 1).astype(dt)
    at1 = {"t": 1, "u": n1, "v": 1, "w": odd}[kind]
    at0 = {"t": np.where(even, 1, -1), "u": np.where(even, n1, -n1),
           "v": np.where(even, odd, -odd), "w": np.where(even, 1, -1)}[kind]
    trig_on = (k > (4 if kind == "w" else 6)) & (np.abs(y) < 1)
    trig = _trig(y, k, dt, kind, trig_on, shifted=True)
    q0 = _first(kind, y, dt)
    rec = _chebyshev(x, k, q0, y + y, ~trig_on & (x != 1) & (x != 0))
    return _pick(rec, (k < 0, 0), (x == 1, at1), (x == 0, at0), (trig_on, trig),
                 (k == 0, 1), (k == 1, q0)).astype(dt)


def _three_term(x, k, q0, step, run):
    """p = 1, q = q0, then ``step`` for k - 1 rounds (counted from 0) where ``run``."""
    steps = np.where(run & (k >= 2), k - 1, 0)
    sel = steps > 0
    out = np.array(q0, copy=True)
    out[sel] = _recur(x[sel], np.ones_like(x)[sel], q0[sel], steps[sel], step)
    return out


def hermite(physicists: bool, x, k):
    """H_n: r = 2x q - 2k p (k = 1 .. n-1); He_n: r = x q - k p; nan above the degree cap."""
    dt = x.dtype
    q0 = x + x if physicists else x
    cap = 128 if dt == np.float32 else 512
    if physicists:
        def step(j, m, p, q):
            return fma(m + m, q, -(dt.type(2 * j + 2) * p))
    else:
        def step(j, m, p, q):
            return fma(m, q, -(dt.type(j + 1) * p))
    rec = _three_term(x, k, q0, step, k <= cap)
    return _pick(rec, (k < 0, 0), (k == 0, 1), (k == 1, q0), (k > cap, math.nan)).astype(dt)


def laguerre(x, k):
    """r = ((2k + 1 - x) q - k p) / (k + 1), k = 1 .. n-1; 1 at x = 0."""
    dt = x.dtype
    q0 = dt.type(1) - x

    def step(j, m, p, q):
        return fma(dt.type(2 * j + 2) + (dt.type(1) - m), q, -(dt.type(j + 1) * p)) \
            / dt.type(j + 2)
    rec = _three_term(x, k, q0, step, x != 0)
    return _pick(rec, (k < 0, 0), (x == 0, 1), (k == 0, 1), (k == 1, q0)).astype(dt)


def legendre(x, k):
    """r = ((2k + 1) x q - k p) / (k + 1), k = 1 .. n-1; +-1 at x = +-1."""
    dt = x.dtype

    def step(j, m, p, q):
        return fma(dt.type(2 * j + 3) * m, q, -(dt.type(j + 1) * p)) / dt.type(j + 2)
    rec = _three_term(x, k, x, step, np.abs(x) != 1)
    ends = np.where((x > 0) | (k % 2 == 0), 1, -1)
    return _pick(rec, (k < 0, 0), (np.abs(x) == 1, ends), (k == 0, 1), (k == 1, x)).astype(dt)


FUNCS = {
    **{f"chebyshev_polynomial_{c}": (lambda c: lambda x, k: chebyshev(c, x, k))(c)
       for c in "tuvw"},
    **{f"shifted_chebyshev_polynomial_{c}":
       (lambda c: lambda x, k: shifted_chebyshev(c, x, k))(c) for c in "tuvw"},
    "hermite_polynomial_h": lambda x, k: hermite(True, x, k),
    "hermite_polynomial_he": lambda x, k: hermite(False, x, k),
    "laguerre_polynomial_l": laguerre, "legendre_polynomial_p": legendre,
}
