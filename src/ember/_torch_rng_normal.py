"""PyTorch's float32 Box-Muller block (normal_fill_16, vectorised) for ``_torch_rng.normal``.

Every float32 step is done in float64 and rounded to float32 by copying through a float32
scratch array and back (exact: float32 products are exact in float64, and +, *, sqrt rounded
twice this way round as once). At the sizes RL code draws (a few blocks) the time is NumPy's
fixed cost per call, so the steps are written out inline with preallocated buffers, 0-d array
constants (a NumPy scalar operand costs each call a conversion), table look-ups in place of
integer arithmetic, and the log, cosine and sine polynomials side by side in one array.
Past 64 blocks (1024 values) the arithmetic is the time, and ``_box_muller_f32_large``
(the same steps on separate log and cos/sin arrays, fewer operations in all) is faster.
"""

from __future__ import annotations

import functools

import numpy as np

_F32, _F64 = np.float32, np.float64


def _c(v, dtype=_F32) -> np.ndarray:
    """A constant rounded to ``dtype``, held as a 0-d float64 array."""
    return np.array(v, dtype).astype(_F64)


# avx_mathfun.h's Cephes polynomials (float32 constants)
_LOG_C = [_c(v) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                          -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                          2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_COS_P = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
_SIN_P = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
# Horner coefficients of the log, cosine and sine polynomials as (3, 1, 1) columns: the
# trigonometric ones led by zeros (0 z + 0 = +0, z >= 0: the same values, steps later)
_HORNER = [np.array([[[a]], [[b]], [[c]]], _F32).astype(_F64) for a, b, c in
           zip(_LOG_C, (0.0,) * 6 + _COS_P, (0.0,) * 6 + _SIN_P)]
_SQRTH, _LOG_Q1, _LOG_Q2 = _c(0.707106781186547524), _c(-2.12194440e-4), _c(0.693359375)
_FOPI = _c(1.27323954473516)
# u2 = k 2**-24 times (float32) 2 pi: one exact product, k (2 pi)_f32 2**-24
_THETA = _c(2.0 * np.pi) * 2.0 ** -24
# j pi/4's three parts for each quadrant q = j / 2 (0..4): exact products, looked up
_JDP = np.outer(np.array([-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8],
                         _F32).astype(_F64), 2.0 * np.arange(5))
_M_INV24 = _c(-(2.0 ** -24), _F64)
_ONE, _ZERO, _M_HALF, _M_TWO = _c(1), _c(0), _c(-0.5), _c(-2)
# the cos and sin polynomials' last step's addends: cos: y z - z / 2, sin: y x + x
_HALF_ONE = np.array([[[0.0]], [[-0.5]], [[1.0]]])  # row 0: replaced by e q1
# per quadrant q = j / 2 (0..4): the row of y (1: cos polynomial, 2: sin polynomial) that
# gives the cosine, and the one that gives the sine; then their signs: cos < 0 for q 1, 2,
# sin < 0 for q 2, 3
_SWAP = np.array([[1, 2, 1, 2, 1], [2, 1, 2, 1, 2]])
_SIGNS = np.array([[1.0, -1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, -1.0, 1.0]])
_I1 = np.array(1, np.intp)


@functools.lru_cache(maxsize=64)
def _consts(rows: int) -> tuple:
    """For ``rows`` blocks: the Horner coefficients as full (3, rows, 8) arrays (a
    broadcasting operand more than doubles a small ufunc call's cost), the log's row of the
    six that lead the cosine and sine with zeros, the last step's factors, _SWAP as flat
    indices into (3, rows, 8), and each lane's offset."""
    h = rows * 8
    horner = [np.broadcast_to(c, (3, rows, 8)).copy() for c in _HORNER]
    half_one = np.broadcast_to(_HALF_ONE, (3, rows, 8)).copy()
    lanes = np.tile(np.arange(h), 2).reshape(2, rows, 8)
    return horner, [c[:1] for c in horner[1:6]], half_one, _SWAP * h, lanes


def box_muller_f32(k: np.ndarray, mean, std) -> np.ndarray:
    """normal_fill_16's float32 form on rows of 16 24-bit draws k (uniform u = k 2**-24):
    u1 = 1 - u[:8], u2 = u[8:], radius = sqrt(-2 log u1), theta = 2 pi u2, with PyTorch's
    vectorised Cephes log/sin/cos (avx_mathfun.h) and the FMAs its compiled form uses; the
    rows give radius cos theta * std + mean, then the sines. The log's polynomial and the
    cosine's and sine's run as one Horner scheme on three rows (log, cos, sin).

    tests/test_torch_rng_speedpaths.py and tests/test_programs_s12_rngspeed.py check it
    against live torch; its log and sin/cos parts were checked on every one of the 2**24
    inputs.
    """
    rows = k.shape[0]
    if rows > 64:
        return _box_muller_f32_large(k, mean, std)
    mul, add = np.multiply, np.add
    s = np.empty((rows, 8), _F32)  # rounding scratch: a[...] through s is a rounded to float32
    s3 = np.empty((3, rows, 8), _F32)
    hx = np.empty((3, rows, 8))  # the Horner multipliers: x (log), z (cos), z (sin)
    fx = np.empty((3, rows, 8))  # the last step's multipliers: z (log), z (cos), x (sin)
    kf = np.empty((2, rows, 8))  # the draws for the log, then for the angle
    kf[...] = k.reshape(rows, 2, 8).transpose(1, 0, 2)
    # sin/cos: theta = 2 pi u2 reduced by j pi/4, j the even integer at or above 4 theta / pi
    theta = mul(kf[1], _THETA)
    s[...] = theta
    theta[...] = s
    t = mul(theta, _FOPI)
    s[...] = t
    q = s.astype(np.intp)
    add(q, _I1, out=q)
    np.right_shift(q, _I1, out=q)  # j = 2 q
    jd = _JDP.take(q, 1)  # j times pi/4's three parts (exact), then three rounded sums
    xt = add(theta, jd[0], out=fx[2])
    s[...] = xt
    xt[...] = s
    add(xt, jd[1], out=xt)
    s[...] = xt
    xt[...] = s
    add(xt, jd[2], out=xt)
    s[...] = xt
    xt[...] = s
    zt = mul(xt, xt, out=fx[1])
    s[...] = zt
    zt[...] = s
    hx[1:] = zt
    # log(u1): u1 = m 2**e with m in [sqrt(1/2), sqrt(2)), x = m - 1
    u1 = mul(kf[0], _M_INV24, out=kf[0])
    add(u1, _ONE, out=u1)  # 1 - u, exact
    m, ex = np.frexp(u1)  # m in [0.5, 1)
    small = m < _SQRTH
    np.ldexp(m, small, out=m)
    e = np.subtract(ex, small, dtype=_F64)
    x = np.subtract(m, _ONE, out=m)
    hx[0] = x
    z = mul(x, x, out=fx[0])
    s[...] = z
    z[...] = s
    # Horner, each step p x + c rounded once, then one more product p x, rounded
    horner, log_only, half_one, swap, lanes = _consts(rows)
    y = mul(hx, horner[0])
    y0, hx0, s0 = y[:1], hx[:1], s3[:1]
    for c in log_only:  # the zeros leading cos and sin keep their rows +0: the log row alone
        add(y0, c, out=y0)
        s0[...] = y0
        y0[...] = s0
        mul(y0, hx0, out=y0)
    for c in horner[6:]:
        add(y, c, out=y)
        s3[...] = y
        y[...] = s3
        mul(y, hx, out=y)
    s3[...] = y
    y[...] = s3
    # one more rounded FMA: log y z + e q1; cos y z - z / 2; sin y x + x
    a = mul(fx, half_one)
    mul(e, _LOG_Q1, out=a[0])
    s[...] = a[0]
    a[0] = s
    mul(y, fx, out=y)
    add(y, a, out=y)
    s3[...] = y
    y[...] = s3
    # log = e * log(2)_hi + (x + (z * -0.5 + y)); radius = sqrt(-2 log)
    mul(z, _M_HALF, out=z)
    add(z, y[0], out=z)
    s[...] = z
    z[...] = s
    add(z, x, out=z)
    s[...] = z
    z[...] = s
    radius = mul(e, _LOG_Q2, out=e)
    add(radius, z, out=radius)
    s[...] = radius
    radius[...] = s
    mul(radius, _M_TWO, out=radius)
    np.sqrt(radius, out=radius)
    s[...] = radius
    radius[...] = s
    # cos + 1
    yc = y[1]
    add(yc, _ONE, out=yc)
    s[...] = yc
    yc[...] = s
    # the quadrant picks which polynomial is the cosine and which the sine, and their signs
    at = swap.take(q, 1)  # y.take(at) picks each lane's polynomials
    add(at, lanes, out=at)
    cs = y.take(at)
    sr = _SIGNS.take(q, 1)
    mul(sr, radius, out=sr)
    mul(cs, sr, out=cs)
    out = np.empty((rows, 2, 8), _F32)
    if std == 1 and mean == 0:
        add(cs, _ZERO, out=cs)  # the fma(x, 1, 0) PyTorch still runs: -0 becomes +0
    else:
        s3[1:] = cs
        cs[...] = s3[1:]
        mul(cs, _F64(std), out=cs)
        add(cs, _F64(mean), out=cs)
    out.transpose(1, 0, 2)[...] = cs
    return out.reshape(rows, 16)


# ---- the form for large draws: session 11's, unchanged but for its name (its constants are
# the 0-d arrays above where they share a value, which gives the same results) ----
_COS_C, _SIN_C = [_c(v) for v in _COS_P], [_c(v) for v in _SIN_P]
_TWO_PI_F, _HALF, _INV24 = _c(2.0 * np.pi), _c(0.5), _c(2.0 ** -24, _F64)
_DP = (_c(-0.78515625), _c(-2.4187564849853515625e-4), _c(-3.77489497744594108e-8))


class _F32Ops:
    """float32 arithmetic on float64 arrays holding float32 values, each result rounded to
    float32 through one preallocated scratch per shape (NumPy's per-call cost, not the
    arithmetic, is what small draws pay for: no allocation, no broadcasting)."""

    def __init__(self, h: int):
        self.s1, self.s2 = np.empty(h, _F32), np.empty((2, h), _F32)

    def r(self, a: np.ndarray) -> np.ndarray:
        """Round a (h,) or (2, h) float64 array to float32 in place."""
        s = self.s1 if a.ndim == 1 else self.s2
        s[...] = a
        a[...] = s
        return a

    def fma(self, a, b, c, out) -> np.ndarray:
        """float32 a * b + c into ``out``, as ``_fma``: the product exact in float64, the
        sum rounded in float64, then to float32."""
        np.multiply(a, b, out=out)
        np.add(out, c, out=out)
        return self.r(out)


def _box_muller_f32_large(k: np.ndarray, mean, std) -> np.ndarray:
    """normal_fill_16's float32 form on rows of 16 24-bit draws k (uniform u = k 2**-24):
    u1 = 1 - u[:8], u2 = u[8:], radius = sqrt(-2 log u1), theta = 2 pi u2, with PyTorch's
    vectorised Cephes log/sin/cos (avx_mathfun.h) and the FMAs its compiled form uses; the
    rows give radius cos theta * std + mean, then the sines. This form, on (2, rows * 8)
    arrays with no zero-padded steps, is the faster one past 64 rows (a draw of over 1024).

    Every float32 step is done in float64 and rounded to float32 (exact: float32 products
    are exact in float64, and +, *, sqrt rounded twice this way round as once), with no
    Python loop over blocks. tests/test_torch_rng_speedpaths.py checks it against live
    torch; its log and sin/cos parts were checked on every one of the 2**24 inputs.
    """
    rows = k.shape[0]
    h = rows * 8
    f = _F32Ops(h)
    lanes = np.empty((2, rows, 8))  # lane-major: the 8 log inputs, then the 8 angles
    np.multiply(k.reshape(rows, 2, 8).transpose(1, 0, 2), _INV24, out=lanes)
    u1, theta = lanes.reshape(2, h)
    np.subtract(_ONE, u1, out=u1)  # 1 - u, exact
    # log(u1): u1 = m 2**e with m in [sqrt(1/2), sqrt(2)), x = m - 1
    m, ex = np.frexp(u1)  # m in [0.5, 1)
    small = m < _SQRTH
    np.ldexp(m, small, out=m)
    e = np.subtract(ex, small, dtype=_F64)
    x = np.subtract(m, _ONE, out=m)
    z = f.r(np.multiply(x, x))
    y = np.multiply(x, _LOG_C[0])  # first Horner step: p0 * x + p1
    for c in _LOG_C[1:]:
        np.add(y, c, out=y)
        f.r(y)
        if c is not _LOG_C[-1]:
            np.multiply(y, x, out=y)
    f.r(np.multiply(y, x, out=y))
    f.fma(y, z, f.r(np.multiply(e, _LOG_Q1)), y)
    # log = e * log(2)_hi + (x + (z * -0.5 + y)); radius = sqrt(-2 log)
    lg = f.fma(z, _M_HALF, y, z)
    np.add(lg, x, out=lg)
    radius = f.fma(e, _LOG_Q2, f.r(lg), e)
    np.multiply(radius, _M_TWO, out=radius)
    f.r(np.sqrt(radius, out=radius))
    # sin/cos: theta = 2 pi u2 reduced by j pi/4, j the even integer at or above 4 theta / pi
    f.r(np.multiply(theta, _TWO_PI_F, out=theta))
    j = f.r(np.multiply(theta, _FOPI)).astype(np.int32)
    j += 1
    j &= ~1
    yj = j.astype(_F64)
    t = np.empty(h)
    f.fma(yj, _DP[0], theta, t)
    f.fma(yj, _DP[1], t, theta)
    xt = f.fma(yj, _DP[2], theta, t)
    zt = f.r(np.multiply(xt, xt, out=yj))
    y = np.empty((2, h))  # cos and sin polynomials side by side
    yc, ys = y
    f.fma(zt, _COS_C[0], _COS_C[1], yc)
    f.fma(zt, _SIN_C[0], _SIN_C[1], ys)
    np.multiply(yc, zt, out=yc)
    np.add(yc, _COS_C[2], out=yc)
    np.multiply(ys, zt, out=ys)
    np.add(ys, _SIN_C[2], out=ys)
    f.r(y)
    y *= zt
    f.r(y)
    # cos: y * z - z / 2 (+ 1 below); sin: y * x + x
    np.multiply(yc, zt, out=yc)
    np.multiply(zt, _HALF, out=zt)
    np.subtract(yc, zt, out=yc)
    np.multiply(ys, xt, out=ys)
    np.add(ys, xt, out=ys)
    f.r(y)
    np.add(yc, _ONE, out=yc)
    f.r(yc)
    # the quadrant picks which polynomial is the cosine and which the sine, and their signs
    cs = np.where((j & 2) == 0, y, y[::-1])
    flip = np.empty((2, h), np.int64)
    np.subtract(1, j, out=flip[0])  # ~(j - 2) = 1 - j
    flip[1] = j
    flip &= 4
    flip <<= 61  # the sign bit of a float64
    cs.view(np.int64)[...] ^= flip
    cs *= radius
    if std == 1 and mean == 0:
        cs += _ZERO  # the fma(x, 1, 0) PyTorch still runs: -0 becomes +0
    else:
        f.r(cs)
        cs *= std
        cs += mean
    out = np.empty((rows, 2, 8), _F32)
    out[...] = cs.reshape(2, rows, 8).transpose(1, 0, 2)
    return out.reshape(rows, 16)
