"""Padding layers over F.pad: Zero / Constant / Reflection / Replication / Circular, 1-3 d."""

from __future__ import annotations

from ...tensor import Tensor
from ..functional._misc import pad
from .module import Module


def _amounts(padding, k: int) -> tuple:
    """An int pads every side; otherwise the 2k amounts as given (last dim first)."""
    if isinstance(padding, int):
        return (padding,) * (2 * k)
    return tuple(padding)


class _PadNd(Module):
    __constants__ = ["padding", "mode"]
    _k = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _amounts(padding, self._k)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _family(base, mode: str, doc: str) -> tuple:
    made = []
    for k in (1, 2, 3):
        name = f"{base.__name__.strip('_').replace('PadNd', '')}Pad{k}d"
        made.append(type(name, (base,), {"_k": k, "_mode": mode, "__module__": __name__,
                                         "__qualname__": name,
                                         "__doc__": f"{doc} of the last {k} dim(s)."}))
    return tuple(made)


ConstantPad1d, ConstantPad2d, ConstantPad3d = _family(
    _ConstantPadNd, "constant", "Pads with a constant value the borders")
ZeroPad1d, ZeroPad2d, ZeroPad3d = _family(_ZeroPadNd, "constant", "Pads with zeros the borders")
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _family(
    type("_ReflectionPadNd", (_PadNd,), {"_mode": "reflect"}), "reflect",
    "Pads with the input's reflection (edge not repeated) the borders")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _family(
    type("_ReplicationPadNd", (_PadNd,), {"_mode": "replicate"}), "replicate",
    "Pads with copies of the edge entries the borders")
class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        k = self._k
        if input.dim() not in (k + 1, k + 2):
            raise ValueError(f"expected {k + 1}D or {k + 2}D input (got {input.dim()}D input)")
        return pad(input, self.padding, "circular")


CircularPad1d, CircularPad2d, CircularPad3d = _family(_CircularPadNd, "circular",
    "Pads by wrapping around (periodic) the borders")

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]
