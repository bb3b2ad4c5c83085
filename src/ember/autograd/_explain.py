"""``ember.autograd.explain(loss)``: the backward pass, one chain-rule step at a time.

It runs exactly ``loss.backward()`` (the same gradients land in ``.grad``) with a hook on every
node, and records for each node, in the order the engine ran them: the op, its local derivative
(the formula in its rule's docstring), the gradient arriving from the output side, and the
gradient it passes to each input.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from ._fused import expand_reachable
from .function import Node


@dataclass
class Step:
    """One node of the backward pass."""

    index: int
    op: str
    formula: str
    grad_output: np.ndarray
    grad_inputs: list = field(default_factory=list)  # (destination name, gradient or None)


@dataclass
class Trace:
    """What ``explain`` returns: ``steps`` as data, ``print(trace)`` as a readable table."""

    output: str
    steps: list
    leaves: list  # (name, .grad after the pass)

    def __str__(self) -> str:
        lines = [f"Backward pass from {self.output}", ""]
        for s in self.steps:
            lines.append(f"step {s.index}: {s.op}    {s.formula}")
            lines.append(f"    incoming gradient dL/d(output) = {_show(s.grad_output)}")
            for dest, g in s.grad_inputs:
                lines.append(f"    -> {dest}: {_show(g)}")
            lines.append("")
        lines.append("Gradients accumulated into leaves:")
        lines += [f"    {name}.grad = {_show(g)}" for name, g in self.leaves]
        return "\n".join(lines)

    __repr__ = __str__


def _show(a) -> str:
    """Values for small tensors; shape and norm for large ones."""
    if a is None:
        return "None (no gradient needed)"
    arr = np.asarray(a, dtype=np.float64)
    if arr.size <= 6:  # 4 significant digits: a tiny gradient (saturated tanh) is not "0."
        text = np.array2string(arr, separator=", ", max_line_width=10_000,
                               formatter={"float_kind": lambda v: f"{v:.4g}"})
        return text.replace("\n", "")
    return f"shape {list(arr.shape)}, norm {np.linalg.norm(arr):.4g}"


def _formula(node) -> str:
    fn = node._fn
    if getattr(fn, "_tensor_level", False) and fn.backward is not None:
        # Only the user's own docstrings: getdoc would fall back to autograd.Function's.
        doc = (getattr(fn.backward, "__doc__", None) or fn.__dict__.get("__doc__") or "")
        doc = inspect.cleandoc(doc) if doc.strip() else ""
        return (doc.splitlines()[0] if doc else
                f"user-defined autograd.Function {fn.__name__} (its backward has no docstring)")
    doc = inspect.getdoc(fn) or ""  # inherits the formula of the primitive it specialises
    # The formula is the docstring's first paragraph, often wrapped over several lines.
    return (" ".join(line.strip() for line in doc.split("\n\n")[0].splitlines()) if doc
            else "(no formula documented)")


def _nodes(root) -> list:
    expand_reachable([root])  # fused nodes shown as the nodes PyTorch records
    seen, stack, out = {root}, [root], []
    while stack:
        n = stack.pop()
        out.append(n)
        for e in n.next_edges:
            if isinstance(e, Node) and e not in seen:
                seen.add(e)
                stack.append(e)
    return out


def _names(params) -> dict:
    """id(tensor) -> name, from a dict, a Module, or (name, tensor) pairs."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    pairs = params.items() if hasattr(params, "items") else params
    try:
        return {id(t): str(name) for name, t in pairs}
    except (TypeError, ValueError):
        raise TypeError(f"params: expected a dict of name -> tensor, but got "
                        f"{type(params).__name__}. Hint: pass "
                        "params=dict(model.named_parameters())") from None


def _dest(edge, i, names) -> str:
    if edge is None:
        return f"input {i} (no grad)"
    if isinstance(edge, Node):
        return f"input {i} -> {edge.name()}"
    return f"input {i} -> leaf {names.get(id(edge), _leaf_label(edge))}"


def _leaf_label(t) -> str:
    return f"tensor{list(t.shape)}" if t.dim() else f"tensor({t.item():.4g})"


def _check_output(output, gradient) -> None:
    """Clear errors for what explain cannot trace, each with the usual fix."""
    from .function import _FREED, SECOND_BACKWARD, Tensor

    if not isinstance(output, Tensor):
        raise TypeError(f"explain() expected a Tensor (e.g. the loss), but got "
                        f"{type(output).__name__}")
    if output.grad_fn is None:
        if output.requires_grad:
            raise RuntimeError("explain() needs the result of a computation, but got a leaf "
                               "tensor (it has no grad_fn, so there is no backward pass to "
                               "show). Hint: pass the loss computed from it, e.g. "
                               "explain((x * x).sum())")
        raise RuntimeError("explain() needs a tensor computed from tensors that require grad, "
                           "but this one does not require grad (its grad_fn is None). Hint: "
                           "create the inputs with requires_grad=True, or use a model's "
                           "parameters, and do not compute the loss under torch.no_grad()")
    if gradient is None and output.numel() != 1:
        raise RuntimeError(f"explain() of a non-scalar output (shape {list(output.shape)}) "
                           "needs gradient=..., as backward() does: grad can be implicitly "
                           "created only for scalar outputs. Hint: explain(out.sum()), or "
                           "explain(out, gradient=torch.ones_like(out))")
    if any(n._saved is _FREED for n in _nodes(output.grad_fn)):
        raise RuntimeError(SECOND_BACKWARD + "\nHint: explain() runs the backward pass "
                           "itself; call explain(loss) instead of loss.backward(), not after "
                           "it (or run the forward pass again).")


def explain(output, gradient=None, params: dict | None = None, retain_graph=None) -> Trace:
    """Run ``output.backward(gradient)`` and return the chain-rule trace of that pass.

    ``params`` (e.g. ``dict(model.named_parameters())``) names the leaves in the trace.
    """
    _check_output(output, gradient)
    names = _names(params)
    steps, handles = [], []
    for node in _nodes(output.grad_fn):
        def record(grad_inputs, grad_outputs, node=node):
            # The hook sees PyTorch's next_functions order (Linear: bias, input, weight^T);
            # map back to one gradient per next_edges entry, the order the names come from.
            per_arg = node._from_torch_grads(tuple(grad_inputs), (None,) * len(node.next_edges))
            steps.append(Step(
                index=len(steps) + 1, op=node.name(), formula=_formula(node),
                grad_output=np.array(grad_outputs[0], copy=True),
                grad_inputs=[(_dest(e, i, names), None if g is None else np.array(g, copy=True))
                             for i, (e, g) in enumerate(zip(node.next_edges, per_arg))
                             if e is not None]))

        handles.append(node.register_hook(record))
    leaves = {}
    for node in _nodes(output.grad_fn):
        for e in node.next_edges:
            if e is not None and not isinstance(e, Node):
                leaves[id(e)] = e
    try:
        output.backward(gradient, retain_graph=retain_graph)
    finally:
        for h in handles:
            h.remove()
    leaf_list = [(names.get(k, _leaf_label(t)),
                  None if t.grad is None else np.array(t.grad._data, copy=True))
                 for k, t in leaves.items()]
    return Trace(repr(output), steps, leaf_list)
