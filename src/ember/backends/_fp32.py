"""The float32 matmul precision as PyTorch 2.13 keeps it: one state behind two APIs.

- the legacy level, ``torch.set_float32_matmul_precision`` / ``get_float32_matmul_precision``
  ("highest" / "high" / "medium") and its cuBLAS alias
  ``torch.backends.cuda.matmul.allow_tf32`` (True is "high", False "highest");
- the per-backend strings ("none" / "ieee" / "tf32" / "bf16"): ``torch.backends.fp32_precision``
  (generic), ``torch.backends.cuda.matmul.fp32_precision``, ``torch.backends.cudnn
  .fp32_precision`` (cuda, all ops), ``torch.backends.mkldnn[.matmul].fp32_precision``.

Setting the level also sets the cuda and mkldnn matmul strings ("highest": ieee/ieee,
"high": tf32/tf32, "medium": tf32/bf16); ``allow_tf32 = b`` sets the level and the cuda
matmul string. A string reads through "none" to its backend's "all", then to the generic one
(cuda never reads "bf16": "none"). Reading the level or ``allow_tf32`` after the two APIs
were set inconsistently raises PyTorch's RuntimeError. Recorded only: ember multiplies
float32 at full precision whatever is set.
"""

from __future__ import annotations

_DOCS = "https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices"
_LEVELS = ("highest", "high", "medium")
_STRINGS = ("none", "ieee", "tf32", "bf16")
# what each level writes into (cuda matmul, mkldnn matmul)
_LEVEL_STRINGS = {"highest": ("ieee", "ieee"), "high": ("tf32", "tf32"),
                  "medium": ("tf32", "bf16")}

_state = {"level": "highest", "cudnn_tf32": True}
_table = {(b, op): "none" for b in ("generic", "cuda", "mkldnn")
          for op in ("all", "matmul", "conv", "rnn")}
_table[("cuda", "conv")] = _table[("cuda", "rnn")] = "tf32"  # cudnn.allow_tf32's default


def precision(backend: str, op: str) -> str:
    """The string in force for (backend, op): its own, else its backend's "all", else the
    generic one; cuda cannot use bf16 ("none")."""
    p = _table[(backend, op)]
    if p == "none":
        p = _table[(backend, "all")]
    if p == "none":
        p = _table[("generic", "all")]
    return "none" if backend == "cuda" and p == "bf16" else p


def set_precision(backend: str, op: str, value) -> None:
    if not isinstance(value, str):
        raise TypeError("_set_fp32_precision_setter(): incompatible function arguments. The "
                        "following argument types are supported:\n    1. (backend: str, op: "
                        f"str, precision: str) -> None\n\nInvoked with: {backend!r}, {op!r}, "
                        f"{value!r}")
    if value not in _STRINGS:
        raise RuntimeError(f"Unknown precision: {value}")
    if backend == "cuda" and value == "bf16":
        raise RuntimeError("backend 'cuda' does not support precision 'bf16'")
    _table[(backend, op)] = value


def set_level(level: str) -> None:
    _state["level"] = level
    _table[("cuda", "matmul")], _table[("mkldnn", "matmul")] = _LEVEL_STRINGS[level]


def level() -> str:
    lv, mk = _state["level"], precision("mkldnn", "matmul")
    if ((precision("cuda", "matmul") == "tf32" and lv == "highest")
            or (mk == "bf16" and lv != "medium") or (mk == "tf32" and lv != "high")):
        raise RuntimeError("PyTorch is checking the matmul precision without a specific backend "
                           "name,Current status indicate that you have used mix of the legacy "
                           "and new APIs to set the matmul precision. We suggest only using the "
                           f"new API for matmul precision. See also: {_DOCS}")
    return lv


def allow_tf32() -> bool:
    new = precision("cuda", "matmul") == "tf32"
    if (_state["level"] != "highest") != new:
        raise RuntimeError("PyTorch is checking whether allow_tf32_new is enabled for cuBlas "
                           "matmul,Current status indicate that you have used mix of the legacy "
                           "and new APIs to set the TF32 status for cublas matmul. We suggest "
                           f"only using the new API to set the TF32 flag. See also: {_DOCS}")
    return new


def set_allow_tf32(value) -> None:
    if not isinstance(value, bool):
        raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got "
                           f"{type(value).__name__}")
    _state["level"] = "high" if value else "highest"
    _table[("cuda", "matmul")] = "tf32" if value else "ieee"


def cudnn_allow_tf32() -> bool:
    """``torch.backends.cudnn.allow_tf32``: its own flag, which must agree with the cuda
    conv and rnn strings (both "tf32" when True)."""
    flag = _state["cudnn_tf32"]
    if not (precision("cuda", "rnn") == "tf32") == (precision("cuda", "conv") == "tf32") == flag:
        raise RuntimeError("PyTorch is checking whether allow_tf32 is enabled for cuDNN without a "
                           "specific operator name,but the current flag(s) indicate that cuDNN "
                           "conv and cuDNN RNN have different TF32 flags.This combination "
                           "indicates that you have used a mix of the legacy and new APIs to set "
                           "the TF32 flags. We suggest only using the new API to set the TF32 "
                           f"flag(s). See also: {_DOCS}")
    return flag


def set_cudnn_allow_tf32(value) -> None:
    if not isinstance(value, bool):  # (sic: PyTorch names the cuBLAS setter here)
        raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got "
                           f"{type(value).__name__}")
    _table[("cuda", "rnn")] = _table[("cuda", "conv")] = "tf32" if value else "none"
    _state["cudnn_tf32"] = value


def set_onednn_allow_tf32(value) -> None:
    """``torch.backends.mkldnn.allow_tf32 = b``: checked, and (as on PyTorch's CPU build)
    without effect: it reads None."""
    if not isinstance(value, bool):
        raise RuntimeError(f"_set_onednn_allow_tf32 expects a bool, but got "
                           f"{type(value).__name__}")


class FP32Precision:
    """``torch.backends.mkldnn.matmul`` and its kin: one (backend, op) string."""

    def __init__(self, backend: str, op: str) -> None:
        self.backend, self.op = backend, op

    @property
    def fp32_precision(self) -> str:
        return precision(self.backend, self.op)

    @fp32_precision.setter
    def fp32_precision(self, value) -> None:
        set_precision(self.backend, self.op, value)


def module_with_precision(module, backend: str, set_backend: str | None = None,
                          **props) -> None:
    """Give a backends module a ``fp32_precision`` property reading (backend, "all") and
    writing (set_backend, "all") (PyTorch's mkldnn module writes the generic one), plus the
    properties in ``props``."""
    import types

    target = set_backend or backend

    def get(self):
        return precision(backend, "all")

    def put(self, value):
        set_precision(target, "all", value)

    module.__class__ = type(f"_{backend}_module", (types.ModuleType,),
                            {"fp32_precision": property(get, put), **props})
