"""torch.Size and torch.device: a shape that prints as PyTorch's, and where a tensor lives."""

from __future__ import annotations

import numpy as np


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(map(str, self))}])"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    # concatenating or repeating a Size gives a Size, on either side (x.shape + (1,))
    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        if not hasattr(type(n), "__index__"):
            raise TypeError(f"can't multiply sequence by non-int of type '{type(n).__name__}'")
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives. ember computes on the CPU; 'cuda' parses but cannot hold tensors."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): argument 'type' (position 1) must be str, not "
                                "torch.device")
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):  # an accelerator's index
            raise RuntimeError("Device index must not be negative" if type < 0 else
                               "Cannot access accelerator device when none is available.")
        elif not isinstance(type, str) or index is not None:
            index = _check_device_args(type, index)
        if ":" in type:
            whole, (type, idx) = type, type.split(":", 1)
            if not (idx.isascii() and idx.isdigit()) or len(idx) > 1 and idx[0] == "0":
                raise RuntimeError(f"Invalid device string: '{whole}'")
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {whole}")
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "meta"):
            import re

            if not type:
                raise RuntimeError("Device string must not be empty")
            if not re.fullmatch("[a-zA-Z_]+", type):  # PyTorch's pattern for a type name
                raise RuntimeError(f"Invalid device string: '{type}'")
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, "
                "fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type "
                f"at start of device string: {type}"
            )
        self.type, self.index = type, index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):  # device("cpu") == "cpu" is False in PyTorch
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self):
        """``with torch.device(d):`` makes d the default; only the CPU can be (no GPU)."""
        from ._config import set_default_device

        set_default_device(self)
        return self

    def __exit__(self, *exc) -> None:
        return None


def _check_device_args(type, index) -> int:  # noqa: A002
    """PyTorch's parser errors for device(type, index) arguments of the wrong kinds; else the
    index as an int."""
    from ._random_checks import _parser_type

    if not isinstance(type, str):
        got = ", ".join(_parser_type(a) for a in (type,) + ((index,) if index is not None else ()))
        why = ("\n      didn't match because some of the arguments have invalid types: "
               f"(!{got}!)" if index is None else "")
        raise TypeError(f"device() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n * (torch.device device){why}\n"
                        " * (str type, int index = -1)\n")
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError("device(): argument 'index' (position 2) must be int, not "
                        f"{_parser_type(index)}")
    if index < 0:
        raise RuntimeError("Device index must not be negative")
    return index.__index__()


CPU = device("cpu")
