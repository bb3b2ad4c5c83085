"""Running one node's backward rule: on NumPy arrays for first-order gradients, on Tensors
(recorded, so they can be differentiated again) for ``create_graph``, where the node's saved
arrays are handed to the rule as Tensors that remember their place in the graph. For a
user's autograd.Function, what backward returned is checked as PyTorch checks it."""

from __future__ import annotations

import numpy as np

from . import function as F
from .function import Node
from .grad_mode import enable_grad, no_grad


def _saved_as_tensors(node) -> tuple:
    """For create_graph: saved inputs/outputs as Tensors that remember their graph position."""
    T = F.Tensor
    out = []
    for s, role in zip(node._saved, node._roles):
        if role == -1:
            out.append(T._make(s, True, node))
        elif role >= 0:
            e = node.next_edges[role]
            if e is None:
                out.append(T._make(s, False, None))
            elif isinstance(e, Node):
                out.append(T._make(s, True, e))
            else:
                out.append(e if e._data is s else e.to(T._dtype_of(s.dtype)))
        elif role == -3 or isinstance(s, T):
            out.append(s)
        else:
            out.append(T._make(s, False, None) if isinstance(s, np.ndarray) else s)
    return tuple(out)


def call_rule(node, g, create_graph):
    """Run the node's backward rule: on arrays for first order, on Tensors for create_graph."""
    fn = node._fn
    tensor_level = getattr(fn, "_tensor_level", False)
    if not create_graph and not tensor_level:
        return fn.backward(node, g)
    T = F.Tensor
    if not isinstance(g, T):
        g = T._make(g, False, None)
    saved = node._saved
    if not tensor_level:
        node._saved = _saved_as_tensors(node)
    as_tensors = node._saved
    try:
        with enable_grad() if create_graph else no_grad():
            res = fn.backward(node, g)
    finally:
        node._saved = saved
    if not isinstance(res, tuple):
        res = (res,)
    if create_graph and getattr(fn, "mask_link", None):
        from ._mask_link import link_to_mask  # (second order only: loaded on first use)

        with enable_grad():
            res = link_to_mask(res, as_tensors, getattr(node, "mask_link", fn.mask_link))
    if tensor_level:  # a user's Function: PyTorch's checks of what backward returned
        res = _checked_user_grads(node, res)
    if create_graph:
        return res
    return tuple(r._data if isinstance(r, T) else r for r in res)


def _checked_user_grads(node, res: tuple) -> tuple:
    """One gradient per forward input (extra trailing Nones allowed), each of its input's shape
    or one that sums to it (PyTorch's validate_outputs); else PyTorch's errors."""
    n = len(node.next_edges)
    if len(res) > n and all(r is None for r in res[n:]):
        res = res[:n]
    if len(res) != n:
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(res)})")
    is_var = node.__dict__.get("_is_var")
    for i, (e, r) in enumerate(zip(node.next_edges, res)):
        if r is None:
            continue
        if is_var is not None and not is_var[i]:
            raise RuntimeError(f"function {node.name()} returned a gradient different than None "
                               f"at position {i + 1}, but the corresponding forward input was "
                               "not a Variable")
        if not isinstance(r, F.Tensor):
            from .._typename import arg_type_name

            raise RuntimeError(f"expected Variable or None (got {arg_type_name(r)})")
        if e is None:
            continue
        want = tuple(e._shape) if isinstance(e, Node) else tuple(e._data.shape)
        got = tuple(r.shape)
        if got != want and not _sums_to(got, want):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{i} - got {list(got)} but expected shape compatible with "
                               f"{list(want)}")
    return res


def _sums_to(got: tuple, want: tuple) -> bool:
    """Whether ``want`` broadcasts to ``got`` (then the gradient is summed down to it)."""
    if len(want) > len(got):
        return False
    return all(w in (1, g) for w, g in zip(want[::-1], got[::-1]))
