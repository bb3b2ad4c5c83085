"""ember.autograd: reverse-mode differentiation (``backward``, ``grad``) and its tools."""

from __future__ import annotations

import numpy as np

from . import engine
from .function import Function, GradientEdge, Node
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)


def _root_grads(outputs, grad_tensors, create_graph):
    from ..tensor import Tensor

    grads = []
    for i, (t, g) in enumerate(zip(outputs, grad_tensors)):
        if not t._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn\n"
                "Hint: create the inputs with requires_grad=True (or call .requires_grad_()), "
                "and don't compute the output under torch.no_grad() or from .detach()ed tensors."
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs\n"
                                   "Hint: reduce the output to a scalar first (e.g. "
                                   "loss.sum() or loss.mean()), or pass gradient=... to "
                                   "backward().")
            g = np.ones_like(t._data)
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.asarray(g, dtype=t._data.dtype), False, None)
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}.")
            if not create_graph:
                g = g._data
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._make(g, False, None)
        grads.append(g)
    return grads


def _as_list(x):
    from ..tensor import Tensor

    if x is None:
        return None
    return [x] if isinstance(x, Tensor) or _is_edge(x) else list(x)


def _is_edge(x) -> bool:
    return type(x) is GradientEdge


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tensors, grad_tensors, create_graph)
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        capture = _capture_map(inputs)
        got = engine.run_backward(tensors, roots, retain_graph, create_graph, capture)
        for t, g in zip(inputs, got):
            if g is not None and _is_edge(t):  # an edge stores into its leaf, if it has one
                t = getattr(t.node, "variable", None)
            if g is not None and t is not None:
                engine._accumulate(t, g, create_graph)
        return
    engine.run_backward(tensors, roots, retain_graph, create_graph)


def _capture_map(inputs) -> dict:
    capture = {}
    for i, t in enumerate(inputs):
        if _is_edge(t):
            from .graph import edge_key

            capture[edge_key(t)] = i
            continue
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture[t.grad_fn if t.grad_fn is not None else id(t)] = i
    return capture


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """d(outputs)/d(inputs), returned as a tuple; ``.grad`` fields are left untouched."""
    from ..tensor import Tensor

    outputs = _as_list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    roots = _root_grads(outputs, grad_outputs, create_graph)
    got = engine.run_backward(outputs, roots, retain_graph, create_graph, _capture_map(inputs))
    result = []
    for i, (t, g) in enumerate(zip(inputs, got)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                if _is_edge(t):
                    raise RuntimeError("materialize_grads cannot be used when the given input "
                                       "is a GradientEdge")
                g = np.zeros_like(t._data)
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._make(g, False, None)
        result.append(g)
    return tuple(result)


from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: E402
from .variable import Variable  # noqa: E402  (imported first: ``variable`` below is the function)


def variable(*args, **kwargs):
    """Removed in PyTorch: raises, as ``torch.autograd.variable(...)`` does."""
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) "
                       "instead")


def __getattr__(name):
    # Heavier tools load on first use so that ``import ember`` stays fast.
    import importlib

    where = {"gradcheck": "_gradcheck", "gradgradcheck": "_gradcheck",
             "GradcheckError": "_gradcheck", "functional": None,
             "explain": "_explain", "Trace": "_explain", "anomaly": None,
             "forward_ad": None, "graph": None, "anomaly_mode": None, "profiler": None}
    if name not in where:
        raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
    module = importlib.import_module(f"ember.autograd.{where[name] or name}")
    if where[name] is None:
        return module
    return getattr(module, name)


__all__ = ["Function", "Node", "Variable", "backward", "grad", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "set_detect_anomaly",
           "detect_anomaly"]
