"""The error backward raises when a tensor it saved was changed in place afterwards.

Each node keeps (version counter, version at save, role) per saved tensor; the walk compares
them before running the node's rule and comes here only when one differs, so the common
backward pays one comparison per saved tensor.
"""

from __future__ import annotations

import re

import numpy as np

from ._torch_errors import legacy_type
from .function import SECOND_BACKWARD, Node, _FREED
from .grad_mode import STATE


class Detached(int):
    """A version counter's value once its tensor was detached in place (``detach_`` of a
    tensor with a grad_fn). It differs from the plain versions saved before the detach, so
    the walk's one comparison per saved tensor comes here, where a saved input raises
    PyTorch's error (a saved output goes on, as there); it equals the Detached versions saved
    after it, and in-place writes keep the mark."""

    __slots__ = ()

    def __ne__(self, other):
        return type(other) is not Detached or int(self) != int(other)

    def __eq__(self, other):
        return not self.__ne__(other)

    __hash__ = int.__hash__

    def __add__(self, other):
        return Detached(int(self) + other)


DETACHED_ERROR = ("Trying to use a saved tensor that has been detached in-place, i.e. with "
                  ".detach_().This is not supported, please use out-of-place `.detach()` "
                  "instead")


def mark_detached(t) -> None:
    """Tensor.detach_ of a tensor with a grad_fn: nodes that saved it as an input refuse."""
    vc = t._vc
    if vc.__class__ is list and type(vc[0]) is not Detached:
        vc[0] = Detached(vc[0])


def check_versions(node) -> None:
    if node._saved is _FREED:  # PyTorch finds a released saved tensor before its version
        raise RuntimeError(SECOND_BACKWARD)
    if "_chain" in node.__dict__:  # a fused chain (autograd/_fused.py): its nodes, in the
        for inner in node._expand():  # order PyTorch runs them, find the changed tensor
            check_versions(inner)
        return
    for i, (vc, version, role) in enumerate(node._versions):
        now = vc[0]
        if type(now) is Detached and type(version) is not Detached:
            if role >= 0 and not _unused(node, role):  # saved as an input before detach_
                raise RuntimeError(DETACHED_ERROR)
            now = int(now)  # (an output, or unused: only the version itself matters)
        if now != version and not _unused(node, role):
            saved = node._saved[i] if node._saved is not _FREED else None
            what = _describe(saved, role, node, vc, i)
            hint = ("the backtrace further above shows the operation that failed to compute "
                    "its gradient. The variable in question was changed in there or anywhere "
                    "later. Good luck!" if STATE.anomaly else
                    "enable anomaly detection to find the operation that failed to compute its "
                    "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {what} is at version {vc[0]}; expected version {version} "
                f"instead. Hint: {hint}"
            )


def _unused(node, role: int) -> bool:
    """Whether saved input ``role`` feeds none of the gradients this node computes
    (Primitive.saved_for): PyTorch would not have saved it, so changing it is no error.
    Asked only once a version differs, so the common backward pays nothing for it."""
    use = getattr(node._fn, "saved_for", None)
    if use is None or not 0 <= role < len(use):
        return False
    need = node.needs_input_grad
    return not any(need[j] for j in use[role])


def _describe(saved, role, node, vc, i) -> str:
    """PyTorch's [type [shape]] and, without "Backward0", the op whose output it is: for an
    op's saved output that op; for a saved input the op it is now the output of (its last
    recorded in-place write, noted by _inplace._write, else the op that made it)."""
    if saved is None or not hasattr(saved, "dtype"):
        return "[a saved tensor]"
    user = role == -3  # a custom Function's ctx.save_for_backward: Tensors, not arrays
    dtype = saved._data.dtype if user else saved.dtype
    shape = saved.shape
    maker = node if role == -1 else node.next_edges[role] if role >= 0 else None
    if user:
        maker = node if i in node.__dict__.get("_saved_outputs", ()) else saved.grad_fn
    name = maker.name() if isinstance(maker, Node) else None
    if (role >= 0 or user and maker is not node) and len(vc) > 1:
        name = vc[1]
    if role >= 0:
        folded = _linear_view(node, role, shape)
        # a view made without a graph (of a tensor needing no grad) whose base a recorded
        # in-place write (vc[1] names it) has since given a graph
        written = maker is None and len(vc) > 1
        if folded is not None or (name is not None and _is_view(maker, saved)) or (
                written and _view_of_counter_owner(saved, vc)):
            # PyTorch saved a view; its base changed in place, so the view's grad_fn was
            # rebuilt as AsStridedBackward0 (a view of a tensor needing no grad has none)
            shape = shape if folded is None else folded
            grad = isinstance(maker, Node) or getattr(maker, "requires_grad", False) or written
            name = "AsStridedBackward0" if grad else None
    desc = f"[{legacy_type(dtype)} [{', '.join(map(str, shape))}]]"
    if name is not None:
        # PyTorch's name less "Backward" and a "0" (LeakyReluBackward1 is "LeakyRelu1")
        desc += f", which is output 0 of {_BACKWARD.sub(_NUMBER, name)},"
    return desc


_BACKWARD, _NUMBER = re.compile(r"Backward(?:0|([0-9]+))?$"), r"\1"


# grad_fn names of PyTorch's view ops (their outputs share the input's memory)
_VIEW_NODES = frozenset(f"{op}Backward{k}" for op in (
    "View", "T", "Transpose", "Permute", "Select", "Slice", "Unsqueeze", "Squeeze", "Expand",
    "Diagonal", "Unfold", "Split", "SplitWithSizes", "Unbind", "AsStrided", "Alias",
    "Narrow") for k in range(5))


def _view_of_counter_owner(saved, vc) -> bool:
    """Whether the saved array was a view's (``buf[t]``), not the tensor's own whose version
    counter ``vc`` is (a from_numpy'd slice is a NumPy view but no view to PyTorch): told from
    the live tensors sharing that counter (a view's may be gone; its base's is then alive).
    Asked only on the way to this error."""
    import gc

    from ..tensor import Tensor

    if getattr(saved, "base", None) is None:
        return False
    owners = [t for t in gc.get_referrers(vc) if isinstance(t, Tensor) and t._vc is vc]
    for t in owners:
        if t._data is saved:
            return t._base is not None
    return any(t._base is None and isinstance(t._data, np.ndarray) and t._data is not saved
               and np.shares_memory(saved, t._data) for t in owners)


def _is_view(maker, saved) -> bool:
    """Whether the saved input was made by a view op (and ember's array is a view too)."""
    return (isinstance(maker, Node) and maker.name() in _VIEW_NODES
            and getattr(saved, "base", None) is not None)


def _linear_view(node, role, shape):
    """The shape of the view PyTorch's F.linear saves in place of its input (role 0) or
    weight (role 1): W.t(), and the input folded to rows (x.reshape(-1, in), or a 1-D x
    unsqueezed); None where it saves the tensor itself (a 2-D input)."""
    from ..ops.linalg import Linear

    fn = getattr(node, "_fn", None)
    if not (isinstance(fn, type) and issubclass(fn, Linear)) or role > 1:
        return None
    if role == 1:
        return tuple(reversed(shape))
    if len(shape) == 2:
        return None
    return (1, shape[0]) if len(shape) == 1 else (int(np.prod(shape[:-1])), shape[-1])
