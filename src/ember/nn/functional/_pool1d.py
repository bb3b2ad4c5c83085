"""max_pool1d, avg_pool1d, adaptive_avg_pool1d: the 2-D pools on a height-1 view (PyTorch
records them the same way: the last node is SqueezeBackward1)."""

from __future__ import annotations

import operator

from ...tensor import Tensor
from ._pool import _pool_kernel, adaptive_avg_pool2d, avg_pool2d, max_pool2d


def _one(v) -> int:
    try:
        return int(v) if isinstance(v, int) else operator.index(tuple(v)[0])
    except TypeError:  # kernel_size=n / 2: PyTorch's TypeError, never truncated
        from ...ops._int_args import not_int

        raise not_int(v if not isinstance(v, (tuple, list)) else v[0], "tuple of ints") from None


def _check_dims(input: Tensor, name: str) -> None:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {name})")


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Maximum over each window along the last dim; indices as positions along it."""
    if input.dim() not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    if input._data.dtype.kind != "f":  # PyTorch's 1-D kernel is floating point only
        _pool_kernel(input, "max_pool1d_impl", "")
    k, p, d = _one(kernel_size), _one(padding), _one(dilation)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _one(stride)
    if p > k // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    span = input.shape[-1] + 2 * p - d * (k - 1) - 1
    if s > 0 and (-(-span // s) if ceil_mode else span // s) + 1 < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: "
                           f"{(-(-span // s) if ceil_mode else span // s) + 1}")
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                     return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each window along the last dim."""
    _check_dims(input, "avg_pool1d")
    k = _one(kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _one(stride)
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _one(padding)), ceil_mode,
                      count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins along the last dim."""
    _check_dims(input, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _one(output_size))).squeeze(-2)
