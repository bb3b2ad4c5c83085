"""convert_conv2d/3d_weight_memory_format: PyTorch re-lays conv weights out (channels_last)
for faster GPU kernels without changing any value or index. ember keeps every array in
NumPy's order and has no other layout, so both return the module as it is."""

from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """``module`` unchanged (values and shapes are what PyTorch's conversion keeps)."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """``module`` unchanged (values and shapes are what PyTorch's conversion keeps)."""
    return module
