"""Further shape ops: ravel, hsplit/vsplit/dsplit, row_stack, diagflat, diagonal_scatter,
block_diag, cartesian_prod, combinations, and the index builders tril_indices/triu_indices.
Most are composites of existing differentiable ops; BlockDiag and DiagonalScatter are
primitives (their gradients are slices of the upstream gradient)."""

from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes as D
from ..autograd.function import Primitive
from ..tensor import Tensor
from .indexing import index_select
from .join_split import _common_dtype, stack, tensor_split, vstack
from .shape_more import meshgrid
from .triangle_diag import _diag_dims, _diag_view, _take, diag_embed

__all__ = ["ravel", "hsplit", "vsplit", "dsplit", "row_stack", "diagflat", "diagonal_scatter",
           "block_diag", "cartesian_prod", "combinations", "tril_indices", "triu_indices"]


def row_stack(tensors, *, out=None):
    """vstack under its other name (which PyTorch's errors use)."""
    return vstack(tensors, _name="row_stack")


def ravel(input) -> Tensor:
    """A flat view of ``input`` made contiguous first (a copy only where it is not), as
    PyTorch: so a strided input's result is a view of that copy (CloneBackward0, then View)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return input.contiguous().view(-1)


def _split_along(name: str, input, sections, dim: int, need: int) -> tuple:
    n = input._data.ndim
    if n < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {n} dimensions!")
    if isinstance(sections, (int, np.integer)):
        size = input._data.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections) -> tuple:
    """Split along dim 1 (dim 0 for a vector)."""
    return _split_along("hsplit", input, indices_or_sections,
                        0 if input._data.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections) -> tuple:
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections) -> tuple:
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def diagflat(input, offset=0) -> Tensor:
    """A square matrix with the flattened input on diagonal ``offset``."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return diag_embed(input.reshape(-1), offset, 0, 1)


class DiagonalScatter(Primitive):
    """y = x with its diagonal (offset, d1, d2) replaced by src;
    dL/dx = dL/dy with that diagonal zeroed,  dL/dsrc = the diagonal of dL/dy."""

    @staticmethod
    def forward(ctx, x, src, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = np.array(x, copy=True)
        _diag_view(out, offset, d1, d2)[...] = src
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad[:2]
        gx = gs = None
        if need_x:
            if isinstance(g, Tensor):
                zeros = Tensor._make(np.zeros_like(_take(g._data, *ctx.args)), False, None)
                gx = DiagonalScatter.apply(g, zeros, *ctx.args)
            else:
                gx = DiagonalScatter.forward(ctx, g, 0, *ctx.args)
        if need_src:
            gs = _take(g, *ctx.args)
        return gx, gs, None, None, None


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:
    try:
        input._data, src._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, src=src) from None
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2)
    want = _diag_view(input._data, int(offset), d1, d2).shape
    if src._data.shape != want:
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(want)}")
    if src._data.dtype != input._data.dtype:
        src = src.to(input._data.dtype)
    return DiagonalScatter.apply(input, src, int(offset), d1, d2)


class BlockDiag(Primitive):
    """y = the inputs (as matrices) along the diagonal of a zero matrix;
    dL/dx_i = dL/dy's block at x_i's place."""

    @staticmethod
    def forward(ctx, *xs):
        mats = [x.reshape(_as_matrix(x.shape)) for x in xs]
        rows = np.cumsum([0] + [m.shape[0] for m in mats])
        cols = np.cumsum([0] + [m.shape[1] for m in mats])
        ctx.places = places = [(int(r), int(c), m.shape, x.shape)
                               for r, c, m, x in zip(rows, cols, mats, xs)]
        out = np.zeros((int(rows[-1]), int(cols[-1])), mats[0].dtype)
        for (r, c, shape, _), m in zip(places, mats):
            out[r:r + shape[0], c:c + shape[1]] = m
        return out

    @staticmethod
    def backward(ctx, g):
        return tuple(np.reshape(g[r:r + s[0], c:c + s[1]], shape)
                     for r, c, s, shape in ctx.places)


def _as_matrix(shape: tuple) -> tuple:
    return {0: (1, 1), 1: (1,) + tuple(shape)}.get(len(shape), shape)


def block_diag(*tensors) -> Tensor:
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if not tensors:
        return Tensor._make(np.zeros((1, 0), D._Defaults.float_np), False, None)
    return BlockDiag.apply(*_common_dtype(list(tensors)))


def _vectors(tensors) -> None:
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    """Every tuple of one entry from each vector, as the rows of a matrix."""
    _vectors(tensors)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False) -> Tensor:
    """The length-r combinations of a vector's entries, as the rows of a matrix."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    _vectors([input])
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.zeros((0,), input._data.dtype), False, None)
    pick = (itertools.combinations_with_replacement if with_replacement
            else itertools.combinations)
    idx = np.array(list(pick(range(input._data.shape[0]), r)), np.int64).reshape(-1, r)
    return stack([index_select(input, 0, Tensor._make(idx[:, j].copy(), False, None))
                  for j in range(r)], 1)


def _check_given(name: str, row, col) -> None:
    """PyTorch's parser's words (sic) for a missing row/col."""
    missing = [f'"{n}"' for n, v in (("row", row), ("col", col)) if v is None]
    if missing:
        raise TypeError(f"{name}() missing {len(missing)} required positional "
                        f"argument{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")


def _indices(name: str, row: int, col: int, dtype, rows_cols) -> Tensor:
    for what, n in (("row", row), ("col", col)):
        if n < 0:  # (PyTorch's message has no space before the number)
            raise RuntimeError(f"{what} must be non-negative, got{n}")
    dt = np.dtype(np.int64) if dtype is None else D.to_np(dtype)
    if dt.kind not in "iu":
        kind = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}
        raise NotImplementedError(f"\"{name}\" not implemented for '{kind.get(dt.name, dt.name)}'")
    return Tensor._make(np.stack(rows_cols).astype(dt).reshape(2, -1), False, None)


def tril_indices(row=None, col=None, offset=0, *, dtype=None, device=None,
                 layout=None, requires_grad=False) -> Tensor:
    """The (row, col) indices of a row x col matrix's lower triangle, row by row."""
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype, requires_grad)


def triu_indices(row=None, col=None, offset=0, *, dtype=None, device=None,
                 layout=None, requires_grad=False) -> Tensor:
    """The (row, col) indices of a row x col matrix's upper triangle, row by row."""
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype, requires_grad)


def _tri_indices(name: str, fn, row, col, offset, dtype, requires_grad) -> Tensor:
    _check_given(name, row, col)
    if type(requires_grad) is not bool:
        from .._rg_arg import rg_bool

        requires_grad = rg_bool(name, requires_grad)
    out = _indices(name, row, col, dtype, fn(max(row, 0), offset, max(col, 0)))
    if requires_grad:  # (always an integer dtype)
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return out
