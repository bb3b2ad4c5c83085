"""torch.binomial on PyTorch's generator: ATen's CPU sampler (sample_binomial in
Distributions.h, from TensorFlow's random_binomial_op), so a seed gives PyTorch's draws.

One element at a time in C order, each drawing ``uniform_real_distribution<double>`` values
(one random64 per uniform). With q = min(p, 1 - p) (p > 1/2 counts the failures, n - k):
n q < 10 inverts the geometric waiting times (ceil(log U / log1p(-q)) until their sum passes
n); otherwise Hoermann's BTRS (transformed rejection with squeeze). n <= 0 or p <= 0 gives 0,
p >= 1 gives n, a NaN p gives NaN, all without a draw.

For float32 the parameters and some intermediate values are float32 exactly where ATen's
template computes in ``scalar_t`` (n q, 1 - p, the standard deviation, p / (1 - p), the mode,
log1p(-q)); log1p(-q) is then the C library's ``log1pf``, which is not correctly rounded, so
it is called through ctypes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import struct
import warnings

import numpy as np

_MASK53 = (1 << 53) - 1
_SINGLE = struct.Struct("f")


def _f32(v: float) -> float:
    """v rounded to float32 (a C cast: to nearest, ties to even)."""
    try:
        return _SINGLE.unpack(_SINGLE.pack(v))[0]
    except OverflowError:  # beyond float32's range: inf, as the cast
        return math.copysign(math.inf, v)


def _libm_log1pf():
    """glibc's float log1p (what std::log1p(float) calls); NumPy's and a rounded double
    log1p disagree with it in ~7% of cases."""
    fn = None
    for name in ("libm.so.6", "find"):  # find_library runs a subprocess (~50 ms): last
        try:
            fn = ctypes.CDLL(ctypes.util.find_library("m") if name == "find" else name).log1pf
            break
        except (OSError, AttributeError, TypeError):
            continue
    if fn is None:  # no C library found: the rounded double log1p (rarely an ulp apart)
        return lambda v: _f32(math.log1p(v))
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return fn


_log1pf = None


class _Uniforms:
    """uniform_real_distribution<double> draws (random64's low 53 bits times 2**-53), fetched
    in blocks no larger than what is sure to be used: this element's next draw plus the
    fewest the later elements take (``later``), so the stream ends where PyTorch's does."""

    def __init__(self, bg):
        self.bg, self.later, self.buf, self.pos = bg, 0, [], 0

    def __call__(self) -> float:
        if self.pos == len(self.buf):
            r = self.bg.random_raw(2 * (1 + self.later))
            if self.later < 8:  # a few: Python's ints beat NumPy's per-call cost
                r = r.tolist()
                self.buf = [(r[i] << 32 | r[i + 1]) & _MASK53 for i in range(0, len(r), 2)]
            else:
                self.buf = (((r[0::2] << np.uint64(32)) | r[1::2])
                            & np.uint64(_MASK53)).tolist()
            self.pos, self.later = 0, 0
        self.pos += 1
        return self.buf[self.pos - 1] * 2.0 ** -53


def _tail(k: float) -> float:
    """stirling_approx_tail(k): log k! minus Stirling's approximation (a table below 10)."""
    if k < 10:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _inversion(n: float, q: float, uniform, single: bool) -> float:
    """Count the geometric(q) waiting times whose running sum stays within n."""
    logq = _log1pf(-q) if single else math.log1p(-q)
    total, k = 0.0, 0.0
    while True:
        u = uniform()
        total += math.ceil(math.log(u) / logq) if u > 0 else math.inf
        if total > n:
            return k
        k += 1


def _btrs(n: float, q: float, uniform, single: bool) -> float:
    """BTRS: k = floor((2a / us + b) U + c) from U, V uniform; kept at once inside the
    squeeze box, else when log(V alpha / (a / us^2 + b)) is below the log ratio of the pmf
    at k to its mode m (Stirling tails for the factorials)."""
    rnd = _f32 if single else float
    npq = rnd(rnd(n * q) * rnd(1 - q))
    stddev = rnd(math.sqrt(npq))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * q
    c = rnd(n * q) + 0.5
    v_r = 0.92 - 4.2 / b
    r = rnd(q / rnd(1 - q))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(math.floor(rnd(rnd(n + 1) * q)))
    n1 = rnd(n + 1)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        x = (2 * a / us + b) * u + c if us > 0 else math.copysign(math.inf, u)
        k = rnd(math.floor(x)) if abs(x) < 1e38 else x  # beyond float32: rejected below
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b)) if v > 0 else -math.inf
        bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + n1 * math.log((n - m + 1) / (n - k + 1))
                 + (k + 0.5) * math.log(r * (n - k + 1) / (k + 1))
                 + _tail(m) + _tail(n - m) - _tail(k) - _tail(n - k))
        if v <= bound:
            return k


