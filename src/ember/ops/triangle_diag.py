"""Triangles and diagonals of matrices: tril, triu, diag, diagonal, diag_embed, trace.

The diagonal-taking ops and the diagonal-building ops are each other's gradient: the gradient
of taking a diagonal is a zero tensor with the upstream gradient written on that diagonal,
and the gradient of writing one is the upstream gradient's diagonal.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._layout import contig
from ._util import as_int, wrap_dim
from .shape import _view_of

__all__ = ["tril", "triu", "diag", "diagonal", "diag_embed", "trace"]


def _diag_view(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """A view of a's diagonal along (d1, d2), laid out as np.diagonal does (the diagonal
    last), writable when a is: np.diagonal's view is read-only only by default."""
    v = np.diagonal(a, offset, d1, d2)
    if a.flags.writeable:
        v.flags.writeable = True
    return v


def _embed_array(g: np.ndarray, shape: tuple, offset: int, d1: int, d2: int) -> np.ndarray:
    out = np.zeros(shape, g.dtype)
    _diag_view(out, offset, d1, d2)[...] = g
    return out


def _embed(g, shape, offset, d1, d2):
    """Zeros of ``shape`` with g on the diagonal (offset, d1, d2): arrays or, for a
    second-order graph, Tensors."""
    if isinstance(g, Tensor):
        return DiagEmbed.apply(g, shape, offset, d1, d2)
    return _embed_array(np.asarray(g), shape, offset, d1, d2)


def _take(g, offset, d1, d2):
    """A copy of g's diagonal (offset, d1, d2)."""
    if isinstance(g, Tensor):
        return DiagonalCopy.apply(g, offset, d1, d2)
    return np.diagonal(g, offset, d1, d2).copy()


class Diagonal(Primitive):
    """y = the diagonal of x along (dim1, dim2), a view;  dL/dx = zeros with dL/dy on it."""

    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args, ctx.shape = (offset, d1, d2), x.shape
        if type(x) is np.ndarray:
            return _diag_view(x, offset, d1, d2)
        return np.diagonal(x, offset, d1, d2).copy()

    @staticmethod
    def backward(ctx, g):
        return (_embed(g, ctx.shape, *ctx.args), None, None, None)


class DiagonalCopy(Diagonal):
    """The same rule for a copy (torch.diag of a matrix)."""

    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args, ctx.shape = (offset, d1, d2), x.shape
        return np.diagonal(x, offset, d1, d2).copy()


class DiagEmbed(Primitive):
    """y = zeros of ``shape`` with x's last dim written on the diagonal (offset, d1, d2);
    dL/dx = the diagonal of dL/dy."""

    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        return _embed_array(np.asarray(x), shape, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return (_take(g, *ctx.args), None, None, None, None)


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal along (dim1, dim2) as the last dim; a view of input, as in PyTorch."""
    try:
        ndim = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    d1, d2 = _diag_dims(ndim, dim1, dim2)
    return _view_of(Diagonal.apply(input, int(offset), d1, d2), input)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonal (offset, dim1, dim2) holds input's last dim; zeros elsewhere."""
    try:
        shape = input._data.shape
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    d1, d2 = _diag_dims(len(shape) + 1, dim1, dim2)
    m = shape[-1] + abs(int(offset))
    out = list(shape[:-1])
    for d in sorted((d1, d2)):
        out.insert(d, m)
    return DiagEmbed.apply(input, tuple(out), int(offset), d1, d2)


def diag(input, diagonal=0):
    """1-D: a square matrix with input on diagonal ``diagonal``; 2-D: that diagonal, copied."""
    try:
        n = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if n == 1:
        return diag_embed(input, diagonal, 0, 1)
    if n == 2:
        return DiagonalCopy.apply(input, int(diagonal), 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


class Trace(Primitive):
    """y = sum_i x[i, i];  dL/dx = dL/dy on the diagonal, zeros elsewhere."""

    node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        out = np.trace(x)
        # integer traces are int64 in PyTorch (a sum); float ones keep the dtype
        return np.asarray(out, np.int64 if x.dtype.kind in "biu" else x.dtype)

    @staticmethod
    def backward(ctx, g):
        n = min(ctx.shape)
        if isinstance(g, Tensor):
            return (_embed(g.expand(n), ctx.shape, 0, 0, 1),)
        return (_embed_array(np.broadcast_to(g, (n,)), ctx.shape, 0, 0, 1),)


def trace(input):
    try:
        n = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if n != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {n}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return Trace.apply(input)


class Tril(Primitive):
    """y = x with the entries above diagonal k set to 0;  dL/dx = tril(dL/dy, k)."""

    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return contig(np.tril(x, k))  # row-major whatever x's layout, as PyTorch's

    @staticmethod
    def backward(ctx, g):
        return (tril(g, ctx.k) if isinstance(g, Tensor) else np.tril(g, ctx.k), None)


class Triu(Primitive):
    """y = x with the entries below diagonal k set to 0;  dL/dx = triu(dL/dy, k)."""

    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return contig(np.triu(x, k))  # row-major whatever x's layout, as PyTorch's

    @staticmethod
    def backward(ctx, g):
        return (triu(g, ctx.k) if isinstance(g, Tensor) else np.triu(g, ctx.k), None)


def _triangle(cls, name: str, input, diagonal) -> Tensor:
    try:
        ndim = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    if ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return cls.apply(input, diagonal if type(diagonal) is int else as_int(diagonal))


def tril(input, diagonal=0, *, out=None):
    return _triangle(Tril, "tril", input, diagonal)


def triu(input, diagonal=0, *, out=None):
    return _triangle(Triu, "triu", input, diagonal)
