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

from . import _vmap_rng as _vmap
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
_MASK53 = (1 << 53) - 1


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


_BM32: list = []  # _torch_rng_normal.box_muller_f32, imported on the first float32 block draw


def _box_muller_f32(k: np.ndarray, mean, std) -> np.ndarray:
    """normal_fill_16's float32 form on rows of 16 24-bit draws (see _torch_rng_normal)."""
    if not _BM32:  # (kept off ``import ember``'s path)
        from ._torch_rng_normal import box_muller_f32

        _BM32.append(box_muller_f32)
    return _BM32[0](k, mean, std)


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


def check_std(std) -> None:
    """PyTorch's check before any draw (NaN fails it too); C++ prints the double as %g."""
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")


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
    check_std(std)
    full = n - n % 16
    extra = 16 if full != n else 0  # the tail's fresh block, drawn after all n uniforms
    kind = dtype.type  # (compared by identity: dtype == type costs a microsecond)
    if kind is _F64:
        u = unit(bg, n + extra, _F64)
        if extra:
            u[full:full + 16] = u[n:]
        z = _box_muller_f64(u[:full + extra].reshape(-1, 16), _F64(mean), _F64(std))
    elif kind is _F16:  # PyTorch's half path draws block by block: the tail's 16 uniforms
        k = bg.random_raw(full + extra)  # follow the full blocks' (n - full fewer draws)
    else:
        k = bg.random_raw(n + extra)
        if extra:
            k[full:full + 16] = k[n:]
    if kind is not _F64:
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
    check_std(std)
    if not n:  # an empty draw keeps the waiting value (PyTorch's loop never runs)
        return np.empty(0)
    out = []
    if gen._next_normal is not None:
        out.append(gen._next_normal)
        gen._next_normal = None
    pairs = (n - len(out) + 1) // 2
    if pairs:
        if pairs > 8 or _vmap.LEVELS:  # one block: the pairs' draws in order
            u = unit(bg, 2 * pairs, _F64).tolist()
        else:  # unit()'s float64 rule on Python ints: a few cost less than its NumPy calls
            r = bg.random_raw(4 * pairs).tolist()
            u = [((hi << 32 | lo) & _MASK53) * 2.0 ** -53 for hi, lo in zip(r[::2], r[1::2])]
        sqrt, log1p, cos, sin, tau = math.sqrt, math.log1p, math.cos, math.sin, 2.0 * math.pi
        for k in range(pairs):
            r, theta = sqrt(-2.0 * log1p(-u[2 * k + 1])), tau * u[2 * k]
            out.append(r * cos(theta))
            if len(out) == n:
                gen._next_normal = r * sin(theta)
                break
            out.append(r * sin(theta))
    if std == 1 and mean == 0:
        return np.array(out[:n], np.float64)
    if n <= 16:  # fma64's steps on Python floats: a few values cost less than its NumPy calls
        return np.array(_fma_floats(out[:n], float(std), float(mean)), np.float64)
    return fma64(np.array(out[:n], np.float64), float(std), float(mean))


def _fma_floats(zs: list, b: float, c: float) -> list:
    """[fma64(z, b, c) for z in zs], the same IEEE operations one value at a time."""
    split = 134217729.0
    tb = split * b
    bh = tb - (tb - b)
    bl = b - bh
    out = []
    for a in zs:
        p = a * b
        ta = split * a
        ah = ta - (ta - a)
        al = a - ah
        e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        s = c + p
        bb = s - c
        out.append(s + (((c - (s - bb)) + (p - bb)) + e))
    return out


@batched(1)
def random_from_to(bg, n: int, low: int, high: int) -> np.ndarray:
    """random_(low, high): (draw % (high - low)) + low, the draw random64() when the range
    is 2^28 or more, else random() (PyTorch's public builds switch at 2^28, whatever the
    dtype, to keep the modulo's skew small; its source's 2^32 rule is for Meta's builds)."""
    span = high - low
    draws = random64(bg, n) if span >= 1 << 28 else random32(bg, n)
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
    if n < 2:
        return np.arange(n, dtype=np.int64)
    i = np.arange(n - 1, dtype=np.uint64)  # every swap target at once
    t = random32(bg, n - 1)
    t %= np.uint64(n) - i
    t += i
    if n <= 384:  # up to a few hundred swaps the plain loop is quicker
        r = list(range(n))
        for i, z in enumerate(t.tolist()):
            r[i], r[z] = r[z], r[i]
        return np.array(r, dtype=np.int64)
    return _swapped(n, t.view(np.int64))


def _swapped(n: int, t: np.ndarray) -> np.ndarray:
    """range(n) after swapping r[j] and r[t[j]] for j = 0, 1, ... (t[j] >= j), without a
    Python loop. Step j fixes r[j]: it takes what position t[j] holds then, which is what the
    last earlier step with the same target moved there (that step's own position's value
    before it), or t[j] itself. The value b[j] position j holds before its step is likewise
    b[parent[j]], parent[j] the last earlier step targeting j, or j: chains resolved by
    pointer doubling."""
    m = n - 1
    k = np.arange(m)
    order = np.argsort(t.astype(np.uint16) if n <= 1 << 16 else t, kind="stable")
    ts = t.take(order)  # grouped by target, each group in step order
    same = ts[1:] == ts[:-1]
    prev = np.full(m, -1)  # the last earlier step with the same target
    prev[order[1:][same]] = order[:-1][same]
    parent = np.full(n, -1)
    moved = t != k
    np.maximum.at(parent, t[moved], k[moved])
    b = np.where(parent >= 0, parent, np.arange(n))
    for _ in range(m.bit_length()):
        b = b.take(b)
    out = np.empty(n, np.int64)
    out[:m] = np.where(prev >= 0, b.take(prev), t)  # (prev -1 takes b[-1], not used)
    out[m] = b[m]  # the last position keeps what the last step targeting it left there
    return out
