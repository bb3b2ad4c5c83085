"""PyTorch's CPU sampling rules on PyTorch's generator: a seed gives PyTorch's numbers.

PyTorch's CPU generator is a Mersenne Twister (MT19937, seeded as std::mt19937: the low 32
bits of the seed). NumPy's MT19937 bit generator, seeded its legacy way, yields the same
32-bit stream, fast and in blocks (``random_raw``). Each function below is one of ATen's CPU
kernels (DistributionTemplates.h, TransformationHelper.h) written as vectorised NumPy: which
draws it takes (``random()``: one 32-bit output; ``random64()``: two, the first as the high
half) and how it turns them into values, so ``manual_seed(s)`` followed by the same calls
gives the same tensors as in PyTorch, bit for bit where the arithmetic allows (the Box-Muller
transform uses the platform's log/sin/cos; NumPy's agree with glibc's on the values checked in
tests/test_torch_rng.py).

Where PyTorch's result depends on the CPU (with MKL on an Intel CPU, ``bernoulli_`` with a
float ``p`` and ``exponential_`` draw from MKL's own stream), ember follows what PyTorch does
without MKL's stream, as on AMD CPUs.
"""

from __future__ import annotations

import math

import numpy as np

from ._vmap_rng import batched  # inside vmap: one draw for the whole batch

_F32 = np.float32
_F64 = np.float64
_F16 = np.float16
_TWO_PI = 2.0 * np.pi


def mt19937(seed: int):
    """A NumPy MT19937 bit generator in std::mt19937's state for ``seed`` (mod 2**32)."""
    bg = np.random.MT19937(0)
    bg._legacy_seeding(int(seed) & 0xFFFFFFFF)
    return bg


def random32(bg, n: int) -> np.ndarray:
    """n draws of PyTorch's ``random()``: 32-bit outputs (as uint64)."""
    return bg.random_raw(n)


def random64(bg, n: int) -> np.ndarray:
    """n draws of ``random64()``: two outputs each, hi << 32 | lo."""
    return _bits64(bg, n, 64)


def _bits64(bg, n: int, bits: int) -> np.ndarray:
    """The low ``bits`` bits of n random64() draws (in place on the raw block: each NumPy
    call costs ~1 us at the small sizes RL code draws)."""
    r = bg.random_raw(2 * n)
    hi = r[0::2]
    if bits < 64:
        hi &= (1 << (bits - 32)) - 1
    hi <<= 32
    hi |= r[1::2]
    return hi


_MASK24, _SCALE24 = np.uint64(0xFFFFFF), np.float32(2.0 ** -24)


@batched(1)
def unit(bg, n: int, dtype) -> np.ndarray:
    """uniform_real(0, 1): float64 from random64's low 53 bits; float32 (and half, which
    PyTorch draws as float32 and rounds) from random()'s low 24 bits; times 2**-bits."""
    if dtype == _F64:
        return _bits64(bg, n, 53) * 2.0 ** -53  # below 2**53: converted exactly
    r = bg.random_raw(n)
    r &= _MASK24
    return np.multiply(r, _SCALE24, dtype=np.float32, casting="unsafe")  # exact below 2**24


@batched(1)
def uniform(bg, n: int, low: float, high: float, dtype) -> np.ndarray:
    """uniform_(low, high): u * (high - low) + low in the tensor's precision (float32 for
    half), with low and high first rounded to it."""
    dtype = np.dtype(dtype)
    u = unit(bg, n, dtype)
    acc = u.dtype.type
    lo, hi = acc(low), acc(high)  # half: the bounds stay float32 (PyTorch's opmath)
    # u * (hi - lo) + lo, compiled as one FMA (rounded once)
    if acc is _F32:  # the product of two float32 is exact in float64
        return _fma(u, hi - lo, lo).astype(dtype, copy=False)
    if abs(hi - lo) > 2.0 ** 996 or abs(lo) > 2.0 ** 996:
        # fma64's splitting would overflow: scaled by a power of two the FMA is the same
        return fma64(u, (hi - lo) * 2.0 ** -64, lo * 2.0 ** -64) * 2.0 ** 64
    return fma64(u, hi - lo, lo)


def _fma(a, b, c) -> np.ndarray:
    """float32 a * b + c rounded once, as the FMA instruction PyTorch's compiler emits (the
    product of two float32 is exact in float64)."""
    return (np.asarray(a, _F64) * np.asarray(b, _F64) + np.asarray(c, _F64)).astype(_F32)


