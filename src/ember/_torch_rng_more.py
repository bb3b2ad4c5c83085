"""More of PyTorch's CPU sampling kernels, on the generator of ``_torch_rng``.

Each is one of ATen's serial CPU kernels (DistributionTemplates.h): a ``double`` draw per
element, in the tensor's C order, through the C library's math functions (Python's
``math`` module calls the same ones), then cast to the tensor's dtype.
"""

from __future__ import annotations

import math

import numpy as np

from . import _torch_rng as _T
from ._vmap_rng import batched

_F64 = np.float64


def _libm(fn, x: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function: glibc's, as PyTorch's scalar kernels) element-wise."""
    return np.frompyfunc(fn, 1, 1)(x).astype(_F64) if x.size else x.astype(_F64)


@batched(1)
def uniform_double(bg, n: int, low: float, high: float) -> np.ndarray:
    """uniform_real_distribution<double>(low, high): u * (high - low) + low, u from random64's
    low 53 bits times 2**-53, all in float64."""
    return _T.unit(bg, n, _F64) * (float(high) - float(low)) + float(low)


@batched(1)
def cauchy(bg, n: int, median: float, sigma: float, dtype) -> np.ndarray:
    """cauchy_(median, sigma): fma(sigma, tan(pi * (u - 0.5)), median), u a float64 uniform
    (random64), then cast to the dtype."""
    u = _T.unit(bg, n, _F64)
    return _T.fma64(float(sigma), _libm(math.tan, math.pi * (u - 0.5)), float(median)).astype(dtype)


@batched(2)
def log_normal(gen, bg, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """log_normal_(mean, std): exp(fma(z, std, mean)), z from normal_distribution<double> (one
    scalar Box-Muller draw per element, sharing the generator's cached second value), then
    cast to the dtype."""
    z = _T._normal_small(gen, bg, n, 0.0, 1.0)
    return _libm(math.exp, _T.fma64(z, float(std), float(mean))).astype(dtype)


@batched(1)
def geometric(bg, n: int, p: float, dtype) -> np.ndarray:
    """geometric_(p): ceil(log(u) / log1p(-p)), u a float64 uniform (random64), then cast to
    the dtype."""
    u = _T.unit(bg, n, _F64)
    with np.errstate(divide="ignore"):
        logs = _libm(lambda v: math.log(v) if v > 0 else -math.inf, u)
    return np.ceil(logs / math.log1p(-float(p))).astype(dtype)
