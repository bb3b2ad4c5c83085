"""Calling a graph node: ``y.grad_fn(g)`` runs the node's backward formula on ``g`` and
returns what PyTorch's node returns, one gradient per ``next_functions`` entry (a tuple, or
the Tensor alone where there is one entry; None for an input that needs none). With grad
mode on the formula runs on Tensors, as a create_graph backward does, so a gradient that
uses a saved tensor requiring grad is itself differentiable (``(x * w).grad_fn(g)`` gives
``g * w`` with ``grad_fn=<MulBackward0>``)."""

from __future__ import annotations

import numpy as np

from .function import _FREED, SECOND_BACKWARD, Node
from .grad_mode import STATE


def node_call(self, *grads):
    from ..tensor import Tensor
    from ._rules import call_rule

    if len(grads) != 1:
        raise TypeError(f"expected 1 arguments, got {len(grads)} instead")
    expand = getattr(type(self), "_expand", None)
    if expand is not None:  # a fused chain: first the nodes it stands for (_chain.py)
        expand(self)
    if self._saved is _FREED:
        raise RuntimeError(SECOND_BACKWARD)
    g = grads[0]
    if not isinstance(g, Tensor):
        raise TypeError(f"{type(self).__name__}(): argument must be a Tensor, not "
                        f"{type(g).__name__}")
    graph = STATE.enabled
    in_grads = call_rule(self, g if graph else g._data, graph)
    out = tuple(x if x is None or isinstance(x, Tensor) else Tensor._make(np.asarray(x), False,
                                                                           None)
                for x in self._torch_grads(in_grads))
    return out[0] if len(out) == 1 else out


Node.__call__ = node_call
