"""The matrix-product functions with their own argument checks (mm, bmm, dot, inner, mv,
outer): PyTorch's errors for shapes and types, then ``linalg.matmul`` or a product node
(the derivative rules are in ``linalg.py``)."""

from __future__ import annotations

from ..tensor import Tensor
from ._matmul_checks import _check_same_dtype
from .linalg import Bmm, Inner, _not_tensor, matmul


def mm(input, mat2):
    try:
        if input._data.ndim != 2 or mat2._data.ndim != 2:
            mat2._data  # noqa: B018 - (unread if input is no matrix): types come first
            raise RuntimeError(f"{'self' if input._data.ndim != 2 else 'mat2'} must be a matrix")
    except AttributeError:  # a str, list, number: PyTorch's parser error
        raise _not_tensor(input=input, mat2=mat2) from None
    return matmul(input, mat2)


def bmm(input, mat2):
    try:
        ndims = input._data.ndim, mat2._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        raise _not_tensor(input=input, mat2=mat2) from None
    for name, ndim in zip(("batch1", "batch2"), ndims):
        if ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if (sa[0], sa[2]) != (sb[0], sb[1]):
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    _check_same_dtype(input, mat2, 3, 3)
    return Bmm.apply(input, mat2)


def dot(input, other):
    try:
        if input._data.ndim != 1 or other._data.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                               f"{other._data.ndim}D tensors")
    except AttributeError:  # a str, list, number: PyTorch's parser error
        raise _not_tensor(input=input, other=other) from None
    return matmul(input, other)


def inner(input, other):
    """Sum over the last dims: shape input.shape[:-1] + other.shape[:-1]."""
    try:
        scalar = input._data.ndim == 0 or other._data.ndim == 0
    except AttributeError:  # a str, list, number: PyTorch's parser error
        raise _not_tensor(input=input, other=other) from None
    if scalar:
        if not isinstance(other, Tensor):  # (unread above): the parser checks types first
            raise _not_tensor(input=input, other=other)
        return input * other
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(sa)} and {list(sb)}")
    if input._data.ndim == 1 and other._data.ndim == 1:
        _check_same_dtype(input, other, 1, 1)
        return Inner.apply(input, other)
    k = sa[-1]
    flat = matmul(input.reshape(-1, k), other.reshape(-1, k).t())
    return flat.reshape(sa[:-1] + sb[:-1])


def mv(input, vec):
    try:
        ndims = input._data.ndim, vec._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        raise _not_tensor(input=input, vec=vec) from None
    if ndims[0] == 0:  # PyTorch sizes the result by input's first dim first
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    return matmul(input, vec)


def outer(input, vec2):
    """Composite: u[:, None] * v[None, :]."""
    if not (isinstance(input, Tensor) and isinstance(vec2, Tensor)):
        raise _not_tensor(input=input, vec2=vec2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer
