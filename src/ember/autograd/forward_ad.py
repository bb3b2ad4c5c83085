"""``torch.autograd.forward_ad``: dual tensors and their tangents (Jacobian-vector products).

PyTorch carries a tangent along with every op (a forward rule per op). ember has reverse rules
only, and gets the same tangents from them, lazily:

* ``make_dual(x, t)`` returns a tensor sharing ``x``'s data that the graph records (a hidden
  leaf that requires grad, or a view of ``x`` when ``x`` requires grad itself) and registers
  ``t`` with the current level.
* ``unpack_dual(y)`` computes ``y``'s tangent when asked, by the double-backward identity:
  the vector-Jacobian product ``g(u) = J^T u`` is linear in ``u``, so ``d/du <g(u), t> = J t``.
  That is two reverse passes over ``y``'s graph, the first with ``create_graph=True``, so it
  needs every op on the way to have a differentiable backward (ember's ops do).

No op pays anything for forward AD, and every op with a backward has a tangent. The
differences from PyTorch that follow from this (README, "Differences"):

* the graph must be recorded: under ``no_grad`` (or through ``.detach()``/``.data``) nothing
  is, and the tangent is None, where PyTorch keeps propagating tangents under ``no_grad``;
* a dual of a tensor that does not require grad reports ``requires_grad=True``, and results
  computed from it have a ``grad_fn`` (PyTorch: False and none; printing shows ``grad_fn=``
  where PyTorch shows ``tangent=``). Backward from them reaches no user tensor. Once the level
  is exited the dual stops requiring grad;
* in-place ops on such a dual raise PyTorch's leaf error (PyTorch allows them and updates the
  tangent in place); a custom ``Function`` needs no ``jvp`` (its backward is used);
* each ``unpack_dual`` costs two (three when the result must itself be differentiable)
  reverse passes over the graph behind its argument, instead of being free.

``ember.func.jvp`` and ``autograd.functional.jvp`` use the same identity.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .function import Node
from .grad_mode import enable_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

_current_level = -1
_duals: list = []  # the current level's (graph input, tangent, hidden leaf or None)
# nodes of custom Functions whose output tangent came from their ``jvp`` (they have no
# backward): id -> (whether their inputs reach a tensor that really requires grad, node)
_cuts: dict = {}


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and its tangent (None when it has none)."""

    primal: Any
    tangent: Any


def enter_dual_level() -> int:
    """Start a forward-AD level (only one at a time, as in PyTorch) and return it."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    return _current_level


def exit_dual_level(*, level: int | None = None) -> None:
    """End the level: every tangent made in it is dropped."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    for _, _, hidden in _duals:
        if hidden is not None:
            hidden._rg = False  # a plain tensor again, as PyTorch's dual after the level
    _duals.clear()
    _cuts.clear()
    _current_level = level - 1


class dual_level:  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) for a forward-AD level: ``with dual_level(): ...``."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)
        return wrapper


def _tangent_marker(t):
    """The (tangent,) stored on a dual made at the current level and not written since."""
    fw = t.__dict__.get("_fw") if hasattr(t, "__dict__") else None
    if fw is not None and fw[0] is _duals and fw[1] is t.grad_fn and _current_level >= 0:
        return fw[2:]
    return None


def _has_tangent(t) -> bool:
    return _tangent_marker(t) is not None or bool(_reach(t)[1])


def make_dual(tensor, tangent, *, level: int | None = None):
    """A tensor equal to ``tensor`` that carries ``tangent`` through the ops applied to it."""
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if _has_tangent(tensor):
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    if _has_tangent(tangent):
        raise RuntimeError("Setting a forward grad that itself has a forward gradient at the "
                           f"same level{level} is not supported.")
    if tangent.shape != tensor.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than "
                           "that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if tensor.requires_grad:
        dual, hidden = tensor.view_as(tensor), None  # backward still reaches ``tensor``
        key = _edge(dual)
    else:
        dual = hidden = tensor.detach()  # shares data and version counter
        dual._rg = True
        key = dual
    dual.__dict__["_fw"] = (_duals, dual.grad_fn, tangent)
    _duals.append((key, tangent, hidden))
    return dual


def _edge(t):
    from .graph import GradientEdge

    return GradientEdge(t.grad_fn, 0)


