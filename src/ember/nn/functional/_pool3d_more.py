"""lp_pool3d, max_unpool3d and the ``*_with_indices`` names PyTorch gives the max poolings
(which always return (values, indices), whatever ``return_indices`` says)."""

from __future__ import annotations

import math

import numpy as np

from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._pool import avg_pool3d, max_pool3d
from ._pool_more import (MaxUnpool2d, _lp_finish, _seq, _unpool_size, adaptive_max_pool1d,
                         adaptive_max_pool2d)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """(values, indices) of max_pool3d."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """(values, indices) of adaptive_max_pool1d."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """(values, indices) of adaptive_max_pool2d."""
    return adaptive_max_pool2d(input, output_size, True)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x^p)^(1/p) over depth, height and width; p = inf is max |x|."""
    kd, kh, kw = _triple_unpack(kernel_size)
    if norm_type == float("inf"):
        return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    mean = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(mean, norm_type, kd * kh * kw)


def _triple_unpack(kernel_size) -> tuple:
    vals = (kernel_size,) * 3 if isinstance(kernel_size, (int, np.integer)) \
        else tuple(kernel_size)
    if len(vals) != 3:  # PyTorch unpacks the kernel into three names first
        raise ValueError(f"not enough values to unpack (expected 3, got {len(vals)})"
                         if len(vals) < 3 else "too many values to unpack (expected 3)")
    return vals


class MaxUnpool3d(MaxUnpool2d):
    node_name = "MaxUnpool3DBackward0"


def _unpool3d_checks(input: Tensor, indices: Tensor, stride: tuple) -> None:
    if indices._data.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64")
    if input.dim() not in (4, 5):
        raise RuntimeError("Input to max_unpooling3d should be a 4d or 5d Tensor, but got a "
                           f"tensor with {input.dim()} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError("max_unpooling3d_forward_out_cpu(): Expected input to have "
                               "non-zero size for non-batch dimensions, but got "
                               f"{list(input.shape)} with dimension {i} being empty.")
    if min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: "
                           f"{list(stride)}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"max_unpool3d" not implemented for '
                                  f"'{type_name(input._data.dtype)}'")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: each value put back at its flat D * H * W index,
    zeros elsewhere."""
    k = _seq(kernel_size, 3)
    s = k if stride is None else _seq(stride, 3)
    dhw = _unpool_size(tuple(input.shape), k, s, _seq(padding, 3), output_size)
    _unpool3d_checks(input, indices, s)
    volume = math.prod(dhw)
    idx = indices._data.reshape(-1, math.prod(input.shape[-3:]))
    bad = (idx < 0) | (idx >= volume)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad][-1]} (output volumes are of "
                           f"size {dhw[0]}x{dhw[1]}x{dhw[2]})")
    flat = (idx + np.arange(idx.shape[0])[:, None] * volume).ravel()
    return MaxUnpool3d.apply(input, flat, tuple(input.shape[:-3]) + tuple(dhw))
