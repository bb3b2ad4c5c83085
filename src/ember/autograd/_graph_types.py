"""What the graph shows of itself beyond its nodes: AccumulateGrad (a leaf's place in
``next_functions``), GradientEdge, and the handle that hook registration returns."""

from __future__ import annotations

from collections import namedtuple


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions``; ``variable`` is the leaf."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

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
