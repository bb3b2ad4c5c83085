"""``torch.nn.utils.parametrize``: express a parameter or buffer as a function of others.

``register_parametrization(m, "weight", p)`` moves ``m.weight`` to
``m.parametrizations.weight.original`` and gives ``m`` a generated subclass of its class in
which ``weight`` is a property computing ``p(original)`` on every access (or once per
``cached()`` block). The swap is per instance: other modules of the class are unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from copy import deepcopy
from typing import Iterator

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations",
           "transfer_parametrizations_and_params"]

_cache_enabled = 0
_cache: dict = {}


@contextmanager
def cached() -> Iterator[None]:
    """Inside this block each parametrized tensor is computed once, on first access."""
    global _cache_enabled, _cache
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _maybe_set(dest: Tensor, src: Tensor) -> None:
    """``dest.set_(src)``: dest keeps its identity (optimizers holding it stay valid) and
    takes src's storage."""
    dest._data = src._ensure_array()
    dest._vc = src._shared_vc()


def _dtype_error(head: str, lines: list) -> ValueError:
    return ValueError(head + "\n" + "\n".join(lines))


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and its unconstrained
    ``original`` (or ``original0``, ``original1``, ... when ``right_inverse`` returns
    several tensors)."""

    original: Tensor
    unsafe: bool

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False
                 ) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        with no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                             f"(list, tuple...). Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise _dtype_error("When `right_inverse` outputs one tensor, it may not change "
                                   "the dtype.", [f"original.dtype: {original.dtype}",
                                                  f"right_inverse(original).dtype: {new.dtype}"])
            with no_grad():
                _maybe_set(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            self._register_originals(new, original)
        if not self.unsafe:
            self._check_consistent(shape, dtype)

    def _register_originals(self, new: Sequence, original: Tensor) -> None:
        for i, item in enumerate(new):
            if not isinstance(item, Tensor):
                raise ValueError("'right_inverse' must return a Tensor or a Sequence of "
                                 f"tensors (list, tuple...). Got element {i} of the sequence "
                                 f"with type {type(item).__name__}.")
            if isinstance(original, Parameter):
                item = Parameter(item, original.requires_grad)
            item.requires_grad_(original.requires_grad)
            _register_parameter_or_buffer(self, f"original{i}", item)

    def _check_consistent(self, shape, dtype) -> None:
        z = self()
        if not isinstance(z, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
        if z.dtype != dtype:
            raise _dtype_error("Registering a parametrization may not change the dtype of the "
                               "tensor, unless `unsafe` flag is enabled.",
                               [f"unparametrized dtype: {dtype}", f"parametrized dtype: {z.dtype}"])
        if z.shape != shape:
            raise _dtype_error("Registering a parametrization may not change the shape of the "
                               "tensor, unless `unsafe` flag is enabled.",
                               [f"unparametrized shape: {shape}", f"parametrized shape: {z.shape}"])

    def right_inverse(self, value: Tensor) -> None:
        """Store ``right_inverse`` of ``value`` (through every parametrization, last first)
        in the original tensor(s): what ``module.weight = value`` does."""
        with no_grad():
            for module in reversed(self):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                self._set_one(self.original, value)
                return
            if not isinstance(value, Sequence):
                raise ValueError("'right_inverse' must return a sequence of tensors. "
                                 f"Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError("'right_inverse' must return a sequence of tensors of length "
                                 f"{self.ntensors}. Got a sequence of length {len(value)}.")
            for i, tensor in enumerate(value):
                self._set_one(getattr(self, f"original{i}"), tensor, i)

    @staticmethod
    def _set_one(original: Tensor, value, i: int | None = None) -> None:
        if i is None:
            if not isinstance(value, Tensor):
                raise ValueError(f"`right_inverse` should return a tensor. Got "
                                 f"{type(value).__name__}")
            if value.dtype != original.dtype:
                raise ValueError(f"The tensor returned by `right_inverse` has dtype "
                                 f"{value.dtype} while `original` has dtype {original.dtype}")
        else:
            if not isinstance(value, Tensor):
                raise ValueError("'right_inverse' must return a sequence of tensors or "
                                 f"reference-type opaques. Got element {i} of type "
                                 f"{type(value).__name__}.")
            if value.dtype != original.dtype:
                raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype "
                                 f"{value.dtype} while `original{i}` has dtype {original.dtype}")
        _maybe_set(original, value)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self._modules.values())[1:]:
            x = module(x)
        return x


def _default_deepcopy(self, memo: dict):
    obj = memo.get(id(self))
    if obj is not None:
        return obj
    replica = self.__new__(self.__class__)
    memo[id(self)] = replica
    replica.__setstate__(deepcopy(self.__dict__, memo))  # rebuilds the registries' mirrors
    return replica


def _no_pickle(self):
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(). See:\n"
        "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
        "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")


def _inject_new_class(module: Module) -> None:
    """Give ``module`` a class of its own (a subclass of its class) to hold the properties."""
    cls = module.__class__
    dct = {"__getstate__": _no_pickle}
    if not hasattr(cls, "__deepcopy__"):
        dct["__deepcopy__"] = _default_deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), dct)


def _inject_property(module: Module, tensor_name: str) -> None:
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        tensor = _cache.get(key)
        if tensor is None:
            tensor = _cache[key] = parametrization()
        return tensor

    def set_original(self, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def _check_new(module: Module, tensor_name: str, parametrization: Module) -> None:
    """Adding a parametrization on top of others: it must keep dtype and shape."""
    y = getattr(module, tensor_name)
    x = parametrization(y)
    if not isinstance(x, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(x).__name__}.")
    head = "Registering a parametrization may not change the {} of the tensor, unless the " \
        "`unsafe` flag is enabled."
    for what in ("dtype", "shape"):
        if getattr(x, what) != getattr(y, what):
            raise _dtype_error(head.format(what), [
                f"module.{tensor_name}.{what}: {getattr(y, what)}",
                f"parametrization(module.{tensor_name}).{what}: {getattr(x, what)}"])
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        z = parametrization.right_inverse(x)
    except NotImplementedError:
        return
    if not isinstance(z, Tensor):
        raise ValueError("parametrization.right_inverse must return a tensor. Got: "
                         f"{type(z).__name__}")
    head = "The tensor returned by parametrization.right_inverse must have the same {} as " \
        f"module.{tensor_name}, unless the `unsafe` flag is enabled."
    for what in ("dtype", "shape"):
        if getattr(z, what) != getattr(y, what):
            raise _dtype_error(head.format(what), [
                f"module.{tensor_name}.{what}: {getattr(y, what)}",
                f"returned {what}: {getattr(z, what)}"])


def register_parametrization(module: Module, tensor_name: str, parametrization: Module,
                             *, unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` be ``parametrization(original)``; calling it again on
    the same name chains another parametrization after the existing ones."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_new(module, tensor_name, parametrization)
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    plists = module.__dict__.get("parametrizations")
    if plists is None or not isinstance(plists, ModuleDict):
        return False
    if tensor_name is None:
        return len(plists) > 0
    return tensor_name in plists


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: it becomes a parameter (or
    buffer) again, holding the parametrized value (default) or the original one."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
                _maybe_set(original, t)
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        t = getattr(module, tensor_name)
        original = Parameter(t.detach()) if t.requires_grad else t
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class as it was before any parametrization was registered."""
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)



def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Register ``from_module``'s parametrizations (all, or those of ``tensor_name``) on
    ``to_module`` too, and make its originals share ``from_module``'s."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        keys = ["original"] if source.is_tensor else \
            [f"original{i}" for i in range(source.ntensors)]
        with no_grad():
            for key in keys:
                _maybe_set(getattr(target, key), getattr(source, key))
    return to_module
