"""interpolate with antialias=True (bilinear, bicubic, lanczos on 4-D input): PIL's separable
resampling, as PyTorch's ``_upsample_*2d_aa`` kernels compute it.

Along each axis, output j reads the inputs in [xmin_j, xmin_j + xsize_j) around the centre
c_j = scale (j + 0.5), weighted by filter((i - c_j + 0.5) / max(scale, 1)) normalised to sum
1; the filter's support widens with the scale when downsampling, which is the antialiasing.
Width is resampled first, then height, each output a sum over its taps in order, as
PyTorch's kernel (agreeing to float rounding: the weights' last bits may differ).
"""

from __future__ import annotations

import numpy as np

from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._resample import resample


def _linear(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0).astype(x.dtype)


def _cubic(x):  # Keys' kernel with a = -0.5 (PIL's; plain bicubic uses -0.75)
    a = x.dtype.type(-0.5)
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _lanczos(x):  # sinc(x) sinc(x / 3) on (-3, 3)
    xd = x.astype(np.float64)
    w = np.sinc(xd) * np.sinc(xd / 3)
    return np.where(np.abs(xd) < 3, w, 0).astype(x.dtype)


_FILTERS = {"bilinear": (2, _linear), "bicubic": (4, _cubic), "lanczos": (6, _lanczos)}


def _taps(n_in, n_out, scale_opt, align_corners, mode, dt):
    """(idx, w, rows): per tap k, the input index and weight of each output, and the outputs
    (rows) that have a k-th tap."""
    size, filt = _FILTERS[mode]
    f = dt.type
    if align_corners:
        scale = f(n_in - 1) / f(n_out - 1) if n_out > 1 else f(0)
    elif scale_opt is not None and scale_opt > 0:
        scale = f(1.0 / scale_opt)
    else:
        scale = f(n_in) / f(n_out)
    support = f(size * 0.5) * scale if scale >= 1 else f(size * 0.5)
    invscale = f(1.0 / float(scale)) if scale >= 1 else f(1)
    j = np.arange(n_out)
    center = (float(scale) * (j + 0.5)).astype(dt)
    xmin = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    xsize = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64),
                       n_in) - xmin
    K = max(int(xsize.max()), 1)
    k = np.arange(K)
    arg = ((((k[None] + xmin[:, None]) - center[:, None]).astype(np.float64) + 0.5)
           * float(invscale)).astype(dt)
    valid = k[None] < xsize[:, None]
    w = np.where(valid, filt(arg), f(0)).astype(dt)
    total = np.zeros(n_out, dt)
    for i in range(K):  # PyTorch sums the weights in tap order
        total += w[:, i]
    w = np.where(total[:, None] != 0, w / np.where(total == 0, f(1), total)[:, None], w)
    idx = np.minimum(xmin[:, None] + k[None], n_in - 1)
    return [(idx[valid[:, i], i], w[valid[:, i], i].astype(dt),
             None if valid[:, i].all() else np.nonzero(valid[:, i])[0]) for i in range(K)]


_NAMES = {"bilinear": "Bilinear", "bicubic": "Bicubic", "lanczos": "Lanczos"}


def interpolate_aa(input: Tensor, out_sizes, scales, mode: str, align_corners, antialias):
    """The antialiased resize (and lanczos's checks); sizes as interpolate computed them."""
    if antialias and not (mode in _FILTERS and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    from ._interp import _check_sizes, tensor_arg_error

    if out_sizes is None:  # a Tensor size / scale_factor: ``scales`` says which
        raise tensor_arg_error(scales, mode, input.dim(), True)
    in_sizes = list(input.shape[2:])
    _check_sizes(input, in_sizes, out_sizes)  # (before the dtype, as PyTorch's checks)
    dt = input._data.dtype
    u8 = dt == np.uint8  # PyTorch's integer (PIL's) resampling
    if (dt.kind != "f" or dt.itemsize < 4) and not u8:
        raise NotImplementedError('"compute_index_ranges_weights" not implemented for '
                                  f"'{type_name(dt)}'")
    if u8:
        from ._interp_uint8 import interpolate_uint8

        return interpolate_uint8(input, out_sizes, scales, mode, align_corners, True)
    plan = tuple((axis, _taps(in_sizes[axis - 2], out_sizes[axis - 2], scales[axis - 2],
                              align_corners, mode, dt), in_sizes[axis - 2], out_sizes[axis - 2])
                 for axis in (3, 2) if in_sizes[axis - 2] != out_sizes[axis - 2])
    if not plan:  # same size: PyTorch copies
        plan = ((3, [(np.arange(in_sizes[1]), None, None)], in_sizes[1], in_sizes[1]),)
    return resample(input, plan, f"Upsample{_NAMES[mode]}2DAa")

