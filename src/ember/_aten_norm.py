"""The 2-norm in ATen's CPU order, so float32/float64 norms (F.normalize, the forward-forward
goodness, grad norms) round as PyTorch's do, to the last bit.

When the reduced elements of each output are one dense run in memory (a norm over the last
dim of a contiguous tensor, or over all of a dense one), ATen reads each run as 32-byte
vectors (8 float32 / 4 float64 lanes): every lane adds the rounded squares of its column
in order, from 0; the lanes are then added in order into the first; the elements past the
last whole vector follow, one at a time. The compiler turns that tail into fused
multiply-adds (x*x + s rounded once), except that in float32 a run of 4 tail elements is
squared as one short vector first (4 rounded squares, added in order). The square root is
correctly rounded in both. Other layouts (a reduced dim that is not innermost in memory)
take ATen's generic loop: the squares added one at a time, in the order of the reduced
dims sorted by stride (see ``rows``).
"""

from __future__ import annotations

import math

import numpy as np

from ._torch_rng import fma64

GRAIN_SIZE = 32768


def rows(x: np.ndarray, axes, any_length: bool = False):
    """(r, shape, vector): x as r = (outputs, run), each output's reduced elements in the
    order ATen visits them (its dims sorted by stride, the fastest last), the shape of the
    result without kept dims, and whether the run is one dense block (ATen's vector path)
    or not (its generic loop: x*x added in that order, one at a time). None where a run
    is longer than GRAIN_SIZE (ATen's generic loop splits such a run across its threads)
    unless ``any_length`` and the run is dense: the 2-norm's vector path gives each output
    to one thread whole, so its order holds at any length and thread count (a conv net's
    1.6M-entry weight gradient)."""
    if x.dtype.char not in "fd" or x.size == 0:
        return None
    nd = x.ndim
    limit = math.inf if any_length else GRAIN_SIZE
    if axes is None and (x.flags.c_contiguous or x.flags.f_contiguous):  # memory order
        return (x.ravel(order="K").reshape(1, -1), (), True) if x.size <= limit else None
    axes = list(range(nd)) if axes is None else sorted(a % nd for a in axes)
    k = nd - len(axes)
    if axes == list(range(k, nd)) and x.flags.c_contiguous:  # the common case: trailing dims
        n = math.prod(x.shape[k:])
        return (x.reshape(-1, n), x.shape[:k], True) if n <= limit else None
    if any(s <= 0 for n, s in zip(x.shape, x.strides) if n > 1):
        return None
    kept = [a for a in range(nd) if a not in axes]
    red = sorted(axes, key=lambda a: -x.strides[a])
    y = x.transpose(kept + red)
    step, dense = x.itemsize, True  # one dense block ending at unit stride?
    for n, st in zip(reversed(y.shape[k:]), reversed(y.strides[k:])):
        if n > 1 and st != step:
            dense = False
        step *= n
    if x.size > (limit if dense else GRAIN_SIZE):
        return None
    return y.reshape(-1, math.prod(y.shape[k:])), y.shape[:k], dense


def _in_order(r: np.ndarray) -> np.ndarray:
    """ATen's generic loop: each row's x*x added one at a time, from 0."""
    sq = r * r
    if r.shape[0] == 1:
        return np.add.accumulate(sq[0])[-1:]
    return np.add.reduce(np.ascontiguousarray(sq.T), axis=0)  # row by row, in order


def sum_of_squares(r: np.ndarray) -> np.ndarray:
    """ATen's sum of squares of each row of r (float32 or float64), in its dtype."""
    f32 = r.dtype.char == "f"
    w = 8 if f32 else 4
    m, n = r.shape
    full = n - n % w
    if full:  # each lane adds its column of rounded squares in order (NumPy reduces a
        v = r[:, :full]  # dim that is not the innermost row by row, in order)
        g = full // w
        sq = (v * v).reshape(m, g, w)
        if g == 1:
            acc = sq[:, 0]
        elif m == 1:
            acc = np.add.reduce(sq, axis=1)
        else:  # as g rows of m * w: long inner loops (reducing axis 1 as is: 2x slower)
            acc = np.add.reduce(sq.transpose(1, 0, 2).reshape(g, m * w), axis=0).reshape(m, w)
        if m == 1:  # then the lanes, in order
            s = acc[0, 0]
            for j in range(1, w):
                s = s + acc[0, j]
            s = np.array([s])
        else:
            s = np.add.reduce(np.ascontiguousarray(acc.T), axis=0)
    else:
        s = np.zeros(m, r.dtype)
    d = full
    if f32 and n - d >= 4:  # the short vector: 4 rounded squares, added in order
        sq = r[:, d:d + 4] * r[:, d:d + 4]
        for j in range(4):
            s += sq[:, j]
        d += 4
    for k in range(d, n):  # fused multiply-adds
        t = r[:, k]
        s = (t.astype(np.float64) * t + s).astype(np.float32) if f32 else fma64(t, t, s)
    return s


def norm2(x: np.ndarray, axes, keepdim: bool):
    """sqrt(sum x^2) over ``axes`` (all when None) as ATen computes it, or None where its
    vector path does not apply."""
    got = rows(x, axes, any_length=True)
    if got is None:
        return None
    r, shape, vector = got
    y = np.sqrt(sum_of_squares(r) if vector else _in_order(r)).reshape(shape)
    if keepdim:
        nd = x.ndim
        gone = range(nd) if axes is None else [a % nd for a in axes]
        y = y.reshape([1 if a in gone else x.shape[a] for a in range(nd)])
    return y
