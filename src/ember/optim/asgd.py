"""ASGD, averaged SGD (PyTorch's single-tensor formulas: lambd, alpha, t0, weight decay)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ._fused import _fma_, _lr_value
from ._scalar_state import _ScalarStateOptimizer
from .optimizer import _check_lr

__all__ = ["ASGD"]


class ASGD(_ScalarStateOptimizer):
    """``torch.optim.ASGD``: p *= 1 - lambd*eta; p -= eta*g; ax averages p from step t0 on
    (ax += mu*(p - ax), or ax = p while mu is 1); then eta = lr/(1 + lambd*lr*t)^alpha and
    mu = 1/max(1, t - t0). 'eta' and 'mu' are 0-d states."""

    _capturable_names = ("params, mus, etas, and state_steps",) * 2

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        h = (_lr_value(group["lr"]), group["lambd"], group["alpha"], group["t0"],
             group["weight_decay"], group["maximize"])
        return h, ("ax",), (0.0,)

    def _scalars(self, group: dict):
        return ("eta", "mu"), (float(group["lr"]), 1.0)

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, lambd, alpha, t0, wd, maximize = h
        if maximize:
            G = np.negative(G, out=gbuf)
        if wd != 0:
            G = _fma_(gbuf, wd, P, G)  # grad.add(p, alpha=wd), rounded once
        ax, eta, mu = states
        eta_v, mu_v = float(eta.flat[0]), float(mu.flat[0])
        P *= 1 - lambd * eta_v
        _fma_(P, -eta_v, G, P)  # p.add_(g, alpha=-eta), rounded once
        if mu_v != 1:
            d = np.subtract(P, ax, out=buf)
            d *= mu_v
            ax += d
        else:
            np.copyto(ax, P)
        # PyTorch rounds both through a default-dtype tensor before copying them in
        eta[...] = np.asarray(lr / ((1 + lambd * lr * step) ** alpha), D._Defaults.float_np)
        mu[...] = np.asarray(1 / max(1, step - t0), D._Defaults.float_np)
        return None  # P is updated above (see _apply)
