"""Adagrad (PyTorch's formulas: lr_decay, weight decay, initial accumulator, eps, maximize)."""

from __future__ import annotations

import numpy as np

from ._fused import _ArrayOptimizer, _addcmul_, _lr_value
from .optimizer import _check_lr

__all__ = ["Adagrad"]


class Adagrad(_ArrayOptimizer):
    """``torch.optim.Adagrad``: sum += g*g; p -= lr/(1+(t-1)*lr_decay) * g/(sqrt(sum)+eps).

    As in PyTorch, the state ('step' 0 and 'sum') exists from construction."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for plan in self._rebuild():
            for i in range(plan.n):
                if not plan.inited[i]:
                    self._init_param(plan, i)
            plan.uniform = self._is_uniform(plan)

    def _hyper(self, group: dict):
        h = (_lr_value(group["lr"]), group["lr_decay"], group["weight_decay"], group["eps"],
             group["maximize"])
        return h, ("sum",), (group["initial_accumulator_value"],)

    def _needs_param(self, h) -> bool:
        return h[2] != 0

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, lr_decay, wd, eps, maximize = h
        if maximize:
            G = np.negative(G, out=gbuf)
        if wd != 0:
            np.multiply(P, wd, out=buf)
            G = np.add(G, buf, out=gbuf)
        clr = lr / (1 + (step - 1) * lr_decay)
        (S,) = states
        _addcmul_(S, G, G, 1, buf, exact=False)  # (sqrt decides the step: see _fused.py)
        np.sqrt(S, out=buf)
        buf += eps
        q = np.multiply(G, -clr, out=gbuf)  # addcdiv's order: (value * g) / std
        return np.divide(q, buf, out=buf)
