"""Hook handles and the global (every-module) forward hooks."""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable


# Bumped by every change to any module's hooks, children, parameters, buffers or plain
# attributes. Sequential's cached inference plan (_fastpath.py) stays valid while it is
# unchanged, so a call need not re-inspect every layer.
EPOCH = [0]


class HookDict(OrderedDict):
    """A module's hook dict: an OrderedDict whose every change bumps ``EPOCH``, whether it
    comes from ``register_*_hook``, a handle's ``remove()`` or code editing it directly."""

    def __setitem__(self, key, value) -> None:
        EPOCH[0] += 1
        OrderedDict.__setitem__(self, key, value)

    def __delitem__(self, key) -> None:
        EPOCH[0] += 1
        OrderedDict.__delitem__(self, key)

    def pop(self, *args):
        EPOCH[0] += 1
        return OrderedDict.pop(self, *args)

    def popitem(self, last: bool = True):
        EPOCH[0] += 1
        return OrderedDict.popitem(self, last)

    def clear(self) -> None:
        EPOCH[0] += 1
        OrderedDict.clear(self)

    def update(self, *args, **kwargs) -> None:
        EPOCH[0] += 1
        OrderedDict.update(self, *args, **kwargs)

    def move_to_end(self, key, last: bool = True) -> None:
        EPOCH[0] += 1
        OrderedDict.move_to_end(self, key, last)

    def __repr__(self) -> str:  # printed as the plain OrderedDict PyTorch keeps hooks in
        return f"OrderedDict({list(self.items())})" if self else "OrderedDict()"


from ...utils.hooks import RemovableHandle  # noqa: E402,F401  (one class for every hook)


# Forward hooks registered for every module (``register_module_forward_hook``). Mutated in
# place only: Module.__call__ tests them by name on its fast path.
GLOBAL_PRE: "OrderedDict[int, Callable]" = OrderedDict()
GLOBAL_POST: "OrderedDict[int, Callable]" = OrderedDict()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, args)`` before every module's forward; may return new args."""
    handle = RemovableHandle(GLOBAL_PRE)
    GLOBAL_PRE[handle.id] = hook
    return handle


def register_module_forward_hook(hook: Callable, *, always_call: bool = False
                                 ) -> RemovableHandle:
    """``hook(module, args, output)`` after every module's forward; may return a new output."""
    handle = RemovableHandle(GLOBAL_POST)
    GLOBAL_POST[handle.id] = hook
    return handle


def run_pre_hooks(module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Apply the global then the module's forward pre-hooks to (args, kwargs)."""
    with_kwargs = module._forward_pre_hooks_with_kwargs
    hooks = list(GLOBAL_PRE.items()) + list(module._forward_pre_hooks.items())
    for hook_id, hook in hooks:
        if hook_id in with_kwargs:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {res}.")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    return args, kwargs


def run_post_hooks(module, args: tuple, kwargs: dict, result, only_always: bool = False):
    """Apply the global then the module's forward hooks to the output."""
    with_kwargs = module._forward_hooks_with_kwargs
    always = module._forward_hooks_always_called
    hooks = list(GLOBAL_POST.items()) + list(module._forward_hooks.items())
    for hook_id, hook in hooks:
        if only_always and hook_id not in always:
            continue
        if hook_id in with_kwargs:
            res = hook(module, args, kwargs, result)
        else:
            res = hook(module, args, result)
        if res is not None:
            result = res
    return result
