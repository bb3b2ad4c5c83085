"""default_collate / default_convert with PyTorch's rules: tensors are stacked, NumPy arrays
become tensors, Python floats float64 and ints int64, strings stay lists, and dicts,
namedtuples and sequences are collated field by field (tuples come back as lists)."""

from __future__ import annotations

import collections.abc as abc
import copy
import re

import numpy as np

from ...dtypes import _FROM_NP, from_numpy_dtype
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_NP_STR_OBJ = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _tensor(arr: np.ndarray) -> Tensor:
    if arr.dtype not in _FROM_NP:  # complex, uint16...: torch.as_tensor's TypeError
        from_numpy_dtype(arr.dtype)
    return Tensor._make(arr, False, None)


def _same_sizes(arrays: list) -> None:
    """torch.stack's error for samples of different sizes, with the usual remedy."""
    first = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(a.shape)} at entry {i}\nHint: the samples of one batch must have "
                "one shape; pad them (nn.utils.rnn.pad_sequence) in a collate_fn, or use "
                "batch_size=1.")


def _stacked(arrays: list) -> np.ndarray:
    """np.stack laid out row-major. torch.stack's result is contiguous whatever its inputs'
    strides, so ``batch.view(-1, d)`` works; np.stack of transposed samples keeps their
    column-major order (strides (60, 4, 20) for (4, 5, 3) float32 rows), where view fails."""
    return np.ascontiguousarray(np.stack(arrays))


def _stack(batch: list) -> Tensor:
    from ...ops import stack

    if any(not isinstance(t, Tensor) or t._rg for t in batch):
        return stack(batch, 0)  # keeps autograd, as torch.stack does (and its TypeError)
    arrays = [t._data for t in batch]
    _same_sizes(arrays)
    return _tensor(_stacked(arrays))


def default_collate(batch):
    """Put a list of samples together into a batch (see module docstring)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        _same_sizes(batch)
        return _tensor(_stacked(batch))
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return _tensor(np.asarray(batch))
    if isinstance(elem, float):
        return _tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):  # torch.tensor(batch): int64, bool, or float if mixed
        from ...creation import tensor

        return tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        return _collate_mapping(elem, batch)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            if isinstance(elem, abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = default_collate(s)
                return clone
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_ERR.format(type(elem)))


def _collate_mapping(elem, batch):
    values = {key: default_collate([d[key] for d in batch]) for key in elem}
    try:
        if isinstance(elem, abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def default_convert(data):
    """Without batching: NumPy arrays and scalars become tensors, containers recursively."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        return _tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return _tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