def _plan(n: float, p: float, single: bool):
    """(sampler or a value without draws, q, whether to count failures): sample_binomial's
    branches."""
    if n <= 0 or p <= 0:
        return 0.0, p, False
    if p >= 1:
        return n, p, False
    if not math.isfinite(n) or p != p:  # NaN p; PyTorch loops forever on an infinite n
        return math.nan, p, False
    flip = p > 0.5
    q = (_f32(1.0 - p) if single else 1.0 - p) if flip else p
    return (_btrs if (_f32(n * q) if single else n * q) >= 10 else _inversion), q, flip


def sample(bg, count: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """One sample_binomial per element of the broadcast (count, prob), in C order."""
    global _log1pf
    if _log1pf is None:
        _log1pf = _libm_log1pf()
    n, p = np.broadcast_arrays(count, prob)
    single = n.dtype != np.float64
    counts = n.reshape(-1).tolist()
    plans = [_plan(a, b, single) for a, b in zip(counts, p.reshape(-1).tolist())]
    # the fewest draws the elements after each take (inversion 1, BTRS 2)
    least = [0] * (len(plans) + 1)
    for i in range(len(plans) - 1, -1, -1):
        how = plans[i][0]
        least[i] = least[i + 1] + (2 if how is _btrs else 1 if how is _inversion else 0)
    uniform, out = _Uniforms(bg), []
    for i, (how, q, flip) in enumerate(plans):
        if isinstance(how, float):
            out.append(how)
            continue
        uniform.later = least[i + 1]
        k = how(counts[i], q, uniform, single)
        out.append(counts[i] - k if flip else k)
    return np.array(out, np.float64).reshape(n.shape).astype(n.dtype)


from ._typename import arg_type_name  # noqa: E402 - numpy.ndarray, as PyTorch


def binomial(count, prob, generator=None):
    """torch.binomial(count, prob): a Binomial(count, prob) draw per element (float
    tensors of one dtype; the result has count's dtype and the broadcast shape)."""
    from .autograd._torch_errors import broadcast_message, broadcast_mismatch
    from .ops.arithmetic import type_name
    from .random import _gen
    from .tensor import Tensor

    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' (position "
                            f"{1 if name == 'count' else 2}) must be Tensor, not "
                            f"{arg_type_name(t)}")
    c, p = count._data, prob._data
    for name, a in (("count", c), ("prob", p)):
        if a.dtype.kind != "f":
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{type_name(a.dtype)}")
    if p.dtype != c.dtype:
        raise RuntimeError(f"Found dtype {type_name(p.dtype)} but expected "
                           f"{type_name(c.dtype)}")
    if c.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"binomial_cpu\" not implemented for '{type_name(c.dtype)}'")
    bad = broadcast_mismatch(c.shape, p.shape)
    if bad is not None:
        raise RuntimeError(broadcast_message(*bad))
    shape = np.broadcast_shapes(c.shape, p.shape)
    if shape != c.shape and c.size:
        warnings.warn(f"An output with one or more elements was resized since it had shape "
                      f"{list(c.shape)}, which does not match the required output shape "
                      f"{list(shape)}. This behavior is deprecated, and in a future PyTorch "
                      "release outputs will not be resized unless they have zero elements. "
                      "You can explicitly reuse an out tensor t by resizing it, inplace, to "
                      "zero elements with t.resize_(0).", UserWarning, stacklevel=2)
    out = sample(_gen(generator).bits, c, p)
    from .autograd.grad_mode import STATE

    grad_in = [t for t in (count, prob) if t._rg] if STATE.enabled else []
    if grad_in:  # PyTorch records a node whose backward raises (no derivative)
        from .ops.copies import NotImplementedNode

        return NotImplementedNode.apply(grad_in[0], out, "binomial")
    return Tensor._make(out, False, None)
