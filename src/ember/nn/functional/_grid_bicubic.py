"""grid_sample's bicubic mode in PyTorch's CPU arithmetic, bit for bit (the first-order
forward and backward; _grid_cubic.py's taps serve double backward).

Keys' kernel with A = -3/4 at the 4 x 4 taps around each point: coefficients of t = x -
floor(x) per axis, a blend along x for each of the 4 rows, then along y. PyTorch's compiled
kernel fuses some of these multiply-adds and not others (where both terms of a sum are
products it fuses one of them); the choices below are the ones that reproduce its bits.
"""

from __future__ import annotations

import math

import numpy as np

from ...ops.ternary import _fma
from ._grid_bilinear import _reflect, scatter_ordered, source2d


def _coeffs(t: np.ndarray):
    """Keys' weights of the taps at -1, 0, 1, 2 from t:
    |d| <= 1: ((A+2)|d| - (A+3)) d^2 + 1 (fused);  1 < |d| < 2: ((A|d| - 5A)|d| + 8A)|d| - 4A."""
    dt = t.dtype
    one = dt.type(1)

    def near(d):
        return _fma(_fma(dt.type(1.25), d, dt.type(-2.25), dt) * d, d, one, dt)

    def far(d):
        return ((dt.type(-0.75) * d + dt.type(3.75)) * d - dt.type(6)) * d + dt.type(3)
    return [far(t + one), near(t), near(one - t), far(dt.type(2) - t)]


def _coeff_grads(t: np.ndarray):
    """d weight / d t of the taps at -1, 0, 1, 2 (PyTorch's form: the kernel's derivative
    at d = -1 - t, -t, 1 - t, 2 - t; none of these multiply-adds is fused there)."""
    dt = t.dtype
    d0, d1, d2, d3 = dt.type(-1) - t, -t, dt.type(1) - t, dt.type(2) - t
    return [(dt.type(2.25) * d0 + dt.type(7.5)) * d0 + dt.type(6),
            (dt.type(-3.75) * d1 - dt.type(4.5)) * d1,
            (dt.type(3.75) * d2 - dt.type(4.5)) * d2,
            (dt.type(-2.25) * d3 + dt.type(7.5)) * d3 - dt.type(6)]


def _pad(pos: np.ndarray, n: int, align: bool, padding: str) -> np.ndarray:
    """A tap's position padded on its own: clipped (border), folded then clipped."""
    if padding == "zeros":
        return pos
    if padding == "reflection":
        pos = _reflect(pos, n, align)[0]
    return np.minimum(np.fmax(pos, pos.dtype.type(0)), pos.dtype.type(n - 1))


def plan(size: tuple, grid: np.ndarray, padding: str, align: bool):
    """[taps[i][j]: (flat index, in-bounds mask) of the tap at x offset i-1, y offset j-1;
    x coefficients, y coefficients, their t's, d coordinate / d grid (x, y), the taps'
    values once forward has read them (for the grid gradient)]."""
    h, w = size
    flat = grid.reshape(grid.shape[0], math.prod(grid.shape[1:-1]), 2)
    xs, mx = source2d(flat[..., 0], w, align, "zeros")  # the unpadded coordinate
    ys, my = source2d(flat[..., 1], h, align, "zeros")
    ix, iy = np.floor(xs), np.floor(ys)
    tx, ty = xs - ix, ys - iy
    cols, rows = [], []
    with np.errstate(invalid="ignore"):  # NaN, inf, huge: the int64 minimum, out of bounds
        for k in range(4):
            cols.append(_pad(ix + xs.dtype.type(k - 1), w, align, padding).astype(np.int64))
            rows.append(_pad(iy + ys.dtype.type(k - 1), h, align, padding).astype(np.int64))
    taps = [[None] * 4 for _ in range(4)]
    for i, c in enumerate(cols):
        for j, r in enumerate(rows):
            ok = (c > -1) & (c < w) & (r > -1) & (r < h)
            taps[i][j] = (np.where(ok, r * w + c, 0), ok)
    return [taps, _coeffs(tx), _coeffs(ty), (tx, ty), (mx, my), None]


def _value(plane: np.ndarray, tap) -> np.ndarray:
    flat, ok = tap
    got = np.take_along_axis(plane, flat[:, None, :], axis=2)
    return np.where(ok[:, None, :], got, plane.dtype.type(0))


def forward(x: np.ndarray, p: tuple) -> np.ndarray:
    """y (N, C, P): each row blended along x, c0 v0 + c1 v1 fused on the first product and
    the rest added; the rows blended along y, fused throughout."""
    taps, cx, cy = p[:3]
    dt = x.dtype
    plane = x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))
    cx = [c[:, None, :] for c in cx]
    cy = [c[:, None, :] for c in cy]
    vals = [[_value(plane, taps[i][j]) for j in range(4)] for i in range(4)]
    p[5] = vals
    rows = []
    for j in range(4):
        v = [vals[i][j] for i in range(4)]
        rows.append(_fma(cx[0], v[0], cx[1] * v[1], dt) + cx[2] * v[2] + cx[3] * v[3])
    y = _fma(cy[1], rows[1], cy[0] * rows[0], dt)
    for j in (2, 3):
        y = _fma(cy[j], rows[j], y, dt)
    return y


def grid_grad(g3: np.ndarray, x: np.ndarray, p: tuple) -> np.ndarray:
    """dL/dgrid (N, P, 2): gx -= v g c'_x[i] c_y[j] and gy -= v g c'_y[j] c_x[i] over the
    channels, then the 16 taps (x tap outer), each a fused multiply-subtract; times the
    unnormalising scale (bicubic ignores the padding there, as PyTorch)."""
    taps, cx, cy, (tx, ty), (mx, my), vals = p
    dt = x.dtype
    gxs, gys = _coeff_grads(tx), _coeff_grads(ty)
    if vals is None:
        plane = x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))
        vals = [[_value(plane, taps[i][j]) for j in range(4)] for i in range(4)]
    gx = np.zeros(tx.shape, dt)
    gy = np.zeros(tx.shape, dt)
    for c in range(g3.shape[1]):
        g = g3[:, c]
        for i in range(4):
            for j in range(4):
                vg = vals[i][j][:, c] * g
                gx = _fma(-(vg * gxs[i]), cy[j], gx, dt)
                gy = _fma(-(vg * gys[j]), cx[i], gy, dt)
    return np.stack([gx * mx, gy * my], axis=-1)


def input_grad(g3: np.ndarray, xshape: tuple, p: tuple) -> np.ndarray:
    """dL/dx: g c_x[i] c_y[j] added at each tap in PyTorch's order (x tap outer)."""
    taps, cx, cy = p[:3]
    order = [(taps[i][j][0], taps[i][j][1], (cx[i], cy[j])) for i in range(4) for j in range(4)]
    return scatter_ordered(g3, order, xshape)
