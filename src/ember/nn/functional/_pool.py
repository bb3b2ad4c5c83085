"""max_pool2d, avg_pool2d (strided window views) and adaptive_avg_pool2d (two products)."""

from __future__ import annotations

import numpy as np

from ...autograd.function import NULL_CTX, Primitive
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._conv import add_windows, pad_hw, windows


def _pair(v, name: str) -> tuple:
    vals = (int(v),) * 2 if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise RuntimeError(f"max_pool2d: {name} must either be a single int, or a tuple of two "
                           "ints")
    return vals


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling output length (ceil mode drops a window starting in the padding)."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def _geometry(x: Tensor, kernel, stride, padding, dilation, ceil: bool):
    """Validated (k, s, p, d, (OH, OW)) for a 3-D or 4-D input."""
    if x.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    k = _pair(kernel, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    for i in range(2):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    h, w = x.shape[-2:]
    out = (_out_size(h, k[0], s[0], p[0], d[0], ceil), _out_size(w, k[1], s[1], p[1], d[1], ceil))
    if out[0] < 1 or out[1] < 1:
        c = x.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return k, s, p, d, out


def _pads(hw: tuple, k, s, p, d, out) -> tuple:
    """((top, bottom), (left, right)): p each side, plus what ceil mode's last window needs."""
    extra = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (hw[i] + 2 * p[i]))
             for i in range(2)]
    return ((p[0], p[0] + extra[0]), (p[1], p[1] + extra[1]))


def _as4d(x: np.ndarray) -> np.ndarray:
    return x[None] if x.ndim == 3 else x


class MaxPool2d(Primitive):
    """y = max over each window (-inf padding);  dL/dx[q] = sum of g over the windows whose
    (first) maximum is at q. ``sink``, a list or None, receives the flat indices."""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, k, s, p, d, out, sink):
        x4 = _as4d(x)
        n, c, h, w = x4.shape
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min  # never the max
        xp = pad_hw(x4, _pads((h, w), k, s, p, d, out), low)
        win = windows(xp, k, s, d)[:, :, :out[0], :out[1]]
        flat = win.reshape(n, c, out[0], out[1], k[0] * k[1])
        arg = np.argmax(flat, axis=-1)[..., None]
        y = np.take_along_axis(flat, arg, -1)[..., 0]
        arg = arg[..., 0]
        # The winner's position in the unpadded plane, row * W + column.
        rows = np.arange(out[0])[:, None] * s[0] + (arg // k[1]) * d[0] - p[0]
        cols = np.arange(out[1]) * s[1] + (arg % k[1]) * d[1] - p[1]
        idx = rows * w + cols
        ctx.idx, ctx.xshape = idx, x.shape
        final = y.shape if x.ndim == 4 else y.shape[1:]
        if sink is not None:
            sink.append(idx.astype(np.int64, copy=False).reshape(final))
        return y.reshape(final)

    @staticmethod
    def backward(ctx, g):
        idx = ctx.idx
        n, c = idx.shape[:2]
        hw = ctx.xshape[-2] * ctx.xshape[-1]
        flat = (idx + (np.arange(n * c) * hw).reshape(n, c, 1, 1)).ravel()
        return (_scatter_of(g, flat, ctx.xshape),) + (None,) * 6


def _scatter(g, flat: np.ndarray, shape: tuple) -> np.ndarray:
    size = int(np.prod(shape))
    out = np.bincount(flat, weights=np.ravel(g), minlength=size)
    return out.astype(g.dtype, copy=False).reshape(shape)


def _scatter_of(g, flat, shape):
    if isinstance(g, Tensor):
        return IndexScatter.apply(g, flat, shape)
    return _scatter(g, flat, shape)


class IndexScatter(Primitive):
    """out.flat[flat[i]] += g.flat[i] (max pooling's gradient, linear in g);
    dL/dg = u.flat[flat] (a gather), whose own gradient is this scatter again."""

    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, flat, shape):
        ctx.flat, ctx.gshape = flat, g.shape
        return _scatter(g, flat, shape)

    @staticmethod
    def backward(ctx, u):
        if isinstance(u, Tensor):
            return IndexGather.apply(u, ctx.flat, ctx.gshape), None, None
        return u.reshape(-1)[ctx.flat].reshape(ctx.gshape), None, None


