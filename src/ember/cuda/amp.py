"""torch.cuda.amp: PyTorch's deprecated spellings of torch.amp's autocast, GradScaler and
custom_fwd / custom_bwd.

They warn that they are deprecated (FutureWarning, PyTorch's words) and then behave as
``torch.amp.autocast('cuda', ...)`` / ``torch.amp.GradScaler('cuda', ...)``: without CUDA,
switched off with a warning, so the script runs in float32; ``custom_fwd`` / ``custom_bwd``
as ``torch.amp.custom_fwd(..., device_type='cuda')``, which hand the function back as it is.
"""

from __future__ import annotations

import warnings

from .. import amp as _amp

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd", "GradScaler"]


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


def _deprecated_decorator(name: str) -> None:
    warnings.warn(f"`torch.cuda.amp.{name}(args...)` is deprecated. Please use "
                  f"`torch.amp.{name}(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=3)


def _custom_fwd(fwd=None, *, cast_inputs=None):
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def _custom_bwd(bwd):
    return _amp.custom_bwd(bwd, device_type="cuda")


_custom_fwd.__qualname__, _custom_bwd.__qualname__ = "custom_fwd", "custom_bwd"  # TypeErrors


def custom_fwd(*args, **kwargs):
    """torch.amp.custom_fwd(fwd, device_type='cuda', cast_inputs=...), after the warning (on
    every call, before the arguments are checked, as PyTorch's). ``@custom_fwd(cast_inputs=
    ...)`` gives the decorator."""
    _deprecated_decorator("custom_fwd")
    return _custom_fwd(*args, **kwargs)


def custom_bwd(*args, **kwargs):
    """torch.amp.custom_bwd(bwd, device_type='cuda'), after the warning."""
    _deprecated_decorator("custom_bwd")
    return _custom_bwd(*args, **kwargs)


def amp_definitely_not_available() -> bool:
    """True: no CUDA here (and no torch_xla)."""
    return True
