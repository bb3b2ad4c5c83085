"""Reading PyTorch's own checkpoints (``torch.save``'s zip files) without running their code.

A torch.save file is a zip archive: ``<name>/data.pkl`` pickles the structure, each tensor's
storage is a raw file ``<name>/data/<key>`` (little-endian unless ``<name>/byteorder`` says
otherwise). Unpickling can call any function a file names, so, as ``torch.load`` does with
``weights_only=True``, only a fixed list of names is allowed: containers, numbers, strings,
``torch.Size``, the typed storages and the functions that rebuild tensors and Parameters
(here rebuilt as NumPy arrays, so nothing of PyTorch is imported or run). Any other name
(``os.system``, a model class, a NumPy array) stops the load with an error naming it.
"""

from __future__ import annotations

import codecs
import collections
import io
import pickle
import zipfile

import numpy as np

from ._size_device import Size, device
from .dtypes import _NAMES
from .tensor import Tensor


class _Storage:
    """A storage type named in the pickle (torch.FloatStorage, ...): only its dtype matters."""

    def __init__(self, name: str, dtype) -> None:
        self.name, self.dtype = name, dtype


_STORAGES = {name: _Storage(name, dtype) for name, dtype in (
    ("FloatStorage", np.float32), ("DoubleStorage", np.float64), ("HalfStorage", np.float16),
    ("LongStorage", np.int64), ("IntStorage", np.int32), ("ShortStorage", np.int16),
    ("CharStorage", np.int8), ("ByteStorage", np.uint8), ("BoolStorage", np.bool_),
    ("BFloat16Storage", None), ("ComplexFloatStorage", None),
    ("ComplexDoubleStorage", None))}


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None,
                    metadata=None) -> Tensor:
    """The tensor viewing ``storage`` from ``offset`` with ``size`` and ``stride`` (in
    elements): a view of the storage's array, so tensors that shared a storage when saved
    share it again, with their strides and offsets."""
    arr, size, stride = storage, tuple(size), tuple(stride)
    if arr.size:
        end = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else offset
        if offset < 0 or end > arr.size or any(s < 0 for s in stride):
            raise pickle.UnpicklingError(f"a tensor of size {list(size)} and stride "
                                         f"{list(stride)} at offset {offset} does not fit its "
                                         f"storage of {arr.size} elements")
    if arr.size:
        view = np.ndarray(size, arr.dtype, buffer=arr, offset=offset * arr.itemsize,
                          strides=[s * arr.itemsize for s in stride])
    else:
        view = np.zeros(size, arr.dtype)
    t = Tensor._make(view, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, hooks=None, state=None):
    from .nn.parameter import Parameter

    return Parameter(data, requires_grad=requires_grad)


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): Size,
    ("torch", "device"): device,
    ("builtins", "set"): set,  # PyTorch's allowlist, which has no frozenset or slice
    ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray,
    ("collections", "Counter"): collections.Counter,
    ("_codecs", "encode"): codecs.encode,  # how protocol 2 pickles bytes
    **{("torch", name): d for name, d in _NAMES.items()},  # a dtype pickles as torch.<name>
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, root: str, order: str) -> None:
        super().__init__(io.BytesIO(data))
        self._archive, self._root, self._order, self._storages = archive, root, order, {}

    def find_class(self, module: str, name: str):
        if module == "__builtin__":  # protocol 2 spells builtins as Python 2 did
            module = "builtins"
        if module == "torch" and name in _STORAGES:
            return _STORAGES[name]
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"it refers to {module}.{name}, which ember does not load: only tensors, "
                "Parameters, containers, numbers and strings (a state_dict, an optimizer's "
                "state_dict, or dicts of them); nothing in the file was run")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown storage reference {pid!r}")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, _Storage):
            raise pickle.UnpicklingError(f"unknown storage type {kind!r}")
        if kind.dtype is None:
            raise pickle.UnpicklingError(f"it holds a {kind.name[:-7]} tensor, a dtype ember "
                                         "does not have")
        arr = self._storages.get(key)
        if arr is None:
            raw = self._archive.read(f"{self._root}/data/{key}")
            dt = np.dtype(kind.dtype).newbyteorder("<" if self._order == "little" else ">")
            if len(raw) < int(numel) * dt.itemsize:
                raise pickle.UnpicklingError(f"storage {key} has {len(raw)} bytes, fewer than "
                                             f"{numel} elements need: the file is truncated")
            arr = np.frombuffer(raw, dt, count=int(numel)).astype(dt.newbyteorder("="))
            self._storages[key] = arr
        return arr


def load_torch_zip(data: bytes):
    """The object a torch.save zip file holds (tensors as ember Tensors); raises
    pickle.UnpicklingError, zipfile.BadZipFile or KeyError for what cannot be read."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    pkl = [n for n in archive.namelist() if n.endswith("/data.pkl")]
    if not pkl:
        raise KeyError("data.pkl")
    root = pkl[0][:-len("/data.pkl")]
    names = set(archive.namelist())
    order = (archive.read(f"{root}/byteorder").decode().strip()
             if f"{root}/byteorder" in names else "little")
    return _Unpickler(archive.read(pkl[0]), archive, root, order).load()
