"""Tensor methods for memory and type plumbing: ``as_subclass``, ``set_``, the legacy
``storage()``/``storage_type()`` (PyTorch's TypedStorage), and DLPack's ``__dlpack__`` /
``__dlpack_device__``. Bound on first use (ember/_lazy_methods.py).
"""

from __future__ import annotations

import numpy as np

from . import dtypes as D
from ._storage import UntypedStorage, _root, share_array, shared
from ._warn import warn
from .tensor import Tensor

METHODS = ("as_subclass", "set_", "storage", "storage_type", "__dlpack__", "__dlpack_device__")

_WARNED = {"typed": False}
_LEGACY = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
           "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
           "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage"}
# torch.FloatStorage & co: the classes storage_type() returns (printed as PyTorch's)
STORAGE_TYPES = {name: type(name, (), {"__module__": "torch", "dtype": D._NAMES[dt]})
                 for dt, name in _LEGACY.items()}


class TypedStorage:
    """The legacy storage: the whole memory under a tensor read as its dtype (a view's storage
    starts where its base's does). Writes through it show in the tensor."""

    def __init__(self, root: np.ndarray, dtype) -> None:
        self._array = root.reshape(-1).view(np.uint8).view(D.to_np(dtype)) \
            if root.flags.c_contiguous else np.ascontiguousarray(root).reshape(-1)
        self.dtype = dtype

    def size(self) -> int:
        return int(self._array.size)

    __len__ = size

    def data_ptr(self) -> int:
        return self._array.__array_interface__["data"][0]

    def element_size(self) -> int:
        return self._array.itemsize

    def nbytes(self) -> int:
        return int(self._array.nbytes)

    @property
    def device(self):
        from ._size_device import CPU

        return CPU

    def tolist(self) -> list:
        return self._array.tolist()

    def __getitem__(self, i):
        if isinstance(i, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        return self._array[_storage_index(self, i)].item()

    def __setitem__(self, i, value) -> None:
        try:
            self._array[i] = value
        except IndexError:  # PyTorch's words ("dimension", not NumPy's "axis")
            raise IndexError(f"index {i} is out of bounds for dimension 0 with size "
                             f"{self.size()}") from None

    def fill_(self, value) -> "TypedStorage":
        self._array.fill(value)
        return self

    def type(self, dtype=None):
        return "torch." + _LEGACY[self.dtype.name]

    def is_shared(self) -> bool:
        return shared(self._array)

    def share_memory_(self) -> "TypedStorage":
        self._array = share_array(self._array)
        return self

    def untyped(self) -> UntypedStorage:
        return UntypedStorage(_root(self._array))

    def __repr__(self) -> str:  # PyTorch's: one value a line, then the type and size
        body = "".join(f" {v}\n" for v in self.tolist())
        return (f"{body}[torch.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size "
                f"{self.size()}]")


def _storage_index(st, i) -> int:
    """An int index into a storage, checked with PyTorch's messages."""
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise RuntimeError(f"can't index a <class 'torch.storage.{type(st).__name__}'> with "
                           f"{type(i)}")
    n = len(st)
    if not -n <= i < n:
        raise IndexError(f"index {i} out of range for storage of size {n}")
    return i


def storage(self) -> TypedStorage:
    """The tensor's storage as a (deprecated) TypedStorage; PyTorch warns once."""
    if not _WARNED["typed"]:
        _WARNED["typed"] = True
        warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
             "will be the only storage class. This should only matter to you if you are using "
             "storages directly.  To access UntypedStorage directly, use "
             "tensor.untyped_storage() instead of tensor.storage()")
    d = self._data
    return TypedStorage(_root(d if type(d) is np.ndarray else np.asarray(d)), self.dtype)


def storage_type(self):
    """The legacy storage class of this tensor's dtype (``torch.FloatStorage``, ...)."""
    return STORAGE_TYPES[_LEGACY[self.dtype.name]]


def as_subclass(self, cls):
    """This tensor's data as an instance of ``cls`` (a Tensor subclass), sharing memory; when
    it requires grad, the result is an alias of it in the graph (AliasBackward0)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                        "Tensor is not possible. Make sure your class inherits from Tensor.")
    out = self[...]
    out.__class__ = cls
    return out


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Make this tensor use ``source``'s memory (a Tensor, or an UntypedStorage with an
    element offset, size and stride); ``set_()`` makes it an empty tensor."""
    if self._rg and self.grad_fn is None:
        from .autograd.grad_mode import STATE

        if STATE.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
    np_dtype = self._data.dtype
    if source is None:
        data = np.empty(0, np_dtype)
    elif isinstance(source, Tensor):
        if source._data.dtype != np_dtype:
            from ._out import _C_TYPES

            raise RuntimeError(f"Could not set tensor of type {_C_TYPES[source.dtype.name]} "
                               f"to a tensor of type {_C_TYPES[self.dtype.name]}")
        data = source._data if type(source._data) is np.ndarray else np.asarray(source._data)
    elif isinstance(source, (UntypedStorage, TypedStorage)):
        flat = (source._root if isinstance(source, UntypedStorage) else source._array)
        flat = flat.reshape(-1).view(np.uint8).view(np_dtype)
        if size is None:
            data = flat[storage_offset:]
        else:
            size = tuple(size)
            if stride is None:  # contiguous strides
                stride = tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
            data = np.lib.stride_tricks.as_strided(
                flat[storage_offset:], size, tuple(s * np_dtype.itemsize for s in stride))
    else:
        raise TypeError(f"set_(): argument 'source' must be Tensor or Storage, not "
                        f"{type(source).__name__}")
    self._data = data
    self._bump()
    return self


def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """A DLPack capsule over this tensor's memory (NumPy's exporter)."""
    if self._rg:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    d = self._data if type(self._data) is np.ndarray else np.asarray(self._data)
    kwargs = {} if max_version is None else {"max_version": max_version}
    return d.__dlpack__(stream=None, **kwargs)


def __dlpack_device__(self):
    return (1, 0)  # kDLCPU, device 0


def bind(T) -> None:
    for name in METHODS:
        setattr(T, name, globals()[name])
