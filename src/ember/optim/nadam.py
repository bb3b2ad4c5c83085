"""NAdam (PyTorch's single-tensor formulas: momentum decay, weight decay, maximize)."""

from __future__ import annotations

import numpy as np

from ._fused import _decayed_grad, _lr_value
from ._scalar_state import _ScalarStateOptimizer
from .adam import _check
from .radam import _moments

__all__ = ["NAdam"]


class NAdam(_ScalarStateOptimizer):
    """``torch.optim.NAdam``: Adam's moments with Nesterov momentum; mu_t =
    b1*(1 - 0.5*0.96^(t*momentum_decay)), 'mu_product' their running product (a 0-d state);
    p += -lr*(1-mu_t)/(1-prod) * g/d, then p += -lr*mu_{t+1}/(1-prod*mu_{t+1}) * m/d with
    d = sqrt(v/(1-b2^t)) + eps. ``decoupled_weight_decay``: p *= 1 - lr*wd."""

    _capturable_names = ("params, mu_products and state_steps",
                         "params, mu_products, and state_steps")

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _hyper(self, group: dict):
        b1, b2 = group["betas"]
        h = (_lr_value(group["lr"]), float(b1), float(b2), group["eps"], group["weight_decay"],
             group["momentum_decay"], group["decoupled_weight_decay"], group["maximize"])
        return h, ("exp_avg", "exp_avg_sq"), (0.0, 0.0)

    def _scalars(self, group: dict):
        return ("mu_product",), (1.0,)

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, b1, b2, eps, wd, mdecay, decoupled, maximize = h
        G = _decayed_grad(P, G, gbuf, buf, lr, wd, decoupled, maximize)
        bc2 = 1 - b2 ** step
        mu = b1 * (1.0 - 0.5 * (0.96 ** (step * mdecay)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * mdecay)))
        m, v, prod = states
        prod *= mu  # in the state's dtype (float32), as PyTorch's 0-d tensor
        _moments(G, m, v, b1, b2, buf)
        denom = np.divide(v, bc2, out=buf)
        np.sqrt(denom, out=denom)
        denom += eps
        mu_prod = float(prod.flat[0])
        mu_prod_next = mu_prod * mu_next
        np.multiply(G, -lr * (1.0 - mu) / (1.0 - mu_prod), out=gbuf)  # two addcdivs,
        gbuf /= denom                                                  # in PyTorch's order
        P += gbuf
        np.multiply(m, (-lr * mu_next) / (1.0 - mu_prod_next), out=gbuf)
        return np.divide(gbuf, denom, out=buf)
