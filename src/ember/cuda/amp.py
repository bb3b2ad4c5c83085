"""torch.cuda.amp: PyTorch's deprecated spellings of torch.amp's autocast and GradScaler.

They warn that they are deprecated (FutureWarning, PyTorch's words) and then behave as
``torch.amp.autocast('cuda', ...)`` / ``torch.amp.GradScaler('cuda', ...)``: without CUDA,
switched off with a warning, so the script runs in float32.
"""

from __future__ import annotations

import warnings

from .. import amp as _amp


def _deprecated(name: str) -> None:
    warnings.warn(f"`torch.cuda.amp.{name}(args...)` is deprecated. Please use "
                  f"`torch.amp.{name}('cuda', args...)` instead.", FutureWarning, stacklevel=3)


class autocast(_amp.autocast):  # noqa: N801 - PyTorch's name
    def __init__(self, enabled: bool = True, dtype=None, cache_enabled=None) -> None:
        _deprecated("autocast")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        _deprecated("GradScaler")
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)
