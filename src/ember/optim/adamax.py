"""Adamax (PyTorch's single-tensor formulas: infinity-norm Adam, weight decay, maximize)."""

from __future__ import annotations

import numpy as np

from ._fused import _ArrayOptimizer, _fma_, _lerp_, _lr_value
from .adam import _check

__all__ = ["Adamax"]


class Adamax(_ArrayOptimizer):
    """``torch.optim.Adamax``: m = lerp(m, g, 1-b1); u = max(b2*u, |g|+eps);
    p -= (lr/(1-b1^t)) * m / u."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        b1, b2 = group["betas"]
        h = (_lr_value(group["lr"]), float(b1), float(b2), group["eps"], group["weight_decay"],
             group["maximize"])
        return h, ("exp_avg", "exp_inf"), (0.0, 0.0)

    def _needs_param(self, h) -> bool:
        return h[4] != 0

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, b1, b2, eps, wd, maximize = h
        if maximize:
            G = np.negative(G, out=gbuf)
        if wd != 0:
            G = _fma_(gbuf, wd, P, G)  # grad.add(p, alpha=wd), rounded once
        m, u = states
        _lerp_(m, G, 1 - b1, buf)
        u *= b2
        np.abs(G, out=buf)
        buf += eps
        np.maximum(u, buf, out=u)
        clr = lr / (1 - b1 ** step)
        np.multiply(m, -clr, out=buf)  # addcdiv's order: (value * m) / u
        buf /= u
        return buf
