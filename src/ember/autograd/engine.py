"""The backward pass: walk the graph from the outputs to the leaves, applying the chain rule.

The walk is iterative (no recursion, so a chain of 100,000 ops works). A node runs once all the
nodes that consume its output have sent their gradient, so a tensor used twice (``x * x``, a
diamond) gets the sum of both contributions. Broadcasting is undone here and only here:
a gradient arriving in a broadcast shape is summed back to the shape of its destination.
"""

from __future__ import annotations

from sys import getrefcount as _refs

import numpy as np

from .. import _aten_sum
from . import function as F
from ._torch_errors import check_hook_result
from .function import SECOND_BACKWARD, Node, _FREED
from ._node_hooks import HOOKED, _check_variable, run_node_hooks
from ._rules import call_rule as _call_rule
from ._inference import ACTIVE as _INF_ACTIVE, fresh_vc as _fresh_vc
from .grad_mode import STATE

_new = object.__new__


def sum_to_shape(g, shape):
    """Undo broadcasting: sum ``g`` over the axes that broadcasting added or stretched. Down
    to a single number (the gradient of a broadcast scalar, ``w * x + b``), the float total
    is PyTorch's CPU summation order (_aten_sum.py), as its sum_to uses the same kernel."""
    if type(g) is np.ndarray and all(n == 1 for n in shape) and _aten_sum.use(g):
        return np.asarray(_aten_sum.total(g)).reshape(shape)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead or g.shape != shape:
        g = g.reshape(shape)
    return g


