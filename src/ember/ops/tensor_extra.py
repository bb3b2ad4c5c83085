"""Smaller PyTorch Tensor methods and torch.* functions: split_with_sizes and the unsafe_*
splits, narrow_copy, adjoint, nonzero_static, igamma/igammac, and the complex-number API on
real tensors (conj, real, imag, angle, is_conj, ...), plus ``torch.strided``/``Tensor.layout``.

ember has no complex dtypes, so conj, conj_physical, resolve_conj and resolve_neg return the
tensor itself (as PyTorch does for a real tensor), ``real`` is the tensor and ``imag`` raises
PyTorch's error.
"""

from __future__ import annotations

import math

import numpy as np

from .._typename import arg_type_name
from .. import dtypes as D
from .._memory_format import layout, strided  # noqa: F401 (exported here, as before)
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import promote, wrap_dim
from .indexing import Index, index_add_into
from .shape import Clone

__all__ = ["split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
           "narrow_copy", "adjoint", "conj", "conj_physical", "conj_physical_", "resolve_conj",
           "resolve_neg", "is_conj", "is_neg", "real", "imag", "angle", "nonzero_static",
           "igamma", "igammac", "layout", "strided"]


# ---- splits ----

class UnsafeSplit(Index):
    """A piece of unsafe_split/unsafe_chunk: it shares the input's memory but is not tracked
    as a view (PyTorch's "unsafe"); the gradient is Index's."""


class UnsafeSplitWithSizes(Index):
    pass


def _check_sizes(input: Tensor, sizes, d: int, pos: int, dim=None) -> list:
    """The sizes as ints, checked as PyTorch; its message names ``dim`` as the caller gave
    it (-1 stays -1)."""
    if isinstance(sizes, Tensor) or not isinstance(sizes, (list, tuple)) or \
            not all(isinstance(s, (int, np.integer)) for s in sizes):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position {pos}) must be "
                        f"tuple of ints, not {type(sizes).__name__}")
    sizes = [int(s) for s in sizes]
    size = input._data.shape[d]
    if any(s < 0 for s in sizes):
        raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={sizes}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                           f"tensor's size at dimension {_shown_dim(dim, d)}), but got "
                           f"split_sizes={sizes}")
    return sizes


def _shown_dim(dim, d: int) -> int:
    """The dimension as PyTorch's split messages print it: the caller's integer, unwrapped."""
    return int(dim) if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) else d


def _pieces(input: Tensor, d: int, sizes: list, cls, view: bool) -> tuple:
    from .indexing import basic_index

    out, start = [], 0
    for n in sizes:
        items = (slice(None),) * d + (slice(start, start + n), Ellipsis)
        out.append(basic_index(input, items, cls) if view else cls.apply(input, items))
        start += n
    return tuple(out)


