"""``torch.backends.cuda`` as on a CPU-only PyTorch: not built, default matmul flags, and the
scaled_dot_product_attention kernel switches (these act on CPU too: see ember.nn.attention)."""

from __future__ import annotations

import contextlib
import functools
import warnings

from ..nn.attention import SDPBackend, _set_flags  # noqa: F401 (SDPBackend: PyTorch's too)
from ..nn.functional import _more
from . import _fp32


def is_built() -> bool:
    return False


class cuBLASModule:  # noqa: N801 - PyTorch's name
    """``torch.backends.cuda.matmul``: the TF32 / reduced-precision flags (no effect here).
    ``allow_tf32`` and ``fp32_precision`` are views of the shared float32 matmul precision
    (``ember.backends._fp32``: setting one moves ``torch.get_float32_matmul_precision()``)."""

    _FLAGS = ("allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction", "allow_fp16_accumulation")

    def __init__(self) -> None:
        d = self.__dict__
        d.update(allow_fp16_reduced_precision_reduction=True,
                 allow_bf16_reduced_precision_reduction=True, allow_fp16_accumulation=False)

    def __getattr__(self, name: str):
        if name == "allow_tf32":
            return _fp32.allow_tf32()
        if name == "fp32_precision":
            return _fp32.precision("cuda", "matmul")
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        if name == "allow_tf32":
            _fp32.set_allow_tf32(value)
        elif name == "fp32_precision":
            _fp32.set_precision("cuda", "matmul", value)
        elif name not in self._FLAGS:
            raise AttributeError(f"Unknown attribute {name}")
        else:
            self.__dict__[name] = value


matmul = cuBLASModule()


def _switch(flag: str, enabled, setter: str, fmt: str = "") -> None:
    if not isinstance(enabled, bool):  # PyTorch's messages, quirks included
        raise RuntimeError(f"{setter} expects a bool, but got {fmt}{type(enabled).__name__}")
    _set_flags({flag: enabled})


def flash_sdp_enabled() -> bool:
    return _more.SDP_ENABLED["flash"]


def mem_efficient_sdp_enabled() -> bool:
    return _more.SDP_ENABLED["mem_efficient"]


def math_sdp_enabled() -> bool:
    return _more.SDP_ENABLED["math"]


def cudnn_sdp_enabled() -> bool:
    return _more.SDP_ENABLED["cudnn"]


def enable_flash_sdp(enabled: bool) -> None:
    _switch("flash", enabled, "set_sdp_use_math")


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _switch("mem_efficient", enabled, "set_sdp_use_math")


def enable_math_sdp(enabled: bool) -> None:
    _switch("math", enabled, "set_sdp_use_math")


def enable_cudnn_sdp(enabled: bool) -> None:
    _switch("cudnn", enabled, "set_sdp_use_cudnn", "%s")


def is_flash_attention_available() -> bool:
    return False


_REDUCED = {"on": False}


def allow_fp16_bf16_reduction_math_sdp(enabled: bool) -> None:
    _REDUCED["on"] = enabled


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    return _REDUCED["on"]


def _deprecated_at_call(fn):
    """Warn when ``fn`` is called, naming its caller (PyTorch's ``@deprecated`` under
    ``@contextmanager``: the warning comes as the context manager is made, not entered, and
    points at contextlib, which makes the call)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this "
                      "context manager will be removed. Please see `torch.nn.attention."
                      "sdpa_kernel()` for the new context manager, with updated signature.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    return wrapper


@contextlib.contextmanager
@_deprecated_at_call
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True):
    """Deprecated form of ``torch.nn.attention.sdpa_kernel``."""
    saved = dict(_more.SDP_ENABLED)
    try:
        _set_flags({"flash": enable_flash, "math": enable_math,
                    "mem_efficient": enable_mem_efficient, "cudnn": enable_cudnn})
        yield {}
    finally:
        _set_flags(saved)

