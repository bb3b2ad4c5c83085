"""conv_tbc: a 1-D convolution over (time, batch, channels) inputs, as one matrix product of
the stacked time windows with the (kernel width * in_channels, out_channels) weight."""

from __future__ import annotations

from ... import ops
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._misc import pad as _pad


def _checks(input: Tensor, weight: Tensor, bias) -> None:
    if not isinstance(bias, Tensor):
        raise TypeError("conv_tbc(): argument 'bias' (position 3) must be Tensor, not "
                        f"{type(bias).__name__}")
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output "
                           "channels).")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError("self and mat2 must have the same dtype, but got "
                           f"{type_name(input._data.dtype)} and "
                           f"{type_name(weight._data.dtype)}")


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """y[t, b, o] = bias[o] + sum over k, c of x[t + k - pad, b, c] weight[k, c, o] (zeros
    outside x; a negative ``pad`` crops). input (T, B, C_in), weight (K, C_in, C_out)."""
    _checks(input, weight, bias)
    steps, batch, _ = input.shape
    width, c_in, c_out = weight.shape
    out_len = steps + 2 * pad - width + 1
    if out_len < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {out_len}: "
                           f"[{out_len}, {batch}, {c_out}]")
    b = bias if bias.dtype == input.dtype else bias.to(input.dtype)
    if width == 0:
        return b.expand(out_len, batch, c_out).clone()
    padded = _pad(input, (0, 0, 0, 0, pad, pad)) if pad else input
    windows = ops.stack([padded[k:k + out_len] for k in range(width)], 2)  # T' B K C
    cols = windows.reshape(out_len, batch, width * c_in)
    return ops.matmul(cols, weight.reshape(width * c_in, c_out)) + b
