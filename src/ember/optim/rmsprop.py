"""RMSprop (PyTorch's formulas: alpha, eps, momentum, centered, weight decay, maximize)."""

from __future__ import annotations

import numpy as np

from ._fused import _ArrayOptimizer, _addcmul_, _lerp_, _lr_value
from .optimizer import _check_lr

__all__ = ["RMSprop"]


class RMSprop(_ArrayOptimizer):
    """``torch.optim.RMSprop``: sq = alpha*sq + (1-alpha)*g*g; avg = sqrt(sq - ga^2 if
    centered else sq) + eps; buf = momentum*buf + g/avg, p -= lr*buf (or p -= lr*g/avg)."""

    _capturable_xla = (True, True)  # PyTorch lists xla on both paths here

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        mom, centered = group["momentum"], group["centered"]
        h = (_lr_value(group["lr"]), group["alpha"], group["eps"], group["weight_decay"], mom,
             centered, group["maximize"])
        keys = ("square_avg",) + (("momentum_buffer",) if mom > 0 else ()) + (
            ("grad_avg",) if centered else ())
        return h, keys, (0.0,) * len(keys)

    def _needs_param(self, h) -> bool:
        return h[3] != 0

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, alpha, eps, wd, mom, centered, maximize = h
        if maximize:
            G = np.negative(G, out=gbuf)
        if wd != 0:
            np.multiply(P, wd, out=buf)
            G = np.add(G, buf, out=gbuf)
        sq = states[0]
        sq *= alpha
        _addcmul_(sq, G, G, 1 - alpha, buf, exact=False)  # (sqrt decides: see _fused.py)
        if centered:
            ga = states[-1]
            _lerp_(ga, G, 1 - alpha, buf, exact=False)
            avg = np.multiply(ga, ga, out=buf)  # sq.addcmul(ga, ga, value=-1)
            np.subtract(sq, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(sq, out=buf)
        avg += eps
        if mom > 0:
            B = states[1]
            B *= mom
            B += np.divide(G, avg, out=avg)  # addcdiv_(g, avg): value 1
            return np.multiply(B, -lr, out=avg)
        q = np.multiply(G, -lr, out=gbuf)  # addcdiv's order: (value * g) / avg
        return np.divide(q, avg, out=avg)
