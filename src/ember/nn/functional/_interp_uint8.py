"""interpolate of uint8 images in bilinear and bicubic mode (4-D input, antialias or not) and
lanczos (antialias): the integer resampling PyTorch's CPU kernels share with PIL.

Each spatial axis is resampled on its own, width first, then height, and each pass rounds to
uint8. Along an axis of n_in inputs and n_out outputs, with s = area_pixel_compute_scale
((n_in - 1) / (n_out - 1) with align_corners, else 1 / scale_factor when given, else
n_in / n_out) and d = 0.5 for align_corners without antialias (0 otherwise), output j reads
inputs [xmin_j, xmin_j + xsize_j) around c_j = s (j + 0.5 - d):

    support = taps / 2 (times s when antialiasing a downscale); taps: 2 bilinear, 4 bicubic,
    6 lanczos
    xmin_j = max(int(c_j - support + 0.5 + d), 0), xsize_j = min(int(c_j + support + 0.5 + d),
    n_in) - xmin_j, clipped to [0, K] with K = taps, or 2 ceil(support) + 1 antialiased
    w_jk = filter((xmin_j + k - c_j + 0.5 - d) / (s if antialiased and s >= 1 else 1)),
    then normalised to sum 1 (all in float64)

filter: 1 - |x| on |x| < 1 (bilinear); Keys' cubic with a = -0.5 (antialiased); sinc(x)
sinc(x / 3) on |x| < 3 (lanczos). Plain bicubic instead takes the float kernel's four taps
and a = -0.75, the taps past a border added to the border pixel (_cubic_clamped).
The weights become int16 with p fractional bits, p the largest (< 22) for which the largest
weight w_max keeps round(w_max 2^(p+1)) below 2^15 (w 2^p rounded half away from zero), and

    out_j = clamp((2^(p-1) + sum_k x[xmin_j + k] w16_jk) >> p, 0, 255)

(an arithmetic shift: the floor), summed in int32.
"""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from ._resample import _keep_channels_last


def _linear(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _cubic(a):
    def f(x):
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))
    return f


def _lanczos(x):  # sinc(x) sinc(x / 3) on (-3, 3)
    return np.where(np.abs(x) < 3.0, np.sinc(x) * np.sinc(x / 3.0), 0.0)


_FILTERS = {"bilinear": (2, _linear), "bicubic": (4, _cubic(-0.5)), "lanczos": (6, _lanczos)}


def _scale(n_in, n_out, align_corners, scale_opt):
    """area_pixel_compute_scale in float64."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale_opt is not None and scale_opt > 0:
        return 1.0 / scale_opt
    return n_in / n_out


def _cubic_clamped(n_in, n_out, s, align_corners):
    """(xmin, xsize, w) of plain (not antialiased) bicubic: the float kernel's four taps at
    floor(src) - 1 .. floor(src) + 2, src = s j (align_corners) or s (j + 0.5) - 0.5, with
    Keys' a = -0.75 weights of t = src - floor(src); the taps past a border are added to
    the border pixel's weight (the float kernel's clamped reads)."""
    f = _cubic(-0.75)
    j = np.arange(n_out, dtype=np.float64)
    src = s * j if align_corners else s * (j + 0.5) - 0.5
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0, 0.0, 1.0)
    taps = [f(t + 1.0), f(t), f(1.0 - t), f(2.0 - t)]
    xmin = np.maximum(i0 - 1, 0)
    xsize = np.minimum(i0 + 3, n_in) - xmin
    w = np.zeros((n_out, 4))
    rows = np.arange(n_out)
    for k in range(4):
        pos = np.clip(i0 - 1 + k, 0, n_in - 1) - xmin
        np.add.at(w, (rows, pos), taps[k])
    return xmin, xsize, w


def _weights(n_in, n_out, scale_opt, align_corners, mode, antialias):
    """(xmin, xsize, int16 weights (n_out, K), precision p) for one axis."""
    if mode == "bicubic" and not antialias:
        xmin, xsize, w = _cubic_clamped(n_in, n_out, _scale(n_in, n_out, align_corners,
                                                            scale_opt), align_corners)
        return _to_int16(xmin, xsize, w)
    taps, filt = _FILTERS[mode]
    s = _scale(n_in, n_out, align_corners, scale_opt)
    d = 0.5 if align_corners and not antialias else 0.0
    if antialias:
        support = taps * 0.5 * s if s >= 1.0 else taps * 0.5
        K = int(np.ceil(support)) * 2 + 1
    else:
        support, K = taps * 0.5, taps
    invscale = 1.0 / s if antialias and s >= 1.0 else 1.0
    j = np.arange(n_out, dtype=np.float64)
    center = s * (j + 0.5 - d)
    xmin = np.maximum(np.trunc(center - support + 0.5 + d).astype(np.int64), 0)
    xsize = np.minimum(np.trunc(center + support + 0.5 + d).astype(np.int64), n_in) - xmin
    xsize = np.clip(xsize, 0, K)
    k = np.arange(K)
    valid = k[None] < xsize[:, None]
    w = np.where(valid, filt((k[None] + xmin[:, None] - center[:, None] + 0.5 - d) * invscale),
                 0.0)
    total = np.zeros(n_out)
    for i in range(K):  # summed in tap order, as the kernel does
        total += w[:, i]
    nz = total != 0.0
    w[nz] /= total[nz, None]
    return _to_int16(xmin, xsize, w)


def _to_int16(xmin, xsize, w):
    """The weights in int16 with the most fractional bits p the largest one allows."""
    w_max = float(w.max(initial=0.0))
    p = 0
    while p < 22 and int(0.5 + w_max * (1 << (p + 1))) < (1 << 15):
        p += 1
    v = w * (1 << p)
    w16 = np.where(v < 0, np.trunc(-0.5 + v), np.trunc(0.5 + v)).astype(np.int64)
    return xmin, xsize, w16, p


def _pass(x: np.ndarray, axis: int, n_out: int, plan) -> np.ndarray:
    xmin, xsize, w16, p = plan
    n_in = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = n_out
    acc = np.full(shape, 1 << (p - 1) if p > 0 else 0, dtype=np.int64)
    view = [1] * x.ndim
    view[axis] = n_out
    src = x.astype(np.int64)
    for k in range(w16.shape[1]):
        idx = np.minimum(xmin + k, n_in - 1)
        wk = np.where(k < xsize, w16[:, k], 0).reshape(view)
        acc += np.take(src, idx, axis=axis) * wk
    return np.clip(acc >> p, 0, 255).astype(np.uint8)


def interpolate_uint8(input: Tensor, out_sizes, scales, mode: str, align_corners,
                      antialias: bool) -> Tensor:
    """The resized uint8 image (N, C, H, W); sizes as interpolate computed them."""
    x = x0 = input._data
    for axis in (3, 2):  # width first, then height; an unchanged axis is skipped
        n_in, n_out = x.shape[axis], out_sizes[axis - 2]
        if n_in != n_out:
            plan = _weights(n_in, n_out, scales[axis - 2], bool(align_corners), mode,
                            antialias)
            x = _pass(x, axis, n_out, plan)
    y = x.copy() if x is x0 else x  # (same sizes: PyTorch copies)
    return Tensor._make(_keep_channels_last(x0, y), False, None)
