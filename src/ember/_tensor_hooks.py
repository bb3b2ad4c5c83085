"""The hook methods of Tensor: register_hook, retain_grad, retains_grad (a mixin, as
_inplace.py's and _tensor_convert.py's)."""

from __future__ import annotations

from .autograd import function as _function
from .autograd._node_hooks import HOOKED as _HOOKED


class HooksMixin:
    __slots__ = ()

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.__dict__.get("_retains"):
            return
        self.__dict__["_retains"] = True
        ref = self

        def keep(grad):
            ref.grad = grad.detach() if ref.grad is None else ref.grad + grad.detach()

        keep._retains_grad = True  # runs after the tensor's hooks, even later ones
        self.grad_fn._add_prehook(keep)

    @property
    def retains_grad(self) -> bool:
        return bool(self.__dict__.get("_retains"))

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_prehook(hook)
        _HOOKED[0] = True  # backward now looks for hooks (autograd/_ordered.py)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _function._RemovableHandle(self._hooks, hook)
