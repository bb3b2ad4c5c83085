"""conv1d, conv2d and conv3d: im2col (a strided window view) and one batched matrix product
per block of samples (argument checks: _conv_args.py)."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...autograd.function import Primitive
from ...ops._layout import channels_last
from ...tensor import Tensor
from ...threads import matmul as _matmul
from . import _conv_flat as _flat
from ._conv_args import _check_conv, _not_a_tensor, _ntuple, _padding, check_ranks


@functools.lru_cache(maxsize=512)
def _window_plan(k: tuple, s: tuple, d: tuple) -> tuple:
    """For windows/_im2col, per geometry (cached: the tuples cost more than the views): the
    window span, its axes, the stride/dilation index, and im2col's transpose order."""
    nd = len(k)
    span = tuple([d[i] * (k[i] - 1) + 1 for i in range(nd)])
    index = (slice(None),) * 2 + tuple([slice(None, None, a) for a in s + d])
    order = (0, 1, 2) + tuple(range(3 + nd, 3 + 2 * nd)) + tuple(range(3, 3 + nd))
    return span, tuple(range(2, 2 + nd)), index, order


def windows(xp: np.ndarray, k: tuple, s: tuple, d: tuple) -> np.ndarray:
    """(N, C, *size) -> a read-only view (N, C, *out, *k) of every kernel window."""
    span, axis, index, _ = _window_plan(k, s, d)
    return sliding_window_view(xp, span, axis=axis)[index]


@functools.lru_cache(maxsize=512)
def _offsets(k: tuple, s: tuple, d: tuple, out: tuple) -> tuple:
    """((kernel offset, index of the entries under it), ...) for add_windows."""
    axes = [[slice(a * d[i], a * d[i] + s[i] * (out[i] - 1) + 1, s[i]) for a in range(k[i])]
            for i in range(len(k))]
    return tuple((at, (Ellipsis,) + sl) for at, sl in
                 zip(itertools.product(*map(range, k)), itertools.product(*axes)))


def add_windows(gxp: np.ndarray, k: tuple, s: tuple, d: tuple, out: tuple, part) -> None:
    """col2im: for each kernel offset ``at`` (a tuple), gxp's entries under it += part(at),
    a (..., *out) array; the adjoint of ``windows``."""
    for at, index in _offsets(tuple(k), tuple(s), tuple(d), tuple(out)):
        gxp[index] += part(at)


def pad_hw(x: np.ndarray, pads: tuple, value: float = 0.0) -> np.ndarray:
    """Pad the spatial dims (all after the first two) by pads = ((lo, hi), ...)."""
    if not any(any(p) for p in pads):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _as4d(a: np.ndarray) -> np.ndarray:
    """conv1d's (N, C, L) / (O, C, k) as height-1 2-D arrays (others unchanged)."""
    return a[:, :, None] if a.ndim == 3 else a


