"""InstanceNorm1d/2d/3d."""

from __future__ import annotations

import warnings

from ...tensor import Tensor
from ..functional._norm import instance_norm
from .batchnorm import _BatchNorm


class _InstanceNorm(_BatchNorm):
    """Per-sample, per-channel normalisation over the spatial dims (PyTorch's defaults:
    affine=False, track_running_stats=False); the same parameters and buffers as BatchNorm."""

    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_features(self, input: Tensor) -> None:
        dim = input.dim() - self._no_batch_dim
        if input.shape[dim] == self.num_features:
            return
        if self.affine:
            raise ValueError(f"expected input's size at dim={dim} to match num_features "
                             f"({self.num_features}), but got: {input.shape[dim]}.")
        warnings.warn(f"input's size at dim={dim} does not match num_features. You can "
                      "silence this warning by not passing in num_features, which is not used "
                      "because affine=False", stacklevel=3)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        self._check_features(input)
        if input.dim() == self._no_batch_dim:
            return self._normalise(input.unsqueeze(0)).squeeze(0)
        return self._normalise(input)

    def _normalise(self, input: Tensor) -> Tensor:
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             self.momentum if self.momentum is not None else 0.0, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or (C, L) inputs."""

    _expected_dims = (2, 3)
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or (C, H, W) inputs."""

    _expected_dims = (3, 4)
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or (C, D, H, W) inputs."""

    _expected_dims = (4, 5)
    _no_batch_dim = 4
