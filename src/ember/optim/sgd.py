"""SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch's formulas)."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._fused import _ArrayOptimizer, _fma_, _lr_value

__all__ = ["SGD"]


class SGD(_ArrayOptimizer):
    """``torch.optim.SGD``: g += wd*p; buf = g (first step) or momentum*buf + (1-dampening)*g;
    g = g + momentum*buf (Nesterov) or buf; p -= lr*g."""

    _state_required = False  # PyTorch reads momentum_buffer with state.get
    _has_step = False
    _fuse_min = 3
    _differentiable_ok = True

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        # ``lr < 0.0``, not _check_lr's ``not 0.0 <= lr`` (the other optimizers'): a nan lr
        # passes, and an lr=required left unset is the TypeError of '<'
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One step; with differentiable=True it runs as recorded Tensor ops, so a learned
        (requires_grad) lr or a non-leaf param gets gradients through the update."""
        if not self.defaults["differentiable"]:
            return super().step(closure)
        loss = self._run_closure(closure)
        with enable_grad():
            for group in self.param_groups:
                self._diff_group(group)
        self._opt_called = True
        return loss

    step._sets_opt_called = True

    def _diff_group(self, group: dict) -> None:
        lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
        wd = group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad if group["maximize"] else p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)
            if mom != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:  # PyTorch starts the buffer detached from the graph
                    buf = state["momentum_buffer"] = g.clone().detach()
                else:
                    buf.mul_(mom).add_(g, alpha=1 - damp)
                g = g.add(buf, alpha=mom) if group["nesterov"] else buf
            if isinstance(lr, Tensor) and lr.requires_grad:
                p.addcmul_(g, lr, value=-1)
            else:
                p.add_(g, alpha=-float(lr))

    def _hyper(self, group: dict):
        mom = group["momentum"]
        h = (_lr_value(group["lr"]), mom, group["dampening"], group["weight_decay"],
             group["nesterov"], group["maximize"])
        return (h, ("momentum_buffer",), (0.0,)) if mom != 0 else (h, (), ())

    def _needs_param(self, h) -> bool:
        return True  # the step is one fused multiply-add into P (see _apply)

    def _kernel(self, h, P, G, gbuf, buf, states, step, first):
        lr, mom, damp, wd, nesterov, maximize = h
        if maximize:
            G = np.negative(G, out=gbuf)
        if wd != 0:
            G = _fma_(gbuf, wd, P, G)  # grad.add(p, alpha=wd), rounded once
        if mom != 0:
            (B,) = states
            if first:
                np.copyto(B, G)
            else:
                B *= mom
                if damp != 0:
                    _fma_(B, 1 - damp, G, B)
                else:
                    B += G
            if nesterov:
                G = _fma_(gbuf, mom, B, G)
            else:
                G = B
        return -lr, G  # p.add_(g, alpha=-lr)
