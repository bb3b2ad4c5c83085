"""``ember.nn.attention`` (``torch.nn.attention``): choosing scaled_dot_product_attention's kernel.

On a CPU-only PyTorch two kernels exist: the fused "flash" kernel (4-D inputs, no dropout, ...)
and the math fallback; ember computes both ways alike and reports PyTorch's choice (the output's
grad_fn) and PyTorch's errors when the kernels allowed cannot run. The other backends (memory-
efficient, cuDNN) are CUDA kernels: allowing only those leaves nothing to run, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import enum

from ..functional import _more

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """The attention kernels, with PyTorch's values."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self) -> int:
        return self.value

    __index__ = __int__


_FLAG = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
         SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.CUDNN_ATTENTION: "cudnn",
         SDPBackend.OVERRIDEABLE: "overrideable"}


def _set_flags(flags: dict) -> None:
    """Set kernels on/off (name -> bool), keeping functional's set of those off in step."""
    _more.SDP_ENABLED.update(flags)
    _more.SDP_OFF.clear()
    _more.SDP_OFF.update(k for k, on in _more.SDP_ENABLED.items() if not on)


def _cur_sdpa_kernel_backends(with_priority: bool = False) -> list:
    return [b for b, flag in _FLAG.items() if _more.SDP_ENABLED.get(flag, True)]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Allow only ``backends`` (one SDPBackend or a list) inside the block; the previous
    choice comes back after it. Usable as a decorator. ``set_priority`` orders CUDA's
    kernels; on CPU, flash is taken first wherever it is allowed and applies."""
    assert isinstance(backends, (list, SDPBackend)), (
        "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
        f"{type(backends).__name__}")
    wanted = [backends] if isinstance(backends, SDPBackend) else backends
    saved = dict(_more.SDP_ENABLED)
    try:
        _set_flags({flag: b in wanted for b, flag in _FLAG.items()})
        yield {}
    finally:
        _set_flags(saved)


_more.SDP_ENABLED.setdefault("overrideable", True)
