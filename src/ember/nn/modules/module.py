"""Module: the base class of every layer and model (``torch.nn.Module``)."""

from __future__ import annotations

from typing import Any, Callable

from ...autograd.grad_mode import STATE
from ...tensor import Tensor
from ..parameter import Buffer, Parameter
from ._convert import DeviceMixin
from ._backward_hooks import (GLOBAL_BW, GLOBAL_BW_PRE, BackwardHook,  # noqa: F401
                              attach_legacy_hooks, hooks_of,
                              register_module_full_backward_hook,
                              register_module_full_backward_pre_hook)
from ._hooks import (EPOCH, GLOBAL_POST, GLOBAL_PRE, HookDict, RemovableHandle,  # noqa: F401
                     register_module_forward_hook, register_module_forward_pre_hook,
                     run_post_hooks, run_pre_hooks)
from ._registry import Registry

_UNSET = object()
_HOOK_DICTS = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
               "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_state_dict_hooks",
               "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
               "_load_state_dict_post_hooks", "_backward_hooks", "_backward_pre_hooks")
from ._state import StateMixin, _IncompatibleKeys  # noqa: F401  (PyTorch's home for it)
from ._tree import TreeMixin

_REGISTRIES = ("_parameters", "_buffers", "_modules")
_SUPER_HINT = "\nHint: call super().__init__() first thing in your module's __init__."


def _typename(obj) -> str:
    """``torch.typename``: 'torch.FloatTensor' for tensors; a class or function names itself
    ('__main__.<lambda>', 'torch.nn.modules.activation.ReLU'), other objects their class."""
    if isinstance(obj, Tensor):
        return obj.type()
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None) if isinstance(name, str) else None
    if not isinstance(name, str):
        name, module = type(obj).__qualname__, type(obj).__module__
    if not module or module in ("builtins", "__builtin__"):
        return name
    if module.split(".")[0] != "ember":
        return f"{module}.{name}"
    from ._typenames import ember_typename  # ember's own: under torch's names (error path)

    return ember_typename(obj, name, module)


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (a child's repr nested inside its parent's)."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    pad = " " * spaces
    return "\n".join([first] + [pad + line if line.strip() else "" for line in rest])


