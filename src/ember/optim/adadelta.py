"""Adadelta (PyTorch's single-tensor formulas: rho, eps, lr, weight decay, maximize)."""

from __future__ import annotations

import numpy as np

from ._fused import _ArrayOptimizer, _addcmul_, _lr_value
from .optimizer import _check_lr

__all__ = ["Adadelta"]


class Adadelta(_ArrayOptimizer):
    """``torch.optim.Adadelta``: sq = rho*sq + (1-rho)*g*g;
    delta = sqrt(acc+eps)/sqrt(sq+eps)*g; acc = rho*acc + (1-rho)*delta^2; p -= lr*delta."""

    _capturable_xla = (False, False)  # PyTorch lists xla on neither path here

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        h = (_lr_value(group["lr"]), group["rho"], group["eps"], group["weight_decay"],
             group["maximize"])
        return h, ("square_avg", "acc_delta"), (0.0, 0.0)

    def _needs_param(self, h) -> bool:
        return h[3] != 0

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, rho, eps, wd, maximize = h
        if maximize:
            G = np.negative(G, out=gbuf)
        if wd != 0:
            np.multiply(P, wd, out=buf)
            G = np.add(G, buf, out=gbuf)
        sq, acc = states
        sq *= rho
        _addcmul_(sq, G, G, 1 - rho, buf, exact=False)  # (sqrt decides: see _fused.py)
        std = np.sqrt(np.add(sq, eps, out=buf), out=buf)
        delta = np.add(acc, eps)  # a third array besides G and std: allocated
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= G
        acc *= rho
        _addcmul_(acc, delta, delta, 1 - rho, buf, exact=False)
        return np.multiply(delta, -lr, out=buf)
