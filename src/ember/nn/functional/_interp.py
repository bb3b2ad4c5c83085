"""interpolate: nearest, nearest-exact, linear, bilinear, bicubic, trilinear and area resizing
(antialias and lanczos: _interp_aa).

Every mode is separable: one spatial axis at a time, each output position reads one (nearest),
two (linear) or four (bicubic, clamped at the borders) input positions along that axis: the
taps of one _resample node (its gradient scatter-adds back to the read positions). area is
adaptive average pooling.
"""

from __future__ import annotations

import math

import numpy as np

from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._resample import resample

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) Keys kernel parameter
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
    if size is None and scale_factor is None:  # PyTorch's first check
        raise ValueError("either size or scale_factor should be defined")
    nd = input.dim() - 2
    # (size and scale_factor are checked before the modes, as in PyTorch)
    in_sizes = list(input.shape[2:])
    bad = _tensor_arg(size, scale_factor, mode, recompute_scale_factor)
    if bad is None:
        out_sizes, scales = _output_sizes(in_sizes, size, scale_factor, recompute_scale_factor)
    else:  # PyTorch's Python checks pass it; its op's parser refuses it, after the mode checks
        if size is not None and scale_factor is not None:
            raise ValueError("only one of size or scale_factor should be defined")
        if size is not None and recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        out_sizes, scales = None, bad
    if antialias or (mode == "lanczos" and nd == 2):
        from ._interp_aa import interpolate_aa

        return interpolate_aa(input, out_sizes, scales, mode, align_corners, antialias)
    if not 1 <= nd <= 3 or mode not in _KNOWN:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
            "for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
            f"area | nearest-exact (got {mode})")
    if mode in _LINEAR and input.dim() != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode]}D input")
    if mode == "bicubic" and input.dim() != 4:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
            "for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
            f"area | nearest-exact (got {mode})")
    if out_sizes is None:
        raise tensor_arg_error(scales, mode, input.dim(), False)
    dt = input._data.dtype
    if mode == "area":  # the mean over each output cell's span: adaptive average pooling
        from ._pool import adaptive_avg_pool2d, adaptive_avg_pool3d
        from ._pool1d import adaptive_avg_pool1d

        if any(o <= 0 for o in out_sizes) and all(n > 0 for n in in_sizes):
            _bad_sizes(in_sizes, out_sizes)  # (an empty input: the pool's own error)
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1]
        return pool(input, out_sizes[0] if nd == 1 else tuple(out_sizes))
    _check_sizes(input, in_sizes, out_sizes)  # (before the dtype, as PyTorch's checks)
    resize_u8 = dt == np.uint8 and mode in ("bilinear", "bicubic")  # (4-D: checked above)
    if dt.kind != "f" and not (dt == np.uint8 and mode.startswith("nearest")) and not resize_u8:
        kind = "nearest" if mode.startswith("nearest") else \
            "cubic" if mode == "bicubic" else "linear"
        if nd == 2 and mode != "bicubic" and dt != np.uint8:  # PyTorch's 2-d kernels' name
            kind = "upsample_nearest2d" if mode.startswith("nearest") else "upsample_bilinear2d"
            raise NotImplementedError(f'"{kind}_channels_last" not implemented for '
                                      f"'{type_name(dt)}'")
        raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")
    if resize_u8:  # PyTorch's integer (PIL's) resampling
        from ._interp_uint8 import interpolate_uint8

        return interpolate_uint8(input, out_sizes, scales, mode, align_corners, False)
    # PyTorch's bilinear and bicubic kernels take half in float32 (weights too), the others
    # in half; bicubic resizes width first
    opmath = mode in ("bilinear", "bicubic")
    if opmath and dt == np.float16:
        dt = np.dtype(np.float32)
    plan = []
    for k in range(nd):
        n_in, n_out, s = in_sizes[k], out_sizes[k], scales[k]
        if mode.startswith("nearest"):
            taps = [(_nearest(n_in, n_out, s, mode), None, None)]
        elif mode == "bicubic":
            taps = _cubic_taps(dt, n_in, n_out, s, align_corners)
        else:
            taps = _linear_taps(dt, n_in, n_out, s, align_corners)
        plan.append((2 + k, taps, n_in, n_out))
    if mode == "bicubic":
        plan.reverse()
    return resample(input, tuple(plan), f"Upsample{_NAMES[mode]}{nd}D", opmath)


_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
          "bilinear": "Bilinear", "trilinear": "Trilinear", "bicubic": "Bicubic"}


def _check_sizes(input: Tensor, in_sizes, out_sizes) -> None:
    """PyTorch's upsample_*d_common_check: every input and output size positive, then an
    empty input only through its batch dim."""
    if any(n <= 0 for n in in_sizes) or any(o <= 0 for o in out_sizes):
        _bad_sizes(in_sizes, out_sizes)
    if input.numel() == 0 and input.shape[1] == 0:
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor "
                           f"with sizes {list(input.shape)}")


