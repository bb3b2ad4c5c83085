"""``torch.func.linearize`` and ``torch.func.functionalize``.

linearize(func, *primals) records func once and returns (output, jvp_fn): jvp_fn(*tangents)
is J·tangents, by the double-vjp identity of ``func.jvp`` (the graph of the vjp, linear in its
cotangent u, is built once; each jvp_fn call is one more backward through it).

functionalize(func): PyTorch rewrites in-place ops as out-of-place ones and copies any
mutation of an input back into it at the end, so what the caller sees is what func does
eagerly. ember runs eagerly, so the result is func itself (wrapped, as PyTorch's is).
"""

from __future__ import annotations

import functools

import ember

from .tensor import Tensor

__all__ = ["linearize", "functionalize"]

_REMOVE_HELP = (
    "functionalize(f, remove='mutations'): received invalid argument for remove={}. Valid "
    "options are:\n     remove='mutations': all inplace and out= operators will be removed "
    "from the program, and replaced with their out-of-place equivalents.\n     "
    "remove='mutations_and_views': In addition to the above, all aliasing operators {{view}} "
    "will be replaced with their non-aliasing counterparts, {{view}}_copy.\n")


def _spec(n: int) -> str:
    """A flat tuple of n tensors as PyTorch's pytree prints it."""
    return "TreeSpec(tuple, None, [" + ",\n  ".join("*" * (n > 0) for _ in range(n)) + "])"


def linearize(func, *primals):
    """(func(*primals), jvp_fn) with jvp_fn(*tangents) == jvp(func, primals, tangents)[1]."""
    from .func import _DEPTH, _call, _flatten, _grads, _unflatten

    out, diff = _call(func, primals, tuple(range(len(primals))))
    out_leaves, out_spec = _flatten(out)
    in_leaves = _flatten(diff)[0]
    us = [ember.zeros_like(o).requires_grad_(True) for o in out_leaves]
    g = _grads(out_leaves, in_leaves, us, True)  # vjp(u), kept as a graph in u

    def jvp_fn(*tangents):
        if len(tangents) != len(in_leaves):
            raise RuntimeError(f"Expected the tangents {_spec(len(tangents))} to have the same "
                               f"argspec as the primals {_spec(len(in_leaves))}")
        for i, (t, p) in enumerate(zip(tangents, in_leaves)):
            if not isinstance(t, Tensor) or t.shape != p.shape:
                shape = t.shape if isinstance(t, Tensor) else type(t).__name__
                raise RuntimeError(f"tangent:{i} with shape {shape} in flattened pytree doesn't "
                                   f"match the shape {p.shape} of the corresponding primal.")
        jv = _grads(g, us, list(tangents), _DEPTH[0] > 0)
        return _unflatten([t.detach() for t in jv], out_spec)

    return _unflatten([o.detach() for o in out_leaves], out_spec), jvp_fn


def functionalize(func, *, remove: str = "mutations"):
    """func with mutations removed: eagerly the same results and the same input updates."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(_REMOVE_HELP.format(remove))

    @functools.wraps(func)
    def functionalized(*args, **kwargs):
        return func(*args, **kwargs)

    return functionalized
