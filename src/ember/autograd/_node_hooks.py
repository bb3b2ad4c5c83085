"""``grad_fn.register_hook(fn)``: ``fn(grad_inputs, grad_outputs)`` after the node's backward;
``grad_fn.register_prehook(fn)``: ``fn(grad_outputs)`` before it (methods of ``Node``).

PyTorch hands the hook Tensors, one per entry of ``next_functions`` (so a node's hook sees
the same inputs its graph shows), and uses what it returns, if not None, in place of
grad_inputs. ember's rules compute one gradient per forward argument, tensors or not, in
its own order (Linear: input, weight, bias); the node class translates between the two
(``_torch_grads`` / ``_from_torch_grads``).
"""

from __future__ import annotations

import numpy as np

from .._typename import class_name
from . import function as F

# Set for good once any gradient hook exists (a tensor or node hook, retain_grad, a
# post-accumulate hook): from then on backward looks for hooks in its graph and, finding
# one, runs in PyTorch's order, which hooks can see (engine.run_backward, _ordered.py).
# A flag rather than a count: handles and garbage collection would both have to keep one.
HOOKED = [False]

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
        if not isinstance(res, tuple):
            raise TypeError(f"expected tuple, but hook returned '{class_name(type(res))}'")
        if len(res) != len(shown):
            name = getattr(hook, "__name__", "<unknown>")
            raise RuntimeError(f"hook '{name}' has returned an incorrect number of values "
                               f"(got {len(res)}, but expected {len(shown)})")
        for x in res:
            _check_variable(x)
        shown = res
        in_grads = node._from_torch_grads(
            tuple(_raw(x, create_graph) for x in shown), in_grads)
    return in_grads


def _check_variable(r) -> None:
    """PyTorch's TypeError for a gradient hook's result that is neither a Tensor nor None."""
    if r is not None and not isinstance(r, F.Tensor):
        raise TypeError(f"expected Variable, but hook returned '{class_name(type(r))}'")


class _CheckedHook:
    """A tensor hook ``fn(grad)`` as the engine runs it: PyTorch's TypeError when ``fn``
    returns something other than a Tensor or None ("expected Variable, but hook returned
    'int'"). Reads through to ``fn``'s attributes (``__name__`` for the size and dtype
    errors, retain_grad's marker) and shows as ``fn``."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, g):
        r = self.fn(g)
        _check_variable(r)
        return r

    def __getattr__(self, name):
        if name == "fn":  # (not yet set: copy / unpickling)
            raise AttributeError(name)
        return getattr(self.fn, name)

    def __repr__(self):
        return repr(self.fn)


def tuple_prehook(fn):
    """A node pre-hook as the engine runs it (one gradient in, one or None out) for PyTorch's
    ``fn(grad_outputs: tuple) -> tuple | None``, with PyTorch's errors for what it returns
    (a size or dtype change is reported under ``fn``'s name)."""

    def prehook(g):
        res = fn((g,))
        if res is None:
            return None
        if not isinstance(res, tuple):
            raise TypeError(f"expected tuple, but hook returned '{class_name(type(res))}'")
        if len(res) != 1:
            name = getattr(fn, "__name__", "<unknown>")
            raise RuntimeError(f"hook '{name}' has returned an incorrect number of values "
                               f"(got {len(res)}, but expected 1)")
        return res[0] if res[0] is not None else F.Tensor._make(np.zeros_like(g._data), False,
                                                                  None)

    prehook.__name__ = getattr(fn, "__name__", "<unknown>")
    return prehook


def register_hook(self, fn):
    """``fn(grad_inputs, grad_outputs)`` after this node's backward (as in PyTorch)."""
    HOOKED[0] = True
    if self._hooks is None:
        self._hooks = []
    self._hooks.append(fn)
    return F._RemovableHandle(self._hooks, fn)


def register_prehook(self, fn):
    """``fn(grad_outputs)`` before this node's backward, with the tuple of its output
    gradients (PyTorch's form); it may return a tuple of replacements."""
    return self._add_prehook(tuple_prehook(fn))


def _add_prehook(self, fn):
    """``fn(grad)`` with this node's one output gradient (a tensor hook's form)."""
    HOOKED[0] = True
    if not getattr(fn, "_retains_grad", False):
        fn = _CheckedHook(fn)
    hooks = self._pre_hooks
    if hooks is None:
        hooks = self._pre_hooks = []
    if hooks and getattr(hooks[-1], "_retains_grad", False):
        hooks.insert(-1, fn)  # retain_grad's .grad sees every hook's result (PyTorch)
    else:
        hooks.append(fn)
    return F._RemovableHandle(hooks, fn)