def _fit(g, shape, dtype, create_graph):
    """Bring a gradient to its destination's shape and dtype."""
    if create_graph:
        T = F.Tensor
        if not isinstance(g, T):
            g = T._make(np.asarray(g), False, None)
        if g._data.shape != shape:
            g = sum_to_shape(g, shape)
        if g._data.dtype != dtype:
            g = g.to(T._dtype_of(dtype))
        return g
    if g.shape != shape:
        g = sum_to_shape(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _check_versions(node) -> None:
    """Raise PyTorch's error for a saved tensor changed in place (loaded on first need)."""
    from ._version_check import check_versions

    check_versions(node)


def _run_pre_hooks(node, g, create_graph):
    T = F.Tensor
    for hook in list(node._pre_hooks):
        wrapped = g if isinstance(g, T) else T._make(g, False, None)
        r = hook(wrapped)
        if r is not None:
            if isinstance(r, T):
                check_hook_result(hook, wrapped._data, r._data)
            else:  # PyTorch's TypeError ("expected Variable, but hook returned 'int'")
                _check_variable(r)
            g = r if create_graph else r._data
    return g


def _dependencies(roots) -> dict:
    """How many consumers inside this graph each node has (a node waits for all of them)."""
    deps = dict.fromkeys(roots, 0)
    stack = list(deps)
    while stack:
        node = stack.pop()
        for e in node.next_edges:
            if e is not None and isinstance(e, Node):
                if e in deps:
                    deps[e] += 1
                else:
                    deps[e] = 1
                    stack.append(e)
    return deps


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """Propagate ``root_grads`` from ``roots`` (Tensors) to every leaf.

    Without ``capture``, leaf gradients accumulate into ``.grad``. With ``capture`` (a dict
    from a Node or ``id(leaf)`` to a slot), gradients are returned in a list and ``.grad`` is
    left alone: that is ``autograd.grad``. The common case (first order, into ``.grad``, no
    hook anywhere, anomaly mode off) takes the plain walk; the rest runs in PyTorch's order
    (_ordered.py).
    """
    if capture is None and not create_graph and not STATE.anomaly and (
            not HOOKED[0] or not _watched(roots)):
        _finish_plain(_walk_plain(roots, root_grads, retain_graph))
        return []
    return _ORDERED[0](roots, root_grads, retain_graph, create_graph, capture)


def _watched(roots) -> bool:
    """Whether any node or leaf below ``roots`` has a hook (its order then shows)."""
    seen = set()
    stack = []
    for t in roots:
        if t._hooks:
            return True
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if node._pre_hooks or node._hooks:
            return True
        for e in node.next_edges:
            if e is None:
                continue
            if not isinstance(e, Node):
                if e._hooks:
                    return True
            elif e not in seen:
                seen.add(e)
                stack.append(e)
    return False


def _load_ordered(*args):
    from ._ordered import run_ordered

    _ORDERED[0] = run_ordered  # (imported on first use: an import statement per call costs)
    return run_ordered(*args)


_ORDERED = [_load_ordered]


def _walk_plain(roots, root_grads, retain_graph) -> dict:
    """``run_backward`` for the common case: first order, into ``.grad``, anomaly mode off.

    The same walk with the general loop's branches for create_graph, capture and anomaly
    taken out and its helpers inlined: on a small network this loop is a third of a
    training step's Python overhead. From a single root it also starts without the
    dependency count: a node that only one node ever consumed (``Node._uses``) is ready
    once that consumer has run, and its gradient travels with it in ``ready``. Nodes
    consumed more than once collect their gradients in ``grads`` and wait in ``pending``;
    when nothing else is ready, the dependencies among them and what lies below them are
    counted (everything else has run by then) and the walk goes on counting, as it does
    from several roots. Returns the leaves' gradients (id -> [tensor, gradient]).
    """
    grads, leaves = _seed(roots, root_grads, retain_graph)
    for fn, g in grads.items():  # the roots' gradients exact, as the walk assumes (see _exact)
        if g.shape != fn._shape or g.dtype != fn._dtype:
            grads[fn] = _fit(g, fn._shape, fn._dtype, False)
    if len(grads) == 1:
        return _walk_plain_from(list(grads.items()), leaves, retain_graph)
    deps = _dependencies(list(grads))
    ready = [(n, grads.pop(n)) for n in list(grads) if deps[n] == 0]
    return _walk_plain_from(ready, leaves, retain_graph, deps, grads)


def backward_plain(root, seed, retain_graph: bool) -> None:
    """``run_backward`` from one non-leaf root in the common case (loss.backward()), without
    the generality of ``_seed``: the usual call, entered with two frames fewer."""
    if not retain_graph:
        root._done = True
    _finish_plain(_walk_plain_from([(root, seed)], {}, retain_graph))


def _walk_plain_from(ready, leaves, retain_graph, deps=None, grads=None) -> dict:
    """The loop of ``_walk_plain``: ``ready`` holds (node, gradient) pairs; ``deps`` is None
    when counting starts lazily (a single root)."""
    pending = {} if deps is None else None
    if grads is None:
        grads = {}
    while True:
        while ready:
            node, g = ready.pop()
            edges = node.next_edges
            if g is None:
                in_grads = (None,) * len(edges)
            else:
                if node._pre_hooks:
                    g = _run_pre_hooks(node, g, False)
                for vc, version, _ in node._versions:
                    if vc[0] != version:
                        _check_versions(node)
                saved = node._saved
                if saved is _FREED:
                    raise RuntimeError(SECOND_BACKWARD)
                rule = node._rule
                if rule is None:  # a user Function: its backward runs on Tensors
                    in_grads = _call_rule(node, g, False)
                else:
                    in_grads = rule(node, g)
                    if type(in_grads) is not tuple:
                        in_grads = (in_grads,)
                if node._hooks:
                    in_grads = run_node_hooks(node, in_grads, g, False)
                if saved and not retain_graph:
                    node._saved = _FREED
            exact = node._exact  # the gradients have their inputs' shapes and dtypes
            for e, gi in zip(edges, in_grads):
                if e is None:
                    continue
                if isinstance(e, Node):
                    if not exact and gi is not None and (gi.shape != e._shape
                                                         or gi.dtype != e._dtype):
                        gi = _fit(gi, e._shape, e._dtype, False)
                    if deps is None and e._uses == 1:
                        ready.append((e, gi))
                        continue
                    if gi is not None:
                        grads[e] = grads[e] + gi if e in grads else gi
                    if deps is None:
                        pending[e] = None
                    else:
                        n = deps[e] - 1
                        deps[e] = n
                        if n == 0:
                            ready.append((e, grads.pop(e, None)))
                elif gi is not None:
                    if not exact:
                        d = e._data
                        if gi.shape != d.shape or gi.dtype != d.dtype:
                            gi = _fit(gi, d.shape, d.dtype, False)
                    key = id(e)
                    if key in leaves:
                        leaves[key][1] = leaves[key][1] + gi
                    else:
                        leaves[key] = [e, gi]
        if not pending:
            break
        deps = _dependencies(list(pending))
        ready = [(n, grads.pop(n, None)) for n in pending if deps[n] == 0]
        pending = None
    return leaves


def _finish_plain(leaves: dict) -> None:
    """Store or add each leaf's gradient. A first gradient becomes ``.grad`` without a copy
    when nothing else can see it: an array that owns its memory and that no one else holds
    (its reference count is that of the entry here, which ``_SOLE`` measures; a view or
    any other holder adds one). The walk's frame has returned, so none of its locals count.
    Other arrays are copied (``_own``); this saves a copy per parameter and step."""
    T = F.Tensor
    for t, g in leaves.values():
        if t._hooks:
            g = _leaf_hooks(t, g, False)
        if t._grad is None:
            if type(g) is np.ndarray and (g.base is not None or _refs(g) > _SOLE
                                          or not g.flags.writeable):
                g = g.copy()
            grad = _new(T)  # Tensor._make inline: one call less per parameter
            grad._data = g
            grad._rg = False
            grad.grad_fn = grad._grad = grad._vc = grad._base = grad._hooks = None
            if _INF_ACTIVE[0]:  # backward inside inference_mode: inference grads
                grad._vc = _fresh_vc()
            t._grad = grad
        else:
            t._grad._ensure_array().__iadd__(g)  # in place, as PyTorch outside create_graph
    if _POST:
        _run_post_hooks()


def _sole_refs() -> int:
    """The reference count ``_finish_plain`` sees for an array held by nothing but its
    leaf entry (interpreter versions differ in what they count)."""
    for _, g in {0: [None, np.empty(1)]}.values():
        return _refs(g)


_SOLE = _sole_refs()


def _seed(roots, root_grads, retain_graph):
    """The walk's starting point: root gradients by node, and roots that are leaves."""
    grads: dict = {}
    leaves: dict = {}
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        if fn is None:
            _add_leaf(leaves, t, g)
        else:
            grads[fn] = grads[fn] + g if fn in grads else g
    if not retain_graph:
        for fn in grads:
            fn._done = True  # lets Primitive.apply notice graphs kept alive across steps
    return grads, leaves


def _add_leaf(leaves: dict, t, g) -> None:
    key = id(t)
    if key in leaves:
        leaves[key][1] = leaves[key][1] + g
    else:
        leaves[key] = [t, g]


def _leaf_hooks(t, g, create_graph):
    """Run a leaf's hooks on its summed gradient; each may return a replacement."""
    return _leaf_hooks_from(t._hooks, g, create_graph)


def _leaf_hooks_from(hooks, g, create_graph):
    T = F.Tensor
    for hook in hooks:
        wrapped = g if isinstance(g, T) else T._make(g, False, None)
        r = hook(wrapped)
        if r is not None:
            if isinstance(r, T):
                check_hook_result(hook, wrapped._data, r._data)
            else:  # PyTorch's TypeError ("expected Variable, but hook returned 'int'")
                _check_variable(r)
            g = r if create_graph else r._data
    return g


def _own(g):
    """A gradient array that no one else holds, to become a ``.grad``. Arrays are copied: the
    same one may also be flowing to another input (x + y passes g to both) or be saved.
    NumPy scalars (0-d results) are immutable and need no copy."""
    return g.copy() if type(g) is np.ndarray else g


class PostAccumulate:
    """A leaf hook entry standing for ``register_post_accumulate_grad_hook``: called with the
    summed gradient like any leaf hook, it only queues itself, and the queue runs once the
    leaves' ``.grad`` are stored (one check of ``_POST`` per backward, none per leaf)."""

    __slots__ = ("ref", "hook")

    def __init__(self, tensor, hook):
        import weakref

        self.ref, self.hook = weakref.ref(tensor), hook

    def __call__(self, grad):
        _POST.append(self)

    def fire(self, stored: bool) -> None:
        """Call the hook with its tensor (``autograd.grad`` stores no ``.grad``: then the
        entry is dropped, as in PyTorch)."""
        t = self.ref() if stored else None
        if t is not None:
            r = self.hook(t)
            if r is not None:  # PyTorch's checks: a Tensor, or anything else, refused
                _check_variable(r)
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")


# Entries to fire once the walk and the leaves' hooks are done: PostAccumulate's, and
# graph.register_multi_grad_hook's (which fire after autograd.grad too).
_POST: list = []


def _run_post_hooks(stored: bool = True) -> None:
    """Fire the queued end-of-backward entries; ``stored``: whether ``.grad`` was written."""
    queued = _POST[:]
    _POST.clear()
    for entry in queued:
        entry.fire(stored)


def _accumulate(t, g, create_graph) -> None:
    """``t.grad += g``, as PyTorch's AccumulateGrad: in place unless building a graph."""
    T = F.Tensor
    old = t._grad
    if create_graph:
        g = g if isinstance(g, T) else T._make(g, False, None)
        t._grad = g if old is None else old + g
    elif old is None:
        t._grad = T._make(_own(g), False, None)
    else:
        arr = old._ensure_array()  # in place, as PyTorch does outside create_graph
        arr += g
