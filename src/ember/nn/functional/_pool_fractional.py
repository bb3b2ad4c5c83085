"""adaptive_max_pool3d and fractional_max_pool2d/3d: max pooling over windows given by their
positions along each axis (adaptive bins, or fractional pooling's pseudo-random starts).

One rule serves all three: find each window's maximum in NumPy (PyTorch's tie rule: the first
maximum wins, but a nan wins over everything and the last nan wins), then the output is a
gather of the input at those positions, whose gradient is the scatter-add back.
"""

from __future__ import annotations

import math

import numpy as np

from ...ops.arithmetic import type_name
from ... import random as _random
from ...tensor import Tensor
from ._pool import IndexGather
from ._pool_more import _bin_index


class AdaptiveMaxPool3d(IndexGather):
    """y.flat[i] = x.flat[argmax of window i];  dL/dx = g scattered (added) to the argmaxes."""

    node_name = "AdaptiveMaxPool3DBackward0"


class FractionalMaxPool2d(IndexGather):
    node_name = "FractionalMaxPool2DBackward0"


class FractionalMaxPool3d(IndexGather):
    node_name = "FractionalMaxPool3DBackward0"


def _window_argmax(planes: np.ndarray, pos: list) -> np.ndarray:
    """(P, *out): the flat in-plane position of each window's maximum.

    planes: (P, *S); pos[i]: (P or 1, out_i, k_i), the positions along axis i that the
    windows of output row i cover, in order (PyTorch scans them row-major).
    """
    nd, size = len(pos), planes.shape[1:]
    grids, flat = [], 0
    for i, p in enumerate(pos):
        shape = (p.shape[0],) + (1, 1) * i + p.shape[1:] + (1, 1) * (nd - 1 - i)
        grids.append(p.reshape(shape))
        flat = flat * size[i] + grids[-1]
    at = np.arange(planes.shape[0]).reshape((-1,) + (1, 1) * nd)
    # (P, o0, k0, o1, k1, ...) -> (P, o0, o1, ..., k0 * k1 * ...)
    order = (0,) + tuple(range(1, 2 * nd, 2)) + tuple(range(2, 2 * nd + 1, 2))
    outs = tuple(p.shape[1] for p in pos)
    window = math.prod(p.shape[2] for p in pos)
    win = planes[(at,) + tuple(grids)].transpose(order).reshape(
        (planes.shape[0],) + outs + (window,))
    flat = np.broadcast_to(flat, win.shape[:1] + tuple(
        v for p in pos for v in p.shape[1:])).transpose(order).reshape(win.shape)
    arg = np.argmax(win, axis=-1)
    if win.dtype.kind == "f":
        last_nan = np.where(np.isnan(win), np.arange(win.shape[-1]), -1).max(-1)
        arg = np.where(last_nan >= 0, last_nan, arg)
    return np.take_along_axis(flat, arg[..., None], -1)[..., 0].astype(np.int64, copy=False)


def _pool_at(input: Tensor, pos: list, prim, batched: bool):
    """(values, indices) of the window maxima; pos as in _window_argmax."""
    nd = len(pos)
    x = input._data if batched else input._data[None]
    plane = math.prod(x.shape[-nd:])
    idx = _window_argmax(x.reshape((-1,) + x.shape[-nd:]), pos)
    base = (np.arange(idx.shape[0]) * plane).reshape((-1,) + (1,) * nd)
    out_shape = tuple(input.shape[:-nd]) + idx.shape[1:]
    y = prim.apply(input, (idx + base).ravel(), out_shape)
    return y, Tensor._make(idx.reshape(out_shape), False, None)


def _check_float(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """(values, indices) of the maxima over PyTorch's adaptive bins to (od, oh, ow)."""
    shape = tuple(input.shape)
    if not isinstance(output_size, (int, np.integer)):
        if len(shape) <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        output_size = [shape[i - len(output_size)] if v is None else v
                       for i, v in enumerate(output_size)]
    out = (int(output_size),) * 3 if isinstance(output_size, (int, np.integer)) \
        else tuple(int(v) for v in output_size)
    if len(out) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    if input.dim() not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: "
                           f"{list(shape)}")
    for i in range(1 if input.dim() == 5 else 0, input.dim()):
        if shape[i] == 0:
            raise RuntimeError(
                "adaptive_max_pool3d(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {list(shape)} with dimension {i} being empty")
    if any(o < 0 for o in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(shape[:-3]) + list(out)}")
    _check_float(input, "adaptive_max_pool3d_cpu")
    pos = [_bin_index(shape[i - 3], out[i])[None] for i in range(3)]
    return _pool_at(input, pos, AdaptiveMaxPool3d, input.dim() == 5)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over PyTorch's adaptive bins to an (od, oh, ow) output (None keeps that size);
    with ``return_indices`` also each maximum's flat position in its D * H * W volume."""
    y, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (y, idx) if return_indices else y