def _bad_sizes(in_sizes, out_sizes):
    names = ["D", "H", "W"][-len(in_sizes):]
    ins = ", ".join(f"{n}: {v}" for n, v in zip(names, in_sizes))
    outs = ", ".join(f"{n}: {v}" for n, v in zip(names, out_sizes))
    joint = " and" if len(in_sizes) == 1 else ""  # PyTorch's 1-d kernel's wording
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                       f"({ins}){joint} output ({outs})")


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
        if isinstance(size, (list, tuple)) and not all(_is_int(v) for v in sizes):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types "
                            f"{[type(v) for v in sizes]}")
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


def _tensor_arg(size, scale_factor, mode, recompute):
    """"size" or "scale" where that argument is a Tensor PyTorch's op parser refuses: F.interpolate
    repeats a Tensor size per axis, which parses as an int only when it holds one integer; a
    Tensor scale_factor never parses, unless area mode or recompute_scale_factor turns it into
    sizes first."""
    if isinstance(size, Tensor):
        return None if size.numel() == 1 and size._data.dtype.kind in "iu" else "size"
    if isinstance(scale_factor, Tensor) and size is None and mode != "area" and not recompute:
        return "scale"
    return None


_OPS = {"nearest": "upsample_nearest{}d", "nearest-exact": "_upsample_nearest_exact{}d",
        "linear": "upsample_linear1d", "bilinear": "upsample_bilinear2d",
        "trilinear": "upsample_trilinear3d", "bicubic": "upsample_bicubic2d"}


def tensor_arg_error(which: str, mode: str, dim: int, antialias: bool) -> TypeError:
    """PyTorch's parser error for a Tensor size ("size") or scale_factor ("scale") reaching
    the upsample op (or adaptive pooling, for area) that ``mode`` dispatches to."""
    if mode == "area":
        return TypeError(f"adaptive_avg_pool{dim - 2}d(): argument 'output_size' (position 2) "
                         "must be tuple of ints, but found element of type Tensor at pos 0")
    name = (f"_upsample_{mode}2d_aa" if antialias else _OPS[mode].format(dim - 2))
    args = ["Tensor", "list", "NoneType"] if which == "size" else ["Tensor", "NoneType", "list"]
    if not mode.startswith("nearest"):
        args.insert(2, "bool")  # align_corners
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"({', '.join(args)}), but expected one of:")


def _is_int(v) -> bool:
    """An int, or an integer Tensor (size=(h // 2, w // 2) with h a Tensor)."""
    if isinstance(v, Tensor):
        return v._data.dtype.kind in "iub"
    return isinstance(v, int) or isinstance(v, np.integer)


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


def _linear_taps(dt, n_in, n_out, scale, align_corners):
    """Along one axis: y_j = (1 - l_j) x[i0_j] + l_j x[i1_j] at the source coordinate s_j:
    j (n_in - 1)/(n_out - 1) with align_corners, else max((j + 0.5) step - 0.5, 0)."""
    acc = np.float64 if dt == np.float64 else np.float32  # PyTorch's opmath type
    dst = np.arange(n_out, dtype=acc)
    if align_corners:
        src = dst * acc((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        step = acc(_step(n_in, n_out, scale))
        src = np.maximum((dst + acc(0.5)) * step - acc(0.5), acc(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = np.clip(src - i0, 0, 1)
    return [(i0, (acc(1) - lam).astype(dt), None), (i1, lam.astype(dt), None)]


def cubic_weights(t):
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 from floor(src),
    for the fraction t = src - floor(src)."""
    a = _CUBIC_A

    def near(v):  # |v| <= 1
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v):  # 1 < |v| < 2
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def cubic_weight_grads(t):
    """d/dt of cubic_weights(t)."""
    a = _CUBIC_A

    def near(v):
        return (3 * (a + 2) * v - 2 * (a + 3)) * v

    def far(v):
        return (3 * a * v - 10 * a) * v + 8 * a

    return [far(t + 1), near(t), -near(1 - t), -far(2 - t)]


def cubic_weight_second(t):
    """d2/dt2 of cubic_weights(t)."""
    a = _CUBIC_A

    def near(v):
        return 6 * (a + 2) * v - 2 * (a + 3)

    def far(v):
        return 6 * a * v - 10 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic_taps(dt, n_in, n_out, scale, align_corners):
    """Along one axis: y_j = sum_k w_k(t_j) x[clamp(i_j - 1 + k)], i_j = floor(s_j),
    t_j = s_j - i_j, with the source coordinate s_j unclamped (it may be negative)."""
    acc = np.float64 if dt == np.float64 else np.float32
    dst = np.arange(n_out, dtype=acc)
    if align_corners:
        src = dst * acc((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = (dst + acc(0.5)) * acc(_step(n_in, n_out, scale)) - acc(0.5)
    lo = np.floor(src)
    t = src - lo
    lo = lo.astype(np.int64)
    return [(np.clip(lo - 1 + k, 0, n_in - 1), np.asarray(w).astype(dt), None)
            for k, w in enumerate(cubic_weights(t))]
