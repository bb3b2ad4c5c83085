"""x + a*y rounded once, as the fused multiply-add PyTorch's compiled CPU kernels use in
``add``/``sub`` with ``alpha=``, ``add_(y, alpha=a)`` and the optimizers' updates.

NumPy rounds the product and the sum apart, which moves ~1 result in 30-60 by a unit in the
last place; the helper below rounds once. float32 (and float16, whose kernels compute in
float32) go through float64, where the product of two float32 numbers is exact and the sum
rounds once more: that second rounding can land exactly on a float32 tie the exact value was
not on (~2^-29 of entries), the price of staying ~6x a plain NumPy add (an exact tie
correction cost 25x). float64 takes ``fma64`` (Dekker's exact product). ``ops/ternary.py``
computes lerp and addcmul the same way.
"""

from __future__ import annotations

import numpy as np

from ._torch_rng import fma64

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def fma_into(out: np.ndarray, a, b, c) -> np.ndarray:
    """out = a*b + c rounded once; returns out. A number ``a`` is taken in the kernel's float
    type first (float32 for float32 and float16 arrays, as PyTorch's opmath)."""
    if out.dtype == _F64:
        out[...] = fma64(a, b, c)
        return out
    if type(a) is not np.ndarray:
        a = np.float32(a)
    t = np.multiply(a, b, dtype=_F64)
    if type(t) is np.ndarray and t.shape == out.shape:
        np.add(t, c, out=t)
    else:  # (a and b numbers or smaller than out: the sum broadcasts)
        t = np.add(t, c, dtype=_F64)
    np.copyto(out, t if out.dtype == _F32 else t.astype(_F32), casting="unsafe")
    return out
