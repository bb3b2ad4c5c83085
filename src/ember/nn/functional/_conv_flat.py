"""Stride-1 convolutions with "flat" windows: im2col and col2im that move long runs.

With stride 1, window entry (c, i, j) of output position (r, t) is xp[c, r + dh i, t + dw j]
(xp: x zero-padded, Hp x Wp). In xp flattened row by row, that entry over all positions is
the flat run starting at i dh Wp + j dw, read with step 1, *if* the output is taken Wp wide
rather than ow: its last Wp - ow columns read across a row's end into the next, and are
computed and dropped. So every row of the window matrix is one contiguous run of oh Wp
entries, and

    im2col  copies long runs (the plain window copy moves runs of ow entries: 8 floats in
            LeNet's second layer), and
    col2im  adds long runs back (one slice per kernel offset);

the product W X is the same one, (Wp / ow - 1) wider. Each output is the same dot product
as on _conv.py's path (the dropped columns, and the zero gradient given to them, only ever
add +-0), but BLAS may round a column of a wider product differently (a different edge
kernel; dL/dW: zeros between the terms), so results agree to float rounding, not always
to the bit (they did on the large layers measured below).
Measured (1 thread, forward / dL/dx): LeNet's 6->16 5x5 layer, batch 64: 0.70 -> 0.47 ms /
1.28 -> 0.96 ms; 32->64 3x3 padded, 16x16, batch 64: 7.8 -> 6.8 ms / 9.6 -> 9.0 ms.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...threads import matmul as _matmul

_BLOCK_BYTES = 3 << 19  # window matrices of a block of samples (~1.5 MB): see _conv.py


def usable(shape: tuple, dtype, k: tuple, geom: tuple) -> bool:
    """Whether the flat path applies to an input of ``shape`` (4-D; conv1d's with height 1):
    float, not empty, stride 1, and an output at least 2/3 as wide as the padded input (else
    the dropped columns cost more than the long runs save)."""
    stride, pads, dilation, _ = geom
    if len(shape) != 4 or len(k) != 2 or stride != (1, 1) or dtype.kind != "f" \
            or 0 in shape:
        return False
    wp = shape[3] + pads[1][0] + pads[1][1]
    ow = wp - dilation[1] * (k[1] - 1)
    return 3 * ow >= 2 * wp


def _sizes(shape: tuple, k: tuple, geom: tuple) -> tuple:
    """(Hp, Wp, oh, ow, L, tail): padded size, output size, the run length oh Wp, and the
    zeros past the image that the last runs read."""
    _, pads, (dh, dw), _ = geom
    hp = shape[2] + pads[0][0] + pads[0][1]
    wp = shape[3] + pads[1][0] + pads[1][1]
    oh, ow = hp - dh * (k[0] - 1), wp - dw * (k[1] - 1)
    return hp, wp, oh, ow, oh * wp, dw * (k[1] - 1)


def _block(n: int, per_sample: int) -> int:
    return max(1, _BLOCK_BYTES // max(1, per_sample))


def _padded_flat(xb: np.ndarray, geom: tuple, sizes: tuple) -> np.ndarray:
    """xb zero-padded, flattened per channel, with the tail of zeros: (b, C, Hp Wp + tail)."""
    pads = geom[1]
    hp, wp, _, _, _, tail = sizes
    b, c, h, w = xb.shape
    xf = np.zeros((b, c, hp * wp + tail), xb.dtype)
    xf[:, :, :hp * wp].reshape(b, c, hp, wp)[:, :, pads[0][0]:pads[0][0] + h,
                                             pads[1][0]:pads[1][0] + w] = xb
    return xf


def _cols(xf: np.ndarray, k: tuple, geom: tuple, sizes: tuple) -> np.ndarray:
    """The window matrices (b, groups, C/groups * kh kw, L): row (c, i, j) is the run of xf
    at i dh Wp + j dw (a strided view, copied by the reshape)."""
    (dh, dw), g = geom[2], geom[3]
    wp, L = sizes[1], sizes[4]
    b, c = xf.shape[:2]
    s0, s1, s2 = xf.strides
    view = as_strided(xf, (b, c) + tuple(k) + (L,), (s0, s1, dh * wp * s2, dw * s2, s2),
                      writeable=False)
    return view.reshape(b, g, (c // g) * math.prod(k), L)


def _widened(gy: np.ndarray, g: int, sizes: tuple) -> np.ndarray:
    """gy (b, O, oh, ow) as (b, groups, O/groups, L), zero in the dropped columns."""
    _, wp, oh, ow, L, _ = sizes
    b, o = gy.shape[:2]
    ge = np.zeros((b, o, oh, wp), gy.dtype)
    ge[..., :ow] = gy
    return ge.reshape(b, g, o // g, L)


def forward(x4: np.ndarray, w4: np.ndarray, geom: tuple) -> np.ndarray:
    """Y = W X per sample and group: (N, O, oh, ow)."""
    k, g = w4.shape[2:], geom[3]
    sizes = _sizes(x4.shape, k, geom)
    wp, oh, ow, L = sizes[1:5]
    n, o = x4.shape[0], w4.shape[0]
    wg = w4.reshape(g, o // g, -1)
    y = np.empty((n, o, oh, ow), np.result_type(x4, w4))
    step = _block(n, wg.shape[2] * g * L * x4.itemsize)
    for n0 in range(0, n, step):
        xb = x4[n0:n0 + step]
        part = _matmul(wg, _cols(_padded_flat(xb, geom, sizes), k, geom, sizes))
        y[n0:n0 + len(xb)] = part.reshape(len(xb), o, oh, wp)[..., :ow]
    return y


def input_grad(gy4: np.ndarray, w4: np.ndarray, xshape: tuple, geom: tuple) -> np.ndarray:
    """dL/dx = col2im(W^T G): each run of W^T G added back at its offset, then cropped."""
    pads, (dh, dw), g = geom[1], geom[2], geom[3]
    o, cg = w4.shape[:2]
    k = w4.shape[2:]
    sizes = _sizes(xshape, k, geom)
    hp, wp, _, _, L, tail = sizes
    n, h, w = xshape[0], xshape[2], xshape[3]
    wt = w4.reshape(g, o // g, -1).transpose(0, 2, 1)
    gx = np.empty((n, g * cg, h, w), gy4.dtype)
    offsets = [(i, j, i * dh * wp + j * dw) for i in range(k[0]) for j in range(k[1])]
    step = _block(n, g * cg * math.prod(k) * L * gy4.itemsize)
    for n0 in range(0, n, step):
        gb = gy4[n0:n0 + step]
        b = len(gb)
        gcols = _matmul(wt, _widened(gb, g, sizes)).reshape(b, g * cg, k[0], k[1], L)
        gxf = np.zeros((b, g * cg, hp * wp + tail), gy4.dtype)
        for i, j, at in offsets:  # in _conv.add_windows' order: the same sums, rounded alike
            gxf[:, :, at:at + L] += gcols[:, :, i, j]
        gx[n0:n0 + b] = gxf[:, :, :hp * wp].reshape(b, g * cg, hp, wp)[
            :, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]
    return gx


def weight_grad(gy4: np.ndarray, x4: np.ndarray, k: tuple, geom: tuple) -> np.ndarray:
    """dL/dW per sample, (N, groups, O/groups, C/groups kh kw): G X^T with G zero in the
    dropped columns; the caller sums over samples."""
    g = geom[3]
    sizes = _sizes(x4.shape, k, geom)
    n, c = x4.shape[:2]
    per_sample = None
    step = _block(n, c * math.prod(k) * sizes[4] * x4.itemsize)
    for n0 in range(0, n, step):
        xb = x4[n0:n0 + step]
        cols = _cols(_padded_flat(xb, geom, sizes), k, geom, sizes)
        part = _matmul(_widened(gy4[n0:n0 + len(xb)], g, sizes), cols.transpose(0, 1, 3, 2))
        if per_sample is None:
            per_sample = np.empty((n,) + part.shape[1:], part.dtype)
        per_sample[n0:n0 + len(xb)] = part
    return per_sample
