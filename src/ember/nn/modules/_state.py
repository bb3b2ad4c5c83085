"""state_dict / load_state_dict: PyTorch's key names, checks and error messages."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _has_extra_state(module) -> bool:
    # Module's get_extra_state is StateMixin's (below): no import of .module, which cost
    # ~0.9 us per submodule on each state_dict() / load_state_dict() (a DQN target sync)
    return type(module).get_extra_state is not StateMixin.get_extra_state


def build_state_dict(module, destination, prefix: str, keep_vars: bool):
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    metadata = getattr(destination, "_metadata", None)
    local_metadata = {"version": module._version}
    if metadata is not None:
        metadata[prefix[:-1]] = local_metadata
    for hook in module._state_dict_pre_hooks.values():
        hook(module, prefix, keep_vars)
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            child.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
    for hook in module._state_dict_hooks.values():
        result = hook(module, destination, prefix, local_metadata)
        if getattr(hook, "_from_public_api", False):  # the public hook edits in place
            if result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        elif result is not None:  # the private _register_state_dict_hook may replace it
            destination = result
    return destination


def save_own(module, destination, prefix: str, keep_vars: bool) -> None:
    """This module's own parameters and persistent buffers (detached unless keep_vars)."""
    for name, param in module._parameters.items():
        if param is not None:
            destination[prefix + name] = param if keep_vars else param.detach()
    skip = module._non_persistent_buffers_set
    for name, buf in module._buffers.items():
        if buf is not None and name not in skip:
            destination[prefix + name] = buf if keep_vars else buf.detach()
    if _has_extra_state(module):
        destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = module.get_extra_state()


def load_into(module, state_dict, strict: bool, assign: bool):
    if not isinstance(state_dict, Mapping):
        from .module import _typename  # (module.py imports this file)
        got = type(state_dict)  # ember's own classes (a Module passed by mistake) as torch's
        got = f"<class '{_typename(got)}'>" if got.__module__.startswith("ember") else str(got)
        raise TypeError(f"Expected state_dict to be dict-like, got {got}.")
    missing, unexpected, errors = [], [], []
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)

    def load(mod, local_state, prefix=""):
        local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = assign
        mod._load_from_state_dict(local_state, prefix, local_metadata, True, missing,
                                  unexpected, errors)
        for name, child in mod._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                child_state = {k: v for k, v in local_state.items()
                               if k.startswith(child_prefix)}
                load(child, child_state, child_prefix)
        incompatible = _IncompatibleKeys(missing, unexpected)
        for hook in mod._load_state_dict_post_hooks.values():
            hook(mod, incompatible)

    load(module, state_dict)
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected)))
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing)))
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            type(module).__name__, "\n\t".join(errors)))
    return _IncompatibleKeys(missing, unexpected)


def load_own(module, state_dict, prefix, local_metadata, strict, missing_keys,
             unexpected_keys, error_msgs) -> None:
    """Copy this module's own entries; note missing, unexpected and mismatched keys."""
    skip = module._non_persistent_buffers_set
    local_state = {k: v for k, v in module._parameters.items() if v is not None}
    local_state.update((k, v) for k, v in module._buffers.items()
                       if v is not None and k not in skip)
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, param in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        value = state_dict[key]
        err = _copy_one(module, name, key, param, value, assign)
        if err:
            error_msgs.append(err)
    extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
    if _has_extra_state(module):
        if extra_key in state_dict:
            module.set_extra_state(state_dict[extra_key])
        elif strict:
            missing_keys.append(extra_key)
    elif strict and extra_key in state_dict:
        unexpected_keys.append(extra_key)
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                head = key[len(prefix):].split(".", 1)[0]
                if head not in module._modules and head not in local_state:
                    unexpected_keys.append(key)


def _copy_one(module, name: str, key: str, param: Tensor, value, assign: bool) -> str | None:
    """Copy ``value`` into ``param`` (or assign it); return an error message or None."""
    if not isinstance(value, Tensor):
        return (f'While copying the parameter named "{key}", expected torch.Tensor or '
                f"Tensor-like object from checkpoint but received {type(value)}")
    if value.shape != param.shape:
        return (f"size mismatch for {key}: copying a param with shape {value.shape} from "
                f"checkpoint, the shape in current model is {param.shape}.")
    try:
        with no_grad():
            if assign:
                _assign(module, name, param, value)
            else:
                param.copy_(value)
    except Exception as ex:  # PyTorch reports any copy failure as a load error
        return (f'While copying the parameter named "{key}", whose dimensions in the model '
                f"are {param.size()} and whose dimensions in the checkpoint are "
                f"{value.size()}, an exception occurred : {ex.args}.")
    return None


def _assign(module, name: str, param: Tensor, value: Tensor) -> None:
    from ..parameter import Parameter

    if isinstance(param, Parameter):
        if not isinstance(value, Parameter):
            value = Parameter(value, requires_grad=param.requires_grad)
        module._parameters[name] = value
    else:
        module._buffers[name] = value


class StateMixin:
    """Module's state_dict methods (the logic is in the functions above)."""

    # the type variable PyTorch annotates state_dict's ``destination`` with (``~T_destination``)
    T_destination = TypeVar("T_destination", bound=dict[str, Any])

    def state_dict(self, *args: Any, destination=None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """Parameters and persistent buffers by dotted name (tensors share storage)."""
        if args:  # the legacy positional form: (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (args + (destination, prefix, keep_vars)[len(args):])
        return build_state_dict(self, destination, prefix, keep_vars)

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        save_own(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from ``state_dict`` into this module's parameters and buffers."""
        return load_into(self, state_dict, strict, assign)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs) -> None:
        for hook in self._load_state_dict_pre_hooks.values():
            hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs)
        load_own(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs)

    def get_extra_state(self) -> Any:
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called.")

    def set_extra_state(self, state: Any) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called.")

    def register_state_dict_pre_hook(self, hook: Callable):
        """``hook(module, prefix, keep_vars)`` runs before this module's ``state_dict()``."""
        return self._add_state_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook: Callable):
        """``hook(module, state_dict, prefix, local_metadata)`` edits the result in place."""
        hook._from_public_api = True
        return self._add_state_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook: Callable):
        """The older private form: a non-None return value replaces the state_dict."""
        return self._add_state_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook: Callable):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before this module's entries are loaded."""
        return self._add_state_hook(self._load_state_dict_pre_hooks, hook)

    def _register_load_state_dict_pre_hook(self, hook: Callable, with_module: bool = False):
        """The older private form (still common in checkpoint-converting code): the hook
        gets the module first only when ``with_module``."""
        if not with_module:
            plain = hook

            def hook(module, *args):
                return plain(*args)
        return self.register_load_state_dict_pre_hook(hook)

    def _add_state_hook(self, hooks: dict, hook: Callable):
        from ._hooks import RemovableHandle

        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_load_state_dict_post_hook(self, hook: Callable):
        from ._hooks import RemovableHandle

        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle
