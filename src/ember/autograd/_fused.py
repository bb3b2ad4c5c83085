"""Nodes that stand for several of PyTorch's nodes until something looks inside the graph
(nn/modules/_chain.py: a Sequential's Linear/activation chain): each has ``_expand()``, which
turns it, in place, into the nodes the unfused path records. Graph walkers that read
``next_edges`` directly (the ordered engine, ember.viz, autograd.explain) expand first."""

from __future__ import annotations

EVER = [False]  # set once such a node was recorded: until then there is nothing to expand


def expand(node) -> None:
    """Expand ``node`` if it is a fused node not expanded yet."""
    if "_chain" in getattr(node, "__dict__", ()):
        node._expand()


def expand_reachable(edges) -> None:
    """Expand every fused node reachable from ``edges`` (Nodes, leaf Tensors or None)."""
    if not EVER[0]:
        return
    from .function import Node

    seen = set()
    stack = [e for e in edges if isinstance(e, Node)]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        expand(node)
        stack.extend(e for e in node.next_edges if isinstance(e, Node) and e not in seen)
