"""unfold (im2col: every sliding block as a column) and fold (col2im: columns summed back
into an image); each is the other's adjoint, so each's gradient is the other."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...autograd.function import Primitive
from ...ops.arithmetic import type_name
from ...tensor import Tensor


def _two(v, name: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * 2
    vals = tuple(int(a) for a in v)
    if len(vals) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(vals)}")
    return vals


def _options(kernel_size, dilation, padding, stride) -> tuple:
    """(k, d, p, s) as pairs, with PyTorch's checks in its order."""
    k, d = _two(kernel_size, "kernel_size"), _two(dilation, "dilation")
    p, s = _two(padding, "padding"), _two(stride, "stride")
    for vals, what, ok in ((k, ("kernel size", "kernel"), 1), (d, ("dilation", "dilation"), 1),
                           (p, ("padding", "pad"), 0), (s, ("stride", "stride"), 1)):
        if min(vals) < ok:
            rule = "should be non-negative" if ok == 0 else "should be greater than zero"
            raise RuntimeError(f"{what[0]} {rule}, but got {what[1]}_height: {vals[0]} "
                               f"{what[1]}_width: {vals[1]}")
    return k, d, p, s


def _blocks(hw: tuple, k, d, p, s) -> tuple:
    return tuple((hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))


def _padded(x: np.ndarray, p: tuple) -> np.ndarray:
    if not any(p):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))


def _im2col(x: np.ndarray, geom: tuple) -> np.ndarray:
    """(N, C, H, W) -> (N, C kh kw, L), channel-major, then kernel row, column."""
    k, d, p, s = geom
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    win = sliding_window_view(_padded(x, p), span, axis=(2, 3))
    win = win[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]  # (N, C, OH, OW, kh, kw)
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], oh * ow)


def _col2im(cols: np.ndarray, hw: tuple, geom: tuple) -> np.ndarray:
    """(N, C kh kw, L) -> (N, C, H, W), overlapping entries summed."""
    k, d, p, s = geom
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    oh, ow = _blocks(hw, k, d, p, s)
    parts = cols.reshape((n, c) + k + (oh, ow))
    out = np.zeros((n, c, hw[0] + 2 * p[0], hw[1] + 2 * p[1]), cols.dtype)
    for i in range(k[0]):
        r = i * d[0]
        for j in range(k[1]):
            q = j * d[1]
            out[:, :, r:r + s[0] * (oh - 1) + 1:s[0], q:q + s[1] * (ow - 1) + 1:s[1]] += \
                parts[:, :, i, j]
    if p[0] or p[1]:  # a dense result, as PyTorch's
        out = out[:, :, p[0]:p[0] + hw[0], p[1]:p[1] + hw[1]].copy()
    return out


class Unfold(Primitive):
    """y[n, (c, i, j), l] = x_padded[n, c, block l's row + i d_h, its column + j d_w];
    dL/dx = fold(g) (each gradient entry added back where its value was read)."""

    node_name = "Im2ColBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, geom):
        ctx.geom, ctx.hw, ctx.batched = geom, x.shape[-2:], x.ndim == 4
        y = _im2col(x if x.ndim == 4 else x[None], geom)
        return y if x.ndim == 4 else y[0]

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return Fold.apply(g, ctx.hw, ctx.geom), None
        return _fold_array(g, ctx.hw, ctx.geom), None


def _fold_array(g, hw, geom):
    out = _col2im(g if g.ndim == 3 else g[None], hw, geom)
    return out if g.ndim == 3 else out[0]


class Fold(Primitive):
    """y = col2im(x): entry (c, i, j) of column l added at block l's position + (i, j)
    dilated; dL/dx = unfold(g)."""

    node_name = "Col2ImBackward0"
    exact_grads = True

    @staticmethod
    def forward(ctx, x, hw, geom):
        ctx.geom = geom
        return _fold_array(x, hw, geom)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return Unfold.apply(g, ctx.geom), None, None
        return Unfold.forward(ctx, g, ctx.geom), None, None


def _float_only(x: Tensor, kernel: str) -> None:
    """PyTorch's im2col/col2im kernels: floating point and bool."""
    if x._data.dtype.kind not in "fcb":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{type_name(x._data.dtype)}'")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """(N, C, H, W) or (C, H, W) -> (N, C * kh * kw, L): each sliding block as a column."""
    geom = _options(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.dim() not in (3, 4):
        if input.dim() < 3:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[{-input.dim()}, {input.dim() - 1}], but got 2)")
    if input.dim() not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {list(shape)}")
    _float_only(input, "im2col_out_cpu")
    k, d, p, _ = geom
    blocks = _blocks(shape[-2:], *geom)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {shape[-2:]}, kernel_size={k}, dilation={d}, "
            f"padding={p}, calculated shape of the array of sliding blocks as {blocks}, but "
            "its components must be at least one.")
    return Unfold.apply(input, geom)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0,
         stride=1) -> Tensor:
    """(N, C * kh * kw, L) or (C * kh * kw, L) -> (N, C, H, W): the columns summed back
    into an ``output_size`` image (overlaps add up)."""
    hw = _two(output_size, "output_size")
    geom = _options(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.dim() not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(shape)}")
    k, d, p, s = geom
    if shape[-2] % (k[0] * k[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={shape[-2]} and kernel_size={k}.")
    blocks = _blocks(hw, *geom)
    if blocks[0] * blocks[1] != shape[-1] or min(blocks) < 1:
        raise RuntimeError(
            f"Given output_size={hw}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={shape[-1]}.")
    _float_only(input, "col2im_out_cpu")
    return Fold.apply(input, hw, geom)
