"""Fold an eval-mode BatchNorm into the convolution or linear layer before it.

In eval mode batch norm is affine per channel: y = (x - mean) / sqrt(var + eps) * w + b, so
conv-then-BN equals one conv with each output channel's weights scaled by
s = w / sqrt(var + eps) and bias (b_conv - mean) * s + b.
"""

from __future__ import annotations

import copy

from ... import ops
from ...creation import ones_like, zeros_like
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _or_fill(t, like: Tensor, one: bool) -> Tensor:
    """t, or ones / zeros shaped like ``like`` for a missing affine term or bias."""
    if t is not None:
        return t
    return ones_like(like) if one else zeros_like(like)


def fuse_conv_bn_weights(conv_w: Tensor, conv_b, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                         bn_w, bn_b, transpose: bool = False) -> tuple:
    """(weight, bias) Parameters of the conv that equals conv then batch norm (eval)."""
    bias_dtype = conv_b.dtype if conv_b is not None else conv_w.dtype
    conv_b = _or_fill(conv_b, bn_rm, False)
    bn_w, bn_b = _or_fill(bn_w, bn_rm, True), _or_fill(bn_b, bn_rm, False)
    inv_std = ops.rsqrt(bn_rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.dim() - 2)
    fused_w = (conv_w * (bn_w * inv_std).reshape(shape)).to(dtype=conv_w.dtype)
    fused_b = ((conv_b - bn_rm) * inv_std * bn_w + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` with ``bn`` (both in eval mode) folded into its weight and bias."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b, bn_rm: Tensor, bn_rv: Tensor,
                           bn_eps: float, bn_w: Tensor, bn_b: Tensor) -> tuple:
    """(weight, bias) Parameters of the linear layer that equals linear then batch norm."""
    bias_dtype = linear_b.dtype if linear_b is not None else linear_w.dtype
    linear_b = _or_fill(linear_b, bn_rm, False)
    scale = bn_w * ops.rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=linear_w.dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b,
                                                                 linear_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` with ``bn`` (both in eval mode; bn.num_features equal to
    out_features, or 1) folded into its weight and bias."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or "
                             "bn.num_features == 1, got linear.out_features="
                             f"{linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused
