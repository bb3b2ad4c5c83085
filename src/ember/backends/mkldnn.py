"""oneDNN (MKL-DNN) flags: ember computes with NumPy, not oneDNN. ``enabled`` is kept only so
that scripts setting ``torch.backends.mkldnn.enabled = False`` run."""

import sys
from contextlib import contextmanager

from . import _fp32

enabled = True
deterministic = False
# ``torch.backends.mkldnn.matmul.fp32_precision`` and kin, and the module's own
# ``fp32_precision`` (mkldnn, all ops): views of the shared precision state (_fp32)
matmul = _fp32.FP32Precision("mkldnn", "matmul")
conv = _fp32.FP32Precision("mkldnn", "conv")
rnn = _fp32.FP32Precision("mkldnn", "rnn")
_fp32.module_with_precision(sys.modules[__name__], "mkldnn", "generic", allow_tf32=property(
    lambda self: None, lambda self, v: _fp32.set_onednn_allow_tf32(v)))


def is_available() -> bool:
    return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    """Set the flags given (None: left as is) and return the old ones, in this argument
    order (``allow_tf32`` reads None, as on PyTorch's CPU build)."""
    mod = sys.modules[__name__]
    orig = (mod.enabled, mod.deterministic, None, _fp32.precision("mkldnn", "all"))
    if _enabled is not None:
        mod.enabled = _enabled
    if _deterministic is not None:
        mod.deterministic = _deterministic
    if _allow_tf32 is not None:
        _fp32.set_onednn_allow_tf32(_allow_tf32)
    if _fp32_precision is not None:
        _fp32.set_precision("mkldnn", "all", _fp32_precision)
    return orig


@contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """``torch.backends.mkldnn.flags``: these flags inside the block, the old ones after."""
    orig = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        set_flags(*orig)
