"""max_pool2d/3d, avg_pool2d/3d (strided window views); adaptive_avg_pool2d/3d (a product
per spatial axis) live in ``_pool_adaptive.py`` and are re-exported here."""

from __future__ import annotations

import math

import numpy as np

from ...autograd.function import NULL_CTX, Primitive
from ...ops._layout import channels_last
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from . import _pool_tiled as _tiled
from ._conv import add_windows, pad_hw, windows
from ._pool_args import POSITION, int_list
from ._pool_adaptive import adaptive_avg_pool2d, adaptive_avg_pool3d  # noqa: F401


_WORDS = {2: "two", 3: "three"}


def _tuple(v, name: str, nd: int, fn: str) -> tuple:
    """An int-list argument as PyTorch's parser reads it (_pool_args.int_list), one value
    repeated to ``nd``; another length gets the op's own message."""
    vals = int_list(v, name, fn, POSITION[name])
    if len(vals) == 1:
        vals = vals * nd
    if len(vals) != nd:
        if name == "dilation":
            raise RuntimeError(f"{fn}: dilation must be either a single int, or a tuple of "
                               f"{_WORDS[nd]} ints")
        either = "must be" if fn == "avg_pool3d" else "must either be"
        omitted = "omitted, " if name == "stride" else ""
        raise RuntimeError(f"{fn}: {name} {either} {omitted}a single int, or a tuple of "
                           f"{_WORDS[nd]} ints")
    return vals


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling output length (ceil mode drops a window starting in the padding)."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def _geometry(x: Tensor, kernel, stride, padding, dilation, ceil: bool, nd: int = 2,
              fn: str = "max_pool2d"):
    """Validated (k, s, p, d, out) for an (nd + 1)-D or (nd + 2)-D input."""
    bad_dims = x.dim() not in (nd + 1, nd + 2)
    if nd == 2 and (fn == "avg_pool2d" and bad_dims or not bad_dims and 0 in x.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(x.shape)}")
    if bad_dims:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                           "for input")
    k = _tuple(kernel, "kernel_size", nd, fn)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _tuple(stride, "stride", nd, fn)
    p, d = _tuple(padding, "padding", nd, fn), _tuple(dilation, "dilation", nd, fn)
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    for i in range(nd):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    size = tuple(x.shape[-nd:])
    out = tuple(_out_size(size[i], k[i], s[i], p[i], d[i], ceil) for i in range(nd))
    if any(o < 1 for o in out):
        if fn == "avg_pool3d":
            raise RuntimeError(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller "
                               f"than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
        c = x.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + size))}). Calculated "
                           f"output size: ({'x'.join(map(str, (c,) + out))}). Output size is "
                           "too small")
    return k, s, p, d, out


def _pads(size: tuple, k, s, p, d, out) -> tuple:
    """((lo, hi), ...): p each side, plus what ceil mode's last window needs."""
    return tuple((p[i], p[i] + max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
                                   - (size[i] + 2 * p[i])))
                 for i in range(len(k)))


def _batched(x: np.ndarray, nd: int) -> np.ndarray:
    return x[None] if x.ndim == nd + 1 else x


def _crop(win: np.ndarray, out: tuple) -> np.ndarray:
    return win[(slice(None),) * 2 + tuple(slice(None, o) for o in out)]


