"""The recorded forms of the overwriting in-place ops (``zero_``, ``fill_``, ``copy_``), under
PyTorch's node names (ZeroBackward0, FillBackward2/3, CopyBackwards), so a later saved-version
error names the writer as PyTorch does ("which is output 0 of Zero")."""

from __future__ import annotations

import numpy as np

from ._methods_more import _overwrite
from .autograd.function import Primitive


def zero_node():
    """y = 0;  dL/dx = 0."""
    return _overwrite("ZeroBackward0")


def fill_scalar_node():
    """y = value (a number);  dL/dx = 0."""
    return _overwrite("FillBackward2")


class FillTensor(Primitive):
    """y = v (a 0-dim tensor) everywhere;  dL/dx = 0, dL/dv = sum(g)."""

    node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, x, v):
        return np.full(x.shape, np.asarray(v).astype(x.dtype))

    @staticmethod
    def backward(ctx, g):
        return g * 0, np.sum(g)


class Copy(Primitive):
    """y = src broadcast to x's shape, cast to x's dtype;  dL/dx = 0, dL/dsrc = g summed back
    to src's shape (the engine sums and casts)."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        return np.broadcast_to(np.asarray(src), x.shape).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * 0, g


# CopyBackwards is one of PyTorch's C++-defined nodes: its name() reads
# "torch::autograd::CopyBackwards" (the repr and the type's __name__ keep the short name).
Copy._node_cls.name = lambda self: "torch::autograd::CopyBackwards"
