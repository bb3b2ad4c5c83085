"""``unique``: the distinct values of a tensor, or distinct slices along a dim."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._util import wrap_dim


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa
    """The distinct values (or, with ``dim``, distinct slices along it), sorted, as PyTorch's
    CPU kernel returns them even for sorted=False; every nan counts as distinct."""
    for arg, value in (("sorted", sorted), ("return_inverse", return_inverse),
                       ("return_counts", return_counts)):
        if not isinstance(value, (bool, np.bool_)):  # PyTorch's parser takes bools only
            raise TypeError(f"{'_unique2' if dim is None else 'unique_dim'}(): argument "
                            f"'{arg}' must be bool, not {type(value).__name__}")
    try:
        x = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if dim is None:
        res = np.unique(x, return_inverse=return_inverse, return_counts=return_counts,
                        equal_nan=False)
        res = res if isinstance(res, tuple) else (res,)
        shape = x.shape
    else:
        if x.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = wrap_dim(dim, x.ndim)
        if x.size == 0 and x.shape[d] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        res = np.unique(x, axis=d, return_inverse=True, return_counts=True, equal_nan=False)
        res = (res[0],) + ((res[1],) if return_inverse else ()) + \
            ((res[2],) if return_counts else ())
        shape = (x.shape[d],)
    out = [Tensor._make(res[0], False, None)]
    if return_inverse:
        out.append(Tensor._make(np.asarray(res[1], np.int64).reshape(shape), False, None))
    if return_counts:
        out.append(Tensor._make(np.asarray(res[-1], np.int64), False, None))
    return out[0] if len(out) == 1 else tuple(out)
