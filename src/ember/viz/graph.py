"""The computation graph behind a tensor, as Graphviz DOT (and rendered with ``dot``).

Drawn in the forward direction: leaves (inputs and parameters) at the top, one box per op
named as its ``grad_fn`` (``MulBackward0``), the output at the bottom; each edge carries the
shape of the tensor flowing along it. Tensors of at most a few elements show their values and
gradients.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from ..autograd._explain import _names
from ..autograd._fused import expand_reachable
from ..autograd.function import Node

SMALL = 4  # tensors with at most this many elements show their values


def _fmt(arr) -> str:
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 0:
        return f"{a.item():.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in a.ravel()) + "]"


def _shape(s) -> str:
    return "(" + ", ".join(map(str, s)) + ")" if len(s) != 1 else f"({s[0]},)"


def _leaf_label(t, names) -> str:
    name = names.get(id(t), "tensor")
    lines = [name, _shape(t._data.shape)]
    if t._data.size <= SMALL:
        lines.append(f"value {_fmt(t._data)}")
        if t.grad is not None:
            lines.append(f"grad {_fmt(t.grad._data)}")
    return "\\n".join(lines)


def _esc(s: str) -> str:
    return s.replace('"', '\\"')


def _walk(root):
    """Every node and leaf reachable from ``root`` (iteratively), with their edges."""
    expand_reachable([root])  # fused nodes shown as the nodes PyTorch records
    nodes, leaves, edges = [], {}, []
    seen = {root}
    stack = [root]
    while stack:
        n = stack.pop()
        nodes.append(n)
        for e in n.next_edges:
            if e is None:
                continue
            if isinstance(e, Node):
                edges.append((e, n, e._shape))
                if e not in seen:
                    seen.add(e)
                    stack.append(e)
            else:
                leaves[id(e)] = e
                edges.append((e, n, e._data.shape))
    return nodes, leaves, edges


class _Shown:
    """A box PyTorch's graph has where ember runs one fused node."""

    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


def _show_fused_log_softmax(nodes, edges):
    """cross_entropy is one node here (NllLossBackward0 with log_softmax fused in); PyTorch's
    graph has LogSoftmaxBackward0 below it, so draw that box too (its next_functions do)."""
    from ..ops._shown_graph import NllOfLogSoftmaxNode

    fused = {n: _Shown("LogSoftmaxBackward0") for n in nodes
             if isinstance(n, NllOfLogSoftmaxNode) and n.name() == "NllLossBackward0"}
    if not fused:
        return edges
    nodes += fused.values()
    out = []
    for src, dst, shape in edges:
        if dst in fused and src is dst.next_edges[0]:
            out += [(src, fused[dst], shape), (fused[dst], dst, shape)]
        else:
            out.append((src, dst, shape))
    return out


def to_dot(tensor, params: dict | None = None) -> str:
    """Graphviz DOT source for the graph that produced ``tensor``.

    ``params``: e.g. ``dict(model.named_parameters())``, to label leaves by module path.
    """
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dot() expected a Tensor (e.g. the loss), but got "
                        f"{type(tensor).__name__}")
    names = _names(params)
    ids: dict = {}

    def nid(obj) -> str:
        return ids.setdefault(id(obj), f"n{len(ids)}")

    out = ["digraph ember {", '  rankdir=TB; node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=9];']
    label = f"output\\n{_shape(tensor._data.shape)}"
    if tensor.grad_fn is None:  # say why nothing is drawn above it
        label += ("\\n(leaf: no graph)" if tensor.requires_grad
                  else "\\n(requires_grad=False: no graph)")
    if tensor._data.size <= SMALL:
        label += f"\\nvalue {_fmt(tensor._data)}"
    out.append(f'  out [label="{label}", shape=oval, style=filled, fillcolor="#c8e6c9"];')
    if tensor.grad_fn is None:
        out.append("}")
        return "\n".join(out)
    nodes, leaves, edges = _walk(tensor.grad_fn)
    edges = _show_fused_log_softmax(nodes, edges)
    for n in nodes:
        out.append(f'  {nid(n)} [label="{_esc(n.name())}", shape=box, style=filled, '
                   'fillcolor="#e3f2fd"];')
    for key, t in leaves.items():
        fill = "#fff9c4" if key in names else "#eeeeee"
        out.append(f'  {nid(t)} [label="{_esc(_leaf_label(t, names))}", shape=box, '
                   f'style="rounded,filled", fillcolor="{fill}"];')
    for src, dst, shape in edges:
        out.append(f'  {nid(src)} -> {nid(dst)} [label="{_shape(shape)}"];')
    out.append(f'  {nid(tensor.grad_fn)} -> out [label="{_shape(tensor._data.shape)}"];')
    out.append("}")
    return "\n".join(out)


def draw_graph(tensor, path: str, params: dict | None = None) -> str:
    """Render the graph to ``path`` (.svg or .png, by extension) with Graphviz; returns path."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in ("svg", "png", "pdf"):
        got = f"'.{fmt}'" if fmt else f"no extension in '{path}'"
        raise ValueError(f"draw_graph: unsupported file type {got}; expected a path ending in "
                         ".svg, .png or .pdf, e.g. draw_graph(loss, 'graph.svg')")
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "draw_graph needs Graphviz's 'dot' program, which was not found on PATH.\n"
            "Hint: install the Graphviz package (Debian/Ubuntu: apt-get install graphviz; "
            "macOS: brew install graphviz), or use ember.viz.to_dot() and render it elsewhere."
        )
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as f:
        f.write(to_dot(tensor, params))
        src = f.name
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        subprocess.run([dot, f"-T{fmt}", src, "-o", path], check=True, capture_output=True)
    finally:
        os.unlink(src)
    return path
