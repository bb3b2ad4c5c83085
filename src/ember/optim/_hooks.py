"""Optimizer hooks, PyTorch's: step pre/post hooks (per optimizer and global), and
state_dict / load_state_dict pre/post hooks.

As in PyTorch, the first instance of an optimizer class wraps that class's ``step``
(``_patch_step_function``); the wrapper runs the global pre hooks, the instance's pre hooks,
``step``, then the instance's post hooks and the global ones, each called as
``hook(optimizer, args, kwargs)`` with the call's own ``args`` (``args[0]`` is the optimizer).
With no hooks registered it only forwards the call.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Callable

__all__ = ["register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def _handle(hooks: OrderedDict, hook: Callable, prepend: bool = False):
    from ..nn.modules._hooks import RemovableHandle  # lazily: ember.nn imports optim users

    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable):
    """``hook(optimizer, args, kwargs)`` before every optimizer's step; it may return new
    ``(args, kwargs)``."""
    return _handle(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable):
    """``hook(optimizer, args, kwargs)`` after every optimizer's step."""
    return _handle(_global_optimizer_post_hooks, hook)


def _hooked(func: Callable) -> Callable:
    """``func`` (a class's step) wrapped to run the step hooks around it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        self = args[0]
        if not (self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks
                or _global_optimizer_pre_hooks or _global_optimizer_post_hooks):
            return func(*args, **kwargs)
        for pre_hook in (list(_global_optimizer_pre_hooks.values())
                         + list(self._optimizer_step_pre_hooks.values())):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{func} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = func(*args, **kwargs)
        for post_hook in (list(self._optimizer_step_post_hooks.values())
                          + list(_global_optimizer_post_hooks.values())):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
               "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
               "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks")


class _OptimizerHooks:
    """The hook half of ``Optimizer``."""

    def _init_hooks(self) -> None:
        """Create the hook dicts that are missing (all of them in ``__init__``, the newer
        ones on unpickling) and wrap the class's step."""
        for name in _HOOK_DICTS:
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()

    def _patch_step_function(self) -> None:
        cls = self.__class__
        if not getattr(cls.step, "hooked", None):
            cls.step = _hooked(cls.step)

    @staticmethod
    def profile_hook_step(func: Callable) -> Callable:
        return _hooked(func)

    def register_step_pre_hook(self, hook: Callable):
        """``hook(optimizer, args, kwargs)`` runs before each step; it may return new
        ``(args, kwargs)``."""
        return _handle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable):
        """``hook(optimizer, args, kwargs)`` runs after each step."""
        return _handle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds the dict."""
        return _handle(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs on the built dict; it may return a new one."""
        return _handle(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs before loading (on a shallow copy); it may
        return the dict to load instead."""
        return _handle(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer)`` runs after ``load_state_dict()``."""
        return _handle(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def _state_dict_pre(self) -> None:
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)

    def _state_dict_post(self, state_dict: dict) -> dict:
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _load_state_dict_pre(self, state_dict: dict) -> dict:
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _load_state_dict_post(self) -> None:
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)
