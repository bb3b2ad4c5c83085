"""Adam and AdamW (PyTorch's single-tensor formulas, amsgrad, maximize, weight decay)."""

from __future__ import annotations

import numpy as np

from ._fused import _ArrayOptimizer, _addcmul_, _decayed_grad, _lerp_, _lr_value
from ..tensor import Tensor
from .optimizer import _check_lr

__all__ = ["Adam", "AdamW"]


_TENSOR_LR_FOREACH = "lr as a Tensor is not supported for capturable=False and foreach=True"


def _check(lr, betas, eps, weight_decay) -> tuple:
    _check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    return tuple(float(b) for b in betas)


class Adam(_ArrayOptimizer):
    """``torch.optim.Adam``: m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g;
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). ``decoupled_weight_decay`` is AdamW."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(_TENSOR_LR_FOREACH)
        given, betas = betas, _check(lr, betas, eps, weight_decay)
        if not all(isinstance(b, float) for b in given[:2]) and \
                not all(isinstance(b, Tensor) for b in given[:2]):  # (Adam's own: not NAdam's)
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        b1, b2 = group["betas"]
        ams = group["amsgrad"]
        if group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]:
            raise RuntimeError(_TENSOR_LR_FOREACH)
        h = (_lr_value(group["lr"]), float(b1), float(b2), group["eps"],
             group["weight_decay"], ams, group["maximize"], group["decoupled_weight_decay"])
        if ams:
            return h, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), (0.0, 0.0, 0.0)
        return h, ("exp_avg", "exp_avg_sq"), (0.0, 0.0)

    def _needs_param(self, h) -> bool:
        return h[4] != 0

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, b1, b2, eps, wd, amsgrad, maximize, decoupled = h
        G = _decayed_grad(P, G, gbuf, buf, lr, wd, decoupled, maximize)
        m, v = states[0], states[1]
        _lerp_(m, G, 1 - b1, buf, exact=False)  # (sqrt decides the step: see _fused.py)
        v *= b2
        _addcmul_(v, G, G, 1 - b2, buf, exact=False)
        step_size = lr / (1 - b1 ** step)
        bc2_sqrt = (1 - b2 ** step) ** 0.5
        if amsgrad:
            v = np.maximum(states[2], v, out=states[2])
        np.sqrt(v, out=buf)
        buf /= bc2_sqrt
        buf += eps
        q = np.multiply(m, -step_size, out=gbuf)  # addcdiv's order: (value * m) / denom
        return np.divide(q, buf, out=buf)


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay (p *= 1 - lr*wd), wd 1e-2."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
