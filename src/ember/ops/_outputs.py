"""The outputs of a decomposition computed as one packed array (see _linalg_common.pack).

ember's autograd nodes have one output, so eigh, svd and qr record one node whose result
packs all their outputs side by side, and each output is a piece of it. A piece is one node
(slice and reshape; its gradient is the output's gradient put back at its place, zeros
elsewhere) that shows itself as PyTorch shows the output: named after the decomposition's
node (``U.grad_fn`` prints ``<LinalgSvdBackward0>``) and listing that node's inputs in
``next_functions``, as PyTorch's one multi-output node does.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Node, Primitive
from ..tensor import Tensor


class MergedNode(Node):
    """A node shown merged with the node it reads (its first input): next_functions lists
    that node's inputs. For a piece of a packed result, and for std's square root of var's
    node (PyTorch records std as one node)."""

    __slots__ = ()

    @property
    def next_functions(self) -> tuple:
        return self.next_edges[0].next_functions

    def _torch_grads(self, in_grads: tuple) -> tuple:  # (hooks see the piece's own gradient)
        return in_grads[:1]

    def _from_torch_grads(self, grads: tuple, in_grads: tuple) -> tuple:
        return tuple(grads) + tuple(in_grads[1:])


class _Piece(Primitive):
    """y = p[..., start:start + size] reshaped to ``shape``;  dL/dp = dL/dy at those entries,
    0 elsewhere."""

    _node_base = MergedNode

    @staticmethod
    def forward(ctx, p, start, size, shape):
        ctx.packed, ctx.start, ctx.size = p.shape, start, size
        return np.reshape(p[..., start:start + size], shape)

    @staticmethod
    def backward(ctx, g):
        lead, total = ctx.packed[:-1], ctx.packed[-1]
        before, after = ctx.start, total - ctx.start - ctx.size
        if isinstance(g, Tensor):  # create_graph: built from differentiable ops
            from . import cat

            flat = g.reshape(lead + (ctx.size,))
            zeros = [Tensor._make(np.zeros(lead + (k,), flat._data.dtype), False, None)
                     for k in (before, after)]
            return cat([zeros[0], flat, zeros[1]], -1), None, None, None
        out = np.zeros(ctx.packed, g.dtype)
        out[..., before:before + ctx.size] = np.reshape(g, lead + (ctx.size,))
        return out, None, None, None


_CLASSES: dict = {}


def _piece_class(name: str):
    cls = _CLASSES.get(name)
    if cls is None:
        cls = _CLASSES[name] = type(f"_Piece{name}", (_Piece,), {"node_name": name})
    return cls


def outputs(p: Tensor, batch: tuple, shapes: tuple) -> list:
    """The outputs packed in ``p`` (pack's layout), each recorded as one piece node."""
    from ._linalg_common import unpack

    if not p.requires_grad or p.grad_fn is None:
        return unpack(p, batch, shapes)
    cls = _piece_class(p.grad_fn.name())
    out, start = [], 0
    for s in shapes:
        size = int(np.prod(s))
        out.append(cls.apply(p, start, size, batch + tuple(s)))
        start += size
    return out
