"""grid_sample's 2-D coordinates and bilinear mode in PyTorch's CPU arithmetic, bit for bit.

PyTorch samples 4-D inputs with a vectorised kernel whose compiled multiply-adds are fused
(one rounding): the unnormalising ``(g + 1) * size/2 - 0.5``, the blend of the four taps,
the reflection's ``|x| - flips * span`` and the grid gradient's sums. The plain NumPy forms
moved ~20% of outputs by an ulp (and the spatial transformer's theta gradient with them).
The input gradient adds each tap's ``weight * g`` into the input in PyTorch's order (blocks
of one vector of grid points, then channel, then corner), in the input's float type.
The 3-D (trilinear) kernel is PyTorch's scalar one; it keeps _grid.py's forms.
"""

from __future__ import annotations

import math

import numpy as np

from ...ops.ternary import _fma


def source2d(c: np.ndarray, n: int, align: bool, padding: str):
    """Grid values along one axis -> (source coordinates, d coordinate / d grid value):
    x = (c + 1) s (align_corners) or (c + 1) s - 1/2 fused, s the scaling factor; border
    clips to [0, n-1] (NaN to 0); reflection folds x about low and low + span first."""
    dt = c.dtype
    one = dt.type(1)
    if align:
        s = dt.type(n - 1) / dt.type(2)
        x = (c + one) * s
    else:
        s = dt.type(n) / dt.type(2)
        x = _fma(c + one, s, dt.type(-0.5), dt)
    mult = np.full(x.shape, s, dt)
    if padding == "reflection":
        x, sign = _reflect(x, n, align)
        mult = mult * sign
    if padding in ("border", "reflection"):
        top = dt.type(n - 1)
        x = np.minimum(np.fmax(x, dt.type(0)), top)  # fmax: a NaN coordinate becomes 0
        mult = mult * ((x != 0) & (x != top))  # the borders count as outside (no gradient)
    return x, mult


def _reflect(x: np.ndarray, n: int, align: bool):
    """x folded into [low, low + span] (align_corners: [0, n-1], else [-1/2, n-1/2]); also
    the sign of d folded / d x. extra = |x - low| - trunc(|x - low| / 2span) 2span, fused."""
    dt = x.dtype
    if align and n <= 1:
        return np.zeros_like(x), np.zeros_like(x)
    low = dt.type(0) if align else dt.type(-0.5)
    twice = dt.type(2 * (n - 1)) if align else dt.type(2 * n)
    shifted = x - low
    absx = np.abs(shifted)
    flips = np.trunc(absx / twice)
    extra = _fma(-flips, twice, absx, dt)
    other = twice - extra
    more = extra > other
    folded = np.where(more, other, extra) + low
    sign = np.where(more ^ (shifted < 0), dt.type(-1), dt.type(1))
    return folded, sign


def _corners(xs: np.ndarray, ys: np.ndarray, size: tuple, padding: str):
    """The four taps nw, ne, sw, se: (flat index into the plane, in-bounds mask, weight) each,
    plus the distances (n, s, w, e) the grid gradient uses."""
    h, w_ = size
    xw, yn = np.floor(xs), np.floor(ys)
    w = xs - xw
    e = 1 - w
    n = ys - yn
    s = 1 - n
    with np.errstate(invalid="ignore"):  # NaN, inf, huge: the int64 minimum, out of bounds
        ix, iy = xw.astype(np.int64), yn.astype(np.int64)
    if padding == "zeros":
        w_ok, n_ok = (ix > -1) & (ix < w_), (iy > -1) & (iy < h)
        e_ok, s_ok = (ix > -2) & (ix + 1 < w_), (iy > -2) & (iy + 1 < h)
    else:  # the coordinate was clipped: only the east / south taps can fall off
        w_ok = n_ok = np.ones(ix.shape, bool)
        e_ok, s_ok = ix + 1 < w_, iy + 1 < h
    taps = []
    for dy, dx, ok, wt in ((0, 0, n_ok & w_ok, s * e), (0, 1, n_ok & e_ok, s * w),
                           (1, 0, s_ok & w_ok, n * e), (1, 1, s_ok & e_ok, n * w)):
        flat = np.where(ok, (iy + dy) * w_ + (ix + dx), 0)
        taps.append((flat, ok, wt))
    return taps, (n, s, w, e)


def _values(x: np.ndarray, taps: list) -> list:
    """Each tap's input values (N, C, P), zero where the tap is out of bounds."""
    nb, c = x.shape[:2]
    plane = x.reshape(nb, c, math.prod(x.shape[2:]))
    zero = x.dtype.type(0)
    return [np.where(ok[:, None, :], np.take_along_axis(plane, flat[:, None, :], axis=2), zero)
            for flat, ok, _ in taps]