def _im2col(x: np.ndarray, k: tuple, geom: tuple):
    """geom = (stride, pads, dilation, groups), one entry per spatial dim (conv1d: 2-D with
    height 1, no padding there). The window matrices, (N, groups, C/groups * prod(k),
    prod(out)), and out. Output positions run along the last axis, so W X is already in
    (N, O, *out) order and the copy out of the window view moves runs along the last
    output dim rather than along a kernel row."""
    stride, pads, dilation, g = geom
    n, c = x.shape[:2]
    k = tuple(k)
    win = windows(pad_hw(x, pads), k, stride, dilation)
    out = win.shape[2:2 + len(k)]
    order = _window_plan(k, stride, dilation)[3]
    cols = win.reshape((n, g, c // g) + out + k).transpose(order)
    return cols.reshape(n, g, (c // g) * math.prod(k), math.prod(out)), out


def _half_in_float(fn):
    """PyTorch's CPU convolutions of float16 (forward, dL/dx, dL/dW, and the transposed
    ones built from them) sum in float and round to half once, the bias added before that
    rounding: ``fn`` on float16 arrays runs on float32 copies, its result (plus ``bias``,
    broadcast over channel dim 1) rounded once. Other dtypes: fn's result plus bias."""
    @functools.wraps(fn)
    def run(a, b, *rest, bias=None):
        half = a.dtype == np.float16
        if half:
            a, b = a.astype(np.float32), b.astype(np.float32)
        out = fn(a, b, *rest)
        if bias is not None:
            out += bias.astype(out.dtype, copy=False).reshape((-1,) + (1,) * (out.ndim - 2))
        return out.astype(np.float16) if half else out
    return run


def bias_grad(g: np.ndarray) -> np.ndarray:
    """dL/db: g summed over all but the channel dim 1 (float16: summed in float, rounded once,
    as PyTorch does)."""
    axes = (0,) + tuple(range(2, g.ndim))
    if g.dtype == np.float16:
        return np.sum(g, axis=axes, dtype=np.float32).astype(np.float16)
    return np.sum(g, axis=axes)


def _grouped(gy: np.ndarray, g: int) -> np.ndarray:
    """(N, O, *out) -> (N, groups, O/groups, prod(out)), a view."""
    n, o = gy.shape[:2]
    return gy.reshape(n, g, o // g, math.prod(gy.shape[2:]))


# Window matrices (im2col) and W^T G (col2im's input) are prod(k) times the size of what
# they come from: for a whole batch, 85 and 46 MB in pytorch/examples' MNIST net's second
# layer. Made and used a block of samples at a time (~1.5 MB), they stay in the cache and
# none is kept from forward to backward: forward 25 -> 17 ms there, dL/dx 54 -> 35 ms,
# dL/dW unchanged (its window matrices made again), the same bits.
_BLOCK_BYTES = 3 << 19


def _blocks(x4: np.ndarray, k: tuple, geom: tuple):
    """(start, window matrices) for each block of samples of x4."""
    per_sample = x4[:1].size * math.prod(k) * x4.dtype.itemsize  # (an upper bound)
    block = max(1, _BLOCK_BYTES // max(1, per_sample))
    for n0 in range(0, max(1, x4.shape[0]), block):  # (an empty batch: one empty block)
        yield n0, _im2col(x4[n0:n0 + block], k, geom)


def _conv_arrays(x, w, geom: tuple) -> np.ndarray:
    """Y = W X per sample and group: (N, O, *out)."""
    x4, w4 = _as4d(x), _as4d(w)
    if _flat.usable(x4.shape, x4.dtype, w4.shape[2:], geom):  # stride 1 (_conv_flat.py)
        y = _flat.forward(x4, w4, geom)
        return y.reshape((x.shape[0], w4.shape[0]) + y.shape[3 if x.ndim == 3 else 2:])
    o, g = w4.shape[0], geom[3]
    wg = w4.reshape(g, o // g, -1)
    y = None
    for n0, (cols, out) in _blocks(x4, w4.shape[2:], geom):
        part = _matmul(wg, cols)  # (block, g, O/g, prod(out))
        if y is None:
            y = np.empty((x4.shape[0],) + part.shape[1:], part.dtype)
        y[n0:n0 + len(part)] = part
    return y.reshape((x.shape[0], o) + (out[1:] if x.ndim == 3 else out))




def _input_grad_arrays(gy, w, xshape: tuple, geom: tuple) -> np.ndarray:
    """dL/dx = col2im(W^T G), a block of samples at a time: each window entry's gradient
    added back where it was read."""
    stride, pads, dilation, g = geom
    w4, gy4 = _as4d(w), _as4d(gy)
    xshape4 = xshape[:2] + (1,) + xshape[2:] if len(xshape) == 3 else xshape
    if _flat.usable(xshape4, gy.dtype, w4.shape[2:], geom):
        return _flat.input_grad(gy4, w4, xshape4, geom).reshape(xshape)
    o, cg = w4.shape[:2]
    k, out = w4.shape[2:], gy4.shape[2:]
    n, nd = gy4.shape[0], len(k)
    wt, gyg = w4.reshape(g, o // g, -1).transpose(0, 2, 1), _grouped(gy4, g)
    size = (1,) + xshape[2:] if len(xshape) == 3 else xshape[2:]
    gxp = np.zeros((n, g, cg) + tuple([size[i] + pads[i][0] + pads[i][1] for i in range(nd)]),
                   dtype=gy.dtype)
    block = max(1, _BLOCK_BYTES // max(1, g * cg * math.prod(k) * math.prod(out)
                                       * gy.dtype.itemsize))
    for n0 in range(0, n, block):
        gcols = _matmul(wt, gyg[n0:n0 + block]).reshape((-1, g, cg) + k + out)
        add_windows(gxp[n0:n0 + block], k, stride, dilation, out,
                    lambda at: gcols[_ALL3 + at])  # noqa: B023 (used before the next block)
    inner = tuple([slice(pads[i][0], pads[i][0] + size[i]) for i in range(nd)])
    # the padding cut off, copied out: PyTorch's input gradient is contiguous (.view works)
    return np.ascontiguousarray(gxp[(Ellipsis,) + inner]).reshape(xshape)


_ALL3 = (slice(None),) * 3


def _weight_grad_arrays(gy, x, wshape: tuple, geom: tuple) -> np.ndarray:
    """dL/dW = sum over samples of G X^T per group (X: x's window matrices, made again
    here a block at a time; the per-sample products are summed as one array, so the total
    does not depend on the blocks)."""
    k = (1,) * (4 - len(wshape)) + wshape[2:]
    x4 = _as4d(x)
    if _flat.usable(x4.shape, x4.dtype, k, geom):
        return _flat.weight_grad(_as4d(gy), x4, k, geom).sum(axis=0).reshape(wshape)
    gyg = _grouped(_as4d(gy), geom[3])
    per_sample = None
    for n0, (cols, _) in _blocks(_as4d(x), (1,) * (4 - len(wshape)) + wshape[2:], geom):
        part = _matmul(gyg[n0:n0 + len(cols)], cols.transpose(0, 1, 3, 2))
        if per_sample is None:
            per_sample = np.empty((gyg.shape[0],) + part.shape[1:], part.dtype)
        per_sample[n0:n0 + len(part)] = part
    return per_sample.sum(axis=0).reshape(wshape)


conv_arrays = _half_in_float(_conv_arrays)
input_grad_arrays = _half_in_float(_input_grad_arrays)
weight_grad_arrays = _half_in_float(_weight_grad_arrays)


class Convolution(Primitive):
    """y[n, o] = b[o] + sum_{c in group(o), i, j} W[o, c, i, j] xp[n, c, s*p + d*(i, j)]
    (xp: x zero-padded);  dL/dW[o, c, i, j] = sum_{n, p} g[n, o, p] xp[n, c, s*p + d*(i, j)],
    dL/dx = each g[n, o, p] times W[o] added back onto the window it came from,
    dL/db[o] = sum_{n, p} g[n, o, p].

    As products of each sample's window matrix X (rows: a group's
    (c, i, j); columns: output positions) and W (per group, Og x K):  Y = W X,
        dL/dW = sum_n G X^T,   dL/dX = col2im(W^T G),   dL/db = sum_{n, p} g.
    y is bilinear in (x, W), so the gradients are the two adjoint maps ConvInputGrad and
    ConvWeightGrad, each differentiated by the other two (any order of derivative).
    """

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        out = conv_arrays(x, w, geom, bias=b)
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        if not (x.flags.c_contiguous and w.flags.c_contiguous):
            out = channels_last(out, x, w)  # PyTorch's layout
        return out

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        geom = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gb = bias_grad(gy) if need_b else None
        if isinstance(gy, Tensor):  # create_graph: record the adjoints as nodes
            gx = ConvInputGrad.apply(gy, w, tuple(x.shape), geom) if need_x else None
            gw = ConvWeightGrad.apply(gy, x, tuple(w.shape), geom) if need_w else None
            return gx, gw, gb, None
        gx = input_grad_arrays(gy, w, x.shape, geom) if need_x else None
        gw = weight_grad_arrays(gy, x, w.shape, geom) if need_w else None
        return gx, gw, gb, None


class ConvInputGrad(Primitive):
    """gx = col2im(W^T G), the adjoint of x -> conv(x, W), bilinear in (g, W):
    d/dg (upstream u) = conv(u, W);  d/dW (upstream u) = ConvWeightGrad(g, u)."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, w, xshape, geom):
        ctx.save_for_backward(gy, w)
        ctx.geom = geom
        return input_grad_arrays(gy, w, xshape, geom)

    @staticmethod
    def backward(ctx, u):
        gy, w = ctx.saved_tensors
        need_g, need_w = ctx.needs_input_grad[:2]
        return (_conv_of(u, w, ctx.geom) if need_g else None,
                _weight_grad_of(gy, u, tuple(w.shape), ctx.geom) if need_w else None,
                None, None)


class ConvWeightGrad(Primitive):
    """gW = sum_n G X^T, the adjoint of W -> conv(x, W), bilinear in (g, x):
    d/dg (upstream v) = conv(x, v);  d/dx (upstream v) = ConvInputGrad(g, v)."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, x, wshape, geom):
        ctx.save_for_backward(gy, x)
        ctx.geom = geom
        return weight_grad_arrays(gy, x, wshape, geom)

    @staticmethod
    def backward(ctx, v):
        gy, x = ctx.saved_tensors
        need_g, need_x = ctx.needs_input_grad[:2]
        return (_conv_of(x, v, ctx.geom) if need_g else None,
                _input_grad_of(gy, v, tuple(x.shape), ctx.geom) if need_x else None,
                None, None)


def _conv_of(x, w, geom):
    if isinstance(x, Tensor) or isinstance(w, Tensor):
        return Convolution.apply(_tensor(x), _tensor(w), None, geom)
    return conv_arrays(x, w, geom)


def _input_grad_of(gy, w, xshape, geom):
    if isinstance(gy, Tensor) or isinstance(w, Tensor):
        return ConvInputGrad.apply(_tensor(gy), _tensor(w), xshape, geom)
    return input_grad_arrays(gy, w, xshape, geom)


def _weight_grad_of(gy, x, wshape, geom):
    if isinstance(gy, Tensor) or isinstance(x, Tensor):
        return ConvWeightGrad.apply(_tensor(gy), _tensor(x), wshape, geom)
    return weight_grad_arrays(gy, x, wshape, geom)


def _tensor(a):
    return a if isinstance(a, Tensor) else Tensor._make(np.asarray(a), False, None)


def _conv(x, w, b, stride, padding, dilation, groups, n: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise _not_a_tensor(n, (x, w, b, stride, padding, dilation, groups))
    check_ranks(x, w, n, f"conv{n}d", stride, padding)
    stride = _ntuple(stride, n, "stride")
    dilation = _ntuple(dilation, n, "dilation")
    k = tuple(w.shape[2:])
    pads = _padding(padding, n, k, stride, dilation)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    _check_conv(x, w, b, groups, n, pads)
    padded = [x.shape[-n + i] + sum(pads[i]) for i in range(n)]
    span = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    if any(p < s for p, s in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, span))}). Kernel size can't be greater than "
                           "actual input size")
    if n == 1:
        pads, stride, dilation = ((0, 0),) + pads, (1,) + stride, (1,) + dilation
    geom = (stride, pads, dilation, groups)
    if x.dim() == n + 1:  # unbatched: a batch of one, squeezed back (as PyTorch records it)
        return Convolution.apply(x.unsqueeze(0), w, b, geom).squeeze(0)
    return Convolution.apply(x, w, b, geom)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) (or (C, H, W)) with weight (O, C/groups, kh, kw).

    ``padding``: an int, a pair, 'valid' (none) or 'same' (output size = input size, stride 1).
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C, L) (or (C, L)) with weight (O, C/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D cross-correlation of (N, C, D, H, W) (or (C, D, H, W)) with weight
    (O, C/groups, kd, kh, kw); the same im2col and product as conv2d."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)
