"""Writing a block of a tensor given as a view: select_scatter, slice_scatter and
fill_diagonal_ (the rest of the index writes: index_more.py). Each result is a new array;
gradients: the written block gets none from the output, ``src`` gets the output's gradient
read back at the block.
"""

from __future__ import annotations

import numpy as np

from ._util import wrap_dim
from .index_more import IndexCopy, IndexFill, _along


class SelectScatter(IndexCopy):
    """y = x with y.select(dim, i) = src;  dL/dx = g zeroed there,  dL/dsrc = g.select(dim, i)."""


class SliceScatter(IndexCopy):
    """y = x with y[start:end:step along dim] = src;  dL/dx = g zeroed there,  dL/dsrc = that
    slice of g."""


class FillDiagonal(IndexFill):
    """y = x with its (wrapped) diagonal set to a number;  dL/dx = g zeroed on it."""

    node_name = "CopySlices"  # PyTorch writes the diagonal through a view of the tensor


def _scatter_check(input, src, slice_shape):
    try:
        input._data, src._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, src=src) from None
    if list(src._data.shape) != list(slice_shape):
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(slice_shape)}")


def select_scatter(input, src, dim, index):
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {d}")
    where = _along(len(shape), d, index % shape[d])
    _scatter_check(input, src, np.shape(input._data[where]))
    return SelectScatter.apply(input, src, where)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    if input._data.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input._data.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    where = _along(input._data.ndim, d, slice(start, end, step))
    _scatter_check(input, src, np.shape(input._data[where]))
    return SliceScatter.apply(input, src, where)


def _diagonal_positions(shape, wrap: bool):
    """The flat positions fill_diagonal_ writes (NumPy's np.fill_diagonal has PyTorch's wrap)."""
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    m = np.zeros(shape, dtype=bool)
    np.fill_diagonal(m, True, wrap=wrap)
    return m


def fill_diagonal_(self, fill_value, wrap=False):
    mask = _diagonal_positions(self._data.shape, wrap)
    self._check_inplace()
    return self._write(FillDiagonal.apply(self._graph_input(), fill_value, mask))


__all__ = ["select_scatter", "slice_scatter"]
