"""The backward pass in PyTorch's order: what hooks see, and the order gradients are summed in.

PyTorch's engine keeps the nodes that are ready (every consumer has sent its gradient) in a
priority queue and always runs the newest one first: the highest ``sequence_nr``, a number
taken when the node was created. A leaf's AccumulateGrad outranks every node, so a leaf's
hooks run, and its ``.grad`` is written, as soon as its last gradient has arrived. That order
is visible: hooks print in it, ``.grad`` read from a hook is complete or not yet, and a
gradient summed from three or more uses is added in the order they arrive (float addition
is not associative). This walk repeats it: nodes carry ``_seq`` (function.py), leaves rank
above all, and the queue is the binary heap of libstdc++'s ``std::priority_queue`` (which
breaks ties among leaves ready at the same time), so equal-ranked leaves come out in
PyTorch's order too.

ember's common ``loss.backward()`` takes engine._walk_plain instead, which runs nodes last in
first out and stores leaf gradients at the end: the same results where nothing watches the
order and no gradient has three or more sources (~10 us less on a small network's step).
A backward whose graph has a hook (on a tensor or node, retain_grad, a post-accumulate
hook) comes here, as do create_graph, autograd.grad and anomaly mode. (Looking for hooks
costs a walk over the graph, ~1 us per 20 nodes, so it is only done once any hook has been
registered in the process: ``HOOKED``.)

``autograd.grad`` (``capture``) runs only the nodes on a path to a requested input, as
PyTorch's: hooks elsewhere in the graph do not fire and their saved tensors are kept.
"""

from __future__ import annotations

from sys import getrefcount as _refs

import numpy as np

from . import engine as E
from . import function as F
from .function import SECOND_BACKWARD, Node, _FREED
from .grad_mode import STATE
from ._fused import expand_reachable
from ._node_hooks import run_node_hooks
from ._rules import call_rule

LEAF = float("inf")  # an AccumulateGrad's rank (PyTorch: UINT64_MAX)


def _sift_up(heap: list, hole: int, item) -> None:
    """libstdc++'s __push_heap: move ``item`` up from ``hole`` past strictly lower parents."""
    rank = item[0]
    while hole > 0:
        parent = (hole - 1) >> 1
        if heap[parent][0] < rank:
            heap[hole] = heap[parent]
            hole = parent
        else:
            break
    heap[hole] = item


def push(heap: list, item) -> None:
    """std::push_heap: ``item`` is (rank, task)."""
    heap.append(item)
    if len(heap) > 1:
        _sift_up(heap, len(heap) - 1, item)


def pop(heap: list):
    """std::pop_heap + pop_back: the top item. libstdc++ moves the hole down to a leaf along
    the larger children (the right one on a tie), then sifts the last item up from there."""
    last = heap.pop()
    n = len(heap)
    if n:
        top = heap[0]
        hole = child = 0
        while child < (n - 1) >> 1:
            child = 2 * (child + 1)
            if heap[child][0] < heap[child - 1][0]:
                child -= 1
            heap[hole] = heap[child]
            hole = child
        if not n & 1 and child == (n - 2) >> 1:
            child = 2 * (child + 1)
            heap[hole] = heap[child - 1]
            hole = child - 1
        _sift_up(heap, hole, last)
        return top
    return last


def _count(roots) -> dict:
    """How many edges lead into each node and leaf (by ``id``) of the graph below ``roots``
    (the roots' own edges included): a node is ready when that many gradients have come."""
    deps: dict = {}
    stack = [roots]  # edge lists still to count: the roots', then each new node's
    while stack:
        for e in stack.pop():
            if e is None:
                continue
            key = e if isinstance(e, Node) else id(e)
            if key in deps:
                deps[key] += 1
            else:
                deps[key] = 1
                if key is e:
                    stack.append(e.next_edges)
    return deps