def _forward_unimplemented(self, *input: Any) -> None:
    raise NotImplementedError(
        f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module(StateMixin, DeviceMixin, TreeMixin):
    """Base class for layers and models: subclass it, assign layers and Parameters as
    attributes in ``__init__`` (after ``super().__init__()``), and define ``forward``."""

    _version: int = 1
    training: bool
    dump_patches: bool = False
    call_super_init: bool = False
    forward: Callable[..., Any] = _forward_unimplemented

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = Registry(self)
        d["_buffers"] = Registry(self)
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = Registry(self)
        for name in _HOOK_DICTS:
            d[name] = HookDict()

    # ---- calling ----------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Fast path: with no hooks anywhere, a call is just forward. (_backward_hooks first:
        # a module whose __init__ skipped super().__init__() then fails as in PyTorch.)
        if self._backward_hooks or self._forward_pre_hooks or self._forward_hooks or \
                GLOBAL_PRE or GLOBAL_POST or self._backward_pre_hooks or GLOBAL_BW or GLOBAL_BW_PRE:
            return self._hooked_call(args, kwargs)
        return self.forward(*args, **kwargs)

    def _hooked_call(self, args: tuple, kwargs: dict) -> Any:
        args, kwargs = run_pre_hooks(self, args, kwargs)
        bw = legacy = None
        if (self._backward_hooks or self._backward_pre_hooks or GLOBAL_BW or GLOBAL_BW_PRE) \
                and STATE.enabled:  # tensors through identity nodes (_backward_hooks.py)
            full, pre, legacy = hooks_of(self)
            if full or pre:
                bw = BackwardHook(self, full, pre)
                args = bw.setup_input_hook(args)
        try:
            result = self.forward(*args, **kwargs)
        except BaseException:
            if self._forward_hooks_always_called:
                run_post_hooks(self, args, kwargs, None, only_always=True)
            raise
        result = run_post_hooks(self, args, kwargs, result)
        if bw is not None:
            result = bw.setup_output_hook(result)
        if legacy:
            attach_legacy_hooks(self, legacy, args, result)
        return result

    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        return self._hooked_call(args, kwargs)

    _wrapped_call_impl = __call__

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` (or ``(module, args, kwargs)``) runs before forward and
        may return replacement args (or ``(args, kwargs)``)."""
        hooks = self._forward_pre_hooks
        handle = RemovableHandle(hooks, extra_dict=self._forward_pre_hooks_with_kwargs)
        hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False
                              ) -> RemovableHandle:
        """``hook(module, args, output)`` (or ``(module, args, kwargs, output)``) runs after
        forward and may return a replacement output."""
        hooks = self._forward_hooks
        handle = RemovableHandle(hooks, extra_dict=[self._forward_hooks_with_kwargs,
                                                    self._forward_hooks_always_called])
        hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    _is_full_backward_hook = None

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients with respect to
        the module's inputs are computed; it may return a replacement grad_input."""
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to the module's
        outputs are computed; it may return a replacement grad_output."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """Deprecated (PyTorch's words warn when it misses part of the module): ``hook(module,
        grad_input, grad_output)`` with the grad_input of the output's last autograd node."""
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = False
        return self._add_hook(self._backward_hooks, hook, False)

    @staticmethod
    def _add_hook(hooks, hook: Callable, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # ---- attribute registration -------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if d.get(name, _UNSET) is not value:  # a change (not eval() on an eval model): see
            EPOCH[0] += 1                     # _hooks.EPOCH
        if isinstance(value, Parameter):
            if "_parameters" not in d:
                raise AttributeError("cannot assign parameters before Module.__init__() call"
                                     + _SUPER_HINT)
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call"
                                     + _SUPER_HINT)
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif name in d.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif name in d.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module "
                                f"'{name}' (torch.nn.Module or None expected)")
            d["_modules"][name] = value
        elif name in d.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            persistent = value.__dict__.get("persistent") if isinstance(value, Buffer) \
                else name not in d["_non_persistent_buffers_set"]
            self.register_buffer(name, value, persistent)
        elif isinstance(value, Tensor) and isinstance(value, Buffer):
            if "_buffers" not in d:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._forget(name, keep="_buffers")
            self.register_buffer(name, value, value.__dict__.get("persistent", True))
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from the plain attributes and the registries other than ``keep``."""
        d = self.__dict__
        for reg in _REGISTRIES:
            if reg != keep and name in d.get(reg, ()):
                del d[reg][name]
        if keep != "_buffers":
            d.get("_non_persistent_buffers_set", set()).discard(name)
        if name in d and not any(name in d.get(r, ()) for r in _REGISTRIES):
            del d[name]

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for reg in _REGISTRIES:
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        EPOCH[0] += 1
        d = self.__dict__
        for reg in _REGISTRIES:
            if name in d.get(reg, ()):
                del d[reg][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, kind: str, name, registry: str) -> None:
        if registry not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if hasattr(self, name) and name not in self.__dict__[registry]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder) under ``name``."""
        self._check_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                f"be created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None,
                        persistent: bool = True) -> None:
        """Add a tensor that is module state but not a parameter (e.g. running statistics);
        ``persistent=False`` keeps it out of ``state_dict()``."""
        self._check_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under ``name`` (e.g. '0' in Sequential)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError("module name can't be empty string \"\"")
        self._modules[name] = module

    register_module = add_module

    # ---- pickling / copying -----------------------------------------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_plan", None)  # Sequential's inference cache: rebuilt on first use
        return state

    def __setstate__(self, state: dict) -> None:
        d = self.__dict__
        d.update(state)
        for reg in _REGISTRIES:
            d[reg] = Registry(self, list(state.get(reg, {}).items()))
        for name in _HOOK_DICTS:  # HookDicts even from a pickle that held plain dicts
            d[name] = HookDict(d.get(name) or ())
        d.setdefault("_non_persistent_buffers_set", set())

    # ---- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros."""
        for p in self.parameters():
            g = p.grad
            if g is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g.zero_()

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every descendant (children first), then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Override to show a module's settings inside its repr's parentheses."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): {_addindent(repr(module), 2)}"
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"

    def __dir__(self) -> list:
        keys = set(dir(type(self))) | set(self.__dict__)
        for reg in _REGISTRIES:
            keys |= set(self.__dict__.get(reg, ()))
        return sorted(k for k in keys if not k[:1].isdigit())
