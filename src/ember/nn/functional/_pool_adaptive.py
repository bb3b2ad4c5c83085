"""adaptive_avg_pool2d/3d: the average over PyTorch's adaptive bins, as one matrix product
per spatial axis (``A_h x A_w^T``, and ``A_d`` along depth).

Unlike the window pools in ``_pool.py`` (strided views of a padded input), these need no
window geometry, so they share none of its helpers and live apart; ``_pool.py`` re-exports
them for its importers.
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Primitive
from ...ops._layout import channels_last
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._pool_args import int_list


def _bins(n: int, out: int, dtype) -> np.ndarray:
    """(out, n): row i averages x[floor(i n / out) : ceil((i + 1) n / out)]."""
    m = np.zeros((out, n), dtype=dtype)
    for i in range(out):
        lo, hi = (i * n) // out, -(-((i + 1) * n) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def _bin_products(x, mats: tuple):
    """x with each spatial axis (the last len(mats)) multiplied by its bin matrix."""
    y = np.matmul(np.matmul(mats[-2], x), mats[-1].T)
    if len(mats) == 3:  # depth: move it next to the end, multiply, move it back
        y = np.swapaxes(np.matmul(mats[0], np.swapaxes(y, -3, -2)), -3, -2)
        y = y.copy() if isinstance(y, np.ndarray) else y.contiguous()  # dense, as PyTorch's
    return y


class AdaptiveAvgPool2d(Primitive):
    """y = A_h x A_w^T per plane (and A_d along depth), A the (out, in) bin-averaging
    matrices; dL/dx = the same products with the transposes (linear, so the same rule serves
    create_graph)."""

    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, *mats):
        ctx.mats = mats
        return channels_last(_bin_products(x, mats), x)  # PyTorch's layout

    @staticmethod
    def backward(ctx, g):
        return (_bin_products(g, tuple(m.T for m in ctx.mats)),) + (None,) * len(ctx.mats)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    node_name = "AdaptiveAvgPool3DBackward0"


def _no_empty(input: Tensor, name: str, dims) -> None:
    for i in dims:
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def _adaptive(input: Tensor, output_size, nd: int, prim) -> Tensor:
    name = f"adaptive_avg_pool{nd}d"
    if isinstance(output_size, int):
        out = (output_size,) * nd
    else:  # PyTorch fills None from the input's trailing sizes before any rank check
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        shape = input.shape[-len(output_size):]
        out = int_list([s if o is None else o for s, o in zip(shape, output_size)],
                       "output_size", name, 2)  # the parser's types, then the length
    if len(out) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    if all(o == 1 for o in out):  # PyTorch takes the mean here (MeanBackward1), any rank
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    if nd == 3:  # PyTorch's order: no empty dim past the first, then the rank
        _no_empty(input, name, range(1, input.dim()))
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(input.shape)}")
    if nd == 2:  # the rank, then no empty spatial dim
        _no_empty(input, name, range(input.dim() - 2, input.dim()))
    shape = input.shape[-nd:]
    dtype = input._data.dtype
    if dtype.kind != "f" and nd == 2 and 0 in tuple(input.shape[:-nd]) + tuple(out):
        # an empty output: PyTorch's 2-d kernel returns before its dtype switch
        return Tensor._make(np.zeros(tuple(input.shape[:-nd]) + tuple(out), dtype), False, None)
    if dtype.kind != "f":
        raise NotImplementedError(f'"{name}{"_cpu" if nd == 3 else ""}" not implemented for '
                                  f"'{type_name(dtype)}'")
    return prim.apply(input, *(_bins(shape[i], out[i], dtype) for i in range(nd)))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins to an (oh, ow) output (None keeps that size)."""
    return _adaptive(input, output_size, 2, AdaptiveAvgPool2d)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins to an (od, oh, ow) output."""
    return _adaptive(input, output_size, 3, AdaptiveAvgPool3d)
