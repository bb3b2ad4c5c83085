"""How Linear's fused node shows itself in ``grad_fn.next_functions``: as PyTorch's graph.

ember records ``x @ W^T + b`` as one node with edges (x, W, b). PyTorch records
``addmm(b, x, W.t())``: its AddmmBackward0 lists (bias, input, weight^T), the last through a
TBackward0 node to the weight (MmBackward0, without a bias: input, weight^T). Tutorials walk
that graph (``loss.grad_fn.next_functions[0][0].next_functions[0][0]`` is the bias's
AccumulateGrad), so the fused node presents PyTorch's order and a TBackward0 in front of the
weight. The TBackward0 is for looking at only: gradients flow through the fused node.
"""

from __future__ import annotations

from ..autograd.function import AccumulateGrad, Node


def _shown(edge):
    if edge is None or isinstance(edge, Node):
        return (edge, 0)
    return (AccumulateGrad(edge), 0)


class TBackward0:
    """The transpose PyTorch records for ``weight.t()``; here a view of the weight's edge."""

    def __init__(self, edge) -> None:
        self._edge = edge
        self.metadata: dict = {}

    def name(self) -> str:
        return "TBackward0"

    @property
    def next_functions(self) -> tuple:
        return (_shown(self._edge),)

    def _no_hooks(self, fn):
        raise RuntimeError("ember: this TBackward0 only shows PyTorch's graph (Linear is one "
                           "fused node in ember); register the hook on the AddmmBackward0 "
                           "node or on the weight")

    register_hook = register_prehook = _no_hooks

    def __repr__(self) -> str:
        return f"<TBackward0 object at {hex(id(self))}>"


class LinearNode(Node):
    """Node base of Linear's primitive: next_functions in PyTorch's (bias, input, weight^T)."""

    __slots__ = ()

    @property
    def next_functions(self) -> tuple:
        x, w, b = self.next_edges
        shown_w = (None, 0) if w is None else (self._transposed(w), 0)
        if type(self).__name__ == "MmBackward0":
            return (_shown(x), shown_w)
        return (_shown(b), _shown(x), shown_w)

    def _torch_grads(self, in_grads: tuple) -> tuple:
        """(input, weight, bias) gradients as addmm's (bias, input, weight^T) / mm's."""
        gx, gw, gb = in_grads[:3]
        gwt = None if gw is None else gw.T
        return (gx, gwt) if type(self).__name__ == "MmBackward0" else (gb, gx, gwt)

    def _from_torch_grads(self, grads: tuple, in_grads: tuple) -> tuple:
        if type(self).__name__ == "MmBackward0":
            gx, gwt = grads
            gb = in_grads[2]
        else:
            gb, gx, gwt = grads
        return (gx, None if gwt is None else gwt.T, gb) + tuple(in_grads[3:])

    def _transposed(self, w) -> TBackward0:
        t = self.__dict__.get("_t")  # the same object on every look, as in PyTorch
        if t is None:
            t = self.__dict__["_t"] = TBackward0(w)
        return t
