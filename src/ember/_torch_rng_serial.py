"""PyTorch's serial CPU samplers with rejection loops (ATen's Distributions.h): Gamma
(Marsaglia and Tsang) and Poisson (Hoermann's transformed rejection, or multiplied uniforms
below rate 10), one element at a time in C order, on the generator of ``_torch_rng``.

Each element draws what PyTorch's kernel draws: ``uniform_real_distribution<double>`` (one
random64 per uniform) and ``normal_distribution<double>`` (scalar Box-Muller sharing the
generator's cached second value), with the C library's math (Python's ``math`` module).
"""

from __future__ import annotations

import math

import numpy as np

from . import _torch_rng as _T

_MASK53 = (1 << 53) - 1


def _uniform(bg) -> float:
    """One at::uniform_real_distribution<double>(0, 1) draw: random64's low 53 bits * 2**-53."""
    hi, lo = bg.random_raw(2).tolist()
    return ((hi << 32 | lo) & _MASK53) * 2.0 ** -53


def _normal(gen, bg) -> float:
    return float(_T._normal_small(gen, bg, 1, 0.0, 1.0)[0])


def _f32(v: float) -> float:
    return float(np.float32(v))


def _gamma_one(gen, bg, alpha: float, single: bool) -> float:
    """sample_gamma<scalar_t, double>: alpha (and the boost alpha + 1, and alpha - 1/3) in the
    tensor's precision (float32 when ``single``), everything after it in double."""
    rnd = _f32 if single else float
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= math.pow(1 - _uniform(bg), rnd(1.0 / alpha))
        alpha = rnd(alpha + 1.0)
    d = rnd(alpha - _f32(1.0 / 3.0))  # 1.0f / 3.0f: a float constant even for double
    c = 1.0 / math.sqrt(9.0 * d)
    k = _f32(0.0331)  # a float literal (0.0331f) promoted to double
    while True:
        while True:
            x = _normal(gen, bg)
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1 - _uniform(bg)
        xx = x * x
        if u < 1.0 - k * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(gen, alpha: np.ndarray, double_alpha: bool = False) -> np.ndarray:
    """_standard_gamma(alpha) (``double_alpha``: _sample_dirichlet's float64 draws): one
    sample_gamma per element in C order, clamped below at the result dtype's tiny."""
    a = np.ascontiguousarray(alpha)
    dtype = np.dtype(np.float64) if double_alpha else a.dtype
    single = dtype != np.float64
    bg = gen.bits
    out = np.array([_gamma_one(gen, bg, v, single) for v in a.reshape(-1).tolist()],
                   np.float64).reshape(a.shape).astype(dtype)
    return np.maximum(out, np.finfo(dtype).tiny)


def _poisson_one(bg, lam: float) -> int:
    """sample_poisson(lambda): Hoermann's transformed rejection for lambda >= 10, else the
    count of uniforms whose running product stays above exp(-lambda)."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform(bg) - 0.5
            v = _uniform(bg)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= _uniform(bg)
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(gen, lam: np.ndarray) -> np.ndarray:
    """torch.poisson(lam): one sample_poisson(double(lambda)) per element in C order."""
    a = np.ascontiguousarray(lam)
    bg = gen.bits
    return np.array([_poisson_one(bg, v) for v in a.reshape(-1).tolist()],
                    np.float64).reshape(a.shape).astype(a.dtype)
