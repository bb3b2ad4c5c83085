"""``grad_fn.register_hook(fn)``: ``fn(grad_inputs, grad_outputs)`` after the node's backward.

PyTorch hands the hook Tensors, one per entry of ``next_functions`` (so a node's hook sees
the same inputs its graph shows), and uses what it returns, if not None, in place of
grad_inputs. ember's rules compute one gradient per forward argument, tensors or not, in
its own order (Linear: input, weight, bias); the node class translates between the two
(``_torch_grads`` / ``_from_torch_grads``).
"""

from __future__ import annotations

import numpy as np

from . import function as F


def _tensor(g):
    return g if g is None or isinstance(g, F.Tensor) else F.Tensor._make(np.asarray(g), False,
                                                                          None)


def _raw(g, create_graph: bool):
    """A hook's replacement in the form the engine carries gradients."""
    if g is None or create_graph:
        return g
    return g._data if isinstance(g, F.Tensor) else np.asarray(g)


def run_node_hooks(node, in_grads: tuple, g, create_graph: bool) -> tuple:
    shown = tuple(_tensor(x) for x in node._torch_grads(in_grads))
    outputs = (_tensor(g),)
    for hook in list(node._hooks):
        res = hook(shown, outputs)
        if res is None:
            continue
        res = res if isinstance(res, tuple) else (res,)
        if len(res) != len(shown):
            raise RuntimeError(f"hook '{getattr(hook, '__name__', 'hook')}' has returned an "
                               f"incorrect number of values (got {len(res)}, but expected "
                               f"{len(shown)})")
        shown = tuple(_tensor(x) for x in res)
        in_grads = node._from_torch_grads(
            tuple(_raw(x, create_graph) for x in shown), in_grads)
    return in_grads