def _winner_positions(arg: np.ndarray, size, k, s, p, d, out) -> np.ndarray:
    """Each window's argmax (flat within the kernel) as a flat position in the unpadded
    input plane (row-major over the spatial dims)."""
    nd = len(k)
    at = [None] * nd
    for i in range(nd - 1, 0, -1):  # kernel offsets per axis, last axis fastest
        arg, at[i] = np.divmod(arg, k[i])
    at[0] = arg
    idx = 0
    for i in range(nd):
        start = (np.arange(out[i]) * s[i] - p[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        step = at[i] if d[i] == 1 else at[i] * d[i]
        idx = start + step if i == 0 else idx * size[i] + start + step
    return idx


class MaxPool2d(Primitive):
    """y = max over each window (-inf padding);  dL/dx[q] = sum of g over the windows whose
    (first) maximum is at q.

    ``sink``, a list or None, receives the flat indices."""

    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, k, s, p, d, out, sink):
        nd = len(k)
        xb = _batched(x, nd)
        n, c = xb.shape[:2]
        size = xb.shape[2:]
        if _tiled.applies(xb, k, s, p, d, out, sink):  # MaxPool2d(2): windows tile the input
            y, win = _tiled.forward(xb, k, out)
            ctx.tiled, ctx.xshape = (win, k), x.shape
            return y if x.ndim == nd + 2 else y[0]
        ctx.tiled = None
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min  # never the max
        xp = pad_hw(xb, _pads(size, k, s, p, d, out), low)
        flat = _crop(windows(xp, k, s, d), out).reshape((n, c) + out + (math.prod(k),))
        arg = np.argmax(flat, axis=-1)[..., None]
        y = np.take_along_axis(flat, arg, -1)[..., 0]
        if y.dtype.kind == "f" and np.isnan(y).any():  # PyTorch's scan keeps the last NaN
            last = flat.shape[-1] - 1 - np.argmax(np.isnan(flat[..., ::-1]), axis=-1)
            arg = np.where(np.isnan(y), last, arg[..., 0])[..., None]
        idx = _winner_positions(arg[..., 0], size, k, s, p, d, out)
        ctx.idx, ctx.xshape = idx, x.shape
        final = y.shape if x.ndim == nd + 2 else y.shape[1:]
        if sink is not None:
            sink.append(channels_last(idx.astype(np.int64, copy=False).reshape(final), x))
        return channels_last(y.reshape(final), x)  # channels-last in, out: PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        if ctx.tiled is not None:
            win, k = ctx.tiled
            shape = (1,) * (4 - len(ctx.xshape)) + ctx.xshape
            if not isinstance(g, Tensor):
                return (_tiled.backward(g.reshape(win.shape), win, shape, k)
                        .reshape(ctx.xshape),) + (None,) * 6
            ctx.idx = _tiled.flat_indices(win, shape, k)  # create_graph: the general scatter
        idx = ctx.idx
        n, c = idx.shape[:2]
        plane = math.prod(ctx.xshape[2 - idx.ndim:])
        flat = (idx + (np.arange(n * c) * plane).reshape((n, c) + (1,) * (idx.ndim - 2)))
        return (_scatter_of(g, flat.ravel(), ctx.xshape),) + (None,) * 6


class MaxPool3d(MaxPool2d):
    node_name = "MaxPool3DWithIndicesBackward0"


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


def _pool_kernel(input: Tensor, kernel: str, allowed: str) -> None:
    """PyTorch's error for a dtype its pooling kernel lacks: float kinds pass, and the ones
    in ``allowed`` ("l": int64, "h": float16, "i": other integers)."""
    dt = input._data.dtype
    if dt.kind == "f" and dt.itemsize > 2 or dt == np.float16 and "h" in allowed or \
            dt == np.int64 and "l" in allowed or dt.kind in "iu" and dt != np.int64 and \
            "i" in allowed:
        return
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(dt)}'")


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              nd: int, prim):
    if input._data.dtype == np.bool_:
        _pool_kernel(input, f"max_pool{nd}d", "")
    k, s, p, d, out = _geometry(input, kernel_size, stride, padding, dilation, ceil_mode, nd,
                                f"max_pool{nd}d")
    sink = [] if return_indices else None
    y = prim.apply(input, k, s, p, d, out, sink)
    return (y, Tensor._make(sink[0], False, None)) if return_indices else y


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Maximum over each kernel window; with ``return_indices``, also each maximum's flat
    position in its input plane (int64), as PyTorch. nan wins, as in PyTorch."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, MaxPool2d)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """max_pool2d over (N, C, D, H, W) or (C, D, H, W); indices are flat in D * H * W."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     3, MaxPool3d)


class AvgPool2d(Primitive):
    """y = (sum of each window, zero padding) / divisor;  dL/dx[q] = sum over the windows
    containing q of g / divisor (col2im of g / divisor)."""

    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, k, s, pads, out, div):
        nd = len(k)
        win = _crop(windows(pad_hw(_batched(x, nd), pads), k, s, (1,) * nd), out)
        y = win.sum(axis=tuple(range(-nd, 0))) / div
        ctx.geom = (x.shape, k, s, pads, out, div)
        return y.astype(x.dtype, copy=False).reshape(y.shape if x.ndim == nd + 2
                                                     else y.shape[1:])

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return (AvgPoolAdjoint.apply(g, ctx.geom),) + (None,) * 5
        return (_avg_adjoint(g, ctx.geom),) + (None,) * 5


class AvgPool3d(AvgPool2d):
    node_name = "AvgPool3DBackward0"


def _avg_adjoint(g: np.ndarray, geom: tuple) -> np.ndarray:
    xshape, k, s, pads, out, div = geom
    nd = len(k)
    share = _batched((g / div).astype(g.dtype, copy=False), nd)
    size = xshape[-nd:]
    gxp = np.zeros(share.shape[:2] + tuple(size[i] + sum(pads[i]) for i in range(nd)),
                   g.dtype)
    add_windows(gxp, k, s, (1,) * nd, out, lambda at: share)
    inner = tuple(slice(pads[i][0], pads[i][0] + size[i]) for i in range(nd))
    return np.ascontiguousarray(gxp[(Ellipsis,) + inner]).reshape(xshape)  # as PyTorch's


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
        prim = AvgPool2d if len(k) == 2 else AvgPool3d
        if isinstance(u, Tensor):
            return prim.apply(u, k, s, pads, out, div), None
        return prim.forward(NULL_CTX, u, k, s, pads, out, div), None


def _window_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """How many entries each window along one axis divides by (PyTorch's pool_size)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, nd: int, prim) -> Tensor:
    if nd == 3:  # PyTorch's kernels: float, double and int64; 2-D also float16
        _pool_kernel(input, "avg_pool3d_out_frame", "l")
    else:
        _pool_kernel(input, "avg_pool2d", "lh")
    k, s, p, _, out = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, nd,
                                f"avg_pool{nd}d")
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        div = float(divisor_override)
    else:
        size = input.shape[-nd:]
        div = np.ones((1,) * nd, input._data.dtype)
        for i in range(nd):
            counts = _window_counts(size[i], k[i], s[i], p[i], out[i], count_include_pad)
            div = div * counts.reshape((-1,) + (1,) * (nd - 1 - i))
    pads = _pads(tuple(input.shape[-nd:]), k, s, p, (1,) * nd, out)
    return prim.apply(input, k, s, pads, out, div)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each kernel window (zero padding counted unless ``count_include_pad=False``;
    ``divisor_override`` replaces the count)."""
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got -3)")
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, AvgPool2d)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """avg_pool2d over (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, AvgPool3d)
