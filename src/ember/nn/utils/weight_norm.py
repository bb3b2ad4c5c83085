"""``torch.nn.utils.weight_norm`` (deprecated hook form): w = g * v / ||v||.

The module keeps ``<name>_g`` (the norms) and ``<name>_v`` (the directions) as parameters;
a forward pre-hook recomputes ``<name>`` from them before every call.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...autograd.function import Primitive
from ...dtypes import float16
from ...tensor import Tensor
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of each slice of ``v`` along ``dim`` (kept with size 1 elsewhere);
    ``dim=-1`` means the norm of the whole tensor (a 0-d result), as in PyTorch."""
    if dim == -1:
        return v.norm(pow)
    if dim < 0:
        dim += v.dim()
    moved = v.transpose(0, dim) if dim else v
    norms = moved.reshape(v.shape[dim], -1).norm(pow, dim=1)
    shape = [1] * v.dim()
    shape[dim] = v.shape[dim]
    return norms.reshape(shape)


def _sum_out(a, axes: tuple):
    # a 1-D v has no other axis: nothing to sum (a Tensor's sum over () would sum all)
    return np.sum(a, axis=axes, keepdims=True) if axes else a


class WeightNormInterface(Primitive):
    """w = v * g / n, n = ||v|| over every axis but ``dim`` (kept with size 1): PyTorch's
    fused op. With s = sum over those axes of (dL/dw * v):
    dL/dg = s / n,  dL/dv = (g / n) * (dL/dw - v * s / n^2)."""

    @staticmethod
    def forward(ctx, v, g, dim):
        # a local first: under no_grad ctx is the null ctx, which keeps no attributes
        ctx.axes = axes = tuple(i for i in range(v.ndim) if i != dim)
        ctx.save_for_backward(v, g)
        return v * (g / _sum_out(v * v, axes) ** 0.5)

    @staticmethod
    def backward(ctx, grad):
        v, g = ctx.saved_tensors
        n = _sum_out(v * v, ctx.axes) ** 0.5
        s = _sum_out(grad * v, ctx.axes)
        need_v, need_g = ctx.needs_input_grad[:2]
        return ((g / n) * (grad - v * (s / (n * n))) if need_v else None,
                s / n if need_g else None, None)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``torch._weight_norm``: the fused node (WeightNormInterfaceBackward0) for the first or
    last dim of a float32/64 v, as PyTorch; otherwise the composite formula."""
    if (dim == 0 or dim == v.dim() - 1) and v.dtype != float16 and g.dtype != float16:
        return WeightNormInterface.apply(v, g, dim)
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that rebuilds ``<name>`` from ``<name>_g`` and ``<name>_v``."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int) -> "WeightNorm":
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if _is_uninitialized(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2,
                                                                         fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def _is_uninitialized(t) -> bool:
    from ..modules.lazy import UninitializedParameter

    return isinstance(t, UninitializedParameter)


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but
    ``dim``; ``dim=None`` for the whole tensor). Deprecated in PyTorch: prefer
    ``nn.utils.parametrizations.weight_norm``."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Fold ``<name>_g``/``<name>_v`` back into one parameter ``<name>``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
