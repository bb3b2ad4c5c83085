"""``torch.cond`` and ``torch.while_loop``, run eagerly.

PyTorch traces both branches (and the loop body) with torch.compile when ``pred`` is a tensor,
so a mistake there (branches returning different shapes, a body returning one of its inputs
as is) is an error even when the other branch would never run. ember runs the taken branch and
checks the other one's output under no_grad, with PyTorch's first line of each error. Outputs
pass through one identity node named as PyTorch's (``CondAutogradOpBackward``,
``WhileLoopAutogradOpBackward``): gradients flow through the branch taken / iterations run.
"""

from __future__ import annotations

from .autograd.function import Primitive
from .autograd.grad_mode import no_grad
from .tensor import Tensor

__all__ = ["cond", "while_loop", "UncapturedHigherOrderOpError", "TorchRuntimeError"]

_GRAPH_BREAK = ("This higher order operator doesn't work unless it is captured completely "
                "with torch.compile. Got graph break/error:\n\n")


class UncapturedHigherOrderOpError(RuntimeError):
    """PyTorch's torch._dynamo.exc.UncapturedHigherOrderOpError (a RuntimeError)."""


class TorchRuntimeError(RuntimeError):
    """PyTorch's torch._dynamo.exc.TorchRuntimeError: the traced branches do not match."""


class CondOut(Primitive):
    """y = x (cond's output);  dL/dx = dL/dy."""

    node_name = "CondAutogradOpBackward"
    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return (g,)


class WhileOut(CondOut):
    node_name = "WhileLoopAutogradOpBackward"


def _leaves(tree) -> list:
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in _leaves(t)]
    if isinstance(tree, dict):
        return [leaf for t in tree.values() for leaf in _leaves(t)]
    return [tree]


def _wrapped(tree, cls):
    if isinstance(tree, (list, tuple)):
        return type(tree)(_wrapped(t, cls) for t in tree)
    if isinstance(tree, dict):
        return {k: _wrapped(v, cls) for k, v in tree.items()}
    return cls.apply(tree) if isinstance(tree, Tensor) and tree.requires_grad else tree


def _aliasing(op: str) -> UncapturedHigherOrderOpError:
    return UncapturedHigherOrderOpError(
        _GRAPH_BREAK + "Encountered aliasing during higher order op tracing\n"
        f"  Higher Order Operator: torch.{op}\n  Explanation: Higher order ops do not support "
        "aliasing.\n  Hint: Replace `return input` with `return input.clone()` to avoid aliasing.")


def _check_no_alias(out, inputs, op: str) -> None:
    ids = {id(t) for t in inputs if isinstance(t, Tensor)}
    if any(isinstance(t, Tensor) and id(t) in ids for t in _leaves(out)):
        raise _aliasing(op)


def _merge_error(what: str) -> RuntimeError:
    return TorchRuntimeError("RuntimeError when making fake tensor call\n  Explanation: "
                        f"When merging two branches' output in torch.cond, {what}")


def _check_same(a, b) -> None:
    """The two branches' outputs must have one structure, dims, shapes and dtypes."""
    la, lb = _leaves(a), _leaves(b)
    if len(la) != len(lb) or type(a) is not type(b):
        raise TorchRuntimeError("RuntimeError when making fake tensor call\n  Explanation: "
                                "Unmatched output spec from torch.cond branches")
    for x, y in zip(la, lb):
        if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
            continue  # PyTorch returns the taken branch's Python values as they are
        if x.dim() != y.dim():
            raise _merge_error(f" expected same dim but got {x.dim()} and {y.dim()}.")
        if x.dtype != y.dtype:
            raise _merge_error(f" expected same dtype but got {x.dtype} and {y.dtype}.")
        if x.shape != y.shape:
            raise _merge_error(f" expected same shape but got {list(x.shape)} and "
                               f"{list(y.shape)}.")


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if pred else ``false_fn(*operands)``. A Python bool just calls
    the branch; a one-element tensor checks both branches match, as PyTorch's tracing does."""
    if not isinstance(pred, (Tensor, bool, int, float)):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if not isinstance(pred, Tensor):
        return (true_fn if pred else false_fn)(*operands)
    if pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    if not isinstance(operands, (tuple, list)) or \
            not all(isinstance(t, Tensor) for t in _leaves(operands)):
        raise RuntimeError("Expect operands to be a tuple of possibly nested dict/list/tuple "
                           f"that only consists of tensor leaves, but got {operands}.")
    for fn in (true_fn, false_fn):
        if not callable(fn):
            raise TypeError(f"'{type(fn).__name__}' object is not callable")
    taken, other = (true_fn, false_fn) if bool(pred.item()) else (false_fn, true_fn)
    out = taken(*operands)
    with no_grad():
        not_taken = other(*operands)
    inputs = _leaves(operands)
    _check_no_alias(out, inputs, "cond")
    _check_no_alias(not_taken, inputs, "cond")
    _check_same(out, not_taken)
    return _wrapped(out, CondOut)