def _needed(deps: dict, capture: dict) -> set:
    """The nodes on a path to a captured node or leaf (PyTorch's exec_info): only these run."""
    memo: dict = {}
    for start in deps:
        if not isinstance(start, Node) or start in memo:
            continue
        stack = [(start, iter(start.next_edges))]
        memo[start] = False
        while stack:
            node, it = stack[-1]
            for e in it:
                if e is None:
                    continue
                if not isinstance(e, Node):
                    if id(e) in capture:
                        memo[node] = True
                    continue
                if e not in memo:
                    memo[e] = False
                    stack.append((e, iter(e.next_edges)))
                    break
                if memo[e] or e in capture:
                    memo[node] = True
            else:
                stack.pop()
                if stack and (memo[node] or node in capture):
                    memo[stack[-1][0]] = True
    return {n for n, need in memo.items() if need}


# The running pass's (dependencies, nodes to run or None, capture), for will_run.
CURRENT: list = [None]


def will_run(key) -> bool:
    """Whether the running backward will reach ``key`` (a node, or ``id`` of a leaf) and run
    it (PyTorch's _will_engine_execute_node): in its graph, and under autograd.grad on a path
    to what is asked for (a leaf only when asked for itself)."""
    if CURRENT[0] is None:
        return False
    deps, needed, capture = CURRENT[0]
    if key not in deps:
        return False
    if needed is None:
        return True
    return key in capture or key in needed


def run_ordered(roots, root_grads, retain_graph, create_graph, capture=None) -> list:
    """engine.run_backward's general case, in PyTorch's order (see the module docstring).

    The queue holds (rank, task): a Node; ``id(leaf)`` for a leaf's AccumulateGrad; or, for a
    node PyTorch records inside one of ember's fused nodes, what it hands on (_expand)."""
    edges0 = [t.grad_fn or t for t in roots]
    expand_reachable(edges0)  # fused nodes become the nodes PyTorch runs here one by one
    if not retain_graph:
        for e in edges0:
            if isinstance(e, Node):
                e._done = True  # lets Primitive.apply notice graphs kept alive across steps
    deps = _count(edges0)
    needed = _needed(deps, capture) if capture else None
    outer = CURRENT[0]  # (a hook may run a backward of its own)
    CURRENT[0] = (deps, needed, capture)  # (keys stay; counts only fall)
    try:
        return _walk(edges0, root_grads, retain_graph, create_graph, capture, deps, needed)
    finally:
        CURRENT[0] = outer


