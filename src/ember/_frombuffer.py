"""``torch.frombuffer`` and ``torch.from_file``: tensors over memory that is not a tensor's.

frombuffer views any object with Python's buffer protocol (bytearray, array.array, mmap):
writes through the tensor show in the buffer. A read-only buffer (bytes) cannot be written
through by NumPy, so ember copies it (PyTorch shares it and warns that writes would change
"supposedly non-writable" memory); the warning is PyTorch's, given once.
"""

from __future__ import annotations

import os

import numpy as np

from . import dtypes as D
from ._warn import warn
from .tensor import Tensor

__all__ = ["frombuffer", "from_file"]

_WARNED = {"read_only": False}


def frombuffer(buffer, *, dtype=None, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-D tensor of ``count`` elements (all when -1) of ``buffer`` from byte ``offset``."""
    if dtype is None:
        raise TypeError('frombuffer() missing 1 required positional arguments: "dtype"')
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_bool

        rg_bool("frombuffer", requires_grad, False)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    np_dtype = D.to_np(dtype)
    length, size = view.nbytes, np_dtype.itemsize
    count = -1 if count < 0 else count
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % size:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({size})")
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")
    data = np.frombuffer(view.cast("B") if view.ndim != 1 or view.format != "B" else view,
                         dtype=np_dtype, count=count, offset=offset)
    if view.readonly:
        if not _WARNED["read_only"]:
            _WARNED["read_only"] = True
            warn("The given buffer is not writable, and PyTorch does not support non-writable "
                 "tensors. This means you can write to the underlying (supposedly non-writable) "
                 "buffer using the tensor. You may want to copy the buffer to protect its data "
                 "or make it writable before converting it to a tensor. This type of warning "
                 "will be suppressed for the rest of this program.")
        data = data.copy()
    from .creation import _leaf  # (checks requires_grad on an int dtype as PyTorch)

    return _leaf(data, bool(requires_grad))


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None,
              pin_memory=False, requires_grad=False) -> Tensor:
    """``size`` elements of ``dtype`` read from ``filename``, memory-mapped: with
    ``shared=True`` writes to the tensor go to the file; otherwise they stay private."""
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_bool

        requires_grad = rg_bool("from_file", requires_grad)
    np_dtype = D.to_np(dtype if dtype is not None else D.get_default_dtype())
    try:
        length = os.path.getsize(filename)
    except OSError as err:
        mode = "read-write" if shared else "read-only"
        raise RuntimeError(f"unable to open file <{filename}> in {mode} mode: "
                           f"{err.strerror} ({err.errno})") from None
    need = int(size) * np_dtype.itemsize
    if need > length:
        raise RuntimeError(f"file <{filename}> size <{length}> is smaller than the required "
                           f"mapping size <{need}>")
    if need == 0:
        data = np.empty(0, np_dtype)
    else:
        data = np.memmap(filename, dtype=np_dtype, mode="r+" if shared else "c",
                         shape=(int(size),))
    from .creation import _leaf

    return _leaf(data, bool(requires_grad))
