"""RAdam (PyTorch's single-tensor formulas: rectified Adam, weight decay, maximize)."""

from __future__ import annotations

import numpy as np

from ._fused import _ArrayOptimizer, _addcmul_, _decayed_grad, _lerp_, _lr_value
from .adam import _check

__all__ = ["RAdam"]


def _moments(G, m, v, b1: float, b2: float, buf) -> None:
    """m = lerp(m, g, 1-b1); v = b2*v + ((1-b2)*g)*g (addcmul's order; rounded apart, as the
    sqrt in the step keeps it from PyTorch's bits anyway: see _fused.py)."""
    _lerp_(m, G, 1 - b1, buf, exact=False)
    v *= b2
    _addcmul_(v, G, G, 1 - b2, buf, exact=False)


class RAdam(_ArrayOptimizer):
    """``torch.optim.RAdam``: Adam's moments; while the variance estimate is unreliable
    (rho_t <= 5) p -= lr*m/(1-b1^t), afterwards that step times the rectification term and
    sqrt(1-b2^t)/(sqrt(v)+eps). ``decoupled_weight_decay``: p *= 1 - lr*wd (AdamW-style)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        b1, b2 = group["betas"]
        h = (_lr_value(group["lr"]), float(b1), float(b2), group["eps"], group["weight_decay"],
             group["maximize"], group["decoupled_weight_decay"])
        return h, ("exp_avg", "exp_avg_sq"), (0.0, 0.0)

    def _needs_param(self, h) -> bool:
        return h[4] != 0

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, b1, b2, eps, wd, maximize, decoupled = h
        G = _decayed_grad(P, G, gbuf, buf, lr, wd, decoupled, maximize)
        m, v = states
        _moments(G, m, v, b1, b2, buf)
        bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * step * (b2 ** step) / bc2
        np.divide(m, bc1, out=buf)
        buf *= lr
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            A = np.sqrt(v, out=gbuf)  # G is spent: its scratch holds the adaptive lr
            A += eps
            np.reciprocal(A, out=A)   # PyTorch's scalar / tensor is reciprocal() * scalar
            A *= bc2 ** 0.5
            buf *= A
            buf *= rect
        return np.negative(buf, out=buf)
