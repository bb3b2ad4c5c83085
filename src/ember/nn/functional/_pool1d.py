"""max_pool1d, avg_pool1d, adaptive_avg_pool1d: the 2-D pools on a height-1 view (PyTorch
records them the same way: the last node is SqueezeBackward1)."""

from __future__ import annotations

from ...tensor import Tensor
from ._pool import _pool_kernel, adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ._pool_args import POSITION as _ONE, int_list, one_int


_SIZED = {"kernel_size": "an int, list of ints or tuple of ints",
          "stride": "None, an int, list of ints, or tuple of ints",
          "padding": "an int, list of ints, or tuple of ints",
          "dilation": "an int, list of ints or tuple of ints"}


def _one(v, name: str, fn: str) -> int:
    """An IntArrayRef[1] argument (kernel_size, ...) as PyTorch reads it: one int-like (an
    int, a NumPy integer, a one-element integer Tensor) or a list of one; max_pool1d checks
    the length itself, the others get the parser's message."""
    return one_int(v, name, fn, _ONE[name], _SIZED[name] if fn == "max_pool1d" else None)


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
    given = [(kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"),
             (dilation, "dilation")]
    sizes = [None if v is None else int_list(v, n, "max_pool1d", _ONE[n]) for v, n in given]
    for (v, n), vals in zip(given, sizes):  # the parser reads every type, then the sizes
        if vals is not None and not (n == "stride" and not vals) and len(vals) != 1:
            raise RuntimeError(f"max_pool1d() {n} must be {_SIZED[n]} of size 1 but got size "
                               f"{len(vals)}")
    k, p, d = sizes[0][0], sizes[2][0], sizes[3][0]
    s = k if not sizes[1] else sizes[1][0]
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
    k = _one(kernel_size, "kernel_size", "avg_pool1d")
    empty = isinstance(stride, (tuple, list)) and len(stride) == 0
    s = k if stride is None or empty else _one(stride, "stride", "avg_pool1d")
    p = _one(padding, "padding", "avg_pool1d")
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                      count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins along the last dim."""
    _check_dims(input, "adaptive_avg_pool1d")
    size = _one(output_size, "output_size", "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)
