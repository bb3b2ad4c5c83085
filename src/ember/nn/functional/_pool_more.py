"""adaptive_max_pool1d/2d, max_unpool1d/2d, lp_pool1d/2d, local_response_norm and the
``*_with_indices`` names of max pooling."""

from __future__ import annotations

import numpy as np

from ... import ops
from ...autograd.function import Primitive
from ...ops._layout import channels_last
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._misc import pad
from ._pool import IndexGather, _scatter_of, avg_pool2d, max_pool2d
from ._pool1d import avg_pool1d, max_pool1d
from ._pool_args import int_list, ntuple, one_int


def _bin_index(n: int, out: int) -> np.ndarray:
    """(out, widest bin): the positions of PyTorch's adaptive bin i, floor(i n / out) to
    ceil((i + 1) n / out), short bins padded by repeating their last position."""
    lo = (np.arange(out) * n) // out
    hi = -(-((np.arange(out) + 1) * n) // out)
    width = int((hi - lo).max()) if out else 1
    return np.minimum(lo[:, None] + np.arange(width), hi[:, None] - 1)


class AdaptiveMaxPool2d(Primitive):
    """y = max over each adaptive bin;  dL/dx[q] = sum of g over the bins whose maximum is
    at q (nan wins: the last nan of a bin, as PyTorch). ``sink`` receives the indices."""

    node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out, sink):
        x4 = x if x.ndim == 4 else x[None]
        h, w = x4.shape[-2:]
        rows, cols = _bin_index(h, out[0]), _bin_index(w, out[1])
        win = x4[:, :, rows[:, :, None, None], cols[None, None]]  # N C oh kh ow kw
        n, c = x4.shape[:2]
        flat = win.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, out[0], out[1], -1)
        arg = np.argmax(flat, axis=-1)
        if x.dtype.kind == "f":
            last_nan = np.where(np.isnan(flat), np.arange(flat.shape[-1]), -1).max(-1)
            arg = np.where(last_nan >= 0, last_nan, arg)
        y = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
        kw = cols.shape[1]
        r = rows[np.arange(out[0])[:, None], arg // kw]
        q = cols[np.arange(out[1]), arg % kw]
        idx = (r * w + q).astype(np.int64)
        ctx.idx, ctx.xshape = idx, x.shape
        if x.ndim == 3:
            y, idx = y[0], idx[0]
        sink.append(channels_last(idx, x))
        return channels_last(y, x)  # channels-last in, out: PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        idx = ctx.idx
        n, c = idx.shape[:2]
        plane = ctx.xshape[-2] * ctx.xshape[-1]
        flat = (idx + (np.arange(n * c) * plane).reshape(n, c, 1, 1)).ravel()
        return _scatter_of(g, flat, ctx.xshape), None, None


def _out_pair(output_size, shape: tuple) -> tuple:
    if isinstance(output_size, int):
        return (output_size,) * 2
    # PyTorch fills None from the trailing sizes, then its parser reads the types, then
    # the kernel checks the length
    size = int_list([d if v is None else v for d, v in zip(shape[-len(output_size):],
                                                            output_size)],
                    "output_size", "adaptive_max_pool2d", 2)
    if len(size) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    return size


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over PyTorch's adaptive bins to an (oh, ow) output (None keeps that size);
    with ``return_indices`` also each maximum's flat position in its plane."""
    shape = tuple(input.shape)
    if not isinstance(output_size, int) and input.dim() <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    out = _out_pair(output_size, shape)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(shape)}")
    for i in range(1 if input.dim() == 4 else 0, input.dim()):
        if shape[i] == 0:
            raise RuntimeError(
                "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {list(shape)} with dimension {i} being empty")
    if input._data.dtype.kind != "f":
        raise NotImplementedError('"adaptive_max_pool2d" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")
    sink: list = []
    y = AdaptiveMaxPool2d.apply(input, out, sink)
    return (y, Tensor._make(sink[0], False, None)) if return_indices else y


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over PyTorch's adaptive bins along the last dim."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "adaptive_max_pool1d)")
    size = one_int(output_size, "output_size", "adaptive_max_pool1d", 2)
    y, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), True)
    return (y.squeeze(-2), idx.squeeze(-2)) if return_indices else y.squeeze(-2)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """(values, indices) of max_pool2d (always both, whatever ``return_indices`` says)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """(values, indices) of max_pool1d (always both, whatever ``return_indices`` says)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