def plan2d(size: tuple, grid: np.ndarray, padding: str, align: bool):
    """(taps, distances, d coordinate / d grid per axis (x, y)) of a 4-D sample of an input
    of spatial size (H, W)."""
    flat = grid.reshape(grid.shape[0], math.prod(grid.shape[1:-1]), 2)
    xs, mx = source2d(flat[..., 0], size[1], align, padding)
    ys, my = source2d(flat[..., 1], size[0], align, padding)
    taps, dist = _corners(xs, ys, size, padding)
    return taps, dist, (mx, my)


def forward2d(x: np.ndarray, plan: tuple) -> np.ndarray:
    """y (N, C, P) = nw v_nw + ne v_ne + sw v_sw + se v_se, each sum a fused multiply-add;
    plan: plan2d's."""
    taps = plan[0]
    vals = _values(x, taps)
    y = vals[0] * taps[0][2][:, None, :]
    for v, (_, _, wt) in zip(vals[1:], taps[1:]):
        y = _fma(v, wt[:, None, :], y, x.dtype)
    return y


def grid_grad2d(g3: np.ndarray, x: np.ndarray, plan: tuple) -> np.ndarray:
    """dL/dgrid: gx = sum_c g ((v_ne - v_nw) s + (v_se - v_sw) n), gy = sum_c g ((v_sw -
    v_nw) e + (v_se - v_ne) w), summed channel by channel with fused multiply-adds, times
    d coordinate / d grid."""
    taps, (n, s, w, e), (mx, my) = plan
    nw, ne, sw, se = _values(x, taps)
    dt = x.dtype
    inner_x = _fma(se - sw, n[:, None, :], (ne - nw) * s[:, None, :], dt)
    inner_y = _fma(se - ne, w[:, None, :], (sw - nw) * e[:, None, :], dt)
    gx = np.zeros(n.shape, dt)
    gy = np.zeros(n.shape, dt)
    for c in range(g3.shape[1]):
        gx = _fma(inner_x[:, c], g3[:, c], gx, dt)
        gy = _fma(inner_y[:, c], g3[:, c], gy, dt)
    return np.stack([gx * mx, gy * my], axis=-1)  # (N, P, 2)


def input_grad2d(g3: np.ndarray, xshape: tuple, plan: tuple) -> np.ndarray:
    """dL/dx: each tap's weight * g added at the tap (see scatter_ordered)."""
    return scatter_ordered(g3, plan[0], xshape)


def scatter_ordered(g3: np.ndarray, taps: list, xshape: tuple) -> np.ndarray:
    """sum of weight * g (g alone where the weight is None, (g w1) w2 for a pair) over taps
    (flat index, in-bounds mask, weight), added at each tap one addition at a time in the
    input's type, in PyTorch's order: blocks of one vector of grid points, then channel,
    then tap."""
    nb, c = xshape[:2]
    hw = math.prod(xshape[2:])
    p, t = g3.shape[2], len(taps)
    step = _VECTOR_BYTES // g3.dtype.itemsize
    blocks = -(-p // step)
    total = nb * c * hw  # one slot past the end takes what falls outside (and the padding)
    idx = np.full((nb, c, t, blocks * step), total, np.int64)
    val = np.zeros((nb, c, t, blocks * step), g3.dtype)
    base = (np.arange(nb * c) * hw).reshape(nb, c, 1)
    for k, (flat, ok, wt) in enumerate(taps):
        if wt is None:
            contrib = g3
        elif isinstance(wt, tuple):  # (g * w1) * w2, rounded twice as PyTorch's bicubic
            contrib = (g3 * wt[0][:, None, :]) * wt[1][:, None, :]
        else:
            contrib = wt[:, None, :] * g3
        idx[:, :, k, :p] = np.where(ok[:, None, :], flat[:, None, :] + base, total)
        val[:, :, k, :p] = contrib

    def order(a):  # (N, C, tap, block, step) -> (N, block, C, tap, step): PyTorch's loops
        return a.reshape(nb, c, t, blocks, step).transpose(0, 3, 1, 2, 4).reshape(-1)
    out = np.zeros(total + 1, g3.dtype)
    np.add.at(out, order(idx), order(val))
    return out[:total].reshape(xshape)


# PyTorch runs this kernel with 32-byte vectors (its AVX2 build) even on AVX-512 CPUs: the
# order of the input gradient's additions follows blocks of 8 float32 / 4 float64 points.
_VECTOR_BYTES = 32
