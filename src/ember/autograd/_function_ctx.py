"""The ``ctx`` of a user's ``autograd.Function`` (``torch.autograd.function.FunctionCtx``).

It is also the Function's graph node: ``save_for_backward``, ``mark_dirty``,
``mark_non_differentiable`` and ``set_materialize_grads`` note what ``forward`` asked for,
and ``_user_function.py`` acts on it once forward returns. It lives apart only to keep that
file short, and keeps that module as its ``__module__``.
"""

from __future__ import annotations

from . import function as F
from .function import Node
from .grad_mode import STATE


class _FunctionCtx(Node):
    __slots__ = ()

    def mark_non_differentiable(self, *args) -> None:
        self.__dict__.setdefault("_non_diff", set()).update(id(a) for a in args)

    def save_for_backward(self, *values) -> None:
        self._saved = values  # checked once forward returns, and only if recording (_record)

    def save_for_forward(self, *values) -> None:
        """Kept for a ``jvp`` staticmethod; ember's forward AD uses backward instead (see
        forward_ad.py), so this only checks the arguments as PyTorch does."""
        if not all(v is None or isinstance(v, F.Tensor) for v in values):
            raise AssertionError("save_for_forward expects all arguments to be tensors; you "
                                 "should save non-tensors as attributes on ctx.")
        self.__dict__["_saved_forward"] = values

    def mark_dirty(self, *args) -> None:
        """The inputs that forward modified in place (and returns): see _mark_dirty."""
        self.__dict__.setdefault("_dirty", set()).update(id(a) for a in args)

    def set_materialize_grads(self, value: bool) -> None:
        self.__dict__["_materialize"] = bool(value)

    def _shown(self) -> list:
        """PyTorch gives a custom Function's node one edge per Tensor argument only
        (needs_input_grad is False, not None, for the others)."""
        is_var = self.__dict__.get("_is_var")
        if is_var is None:
            return Node._shown(self)
        return [i for i, v in enumerate(is_var) if v]

    @property
    def saved_tensors(self) -> tuple:
        if self.__dict__.get("_in_jvp"):  # inside jvp: the tensors save_for_forward kept
            return tuple(self.__dict__.get("_saved_forward", ()))
        saved = Node.saved_tensors.fget(self)
        outs = self.__dict__.get("_saved_outputs")
        if not outs or not STATE.enabled:
            return saved
        # Recording (create_graph): a saved output is handed back attached to its grad_fn,
        # so a backward that uses it is differentiated through this Function again.
        saved = list(saved)
        for i, (data, node) in outs.items():
            saved[i] = F.Tensor._make(data, True, node)
        return tuple(saved)

    @property
    def saved_variables(self) -> tuple:  # the pre-0.4 name, still answered by PyTorch
        from .._warn import warn

        warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning)
        return self.saved_tensors

    def __repr__(self) -> str:  # a Python class in PyTorch, so its repr names the module
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"


_FunctionCtx.__module__ = "ember.autograd._user_function"  # its home before the split