class MaxUnpool2d(Primitive):
    """y = zeros with y[plane].flat[idx] = x (a later duplicate index overwrites);
    dL/dx = g[plane].flat[idx] (a gather, whose adjoint is the scatter-add)."""

    node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, flat, out_shape):
        ctx.flat, ctx.xshape = flat, x.shape
        y = np.zeros(int(np.prod(out_shape)), x.dtype)
        y[flat] = x.ravel()
        return y.reshape(out_shape)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return IndexGather.apply(g, ctx.flat, ctx.xshape), None, None
        return g.reshape(-1)[ctx.flat].reshape(ctx.xshape), None, None


def _unpool_size(shape: tuple, k: tuple, s: tuple, p: tuple, output_size) -> tuple:
    """PyTorch's default ((n - 1) s + k - 2 p) or the checked ``output_size``."""
    nd = len(k)
    default = [(shape[i - nd] - 1) * s[i] + k[i] - 2 * p[i] for i in range(nd)]
    if output_size is None:
        return _non_negative(tuple(default))
    size = tuple(output_size)
    if len(size) == nd + 2:
        size = size[2:]
    if len(size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(size)}'")
    for i in range(nd):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < size[i] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be between '
                             f"{lo} and {hi})")
    return _non_negative(tuple(int(v) for v in size))


def _non_negative(size: tuple) -> tuple:
    for i, n in enumerate(size):
        if n < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{i}]={n}")
    return size


def _seq(v, nd: int) -> tuple:
    return (int(v),) * nd if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)


def _unpool(input: Tensor, indices: Tensor, hw: tuple) -> Tensor:
    if indices._data.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{type_name(indices._data.dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if input.dim() not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {input.dim()} dimensions.")
    idx = indices._data.reshape(-1, int(np.prod(input.shape[-2:])))
    plane = hw[0] * hw[1]
    bad = (idx < 0) | (idx >= plane)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad][-1]} (output volumes are of "
                           f"size {hw[0]}x{hw[1]})")
    flat = (idx + np.arange(idx.shape[0])[:, None] * plane).ravel()
    return MaxUnpool2d.apply(input, flat, tuple(input.shape[:-2]) + tuple(hw))


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value put back at its index, zeros elsewhere."""
    k = _seq(kernel_size, 2)
    s = k if stride is None else _seq(stride, 2)
    hw = _unpool_size(tuple(input.shape), k, s, _seq(padding, 2), output_size)
    return _unpool(input, indices, hw)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool1d (a (L, 1) max_unpool2d, as PyTorch)."""
    k = _seq(kernel_size, 1)
    s = k if stride is None else _seq(stride, 1)
    (n,) = _unpool_size(tuple(input.shape), k, s, _seq(padding, 1), output_size)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (n, 1)).squeeze(-1)


def _lp_finish(mean: Tensor, norm_type: float, count: int) -> Tensor:
    """(count * mean)^(1/p), the sign kept and negatives clipped as PyTorch."""
    return (ops.sign(mean) * ops.relu(ops.abs(mean))).mul(count).pow(1.0 / norm_type)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x^p)^(1/p); p = inf is max |x|."""
    kw, kh = ntuple(kernel_size, 2)  # PyTorch's _pair: before any check of the values
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    mean = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(mean, norm_type, kw * kh)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x^p)^(1/p) along the last dim; p = inf is max |x|."""
    if norm_type == float("inf"):
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    mean = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(mean, norm_type, kernel_size)  # PyTorch multiplies by kernel_size as given


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (zero
    channels past the edges count in the mean)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = pad(input * input, (0, 0) * (dim - 2) + (size // 2, (size - 1) // 2))
    total = sq.narrow(1, 0, c)
    for j in range(1, size):
        total = total + sq.narrow(1, j, c)
    div = (total / size).mul(alpha).add(k).pow(beta)
    return input / div
