"""cuDNN flags that scripts set for determinism; ember accepts and ignores them.

The defaults are PyTorch's on a CPU-only build: the flags read as PyTorch's defaults
(``enabled`` is True there too), while ``is_available()`` is False and ``version()`` None."""

import sys
from contextlib import contextmanager

from . import _fp32

deterministic = False
benchmark = False
enabled = True
# ``torch.backends.cudnn.conv.fp32_precision`` and kin, the module's own ``fp32_precision``
# (cuda, all ops) and ``allow_tf32``: views of the shared precision state (_fp32)
conv = _fp32.FP32Precision("cuda", "conv")
rnn = _fp32.FP32Precision("cuda", "rnn")
_fp32.module_with_precision(sys.modules[__name__], "cuda", allow_tf32=property(
    lambda self: _fp32.cudnn_allow_tf32(), lambda self, v: _fp32.set_cudnn_allow_tf32(v)))


def is_available() -> bool:
    return False


def version() -> None:
    """The cuDNN version: None, since there is no cuDNN."""
    return None


_depthwise = ["auto"]  # torch._C._get_cudnn_depthwise_kernel's default


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None):
    """Set the flags given (None: left as is) and return the old ones, in this argument
    order (benchmark_limit None: no cuDNN). ``_fp32_precision`` is the cuda "all" string."""
    mod = sys.modules[__name__]
    orig = (mod.enabled, mod.benchmark, None, mod.deterministic, _fp32.cudnn_allow_tf32(),
            _fp32.precision("cuda", "all"), _depthwise[0])
    if _enabled is not None:
        mod.enabled = _enabled
    if _benchmark is not None:
        mod.benchmark = _benchmark
    if _deterministic is not None:
        mod.deterministic = _deterministic
    if _allow_tf32 is not None:
        _fp32.set_cudnn_allow_tf32(_allow_tf32)
    if _fp32_precision is not None:
        _fp32.set_precision("cuda", "all", _fp32_precision)
    if _depthwise_kernel is not None:
        _depthwise[0] = _depthwise_kernel
    return orig


@contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """``torch.backends.cudnn.flags``: these flags inside the block, the old ones after."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32,
                     fp32_precision, depthwise_kernel)
    try:
        yield
    finally:
        set_flags(*orig)
