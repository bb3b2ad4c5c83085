"""AdaptiveMaxPool3d, FractionalMaxPool2d/3d, LPPool3d and MaxUnpool3d."""

from __future__ import annotations

from ...tensor import Tensor
from ..functional import _pool3d_more as P3
from ..functional import _pool_fractional as PF
from .module import Module
from .pooling_more import _AdaptiveMaxPoolNd, _LPPoolNd, _MaxUnpoolNd


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Maximum over adaptive bins to an (od, oh, ow) output (None keeps that size)."""

    def forward(self, input: Tensor):
        return PF.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over depth, height and width: (sum of x^p per window)^(1/p)."""

    def forward(self, input: Tensor) -> Tensor:
        return P3.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                            self.ceil_mode)


class MaxUnpool3d(_MaxUnpoolNd):
    """Puts max_pool3d's values back at their indices (zeros elsewhere)."""

    _nd = 3

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return P3.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                               output_size)


def _n_tuple(v, nd: int):
    return None if v is None else (tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd)


class _FractionalMaxPoolNd(Module):
    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]
    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        name = type(self).__name__
        self._check_kernel(kernel_size)
        self.kernel_size = _n_tuple(kernel_size, self._nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _n_tuple(output_size, self._nd)
        self.output_ratio = _n_tuple(output_ratio, self._nd)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and \
                not all(0 < r < 1 for r in self.output_ratio[:self._nd]):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def _check_kernel(self, kernel_size) -> None:
        pass

    def forward(self, input: Tensor):
        fn = PF.fractional_max_pool2d if self._nd == 2 else PF.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max pooling over kernel windows whose starts step pseudo-randomly to fill
    ``output_size`` (or ``output_ratio`` of the input), as Graham (2014)."""


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """FractionalMaxPool2d over depth, height and width."""

    _nd = 3

    def _check_kernel(self, kernel_size) -> None:
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
