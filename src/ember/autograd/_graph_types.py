"""What the graph shows of itself beyond its nodes: AccumulateGrad (a leaf's place in
``next_functions``), GradientEdge, and the handle that hook registration returns."""

from __future__ import annotations

import weakref
from collections import namedtuple


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions``; ``variable`` is the leaf.
    One node per leaf while anything holds it, as PyTorch's (a leaf used twice, a tied
    weight, is one node to graph tools that key nodes by ``id``)."""

    _live: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()  # id(leaf) -> node

    def __new__(cls, variable):
        node = cls._live.get(id(variable))
        if node is None or node.variable is not variable:  # (the node keeps its leaf alive)
            node = object.__new__(cls)
            node.variable = variable
            node.next_functions = ()
            cls._live[id(variable)] = node
        return node

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # PyTorch's name, as tools print it

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)


# Where a gradient flows: output ``output_nr`` of ``node`` (torch.autograd.graph's type; here,
# beside the nodes, so that autograd.grad can accept it without importing graph).
GradientEdge = namedtuple("GradientEdge", ("node", "output_nr", "ownership_token"),
                          defaults=(None,), module="ember.autograd.graph")


def _RemovableHandle(hooks: list, fn):  # noqa: N802 - what tensor and node hooks return
    from ..utils.hooks import RemovableHandle

    return RemovableHandle._in_list(hooks, fn)
