"""ember.autograd: reverse-mode differentiation (``backward``, ``grad``) and its tools."""

from __future__ import annotations

from collections.abc import Mapping

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
                raise TypeError("gradients can be either Tensors or None, but got "
                                f"{type(g).__name__}")
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


def _grads_for(outputs, given):
    """The gradients for outputs: None (implicit) for each when none are given; fewer than
    outputs is an error (extra ones are ignored, as PyTorch)."""
    given = _as_list(given)
    if given is None:
        return [None] * len(outputs)
    if len(given) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(given)} gradients")
    return given


def _is_edge(x) -> bool:
    return type(x) is GradientEdge


_CAPTURING: list = []  # one True per running autograd.grad / backward(inputs=...)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    if create_graph and not is_grad_enabled():  # create_graph records even under no_grad
        with enable_grad():
            return backward(tensors, grad_tensors, retain_graph, create_graph, grad_variables,
                            inputs)
    if grad_variables is not None:  # the pre-0.4 name of grad_tensors
        import warnings

        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both "
                               "passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    tensors = _as_list(tensors)
    grad_tensors = _grads_for(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tensors, grad_tensors, create_graph)
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        capture = _capture_map(inputs)
        _CAPTURING.append(True)
        try:
            got = engine.run_backward(tensors, roots, retain_graph, create_graph, capture)
        finally:
            _CAPTURING.pop()
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
    """d(outputs)/d(inputs), returned as a tuple (a dict for a dict of inputs, keyed alike);
    ``.grad`` fields are left untouched."""
    from ..tensor import Tensor

    if create_graph and not is_grad_enabled():  # create_graph records even under no_grad
        with enable_grad():
            return grad(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                        allow_unused, is_grads_batched, materialize_grads)

    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    keys = None
    if type(inputs) is dict:
        keys, inputs = list(inputs), list(inputs.values())
    elif isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `grad()` must be a dict, not "
                        f"{type(inputs).__name__}. Other Mapping types are not supported.")
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        from .._warn import warn

        warn("only_inputs argument is deprecated and is ignored now (defaults to True). To "
             "accumulate gradient for other parts of the graph, please use "
             "torch.autograd.backward.", FutureWarning)
    grad_outputs = _grads_for(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        got = _batched_vjp(outputs, inputs, grad_outputs, retain_graph, create_graph)
    else:
        roots = _root_grads(outputs, grad_outputs, create_graph)
        uniq = inputs
        if len({id(t) for t in inputs}) < len(inputs):  # the same tensor twice: once each
            uniq = list({id(t): t for t in inputs}.values())
        _CAPTURING.append(True)
        try:
            got = engine.run_backward(outputs, roots, retain_graph, create_graph,
                                      _capture_map(uniq))
        finally:
            _CAPTURING.pop()
        if uniq is not inputs:
            at = {id(t): g for t, g in zip(uniq, got)}
            got = [at[id(t)] for t in inputs]
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
                g = Tensor._make(np.zeros_like(t._data), bool(create_graph), None)
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._make(g, False, None)
        result.append(g)
    return dict(zip(keys, result)) if keys is not None else tuple(result)


def _batched_vjp(outputs, inputs, grad_outputs, retain_graph, create_graph) -> list:
    """``is_grads_batched``: one backward per row of the grad_outputs (PyTorch vmaps it), each
    input's gradients stacked along a new first dim; an unreached input stays None."""
    from ..tensor import Tensor

    rows = None
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None or not isinstance(g, Tensor) or g.dim() == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, "
                             "but that input is a Tensor of dimensionality 0 so expected in_dim "
                             "to satisfy 0 <= in_dim < 0.")
        if tuple(g.shape[1:]) != tuple(t.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g[0].shape[1:]} and output[{i}] "
                f"has a shape of {t.shape}. If you only want some tensors in `grad_output` to "
                "be considered batched, consider using vmap.")
        rows = g.shape[0] if rows is None else rows
    per_row = []
    for r in range(rows):
        roots = _root_grads(outputs, [g[r] for g in grad_outputs], create_graph)
        keep = retain_graph or r < rows - 1
        per_row.append(engine.run_backward(outputs, roots, keep, create_graph,
                                           _capture_map(inputs)))
    from ..ops.join_split import stack

    got = []
    for j in range(len(inputs)):
        gs = [row[j] for row in per_row]
        if any(g is None for g in gs):
            got.append(None)
        elif create_graph:
            got.append(stack([g if isinstance(g, Tensor) else Tensor._make(g, False, None)
                              for g in gs]))
        else:
            got.append(np.stack(gs))
    return got


from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: E402
from . import _node_call  # noqa: E402,F401  (y.grad_fn(g): Node.__call__)
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
             "forward_ad": None, "graph": None,
             "set_multithreading_enabled": "grad_mode", "anomaly_mode": None, "profiler": None,
             "is_multithreading_enabled": "_flags", "is_view_replay_enabled": "_flags",
             "_force_original_view_tracking": "_flags"}
    if name not in where:
        raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
    module = importlib.import_module(f"ember.autograd.{where[name] or name}")
    if where[name] is None:
        return module
    return getattr(module, name)


__all__ = ["Function", "Node", "Variable", "backward", "grad", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "set_detect_anomaly",
           "detect_anomaly"]
