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


def _log_ps(x: np.ndarray) -> np.ndarray:
    """PyTorch's vectorised float32 log for Box-Muller (Cephes' logf as in avx_mathfun.h,
    with the FMAs its compiled form uses): x = m 2^e, m in [sqrt(1/2), sqrt(2)), then
    log(x) = p(m - 1) + e log(2), log(2) split in two parts."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)  # mantissa in [0.5, 1)
    small = m < _F32(0.707106781186547524)
    e -= small.astype(_F32)
    x = (m - _F32(1)) + np.where(small, m, _F32(0))
    z = x * x
    y = np.full_like(x, _F32(_LOG_P[0]))
    for c in _LOG_P[1:]:
        y = _fma(y, x, _F32(c))
    y = _fma(y * x, z, e * _F32(-2.12194440e-4))
    y = _fma(z, _F32(-0.5), y)
    return _fma(e, _F32(0.693359375), x + y)


def _sincos_ps(x: np.ndarray) -> tuple:
    """PyTorch's vectorised float32 sin and cos (Cephes' sinf/cosf as in avx_mathfun.h): x
    reduced by multiples of pi/4 in three parts, then one of two polynomials each."""
    neg = x < 0
    x = np.abs(x)
    j = (x * _F32(1.27323954473516)).astype(np.int32)  # 4 / pi, truncated
    j = (j + 1) & ~1
    y = j.astype(_F32)
    swap = (j & 4) != 0
    use_sin_poly = (j & 2) == 0
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma(y, _F32(dp), x)
    cos_neg = (~(j - 2) & 4) != 0
    sin_neg = neg ^ swap
    z = x * x
    yc = _fma(_F32(2.443315711809948e-5), z, _F32(-1.388731625493765e-3))
    yc = _fma(yc, z, _F32(4.166664568298827e-2))
    yc = _fma(yc * z, z, -(z * _F32(0.5))) + _F32(1)
    ys = _fma(_F32(-1.9515295891e-4), z, _F32(8.3321608736e-3))
    ys = _fma(ys, z, _F32(-1.6666654611e-1))
    ys = _fma(ys * z, x, x)
    s = np.where(use_sin_poly, ys, yc)
    c = np.where(use_sin_poly, yc, ys)
    return np.where(sin_neg, -s, s), np.where(cos_neg, -c, c)


def _box_muller_16(u: np.ndarray, mean, std) -> np.ndarray:
    """normal_fill_16 on rows of 16 uniforms: u1 = 1 - u[:8], u2 = u[8:],
    r = sqrt(-2 log u1), theta = 2 pi u2; r cos theta * std + mean, then the sines.
    float32 runs PyTorch's vectorised form (its own log/sin/cos, FMAs); float64 its scalar
    form, with the C library's log/sin/cos (Python's math module calls the same ones;
    NumPy's own differ in the last bit now and then)."""
    u1, u2 = 1 - u[:, :8], u[:, 8:]
    out = np.empty_like(u)
    if u.dtype == _F32:
        radius = np.sqrt(_F32(-2) * _log_ps(u1))
        s, c = _sincos_ps(_F32(_TWO_PI) * u2)
        out[:, :8] = _fma(radius * c, std, mean)
        out[:, 8:] = _fma(radius * s, std, mean)
        return out
    log, cos, sin = np.frompyfunc(math.log, 1, 1), np.frompyfunc(math.cos, 1, 1), \
        np.frompyfunc(math.sin, 1, 1)
    radius = np.sqrt(-2.0 * log(u1).astype(_F64))
    theta = _TWO_PI * u2
    out[:, :8] = fma64(radius * cos(theta).astype(_F64), std, mean)
    out[:, 8:] = fma64(radius * sin(theta).astype(_F64), std, mean)
    return out


@batched(2)
def normal(gen, bg, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """normal_(mean, std) on a contiguous tensor of n elements.

    n >= 16 (normal_fill): n uniforms; Box-Muller on each full block of 16 in place; if n is
    not a multiple of 16, the last 16 positions get 16 fresh uniforms and are transformed again.
    n < 16: one normal_distribution<double> draw per element (two uniforms give r cos and
    r sin; the sine is kept in the generator for its next such draw), cast to the dtype.
    Half precision is drawn as float32 and rounded.
    """
    dtype = np.dtype(dtype)
    if n < 16:
        return _normal_small(gen, bg, n, mean, std).astype(dtype)
    acc = _F64 if dtype == _F64 else _F32
    m, s = acc(mean), acc(std)
    data = unit(bg, n, acc)
    full = n - n % 16
    out = np.empty(n, acc)
    out[:full] = _box_muller_16(data[:full].reshape(-1, 16), m, s).reshape(-1)
    if full != n:
        out[full:] = data[full:]
        out[n - 16:] = _box_muller_16(unit(bg, 16, acc).reshape(1, 16), m, s).reshape(-1)
    return out.astype(dtype, copy=False)


def _normal_small(gen, bg, n: int, mean: float, std: float) -> np.ndarray:
    """n scalar normal_distribution<double> draws: a waiting sine first, then pairs of
    uniforms (u1, u2) giving r cos(2 pi u1) now and r sin(2 pi u1) later,
    r = sqrt(-2 log1p(-u2)); each value z * std + mean with one rounding."""
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
    if n <= 8:  # a Categorical sample's few values: a list beats frompyfunc's setup
        logs = np.array([math.log1p(-v) for v in u.tolist()])
    else:
        logs = np.frompyfunc(math.log1p, 1, 1)(-u).astype(_F64)
    return ((-1.0 / lambd) * logs).astype(dtype)


def randperm(bg, n: int) -> np.ndarray:
    """randperm(n): Fisher-Yates over 0..n-1, swapping i with i + random() % (n - i)."""
    r = list(range(n))
    if n > 1:
        draws = random32(bg, n - 1).tolist()
        for i in range(n - 1):
            z = draws[i] % (n - i) + i
            r[i], r[z] = r[z], r[i]
    return np.array(r, dtype=np.int64)