def fma64(a, b, c) -> np.ndarray:
    """float64 a * b + c rounded once, as PyTorch's compiled kernels fuse it: Dekker's exact
    product (Veltkamp splitting) plus a compensated sum, rounded at the end (exact but for
    rare double-rounding ties)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ta, tb = split * a, split * b
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = c + p
    bb = s - c
    return s + (((c - (s - bb)) + (p - bb)) + e)


_LOG_P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
          3.3333331174e-1)
_COS_P = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
_SIN_P = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)


def _c(v) -> np.float64:
    """A float32 constant, held as float64 (NumPy scalars: a Python float operand costs
    each ufunc call a conversion)."""
    return _F64(_F32(v))


_LOG_C = [_c(v) for v in _LOG_P]
_COS_C, _SIN_C = [_c(v) for v in _COS_P], [_c(v) for v in _SIN_P]
_SQRTH, _LOG_Q1, _LOG_Q2 = _c(0.707106781186547524), _c(-2.12194440e-4), _c(0.693359375)
_FOPI, _TWO_PI_F = _c(1.27323954473516), _c(_TWO_PI)
_DP = (_c(-0.78515625), _c(-2.4187564849853515625e-4), _c(-3.77489497744594108e-8))
_ONE, _HALF, _M_HALF, _M_TWO, _ZERO = _F64(1), _F64(0.5), _F64(-0.5), _F64(-2), _F64(0)
_INV24 = _F64(2.0 ** -24)


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


def _box_muller_f32(k: np.ndarray, mean, std) -> np.ndarray:
    """normal_fill_16's float32 form on rows of 16 24-bit draws k (uniform u = k 2**-24):
    u1 = 1 - u[:8], u2 = u[8:], radius = sqrt(-2 log u1), theta = 2 pi u2, with PyTorch's
    vectorised Cephes log/sin/cos (avx_mathfun.h) and the FMAs its compiled form uses; the
    rows give radius cos theta * std + mean, then the sines.

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


def _box_muller_f64(u: np.ndarray, mean, std) -> np.ndarray:
    """normal_fill_16's float64 form (scalar) on rows of 16 uniforms: the C library's
    log/sin/cos (Python's math module calls the same ones; NumPy's own differ in the last
    bit now and then), then fma(r cos, std, mean) and fma(r sin, std, mean)."""
    rows = u.shape[0]
    h = rows * 8
    u1 = 1.0 - u[:, :8]
    theta = _TWO_PI * u[:, 8:]
    log = np.fromiter(map(math.log, u1.ravel().tolist()), _F64, h)
    th = theta.ravel().tolist()
    out = np.empty((rows, 2, 8))
    out[:, 0] = np.fromiter(map(math.cos, th), _F64, h).reshape(rows, 8)
    out[:, 1] = np.fromiter(map(math.sin, th), _F64, h).reshape(rows, 8)
    log *= -2.0
    out *= np.sqrt(log, out=log).reshape(rows, 1, 8)
    if std == 1 and mean == 0:
        out += 0.0  # fma(x, 1, 0) == x + 0
    else:
        out = fma64(out, std, mean)
    return out.reshape(rows, 16)