def _intervals(u: np.ndarray, n: int, out: int, k: int) -> np.ndarray:
    """(P, out) window starts from samples u (P,), in u's precision as PyTorch:
    start_i = int((i + u) a) - int(u a), a = (n - k) / (out - 1); the last is n - k."""
    starts = np.empty((u.shape[0], out), np.int64)
    if out > 1:
        alpha = u.dtype.type(n - k) / u.dtype.type(out - 1)
        i = np.arange(out - 1).astype(u.dtype)
        starts[:, :-1] = ((i + u[:, None]) * alpha).astype(np.int64) \
            - (u * alpha).astype(np.int64)[:, None]
    if out > 0:
        starts[:, -1] = n - k
    return starts


_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _fractional_checks(input: Tensor, k: tuple, out: tuple, fn: str) -> None:
    nd = len(k)
    shape = tuple(input.shape)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}: Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(shape)}")
    for i in range(1, input.dim()):
        if shape[i] == 0:
            raise RuntimeError(f"{fn}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(shape)} with dimension {i} being "
                               "empty.")
    for i, axis in enumerate(_AXES[nd]):
        n = shape[i - nd]
        if out[i] + k[i] - 1 > n:
            raise RuntimeError(f"{fn}: pool {axis} {k[i]} too large relative to input {axis} "
                               f"{n}")


def _samples_checks(input: Tensor, samples: Tensor, nd: int) -> None:
    if samples._data.dtype != input._data.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    batch = input.shape[0] if input.dim() == nd + 2 else 1
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != input.shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got "
                           f"{samples.shape[2]}.")


def _ints(v, nd: int, what: str, fn: str) -> tuple:
    vals = (v,) * nd if isinstance(v, (int, np.integer)) else tuple(v)
    if len(vals) != nd:
        many = "Ints" if nd == 2 else "three Ints"
        raise RuntimeError(f"{fn}: {what} must either be a single Int or tuple of {many}")
    return tuple(int(a) for a in vals)


def _fractional(input: Tensor, kernel_size, output_size, samples, nd: int, prim):
    fn = "fractional_max_pool2d" if nd == 2 else "fractional_max_pool3d"
    k = _ints(kernel_size, nd, "kernel_size", fn)
    out = _ints(output_size, nd, "output_size", fn)
    _fractional_checks(input, k, out, fn + ("()" if nd == 2 else "_out()"))
    if min(k) <= 0:  # PyTorch returns -inf maxima for empty windows; ember does not
        raise RuntimeError(f"{fn}: kernel_size must be greater than 0, but got {k}")
    _samples_checks(input, samples, nd)
    _check_float(input, f"{fn}_out_frame")
    batched = input.dim() == nd + 2
    n = input.shape[0] if batched else 1
    u = samples._data[:n].reshape(-1, nd)  # one row of samples per (n, c) plane
    # PyTorch's sample order: 2d (w, h), 3d (t, h, w)
    which = (1, 0) if nd == 2 else (0, 1, 2)
    size = tuple(input.shape[-nd:])
    pos = [_intervals(u[:, which[i]], size[i], out[i], k[i])[..., None] + np.arange(k[i])
           for i in range(nd)]
    return _pool_at(input, pos, prim, batched)


def _fractional_size(input: Tensor, output_size, output_ratio, nd: int, fn: str):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is not None:
        return output_size
    if nd == 2:
        if len(output_ratio) > 2:
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = tuple(output_ratio)
    else:
        ratio = (output_ratio,) * 3 if isinstance(output_ratio, (int, float)) \
            else tuple(output_ratio)
    return [int(input.shape[i - nd] * ratio[i]) for i in range(nd)]


def _default_samples(input: Tensor, nd: int, samples):
    if samples is not None:
        if samples.requires_grad:
            raise RuntimeError(f"The function 'fractional_max_pool{nd}d' is not differentiable "
                               "with respect to argument 'random_samples'. This input cannot "
                               "have requires_grad True.")
        return samples
    if input.dim() <= nd:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got {-nd - 1})")
    n = input.shape[0] if input.dim() == nd + 2 else 1
    c = input.shape[-nd - 1]
    # PyTorch draws torch.rand(n, c, nd, dtype=input.dtype) from the default generator
    return _random.rand(n, c, nd, dtype=input.dtype)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    """(values, indices) of 2D fractional max pooling (Graham, 2014): kernel windows whose
    starts step pseudo-randomly (from ``_random_samples``, (N, C, 2) in [0, 1)) to fill
    ``output_size`` (or ``output_ratio`` times the input size)."""
    size = _fractional_size(input, output_size, output_ratio, 2, "fractional_max_pool2d")
    samples = _default_samples(input, 2, _random_samples)
    return _fractional(input, kernel_size, size, samples, 2, FractionalMaxPool2d)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    """(values, indices) of 3D fractional max pooling; ``_random_samples`` (N, C, 3)."""
    size = _fractional_size(input, output_size, output_ratio, 3, "fractional_max_pool3d")
    samples = _default_samples(input, 3, _random_samples)
    return _fractional(input, kernel_size, size, samples, 3, FractionalMaxPool3d)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """2D fractional max pooling; with ``return_indices`` also the flat positions."""
    y, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                return_indices, _random_samples)
    return (y, idx) if return_indices else y


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """3D fractional max pooling; with ``return_indices`` also the flat positions."""
    y, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                return_indices, _random_samples)
    return (y, idx) if return_indices else y
