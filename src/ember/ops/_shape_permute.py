"""Dimension reordering: permute, transpose (swapaxes/swapdims), t and movedim. Each is a
view of its input with the axes in a new order, so the gradient is the inverse order."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from .shape import _needs, _shape_arg, _view_of
from ._util import _index, wrap_dim


class Permute(Primitive):
    """y = x with axes reordered;  dL/dx = dL/dy with the inverse order."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return (np.transpose(g, np.argsort(ctx.axes)), None)


class Transpose(Permute):
    pass


class T(Permute):
    pass


def _permuted(input, axes, cls=Permute):
    return _view_of(cls.apply(input, tuple(axes)), input)


def permute(input, *dims_):
    _needs("permute", "dims", dims_)
    n = input._data.ndim
    order = _shape_arg(dims_)
    if len(order) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = "
            f"{n} is not equal to len(dims) = {len(order)}"
        )
    axes = []
    for d in order:  # one by one: a repeat is found before a later bad dim, as PyTorch
        axes.append(wrap_dim(d, n))
        if axes[-1] in axes[:-1]:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permuted(input, axes)


def transpose(input, dim0, dim1, *, _cls=Transpose):  # x.transpose(0, 1, 2) is a TypeError
    n = input._data.ndim
    a, b = wrap_dim(dim0, n), wrap_dim(dim1, n)
    axes = list(range(n))
    if n:
        axes[a], axes[b] = axes[b], axes[a]
    return _permuted(input, axes, _cls)


swapaxes = swapdims = transpose


def t(input):
    try:
        nd = input._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return transpose(input, 0, -1, _cls=T)


def movedim(input, source, destination):
    n = input._data.ndim
    if len(_seq(source)) != len(_seq(destination)):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(_seq(source))} dims) "
            f"should contain the same number of dims as destination "
            f"({list(_seq(destination))} dims)")
    src, dst = _move_dims(source, n, "source"), _move_dims(destination, n, "destination")
    if not n:  # a 0-d tensor: dims 0/-1 name nothing to move
        return _permuted(input, ())
    order = [None] * n
    for a, b in zip(src, dst):
        order[b] = a
    rest = iter(i for i in range(n) if i not in src)
    return _permuted(input, [next(rest) if o is None else o for o in order])


def _seq(d) -> tuple:
    try:
        return (d,) if isinstance(d, (int, np.integer)) else tuple(map(_index, d))
    except TypeError:  # movedim(0, n / 2)
        from ._int_args import not_int

        raise not_int(d if not isinstance(d, (tuple, list)) else next(
            i for i in d if not hasattr(i, "__index__"))) from None


def _move_dims(d, n: int, name: str) -> tuple:
    out = tuple(wrap_dim(i, n) for i in _seq(d))
    if len(set(out)) != len(out):
        raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(_seq(d))})")
    return out