@batched(2)
def normal(gen, bg, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """normal_(mean, std) on a contiguous tensor of n elements.

    n >= 16 (normal_fill): n uniforms; Box-Muller on each full block of 16 in place; if n is
    not a multiple of 16, the last 16 positions get 16 fresh uniforms and are transformed again.
    n < 16: one normal_distribution<double> draw per element (two uniforms give r cos and
    r sin; the sine is kept in the generator for its next such draw), cast to the dtype.
    Half precision is drawn as float32 and rounded; its tail block's uniforms are the 16 right
    after the full blocks' (PyTorch's half kernel draws per block: n - full fewer draws).
    """
    dtype = np.dtype(dtype)
    if n < 16:
        return _normal_small(gen, bg, n, mean, std).astype(dtype)
    full = n - n % 16
    extra = 16 if full != n else 0  # the tail's fresh block, drawn after all n uniforms
    if dtype == _F64:
        u = unit(bg, n + extra, _F64)
        if extra:
            u[full:full + 16] = u[n:]
        z = _box_muller_f64(u[:full + extra].reshape(-1, 16), _F64(mean), _F64(std))
    elif dtype == _F16:  # PyTorch's half path draws block by block: the tail's 16 uniforms
        k = bg.random_raw(full + extra)  # follow the full blocks' (n - full fewer draws)
    else:
        k = bg.random_raw(n + extra)
        if extra:
            k[full:full + 16] = k[n:]
    if dtype != _F64:
        k &= _MASK24
        k = k[:full + extra].reshape(-1, 16)
        m, s = _F32(mean), _F32(std)
        # 512 blocks at a time: the float64 scratch arrays stay in the CPU's caches
        z = np.concatenate([_box_muller_f32(k[i:i + 512], m, s) for i in
                            range(0, len(k), 512)]) if len(k) > 512 else _box_muller_f32(k, m, s)
    z = z.reshape(-1)
    if extra:  # the tail block covers positions n - 16 .. n - 1
        z[n - 16:n] = z[full:full + 16]
    return z[:n].astype(dtype, copy=False)


def _normal_small(gen, bg, n: int, mean: float, std: float) -> np.ndarray:
    """n scalar normal_distribution<double> draws: a waiting sine first, then pairs of
    uniforms (u1, u2) giving r cos(2 pi u1) now and r sin(2 pi u1) later,
    r = sqrt(-2 log1p(-u2)); each value z * std + mean with one rounding."""
    if not n:  # an empty draw keeps the waiting value (PyTorch's loop never runs)
        return np.empty(0)
    out = []
    if gen._next_normal is not None:
        out.append(gen._next_normal)
        gen._next_normal = None
    pairs = (n - len(out) + 1) // 2
    if pairs:
        u = unit(bg, 2 * pairs, _F64).tolist()  # one block: the pairs' draws in order
        sqrt, log1p, cos, sin, tau = math.sqrt, math.log1p, math.cos, math.sin, 2.0 * math.pi
        for k in range(pairs):
            r, theta = sqrt(-2.0 * log1p(-u[2 * k + 1])), tau * u[2 * k]
            out.append(r * cos(theta))
            if len(out) == n:
                gen._next_normal = r * sin(theta)
                break
            out.append(r * sin(theta))
    z = np.array(out[:n], np.float64)
    if std == 1 and mean == 0:
        return z
    return fma64(z, float(std), float(mean))


@batched(1)
def random_from_to(bg, n: int, low: int, high: int) -> np.ndarray:
    """random_(low, high): (draw % (high - low)) + low, the draw random64() when the range
    needs more than 32 bits, else random()."""
    span = high - low
    draws = random64(bg, n) if span >= 1 << 32 else random32(bg, n)
    return (draws % np.uint64(span)).astype(np.int64) + np.int64(low)


@batched(1)
def random_full(bg, n: int, dtype) -> np.ndarray:
    """random_() without bounds: int64 and float64 take random64() % (2**63 or 2**53 + 1),
    smaller integer types random() % (max + 1), floats random() % (2**digits + 1), bool the
    low bit."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return (random32(bg, n) & np.uint64(1)).astype(bool)
    if dtype.kind == "f":
        digits = {8: 53, 4: 24, 2: 11}[dtype.itemsize]
        draws = random64(bg, n) if dtype.itemsize == 8 else random32(bg, n)
        return (draws % np.uint64((1 << digits) + 1)).astype(dtype)
    if dtype == np.int64:
        return (random64(bg, n) % np.uint64(1 << 63)).astype(np.int64)
    top = int(np.iinfo(dtype).max) + 1
    return (random32(bg, n) % np.uint64(top)).astype(dtype)


@batched(1)
def bernoulli_scalar(bg, n: int, p: float) -> np.ndarray:
    """bernoulli_(p) with a float p: a float64 uniform (random64) per element, 1 where < p.
    u = k 2**-53 < p exactly when the integer k < ceil(p 2**53): compared as integers."""
    if not 0.0 <= p <= 1.0:
        return unit(bg, n, _F64) < p
    return _bits64(bg, n, 53) < np.uint64(math.ceil(p * 2.0 ** 53))


def bernoulli_tensor(bg, p: np.ndarray) -> np.ndarray:
    """bernoulli_(p) with a tensor p: a uniform per element in p's precision (float64: from
    random64; otherwise a float32 from random()), 1 where < p."""
    flat = np.ascontiguousarray(p).reshape(-1)
    u = unit(bg, flat.size, _F64 if flat.dtype == _F64 else _F32)
    return (u < flat.astype(u.dtype, copy=False)).reshape(np.shape(p))


@batched(1)
def exponential(bg, n: int, lambd: float, dtype) -> np.ndarray:
    """exponential_(lambd): -1 / lambd * log1p(-u), u a float64 uniform (random64)."""
    u = unit(bg, n, _F64)  # the C library's log1p: NumPy's differs in the last bit at times
    # (fromiter over map: ~35% under frompyfunc's object array, and no worse for a few)
    logs = np.fromiter(map(math.log1p, (-u).tolist()), _F64, u.size)
    return ((-1.0 / lambd) * logs).astype(dtype)


def randperm(bg, n: int) -> np.ndarray:
    """randperm(n): Fisher-Yates over 0..n-1, swapping i with i + random() % (n - i)."""
    r = list(range(n))
    if n > 1:  # every swap target at once: only the (sequential) swaps stay in Python (-25%)
        i = np.arange(n - 1, dtype=np.uint64)
        targets = (random32(bg, n - 1) % (np.uint64(n) - i) + i).tolist()
        for i, z in enumerate(targets):
            r[i], r[z] = r[z], r[i]
    return np.array(r, dtype=np.int64)
