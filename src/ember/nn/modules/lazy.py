"""Lazy modules: layers whose input size is read from the first batch they see.

``LazyLinear(out)`` holds ``UninitializedParameter`` placeholders; its first forward runs
``initialize_parameters(input)`` (from a forward pre-hook), which gives them their shapes
and PyTorch's initialisation, removes the hook, and switches the instance's class to the
regular layer (``type(m) is nn.Linear`` afterwards), so later calls cost nothing extra.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

from ... import dtypes as D
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter
from . import _state
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear

__all__ = ["LazyModuleMixin", "UninitializedParameter", "UninitializedBuffer", "is_lazy",
           "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


def _empty_array(dtype) -> np.ndarray:
    return np.empty(0, dtype=D._Defaults.float_np if dtype is None else D.to_np(dtype))


# The tensor methods PyTorch still lets a placeholder use (conversions, moves, copy_).
_ALLOWED = frozenset({"size", "copy_", "is_complex", "is_floating_point", "half", "float",
                      "double", "char", "short", "int", "long", "cuda", "cpu", "to",
                      "get_device", "materialize", "cls_to_become"})


# where PyTorch's ops live in ember: a placeholder's array read from there is refused
_OPS_DIRS = re.compile(r"[/\\]ember[/\\](?:ops[/\\]|creation\.py|nn[/\\](functional))")


def _refuse(name: str, where: str = ""):
    raise ValueError(
        f"Attempted to use an uninitialized parameter in "
        f"{where or f'<method {name!r} of {chr(39)}torch._C.TensorBase{chr(39)} objects>'}. "
        "This error happens when you are using a "
        "`LazyModule` or explicitly manipulating `torch.nn.parameter."
        "UninitializedParameter` objects. When using LazyModules Call `forward` with "
        "a dummy batch to initialize the parameters before calling torch functions")


class _UninitializedMixin:
    """A placeholder tensor with no shape yet; ``materialize(shape)`` makes it real."""

    cls_to_become: type

    def __getattribute__(self, name: str):
        # Like PyTorch, refuse tensor methods (p.numel(), p.sum()) until the first forward
        # gives a shape: counting a lazy model's parameters would otherwise print 0.
        if name[0] != "_" and name not in _ALLOWED and callable(getattr(Tensor, name, None)):
            return lambda *args, **kwargs: _refuse(name)
        if name == "_data":  # torch.sum(p), F.linear(x, p): an op reading the placeholder
            code = sys._getframe(1).f_code
            found = _OPS_DIRS.search(code.co_filename)
            if found:
                op = code.co_name.strip("_")
                _refuse(op, f"<built-in function {op}>" if found.group(1) else
                        f"<built-in method {op} of type object at {hex(id(Tensor))}>")
        return object.__getattribute__(self, name)

    # operators skip __getattribute__: refused here, named by the method they call
    for _op, _name in (("add", "add"), ("radd", "add"), ("sub", "sub"), ("rsub", "sub"),
                       ("mul", "mul"), ("rmul", "mul"), ("truediv", "div"), ("rtruediv", "div"),
                       ("matmul", "matmul"), ("rmatmul", "matmul"), ("pow", "pow"),
                       ("neg", "neg"), ("abs", "abs")):
        locals()[f"__{_op}__"] = (lambda n: lambda self, *a: _refuse(n))(_name)
    del _op, _name

    def materialize(self, shape, device=None, dtype=None) -> None:
        np_dtype = self._data.dtype if dtype is None else D.to_np(dtype)
        self._data = np.empty(tuple(shape), dtype=np_dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (type(self), (self._rg,))


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A Parameter whose shape is not known yet (``torch.nn.UninitializedParameter``)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        t = object.__new__(cls)
        Tensor._init_from(t, _empty_array(dtype), bool(requires_grad))
        return t

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer whose shape is not known yet (``torch.nn.UninitializedBuffer``)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True):
        t = object.__new__(cls)
        Tensor._init_from(t, _empty_array(dtype), bool(requires_grad))
        t.__dict__["persistent"] = persistent
        return t

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


def is_lazy(param: Any) -> bool:
    return isinstance(param, _UninitializedMixin)


class LazyModuleMixin:
    """Mixed in before a layer class: infers its parameters' shapes on the first call."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                                with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        # Placeholders go in as they are (detach would make them ordinary empty tensors).
        for name, value in self._parameters.items():
            if value is not None:
                destination[prefix + name] = value if is_lazy(value) or keep_vars \
                    else value.detach()
        for name, value in self._buffers.items():
            if value is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = value if is_lazy(value) or keep_vars \
                    else value.detach()
        if _state._has_extra_state(self):
            destination[prefix + _state._EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs) -> None:
        # Placeholders take the shapes of the tensors being loaded into them.
        for name, value in list(self._parameters.items()) + list(self._buffers.items()):
            key = prefix + name
            if value is not None and key in state_dict and is_lazy(value):
                incoming = state_dict[key]
                if not is_lazy(incoming):
                    with no_grad():
                        value.materialize(incoming.shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still a placeholder."""
        return any(is_lazy(v) for v in list(self._parameters.values())
                   + list(self._buffers.values()))

    def _infer_parameters(self, module, args: tuple, kwargs: dict | None = None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        delattr(module, "_initialize_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize "
                           "the modules")


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` with ``in_features`` read from the first input's last dimension."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # loaded from a state_dict: the weight has its shape
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} "
                                     "is not equal to in_features from self.weight: "
                                     f"{self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class _LazyConvMixin(LazyModuleMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode)
        self._lazy_placeholders(out_channels, bias, device, dtype)

    def _lazy_placeholders(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if not self.has_uninitialized_params():
            return
        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        with no_grad():
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        unbatched = self._dims + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D "
                               f"(batched) input to {self.__class__.__name__}, but got input "
                               f"of size: {input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]


class _LazyConvTransposeMixin(_LazyConvMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, output_padding,
                                 groups, False, dilation, padding_mode)
        self._lazy_placeholders(out_channels, bias, device, dtype)


def _lazy_conv(base: type, doc: str) -> type:
    mixin = _LazyConvTransposeMixin if base._transposed else _LazyConvMixin
    return type(f"Lazy{base.__name__}", (mixin, base),
                {"cls_to_become": base, "__doc__": doc, "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, "``Conv1d`` with ``in_channels`` from the first input.")
LazyConv2d = _lazy_conv(Conv2d, "``Conv2d`` with ``in_channels`` from the first input.")
LazyConv3d = _lazy_conv(Conv3d, "``Conv3d`` with ``in_channels`` from the first input.")
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, "``ConvTranspose1d``, lazy in_channels.")
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, "``ConvTranspose2d``, lazy in_channels.")
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, "``ConvTranspose3d``, lazy in_channels.")


class _LazyNormMixin(LazyModuleMixin):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__(0, eps, momentum, False, False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = Tensor._make(np.array(0, dtype=np.int64), False, None)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        with no_grad():
            for name in ("weight", "bias", "running_mean", "running_var"):
                value = getattr(self, name)
                if value is not None and is_lazy(value):
                    value.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base: type) -> type:
    return type(f"Lazy{base.__name__}", (_LazyNormMixin, base),
                {"cls_to_become": base, "__module__": __name__,
                 "__doc__": f"``{base.__name__}`` with ``num_features`` from the first input."})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
# PyTorch's lazy instance norms default to affine=True and track_running_stats=True (those of
# its lazy norm base), unlike InstanceNorm*d itself.
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
