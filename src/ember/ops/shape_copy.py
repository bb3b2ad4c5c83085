"""Shape ops that copy: flip (and fliplr/flipud), clone and contiguous, each with its
gradient (flip back; the copy's gradient passes straight through)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ._layout import empty_like as _empty_like, preserved as _preserved
from ._util import dims
from .shape import _shape_arg


def contiguous(input, memory_format=None):
    """``input`` itself when C-ordered already, else a C-ordered copy (clone keeps layouts);
    with a channels-last format, laid out NHWC (NDHWC) instead."""
    if memory_format is not None:
        from .._memory_format import channels_order

        order = channels_order(memory_format, input._data.ndim, True)
        if order is not None:
            if input._data.transpose(order).flags.c_contiguous:
                return input
            back = tuple(order.index(i) for i in range(len(order)))
            return input.permute(order).contiguous().permute(back)
    d = input._data
    if not isinstance(d, np.ndarray) or d.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


class Flip(Primitive):
    """y = x reversed along axes;  dL/dx = dL/dy reversed back."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        if x.flags.c_contiguous:
            return np.flip(x, axes).copy()
        out = _empty_like(x)  # laid out as x, as PyTorch's
        out[...] = np.flip(x, axes)
        return out

    @staticmethod
    def backward(ctx, g):
        return (np.flip(g, ctx.axes), None)


def flip(input, *dims_, dims=None):
    if dims is not None:  # torch.flip(x, dims=[0]) / x.flip(dims=(0, 1))
        dims_ = (*dims_, dims)
    if not dims_:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    return Flip.apply(input, _dims(_shape_arg(dims_), input._data.ndim, in_order=True))


_dims = dims  # flip's keyword ``dims`` shadows the helper inside it


def fliplr(input):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Clone(Primitive):
    """y = a copy of x;  dL/dx = dL/dy."""

    @staticmethod
    def forward(ctx, x):
        out = np.array(x, copy=True)
        return out if x.flags.c_contiguous else _preserved(out, x)  # empty_like's layout

    @staticmethod
    def backward(ctx, g):
        return (g,)


class Contiguous(Clone):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.ascontiguousarray(x)


class CloneContiguous(Clone):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.array(x, order="C", copy=True)


def clone(input, *, memory_format=None):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    name = getattr(memory_format, "_name", None)
    if name == "contiguous_format":
        return CloneContiguous.apply(input)
    if name in ("channels_last", "channels_last_3d"):
        out = contiguous(input, memory_format)
        if out is not input:
            return out
    return Clone.apply(input)
