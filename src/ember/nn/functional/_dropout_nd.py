"""dropout1d, dropout2d, dropout3d: zero whole channels (feature maps) at a time."""

from __future__ import annotations

import warnings

import numpy as np

from ... import _torch_rng as _T
from ...random import default_generator
from ...tensor import Tensor
from .._ops import DropoutMul


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    """Zero each channel with probability p and scale the rest by 1/(1-p). Channels are dim 1
    of a batched input, dim 0 of an unbatched one. As PyTorch's feature dropout: noise of
    shape (N, C, 1, ...) in the input's dtype, ``bernoulli_(1 - p)`` (a float64 uniform per
    (sample, channel), in C order, 1 where u < 1 - p), ``div_(1 - p)`` in that dtype, then
    ``input * noise``; p == 1 multiplies by zero and draws nothing."""
    shape = input.shape if batched else (1,) + tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0 or input._data.size == 0:
        return input
    arr = input._data
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    mask_shape = tuple(shape[:2]) + (1,) * (len(shape) - 2)
    if p == 1.0:
        mask = np.zeros(mask_shape, dtype)
    else:
        keep = _T.bernoulli_scalar(default_generator.bits, _numel(mask_shape), 1.0 - p)
        mask = keep.reshape(mask_shape).astype(dtype) / dtype.type(1.0 - p)
    if not batched:
        mask = mask[0]
    if inplace:
        input._check_inplace()
        return input._write(DropoutMul.apply(input._graph_input(), mask))
    return DropoutMul.apply(input, mask)


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, L) or unbatched (C, L) input."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, batched=nd == 3)


def _deprecated_dims(name: str, nd: int, spatial: int) -> None:
    warnings.warn(f"{name}: Received a {nd}-D input to {name}, which is deprecated and will "
                  "result in an error in a future release. To retain the behavior and silence "
                  f"this warning, please use dropout instead. Note that {name} exists to "
                  f"provide channel-wise dropout on inputs with {spatial} spatial dimensions, a "
                  "channel dimension, and an optional batch dimension (i.e. "
                  f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, H, W) input. A 3-D input is taken as (N, C, L), as PyTorch
    does for now (with its warning), not as an unbatched (C, H, W)."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        _deprecated_dims("dropout2d", nd, 2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, D, H, W) or unbatched (C, D, H, W) input."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        _deprecated_dims("dropout3d", nd, 3)
    return _channel_dropout(input, p, training, inplace, batched=nd == 5)
