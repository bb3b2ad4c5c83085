"""expand / expand_as / broadcast_to (a broadcast view: the gradient sums over the expanded
dims) and repeat (tiled copies: the gradient sums the copies)."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from .shape import _needs, _shape_arg, _view_of


class Expand(Primitive):
    """y = x broadcast to a larger shape;  dL/dx = dL/dy summed back (the engine does it)."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return (g, None)


def expand(input, *sizes):
    _needs("expand", "size", sizes)
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        kind = "CPUBoolType" if input._data.dtype == np.bool_ else input.type()
        raise RuntimeError(
            f"expand({kind}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    full = sizes[:lead] + tuple(have if want == -1 else want
                                for want, have in zip(sizes[lead:], shape))
    for i in reversed(range(len(sizes))):  # PyTorch checks from the last dim
        want, have = full[i], (shape[i - lead] if i >= lead else None)
        if have is None and want < 0:
            if not shape:  # PyTorch's 0-d (scalar) path fails computing the size first
                raise RuntimeError("numel: integer multiplication overflow")
            raise RuntimeError(f"The expanded size of the tensor ({want}) isn't allowed in a "
                               f"leading, non-existing dimension {i}")
        if have is not None and ((have != 1 and want != have) or want < 0):
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                f"sizes: {list(shape)}"
            )
    return _view_of(Expand.apply(input, full), input)


def expand_as(input, other):
    if not isinstance(other, Tensor):  # PyTorch's parser error (type_as's, _methods_more)
        from .._methods_more import need_tensor

        need_tensor("expand_as", other)
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, size)


class Repeat(Primitive):
    """y = x tiled;  dL/dx = the sum of dL/dy over the tiles."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = np.shape(x)
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shape
        reps = np.shape(g)
        full = (1,) * (len(reps) - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(reps, full):
            split += [r // s if s else 0, s]
        g = np.reshape(g, split).sum(axis=tuple(range(0, len(split), 2)))
        return (np.reshape(g, shape), None)


def repeat(input, *sizes):
    if not sizes:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    full = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    out = [r * s for r, s in zip(sizes, full)]
    if any(n < 0 for n in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(out)}: {out}")
    return Repeat.apply(input, sizes)
