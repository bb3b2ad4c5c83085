"""max_pool2d over windows that tile the input (kernel = stride, no padding or dilation: the
usual ``MaxPool2d(2)``), without the general path's window copy, argmax and index sums.

Each window offset (i, j) is a strided view of the input; a running maximum over the
offsets, in PyTorch's scan order (row-major within the window), keeps the first of tied
maxima and, as PyTorch's kernel (``val > max || isnan(val)``), the last NaN. The winner is
kept as its offset number in the window (int8), from which the gradient is written back
with one masked copy per offset (windows do not overlap, so nothing adds up), and the flat
indices (``return_indices``, double backward) are computed only when asked for.
MaxPool2d(2) on 32x10x62x62: forward 19 -> ~7 ms, backward ~2.5 -> ~1.2 ms.
"""

from __future__ import annotations

import numpy as np


def applies(x: np.ndarray, k, s, p, d, sink) -> bool:
    return (len(k) == 2 and tuple(k) == tuple(s) and not any(p) and d == (1, 1)
            and sink is None and x.dtype.kind == "f" and x.ndim == 4
            and x.flags.c_contiguous)


def _tiles(a: np.ndarray, k: tuple, out: tuple) -> np.ndarray:
    """(n, c, oh, kh, ow, kw): a view of the windows of a row-major (n, c, h, w) array."""
    n, c = a.shape[:2]
    return a[:, :, :out[0] * k[0], :out[1] * k[1]].reshape(n, c, out[0], k[0], out[1], k[1])


def forward(x: np.ndarray, k: tuple, out: tuple):
    """(max over each window, the winner's offset in its window as int8)."""
    t = _tiles(x, k, out)
    y = t[:, :, :, 0, :, 0].copy()
    win = np.zeros(y.shape, np.int8)
    nan = bool(np.isnan(np.add.reduce(x, axis=None)))  # any NaN (or inf - inf): the slow rule
    for o in range(1, k[0] * k[1]):
        v = t[:, :, :, o // k[1], :, o % k[1]]
        more = v > y
        if nan:
            more |= np.isnan(v)
        np.copyto(y, v, where=more)
        np.copyto(win, np.int8(o), where=more)
    return y, win


def backward(g: np.ndarray, win: np.ndarray, xshape: tuple, k: tuple) -> np.ndarray:
    """Each window's gradient at its winner, zero elsewhere (g * (win == o) per offset: 4x
    faster than masked copies, for a finite g; an inf or NaN in g must not reach the other
    positions, so that case copies)."""
    out = win.shape[2:]
    tiled = out[0] * k[0] == xshape[2] and out[1] * k[1] == xshape[3]
    gx = (np.empty if tiled else np.zeros)(xshape, g.dtype)
    t = _tiles(gx, k, out)
    finite = bool(np.isfinite(np.add.reduce(g, axis=None)))
    for o in range(k[0] * k[1]):
        dst = t[:, :, :, o // k[1], :, o % k[1]]
        if finite:
            np.multiply(g, win == o, out=dst)
        else:
            dst[...] = np.where(win == o, g, g.dtype.type(0))
    return gx


def flat_indices(win: np.ndarray, xshape: tuple, k: tuple) -> np.ndarray:
    """The winners as flat positions in their input plane (what return_indices gives)."""
    oh, ow = win.shape[2:]
    rows = np.arange(oh).reshape(-1, 1) * k[0] + win // k[1]
    cols = np.arange(ow) * k[1] + win % k[1]
    return rows.astype(np.int64) * xshape[-1] + cols
