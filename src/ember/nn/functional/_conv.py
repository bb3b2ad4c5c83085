"""conv1d and conv2d: im2col (a strided window view) and one batched matrix product.

First order only: a ``create_graph=True`` backward through a convolution raises instead of
silently dropping the second-order terms.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...autograd.function import Primitive
from ...tensor import Tensor
from ...threads import matmul as _matmul


def _no_double_backward(g, what: str) -> None:
    if isinstance(g, Tensor):
        raise RuntimeError(f"ember: double backward (create_graph=True) through {what} is not "
                           "implemented")


def windows(xp: np.ndarray, k: tuple, s: tuple, d: tuple) -> np.ndarray:
    """(N, C, H, W) -> a read-only view (N, C, OH, OW, kh, kw) of every kernel window."""
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    v = sliding_window_view(xp, span, axis=(2, 3))
    return v[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]


def add_windows(gxp: np.ndarray, k: tuple, s: tuple, d: tuple, out_hw: tuple, part) -> None:
    """col2im: for each kernel offset (i, j), gxp's entries under it += part(i, j), a
    (..., OH, OW) array; the adjoint of ``windows``."""
    oh, ow = out_hw
    for i in range(k[0]):
        r = i * d[0]
        for j in range(k[1]):
            c = j * d[1]
            gxp[..., r:r + s[0] * (oh - 1) + 1:s[0], c:c + s[1] * (ow - 1) + 1:s[1]] += part(i, j)


def pad_hw(x: np.ndarray, pads: tuple, value: float = 0.0) -> np.ndarray:
    if not any(pads[0]) and not any(pads[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=value)


class Convolution(Primitive):
    """y[n, o] = b[o] + sum_{c in group(o), i, j} W[o, c, i, j] xp[n, c, s*p + d*(i, j)]
    (xp: x zero-padded). As products of the window matrix X (rows: output positions;
    columns: a group's (c, i, j)) and W (per group, Og x K):  Y = X W^T,
        dL/dW = G^T X,   dL/dX = G W  (then col2im: each window entry's gradient is added
        back to the input position it was read from),   dL/db = sum_{n, p} g.
    1-D convolutions run as 2-D ones of height 1.
    """

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        xshape, wshape, wt = x.shape, w.shape, w
        if w.ndim == 3:  # conv1d
            x, w = x.reshape(x.shape[:-1] + (1, x.shape[-1])), w[:, :, None]
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        g, og, k = groups, o // groups, (kh, kw)
        xp = pad_hw(x, pads)
        win = windows(xp, k, stride, dilation)
        oh, ow = win.shape[2:4]
        cols = (win.reshape(n, g, cg, oh, ow, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6)
                .reshape(g, n * oh * ow, cg * kh * kw))
        wm = w.reshape(g, og, cg * kh * kw)
        out = _matmul(cols, wm.transpose(0, 2, 1))  # (g, n*oh*ow, og)
        out = out.reshape(g, n, oh, ow, og).transpose(1, 0, 4, 2, 3).reshape(n, o, oh, ow)
        if b is not None:
            out += b.reshape(o, 1, 1)
        ctx.save_for_backward(wt)
        ctx.geom = (xshape, wshape, xp.shape, stride, pads, dilation, g, (oh, ow))
        if ctx.needs_input_grad[1:2] == (True,):
            ctx.cols = cols
        return out.reshape(n, o, ow) if len(wshape) == 3 else out

    @staticmethod
    def backward(ctx, grad):
        _no_double_backward(grad, "a convolution")
        (w,) = ctx.saved_tensors
        xshape, wshape, pshape, stride, pads, dilation, g, (oh, ow) = ctx.geom
        n, c = pshape[:2]
        w = w.reshape(w.shape[:2] + (-1,) + w.shape[-1:])  # conv1d's (O, C, k): height 1
        o, cg, kh, kw = w.shape
        og = o // g
        grad = grad.reshape(n, o, oh, ow)
        gm = grad.reshape(n, g, og, oh, ow).transpose(1, 0, 3, 4, 2).reshape(g, n * oh * ow, og)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if need_w:
            gw = _matmul(gm.transpose(0, 2, 1), ctx.cols).reshape(wshape)
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        if need_x:
            gcols = _matmul(gm, w.reshape(g, og, cg * kh * kw))
            gcols = gcols.reshape(g, n, oh, ow, cg, kh, kw).transpose(1, 0, 4, 5, 6, 2, 3)
            gxp = np.zeros((n, g, cg) + pshape[2:], dtype=grad.dtype)
            add_windows(gxp, (kh, kw), stride, dilation, (oh, ow),
                        lambda i, j: gcols[:, :, :, i, j])
            (top, bottom), (left, right) = pads
            gx = gxp.reshape(pshape)[:, :, top:pshape[2] - bottom, left:pshape[3] - right]
            gx = gx.reshape(xshape)
        return gx, gw, gb, None, None, None, None


def _ntuple(v, n: int, name: str) -> tuple:
    vals = (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)
    if len(vals) == 1 and n > 1:
        vals = vals * n
    if len(vals) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got {name}="
                           f"{list(vals)}")
    return vals


def _padding(padding, n: int, k: tuple, stride: tuple, dilation: tuple) -> tuple:
    """((lo, hi) per spatial dim); 'same' puts the odd extra on the high side, as PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: {padding!r}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (kk - 1) for d, kk in zip(dilation, k)]
        return tuple((t // 2, t - t // 2) for t in total)
    pads = _ntuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pads)


def _check_conv(x: Tensor, w: Tensor, b: Tensor | None, groups: int, n: int) -> None:
    name = f"conv{n}d"
    if x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ws = list(w.shape)
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size [{ws}] instead")
    shape = list(x.shape) if x.dim() == n + 2 else [1] + list(x.shape)
    if shape[1] != ws[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input{shape} "
                           f"to have {ws[1] * groups} channels, but got {shape[1]} channels "
                           "instead")
    if b is not None and (b.dim() != 1 or b.shape[0] != ws[0]):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{ws[0]} elements, but got bias of size {list(b.shape)} instead")


def _conv(x, w, b, stride, padding, dilation, groups, n: int) -> Tensor:
    if w.dim() != n + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{w.dim() - 2} values to match the convolution dimensions, but got "
                           f"stride={list(_ntuple(stride, n, 'stride'))}")
    stride = _ntuple(stride, n, "stride")
    dilation = _ntuple(dilation, n, "dilation")
    k = tuple(w.shape[2:])
    pads = _padding(padding, n, k, stride, dilation)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    _check_conv(x, w, b, groups, n)
    padded = [x.shape[-n + i] + sum(pads[i]) for i in range(n)]
    span = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    if any(p < s for p, s in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, span))}). Kernel size can't be greater than "
                           "actual input size")
    if n == 1:
        pads, stride, dilation = ((0, 0),) + pads, (1,) + stride, (1,) + dilation
    if x.dim() == n + 1:  # unbatched: a batch of one, squeezed back (as PyTorch records it)
        return Convolution.apply(x.unsqueeze(0), w, b, stride, pads, dilation, groups).squeeze(0)
    return Convolution.apply(x, w, b, stride, pads, dilation, groups)


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