def _walk(edges0, root_grads, retain_graph, create_graph, capture, deps, needed) -> list:
    """run_ordered's loop; ``deps`` counts down as gradients arrive."""
    anomaly = STATE.anomaly
    captured = [None] * (len(capture) if capture else 0)
    grads: dict = {}  # node or id(leaf) -> the gradient summed so far
    leaf_of: dict = {}
    heap: list = []
    pairs = zip(edges0, root_grads)  # PyTorch's GraphRoot sends them in this order
    while True:
        # Hand each (edge, gradient) on; queue an edge once all its gradients have come.
        for e, g in pairs:
            if e is None:
                continue
            if isinstance(e, Node):
                key = e
                if needed is not None and e not in needed and e not in capture:
                    continue  # PyTorch's exec_info: not on a path to what is asked for
                if g is not None and (create_graph or g.shape != e._shape
                                      or g.dtype != e._dtype):
                    g = E._fit(g, e._shape, e._dtype, create_graph)
                rank = e._seq
            elif type(e) is tuple:  # (rank, task): a node PyTorch has inside a fused one
                push(heap, e)
                continue
            else:
                key = id(e)
                if needed is not None and key not in capture:
                    continue
                leaf_of[key] = e
                if g is not None:
                    d = e._data
                    if create_graph or g.shape != d.shape or g.dtype != d.dtype:
                        g = E._fit(g, d.shape, d.dtype, create_graph)
                rank = LEAF
            if g is not None:
                grads[key] = grads[key] + g if key in grads else g
            n = deps[key] - 1
            deps[key] = n
            if n == 0:
                if heap:
                    push(heap, (rank, key))
                else:  # (a chain keeps one task queued at a time: no heap call then)
                    heap.append((rank, key))
        if not heap:
            break
        rank, task = pop(heap) if len(heap) > 1 else heap.pop()
        if type(task) is int:  # a leaf's AccumulateGrad
            g = grads.pop(task, None)
            pairs = ()
            if g is None:
                continue
            t = leaf_of[task]
            if t._hooks or capture is not None or create_graph or t._grad is not None:
                _finish_leaf(t, g, create_graph, capture, captured)
            elif type(g) is np.ndarray and (g.base is not None or _refs(g) > _SOLE
                                            or not g.flags.writeable):
                t._grad = F.Tensor._make(g.copy(), False, None)
            else:  # no one else holds it (engine._finish_plain's test): no copy
                t._grad = F.Tensor._make(g, False, None)
            continue
        if type(task) is tuple:  # (items, edges, in_grads, seq): see Node._push
            pairs = _expand(*task)
            continue
        node = task
        g = grads.pop(node, None)
        edges = node.next_edges
        if g is None:  # nothing reached this node; still release its inputs' dependencies
            in_grads = (None,) * len(edges)
        else:
            if node._pre_hooks:
                g = E._run_pre_hooks(node, g, create_graph)
            if capture and node in capture:
                captured[capture[node]] = g
                if node not in needed:
                    pairs = ()
                    continue
            for vc, version, _ in node._versions:
                if vc[0] != version:
                    E._check_versions(node)
            saved = node._saved
            if saved is _FREED:
                raise RuntimeError(SECOND_BACKWARD)
            rule = node._rule  # None for a user Function: its backward runs on Tensors
            try:
                in_grads = call_rule(node, g, create_graph) if create_graph or rule is None \
                    else rule(node, g)
            except Exception:
                if anomaly:  # PyTorch's warning: where the failing node was created
                    from .anomaly import warn_forward_trace

                    warn_forward_trace(node)
                raise
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if anomaly:
                from .anomaly import check_backward

                check_backward(node, in_grads)
            if node._hooks:
                in_grads = run_node_hooks(node, in_grads, g, create_graph)
            if saved and not retain_graph:
                node._saved = _FREED
        items = node._push
        pairs = zip(edges, in_grads) if items is None else \
            _expand(items, edges, in_grads, node._seq)
    if E._POST:
        E._run_post_hooks(capture is None)
    return captured


def _expand(items, edges, in_grads, seq) -> list:
    """A fused node's (edge, gradient) pairs in the order PyTorch's nodes send them (see
    ``Node._push``): an inner node PyTorch records becomes a queue entry of its own, ranked
    by its place in PyTorch's creation order (``seq - offset``), which hands on its items
    when it runs."""
    out = []
    for item in items:
        if type(item) is int:
            out.append((edges[item], in_grads[item]))
        else:
            offset, inner = item
            out.append(((seq - offset, (inner, edges, in_grads, seq)), None))
    return out


def _sole_refs() -> int:
    """The reference count run_ordered sees for a gradient it alone holds, popped from its
    dict into a local (interpreter versions differ in what they count)."""
    d = {0: np.empty(1)}
    g = d.pop(0)
    return _refs(g)


_SOLE = _sole_refs()


def _finish_leaf(t, g, create_graph, capture, captured) -> None:
    """A leaf's AccumulateGrad: its hooks, then ``.grad`` (or the capture), then its
    post-accumulate hooks, all at once as in PyTorch."""
    post = []
    if t._hooks:
        hooks = [h for h in t._hooks if not isinstance(h, E.PostAccumulate)]
        post = [h for h in t._hooks if isinstance(h, E.PostAccumulate)]
        if hooks:
            g = E._leaf_hooks_from(hooks, g, create_graph)
    if capture is not None:
        key = id(t)
        if key in capture:
            captured[capture[key]] = g
        return
    E._accumulate(t, g, create_graph)
    for entry in post:
        entry.fire(True)
