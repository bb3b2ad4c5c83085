"""index_select, masked_select, nonzero and take: reads by an index tensor or a mask (the
gradients are put back by ``indexing``'s Index nodes), with PyTorch's argument checks."""

from __future__ import annotations

import numpy as np

from ..autograd._inference import refuse_saved_index
from ..tensor import Tensor
from .indexing import (IndexSelect, MaskedSelect, Take, advanced_index, first_out_of_range,
                       index_select_error, wrap_dim)


def index_select(input, dim, index):
    if not isinstance(index, Tensor):  # a list: PyTorch's parser refuses it by name
        from .._call_site import call_site
        from .._typename import class_name

        site = call_site("index_select")  # (the method form counts index as position 2)
        raise TypeError(f"index_select(): argument 'index' (position "
                        f"{2 if site and site[0] else 3}) must be Tensor, not "
                        f"{class_name(type(index))}")
    d = wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if not input._data.ndim and index._data.size != 1:
        raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                           f"{index._data.size} value(s)")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    err = index_select_error(input._data.shape, d, index._data)
    if err is not None:
        raise err
    if input._rg and index._vc is not None:  # (an inference index: PyTorch's error)
        refuse_saved_index(index)
    i = index._data.reshape(-1)
    if not input._data.ndim:
        return advanced_index(input.reshape(1), i, IndexSelect).reshape(())
    return advanced_index(input, (slice(None),) * d + (i,), IndexSelect)


_C_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "float32": "float", "float64": "double",
            "float16": "c10::Half"}


def masked_select(input, mask):
    try:
        input._data, mask._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, mask=mask) from None
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    if input._rg and mask._vc is not None:
        refuse_saved_index(mask)  # (an inference mask: PyTorch's node saves it)
    shape = np.broadcast_shapes(mask._data.shape, input._data.shape)
    m = np.broadcast_to(mask._data, shape)
    x = input if input._data.shape == shape else input.expand(shape)
    return advanced_index(x, m, MaskedSelect)


def nonzero(input, *, as_tuple=False):
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if x.ndim == 0:  # PyTorch: (1, 0) if the scalar is nonzero, else (0, 0); as_tuple: 1-D
        hit = int(bool(x))
        if as_tuple:
            return (Tensor._make(np.zeros(hit, np.int64), False, None),)
        return Tensor._make(np.zeros((hit, 0), np.int64), False, None)
    nz = np.nonzero(x)
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64), False, None) for a in nz)
    # PyTorch's result is (n, ndim) with strides (1, n): the index rows lie one after another
    return Tensor._make(np.array(nz, np.int64).T, False, None)


def take(input, index):
    try:
        input._data, index._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, index=index) from None
    if index._data.dtype != np.int64:
        from .arithmetic import type_name

        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{type_name(index._data.dtype)}")
    n = input._data.size
    i = index._data
    if i.size and not n:
        raise IndexError("take(): tried to take from an empty tensor")
    bad = first_out_of_range(i, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return advanced_index(input.reshape(-1), i, Take)
