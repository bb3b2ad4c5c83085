"""``tensor.untyped_storage()``: the memory a tensor views, as PyTorch exposes it.

Tutorials use it to show that views share memory
(``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()``). Here the storage is
the NumPy array at the root of the tensor's ``.base`` chain, read as bytes.
"""

from __future__ import annotations

import sys

import numpy as np

_TYPENAME = "torch.storage.UntypedStorage"


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class UntypedStorage:
    """The bytes under a tensor: ``data_ptr()``, ``nbytes()``, indexing gives byte values."""

    def __init__(self, root: np.ndarray) -> None:
        self._root = root

    def data_ptr(self) -> int:
        return self._root.__array_interface__["data"][0]

    def nbytes(self) -> int:
        return int(self._root.nbytes)

    size = nbytes

    def __len__(self) -> int:
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    @property
    def device(self):
        from ._size_device import CPU

        return CPU

    def _bytes(self) -> np.ndarray:
        return np.ascontiguousarray(self._root).reshape(-1).view(np.uint8)

    def tolist(self) -> list:
        return self._bytes().tolist()

    def __getitem__(self, i):
        if isinstance(i, slice):  # a view of the same bytes, as PyTorch's
            return UntypedStorage(self._bytes()[i])
        from ._tensor_api import _storage_index

        return int(self._bytes()[_storage_index(self, i)])

    def __setitem__(self, i, value) -> None:
        self._bytes()[i] = value

    def fill_(self, value) -> "UntypedStorage":
        self._bytes().fill(value)
        return self

    def type(self, dtype=None):
        return _TYPENAME if dtype is None else NotImplemented

    def cpu(self) -> "UntypedStorage":
        return self

    def is_shared(self) -> bool:
        return shared(self._root)

    def share_memory_(self) -> "UntypedStorage":
        self._root = share_array(self._root)
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def __repr__(self) -> str:
        # PyTorch's: one byte value a line, then the type and size
        head = " " + "\n ".join(str(b) for b in self.tolist())
        return f"{head}\n[{_TYPENAME}(device=cpu) of size {self.nbytes()}]"


def shared(a: np.ndarray) -> bool:
    """Whether ``a`` lies in the shared memory share_memory_() moved it to (ember's
    multiprocessing._shm arena; not loaded: nothing is shared)."""
    shm = sys.modules.get("ember.multiprocessing._shm")
    return shm is not None and shm.arena_of(a) is not None


def share_array(a: np.ndarray) -> np.ndarray:
    """Move the memory under ``a`` (with every tensor on it) to shared memory, as
    Tensor.share_memory_ does; returns ``a`` as it now lies there."""
    from .multiprocessing import _shm
    from .tensor import Tensor

    holder = Tensor._make(a, False, None)  # share_tensors moves tensors: one on a's memory
    _shm.share_tensors([holder])
    return holder._data


def untyped_storage(self) -> UntypedStorage:
    """The storage under this tensor (shared by all its views)."""
    d = self._data
    return UntypedStorage(_root(d if type(d) is np.ndarray else np.asarray(d)))
