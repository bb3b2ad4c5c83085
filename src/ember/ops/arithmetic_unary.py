"""The one-operand arithmetic ops: neg, abs, reciprocal. Each rule is its derivative."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive


class Neg(Primitive):
    """z = -x;  dz/dx = -1."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return (-g,)


def neg(input):
    try:
        dt = input._data.dtype
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    if dt == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


class Abs(Primitive):
    """z = |x|;  dz/dx = sign(x)  (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * np.sign(x),)


def abs(input):  # noqa: A001
    try:
        dt = input._data.dtype
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(input) from None
    if dt == np.bool_:
        raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
    return Abs.apply(input)


class Reciprocal(Primitive):
    """z = 1/x;  dz/dx = -1/x^2 = -z^2."""

    @staticmethod
    def forward(ctx, x):
        out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return (-g * out * out,)


def reciprocal(input):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input._data.dtype.kind != "f":
        input = input.to(np.dtype("float32"))
    return Reciprocal.apply(input)
