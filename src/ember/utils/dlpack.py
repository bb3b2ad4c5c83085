"""DLPack: tensors shared, without copying, with other array libraries (real PyTorch, NumPy,
JAX on the CPU). ember's memory is a NumPy array, so this is NumPy's DLPack support:
``torch.from_dlpack(ember_tensor)`` in PyTorch and ``ember.from_dlpack(torch_tensor)`` both
share memory (writes through one show in the other).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["from_dlpack", "to_dlpack"]

_CPU = 1  # DLPack's kDLCPU


class _Capsule:
    """A bare DLPack capsule (``to_dlpack``'s result) given the protocol NumPy reads."""

    def __init__(self, capsule) -> None:
        self._capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (_CPU, 0)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing ``ext_tensor``'s memory (any object with ``__dlpack__``, or a capsule
    made by ``to_dlpack``, which can be used once)."""
    source = ext_tensor if hasattr(ext_tensor, "__dlpack__") else _Capsule(ext_tensor)
    try:
        data = np.from_dlpack(source)
    except (TypeError, ValueError, BufferError) as err:
        if source is ext_tensor:
            raise
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor "
                           "capsules can be consumed only once, so you might have already "
                           "constructed a tensor from it once.") from err
    from ..dtypes import from_numpy_dtype

    from_numpy_dtype(data.dtype)  # PyTorch's error for a dtype ember cannot hold
    return Tensor._make(data, False, None)


def to_dlpack(tensor: Tensor):
    """A DLPack capsule over ``tensor``'s memory (for a library that takes capsules)."""
    return tensor.__dlpack__()
