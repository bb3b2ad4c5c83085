"""interpolate: nearest, nearest-exact, linear, bilinear, trilinear and area resizing.

Every mode is separable: one spatial axis at a time, each output position reads one (nearest)
or two (linear) input positions along that axis, so the whole op is index_select and a
weighted sum, and its gradient is theirs (a scatter-add back to the read positions). area is
adaptive average pooling (1-d and 2-d).
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...ops.arithmetic import type_name
from ...tensor import Tensor

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_KNOWN = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims (all but the first two) to ``size`` or by ``scale_factor``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.dim() - 2
    if not 1 <= nd <= 3 or mode not in _KNOWN:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
            "for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
            f"area | nearest-exact (got {mode})")
    if mode in _LINEAR and input.dim() != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode]}D input")
    if mode == "bicubic" or mode == "area" and nd == 3 or antialias:
        raise NotImplementedError(f"interpolate: mode '{mode}'"
                                  + (" with antialias" if antialias else "")
                                  + " is not supported by ember")
    in_sizes = list(input.shape[2:])
    out_sizes, scales = _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor)
    if input._data.dtype.kind != "f":
        kind = "nearest" if mode.startswith("nearest") else "linear"
        raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")
    if any(o <= 0 for o in out_sizes):
        _bad_sizes(in_sizes, out_sizes)
    if mode == "area":  # the mean over each output cell's span: adaptive average pooling
        from ._pool import adaptive_avg_pool2d
        from ._pool1d import adaptive_avg_pool1d

        pool = adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d
        return pool(input, out_sizes[0] if nd == 1 else tuple(out_sizes))
    x = input
    for k in range(nd):
        axis = 2 + k
        n_in, n_out, s = in_sizes[k], out_sizes[k], scales[k]
        if mode.startswith("nearest"):
            x = ops.index_select(x, axis, _leaf(_nearest(n_in, n_out, s, mode)))
        else:
            x = _linear_axis(x, axis, n_in, n_out, s, align_corners)
    return x


def _bad_sizes(in_sizes, out_sizes):
    names = ["D", "H", "W"][-len(in_sizes):]
    ins = ", ".join(f"{n}: {v}" for n, v in zip(names, in_sizes))
    outs = ", ".join(f"{n}: {v}" for n, v in zip(names, out_sizes))
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                       f"({ins}) and output ({outs})")


def _output_sizes(in_sizes, size, scale_factor, recompute):
    """(output sizes, the scale_factor per axis that PyTorch's kernels use, or None)."""
    nd = len(in_sizes)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * nd
        if len(sizes) != nd:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {in_sizes} and output size of {size}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size "
                "in (o1, o2, ...,oK) format.")
        return [int(v) for v in sizes], [None] * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    factors = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else \
        [scale_factor] * nd
    if len(factors) != nd:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {in_sizes} and scale_factor of shape "
            f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
            "scale_factor in (s1, s2, ...,sK) format.")
    sizes = [math.floor(float(n) * float(f)) for n, f in zip(in_sizes, factors)]
    return sizes, [None] * nd if recompute else [float(f) for f in factors]


def _leaf(arr):
    return Tensor._make(arr, False, None)


def _step(n_in, n_out, scale):
    """Input positions per output position: 1/scale_factor when one was given, else in/out."""
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest(n_in, n_out, scale, mode):
    """nearest: floor(dst * step); nearest-exact: floor((dst + 0.5) * step); both capped at
    the last input index. The step is a float32, as in PyTorch's kernel."""
    step = np.float32(_step(n_in, n_out, scale))
    dst = np.arange(n_out, dtype=np.float32)
    if mode == "nearest-exact":
        dst = dst + np.float32(0.5)
    return np.minimum(np.floor(dst * step).astype(np.int64), n_in - 1)


def _linear_axis(x, axis, n_in, n_out, scale, align_corners):
    """Along one axis: y_j = (1 - l_j) x[i0_j] + l_j x[i1_j] at the source coordinate s_j:
    j (n_in - 1)/(n_out - 1) with align_corners, else max((j + 0.5) step - 0.5, 0)."""
    acc = np.float64 if x._data.dtype == np.float64 else np.float32  # PyTorch's opmath type
    dst = np.arange(n_out, dtype=acc)
    if align_corners:
        src = dst * acc((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        step = acc(_step(n_in, n_out, scale))
        src = np.maximum((dst + acc(0.5)) * step - acc(0.5), acc(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = np.clip(src - i0, 0, 1)
    view = [1] * x.dim()
    view[axis] = n_out
    dt = x._data.dtype
    w1 = _leaf(lam.astype(dt).reshape(view))
    w0 = _leaf((acc(1) - lam).astype(dt).reshape(view))
    return ops.index_select(x, axis, _leaf(i0)) * w0 + ops.index_select(x, axis, _leaf(i1)) * w1