def _reach(t) -> tuple:
    """(whether ``t``'s graph reaches a tensor that really requires grad, the current
    level's dual entries it reaches)."""
    if not getattr(t, "_rg", False) or not _duals:
        return False, []
    hidden = {id(h) for _, _, h in _duals if h is not None}
    nodes = {id(k.node): i for i, (k, _, h) in enumerate(_duals) if h is None}
    leaves = {id(k): i for i, (k, _, h) in enumerate(_duals) if h is not None}
    found, real = set(), False
    if t.grad_fn is None:
        return id(t) not in hidden, ([leaves[id(t)]] if id(t) in leaves else [])
    seen, stack = {id(t.grad_fn)}, [t.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            found.add(nodes[id(node)])
        if id(node) in _cuts:  # its tangent is known: its inputs' duals are used through it
            real = real or _cuts[id(node)][0]
            continue
        for e in node.next_edges:
            if e is None:
                continue
            if isinstance(e, Node):
                if id(e) not in seen:
                    seen.add(id(e))
                    stack.append(e)
            elif id(e) in leaves:
                found.add(leaves[id(e)])
            elif id(e) not in hidden:
                real = True
    return real, sorted(found)


def custom_jvp(node, args, result):
    """A custom Function's output that gets its tangent from the Function's ``jvp``
    staticmethod (called by ``Function.apply`` for a Function with jvp and no backward):
    jvp(ctx, *input tangents) -> output tangent, registered as the output's own dual."""
    from ..tensor import Tensor

    if _current_level < 0 or not _duals:
        return result
    tangents, given, real = [], False, False
    for a in args:
        if not isinstance(a, Tensor):
            tangents.append(None)
            continue
        t = unpack_dual(a).tangent
        given = given or t is not None
        real = real or _reach(a)[0]
        # (an input without a tangent gets zeros, as PyTorch materializes it)
        tangents.append(t if t is not None else Tensor._make(np.zeros_like(a._data), False,
                                                                None))
    if not given:
        return result
    node.__dict__["_in_jvp"] = True  # ctx.saved_tensors: what save_for_forward kept
    try:
        t_out = type(node)._fn.jvp(node, *tangents)
    finally:
        node.__dict__.pop("_in_jvp", None)
    if not isinstance(t_out, Tensor):
        return result
    _cuts[id(node)] = (real, node)
    result.__dict__["_fw"] = (_duals, result.grad_fn, t_out)
    _duals.append((_edge(result), t_out, None))
    return result


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of ``tensor`` at ``level``: the tangent is J t over every dual the
    tensor was computed from (None if it depends on none of them)."""
    from ..tensor import Tensor

    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    real, used = _reach(tensor)
    marker = _tangent_marker(tensor)
    if level != _current_level:
        if marker is not None or used:  # PyTorch checks the level of a dual tensor only
            raise RuntimeError("Invalid level given to _fw_primal")
        return UnpackedDualTensor(tensor.view_as(tensor) if real else tensor.detach(), None)
    primal = tensor.view_as(tensor) if real else tensor.detach()
    if marker is not None:
        return UnpackedDualTensor(primal, marker[0])
    if not used:
        return UnpackedDualTensor(primal, None)
    entries = [_duals[i] for i in used]
    keep = real or any(t.requires_grad for _, t, _ in entries)
    return UnpackedDualTensor(primal, _jvp(tensor, entries, keep))


def _jvp(y, entries, keep: bool):
    """J t by two reverse passes (see the module docstring); ``keep``: differentiable."""
    out_dtype = np.result_type(y._data.dtype, *(t._data.dtype for _, t, _ in entries))
    # The engine runs every node behind y: a jvp-only Function's node gives its inputs no
    # gradient in these passes (its output's tangent is an entry itself), instead of raising.
    cut_nodes = [node for _, node in _cuts.values()]
    for node in cut_nodes:
        node.__dict__["_jvp_cut"] = True
    try:
        return _jvp_passes(y, entries, keep, out_dtype)
    finally:
        for node in cut_nodes:
            node.__dict__.pop("_jvp_cut", None)


def _jvp_passes(y, entries, keep: bool, out_dtype):
    from ..tensor import Tensor
    from . import grad

    with enable_grad():
        u = Tensor._make(np.zeros_like(y._data), True, None)
        gs = grad([y], [k for k, _, _ in entries], [u], retain_graph=True, create_graph=True,
                  allow_unused=True)
        total = None
        for g, (_, t, _) in zip(gs, entries):
            if g is not None:
                term = (g * t.to(g.dtype)).sum()
                total = term if total is None else total + term
        jv = None
        if total is not None and total.requires_grad:
            # retain: this pass also walks y's own graph, which a later unpack_dual of y
            # (or a backward through it) still needs
            (jv,) = grad([total], [u], retain_graph=True, create_graph=keep, allow_unused=True)
    if jv is None:
        jv = Tensor._make(np.zeros_like(y._data), False, None)
    elif not keep:
        jv = jv.detach()
    return jv if jv._data.dtype == out_dtype else jv.to(Tensor._dtype_of(out_dtype))