class IndexGather(Primitive):
    """y.flat[i] = u.flat[flat[i]];  dL/du = scatter-add of the gradient at flat."""

    @staticmethod
    def forward(ctx, u, flat, shape):
        ctx.flat, ctx.ushape = flat, u.shape
        return u.reshape(-1)[flat].reshape(shape)

    @staticmethod
    def backward(ctx, v):
        return _scatter_of(v, ctx.flat, ctx.ushape), None, None


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Maximum over each kernel window; with ``return_indices``, also each maximum's flat
    position in its input plane (int64), as PyTorch. nan wins, as in PyTorch."""
    k, s, p, d, out = _geometry(input, kernel_size, stride, padding, dilation, ceil_mode)
    sink = [] if return_indices else None
    y = MaxPool2d.apply(input, k, s, p, d, out, sink)
    return (y, Tensor._make(sink[0], False, None)) if return_indices else y


class AvgPool2d(Primitive):
    """y = (sum of each window, zero padding) / divisor;  dL/dx[q] = sum over the windows
    containing q of g / divisor (col2im of g / divisor)."""

    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, k, s, pads, out, div):
        x4 = _as4d(x)
        win = windows(pad_hw(x4, pads), k, s, (1, 1))[:, :, :out[0], :out[1]]
        y = win.sum(axis=(-2, -1)) / div
        ctx.geom = (x.shape, k, s, pads, out, div)
        return y.astype(x.dtype, copy=False).reshape(y.shape if x.ndim == 4 else y.shape[1:])

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return (AvgPoolAdjoint.apply(g, ctx.geom),) + (None,) * 5
        return (_avg_adjoint(g, ctx.geom),) + (None,) * 5


def _avg_adjoint(g: np.ndarray, geom: tuple) -> np.ndarray:
    xshape, k, s, pads, out, div = geom
    share = _as4d((g / div).astype(g.dtype, copy=False))
    h, w = xshape[-2:]
    gxp = np.zeros(share.shape[:2] + (h + sum(pads[0]), w + sum(pads[1])), g.dtype)
    add_windows(gxp, k, s, (1, 1), out, lambda i, j: share)
    gx = gxp[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]
    return gx.reshape(xshape)


class AvgPoolAdjoint(Primitive):
    """gx = col2im(g / divisor) (average pooling's gradient, linear in g);
    dL/dg = avg_pool(u) with the same geometry (its adjoint)."""

    node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, geom):
        ctx.geom = geom
        return _avg_adjoint(g, geom)

    @staticmethod
    def backward(ctx, u):
        _, k, s, pads, out, div = ctx.geom
        if isinstance(u, Tensor):
            return AvgPool2d.apply(u, k, s, pads, out, div), None
        return AvgPool2d.forward(NULL_CTX, u, k, s, pads, out, div), None


def _window_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """How many entries each window along one axis divides by (PyTorch's pool_size)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each kernel window (zero padding counted unless ``count_include_pad=False``;
    ``divisor_override`` replaces the count)."""
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got -3)")
    k, s, p, _, out = _geometry(input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        div = float(divisor_override)
    else:
        h, w = input.shape[-2:]
        rows = _window_counts(h, k[0], s[0], p[0], out[0], count_include_pad)
        cols = _window_counts(w, k[1], s[1], p[1], out[1], count_include_pad)
        div = (rows[:, None] * cols[None, :]).astype(input._data.dtype)
    pads = _pads(tuple(input.shape[-2:]), k, s, p, (1, 1), out)
    return AvgPool2d.apply(input, k, s, pads, out, div)


def _bins(n: int, out: int, dtype) -> np.ndarray:
    """(out, n): row i averages x[floor(i n / out) : ceil((i + 1) n / out)]."""
    m = np.zeros((out, n), dtype=dtype)
    for i in range(out):
        lo, hi = (i * n) // out, -(-((i + 1) * n) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


class AdaptiveAvgPool2d(Primitive):
    """y = A_h x A_w^T per plane, A the (out, in) bin-averaging matrices;
    dL/dx = A_h^T g A_w (linear, so the same rule serves create_graph)."""

    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, ah, aw):
        ctx.mats = (ah, aw)
        return np.matmul(np.matmul(ah, x), aw.T)

    @staticmethod
    def backward(ctx, g):
        ah, aw = ctx.mats
        return np.matmul(np.matmul(ah.T, g), aw), None, None


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins to an (oh, ow) output (None keeps that size)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    h, w = input.shape[-2:]
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if oh == ow == 1:  # PyTorch takes the mean here (MeanBackward1)
        return input.mean((-2, -1), keepdim=True)
    dtype = input._data.dtype
    if dtype.kind != "f":
        raise NotImplementedError('"adaptive_avg_pool2d" not implemented for '
                                  f"'{type_name(dtype)}'")
    return AdaptiveAvgPool2d.apply(input, _bins(h, oh, dtype), _bins(w, ow, dtype))