def _metadata_error(i: int, got: Tensor, want: Tensor) -> UncapturedHigherOrderOpError:
    diffs = []
    if got.shape != want.shape:
        diffs.append(f"'shape: {got.shape} vs {want.shape}'")
    if got.dtype != want.dtype:
        diffs.append(f"'dtype: {got.dtype} vs {want.dtype}'")
    return UncapturedHigherOrderOpError(
        "Expected body_fn_output and carried_inputs to have same metadata but found:\n"
        f"pair[{i}] differ in {', '.join(diffs)}\n  Higher Order Operator: torch.while_loop")


def _fake(t) -> str:
    """A value as PyTorch's tracing shows it (FakeTensor(..., size=(2,), dtype=...))."""
    if not isinstance(t, Tensor):
        return repr(t)
    dtype = "" if t.dtype.name == "float32" else f", dtype={t.dtype}"
    return f"FakeTensor(..., size={tuple(t.shape)}{dtype})"


def _check_body(out: tuple, carried: tuple) -> None:
    if len(out) != len(carried):
        raise UncapturedHigherOrderOpError(
            "Expected body_fn_output and carried_inputs to have same number of outputs but got "
            f"lhs:[{', '.join(map(_fake, out))}] and rhs:[{', '.join(map(_fake, carried))}]")
    for i, (o, c) in enumerate(zip(out, carried)):
        if isinstance(c, Tensor) and isinstance(o, Tensor) and \
                (o.shape != c.shape or o.dtype != c.dtype):
            raise _metadata_error(i, o, c)


def while_loop(cond_fn, body_fn, carried_inputs):
    """``while cond_fn(*carried): carried = body_fn(*carried)``; returns the final carried
    values (a tuple). Each iteration's outputs must match the carried inputs' shapes/dtypes."""
    if isinstance(carried_inputs, Tensor) and carried_inputs.dim() == 0:
        raise AssertionError("Can't unpack scalar tensors.")
    if not isinstance(carried_inputs, (tuple, list, Tensor)):
        raise UncapturedHigherOrderOpError(
            _GRAPH_BREAK + f"'{type(carried_inputs).__name__}' object is not iterable\n"
            "  Higher Order Operator: torch.while_loop")
    carried = tuple(carried_inputs)
    if not any(isinstance(c, Tensor) for c in carried):  # plain Python values: a plain loop
        while cond_fn(*carried):
            carried = tuple(body_fn(*carried))
        return carried
    with no_grad():  # PyTorch traces the body once before running: its checks hold always
        out = body_fn(*carried)
        outs = (out,) if not isinstance(out, (tuple, list)) else tuple(out)
    _check_no_alias(outs, carried, "while_loop")
    _check_body(outs, carried)
    result = None
    while True:
        go = cond_fn(*carried)
        if not isinstance(go, Tensor) or go.numel() != 1 or go.dtype.name != "bool":
            raise UncapturedHigherOrderOpError(
                _GRAPH_BREAK + "cond_fn must return a boolean tensor with one element, but got "
                f"{go!r}\n  Higher Order Operator: torch.while_loop")
        if not go.item():
            break
        out = body_fn(*carried)
        bare = not isinstance(out, (tuple, list))
        outs = (out,) if bare else tuple(out)
        _check_body(outs, carried)
        result, carried = out, outs
    if result is None:  # no iteration ran: PyTorch still returns new tensors, not inputs
        result = tuple(c.clone() if isinstance(c, Tensor) else c for c in carried)
    return _wrapped(result if result is not carried_inputs else tuple(carried), WhileOut)
