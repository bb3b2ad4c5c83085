"""A checker for ``Primitive.exact_grads``: rules that claim it must return, for a gradient of
their output's exact shape and dtype, gradients of each input's exact shape and dtype (the
engine then skips comparing them). ``install()`` wraps every claiming rule; tests/conftest.py
installs it for the whole suite, so every backward any test runs is checked."""

from __future__ import annotations

import numpy as np

from ember.autograd.function import Node, Primitive

VIOLATIONS: list[str] = []


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _meta(x):
    """(shape, dtype) of an array or NumPy scalar; None for anything else (Tensors)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.shape, x.dtype
    return None


def _check(node, g, in_grads) -> None:
    if not getattr(node, "_exact", False) or _meta(g) != (node._shape, node._dtype):
        return  # not claimed for this call, or not given an exact gradient (create_graph)
    grads = in_grads if isinstance(in_grads, tuple) else (in_grads,)
    for i, (e, gi) in enumerate(zip(node.next_edges, grads)):
        if e is None or gi is None:
            continue
        want = (e._shape, e._dtype) if isinstance(e, Node) else _meta(e._data)
        if _meta(gi) != want:
            VIOLATIONS.append(f"{node.name()} input {i}: got {_meta(gi)}, input is {want}")


def _wrap(rule):
    def checked(node, g):
        out = rule(node, g)
        _check(node, g, out)
        return out
    checked.__wrapped__ = rule
    return checked


def install() -> int:
    """Wrap the rule of every node class that claims exact gradients; returns how many."""
    n = 0
    for cls in _subclasses(Primitive):
        node_cls = cls._node_cls
        rule = node_cls.__dict__.get("_rule")
        if node_cls._exact and rule is not None and not hasattr(rule.__func__, "__wrapped__"):
            node_cls._rule = staticmethod(_wrap(rule.__func__))
            n += 1
    return n