def _dim_of(input: Tensor, dim) -> int:
    if input._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    return wrap_dim(dim, input._data.ndim)


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0, _pos: int = 2) -> tuple:
    """Views of consecutive pieces of the given sizes along ``dim`` (they must sum to its
    size)."""
    from .indexing import SplitWithSizes

    d = _dim_of(input, dim)
    return _pieces(input, d, _check_sizes(input, split_sizes, d, _pos, dim), SplitWithSizes, True)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0, _pos: int = 2) -> tuple:
    d = _dim_of(input, dim)
    return _pieces(input, d, _check_sizes(input, split_sizes, d, _pos, dim), UnsafeSplitWithSizes,
                   False)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    """split with an int size, its pieces not tracked as views (UnsafeSplitBackward0)."""
    if not isinstance(split_size, (int, np.integer)):
        raise TypeError("unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    d = _dim_of(input, dim)
    size, step = input._data.shape[d], int(split_size)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    sizes = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    return _pieces(input, d, sizes, UnsafeSplit, False)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input._data.shape[_dim_of(input, dim)]
    return unsafe_split(input, -(-size // chunks) if size else 1, dim)


# ---- narrow_copy, adjoint, nonzero_static ----

class NarrowCopy(Index):
    """y = a copy of x[idx];  dL/dx = zeros with g put back at idx."""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, x.shape
        return np.array(x[idx], copy=True)

    @staticmethod
    def backward(ctx, g):
        return index_add_into(ctx.in_shape, ctx.idx, g), None


def narrow_copy(input: Tensor, dim: int, start, length: int) -> Tensor:
    """narrow's piece as a new tensor (not a view). (PyTorch 2.13's gradient fails for a
    negative ``start``; ember's does not.)"""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input._data.ndim)
    size, start, length = input._data.shape[d], int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start += size if start < 0 else 0
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return NarrowCopy.apply(input, (slice(None),) * d + (slice(start, start + length),))


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a view; for real tensors, mT)."""
    try:
        n = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if n == 0:
        import warnings

        warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)
        return input
    if n < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {n}-D tensor.")
    return input.transpose(-2, -1)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero's (n, ndim) index rows, cut or padded with ``fill_value`` to ``size`` rows."""
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    a = np.asarray(input._data)
    found = np.argwhere(a)[:size] if a.ndim else np.zeros((min(int(a != 0), size), 0), np.int64)
    out = np.full((size, a.ndim), fill_value, np.int64)
    out[:len(found)] = found
    return Tensor._make(out, False, None)


# ---- the complex-number API on real tensors ----

def conj(input: Tensor) -> Tensor:
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return input


conj_physical = resolve_conj = resolve_neg = conj


def is_conj(input: Tensor) -> bool:
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return False


is_neg = is_conj


class ConjPhysicalInplace(Clone):
    """x.conj_physical_() on a real tensor: a copy (Clone's rule), y = x;  dL/dx = g."""

    node_name = "ConjPhysicalBackward1"


def conj_physical_(input: Tensor) -> Tensor:
    """In place, a no-op on real values that still counts (and records) as a write."""
    from ..autograd.grad_mode import STATE
    from .strided_scatter import check_inplace

    check_inplace(input)
    if input._rg and STATE.enabled:
        return input._write(ConjPhysicalInplace.apply(input._graph_input()))
    input._bump()
    return input


def real(input: Tensor) -> Tensor:
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return input


_IMAG = "imag is not implemented for tensors with non-complex dtypes."


def imag(input: Tensor) -> Tensor:
    raise RuntimeError(_IMAG)


def _set_real(self, value) -> None:
    self.copy_(value)


def _set_imag(self, value) -> None:
    raise RuntimeError(_IMAG)


real_property = property(real, _set_real)
imag_property = property(imag, _set_imag)


class Angle(Primitive):
    """y = pi where x < 0, else 0 (nan stays nan);  dy/dx = 0."""

    @staticmethod
    def forward(ctx, x):
        pi = x.dtype.type(math.pi)
        return np.where(np.isnan(x), x, np.where(x < 0, pi, x.dtype.type(0)))

    @staticmethod
    def backward(ctx, g):
        return (np.zeros_like(g),)


def angle(input: Tensor) -> Tensor:
    """The argument of each element as a complex number: pi for negatives, 0 otherwise;
    integers and bools give the default float dtype."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    x = input
    if x._data.dtype.kind != "f":
        x = Tensor._make(np.asarray(x._data, D._Defaults.float_np), False, None)
    return Angle.apply(x)


# ---- igamma / igammac (torch.special.gammainc / gammaincc) ----

def _igamma(name: str, input, other, pos: int) -> Tensor:
    from . import special_more as SM
    from .elementwise import _not_for

    for arg, p, t in (("input", pos - 1, input), ("other", pos, other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {p}) must be Tensor, not "
                            f"{arg_type_name(t)}")
    a, x = promote(input, other)
    from ._util import check_broadcast

    check_broadcast(a._data.shape, x._data.shape)
    if a._data.dtype.kind != "f":
        _not_for(f"{name}_cpu", a)
    return (SM.Igamma if name == "igamma" else SM.Igammac).apply(a, x)


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """The regularised lower incomplete gamma function P(input, other); differentiable in
    ``other`` only (as PyTorch)."""
    return _igamma("igamma", input, other, 2)


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """The regularised upper incomplete gamma function Q(input, other) = 1 - P."""
    return _igamma("igammac", input, other, 2)
