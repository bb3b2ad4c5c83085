"""Adafactor (``torch.optim.Adafactor``, PyTorch 2.13's variant): second moments factored
into row and column averages for matrices, relative step sizes, update clipping."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._fused import _lerp_, _scalar_dtype
from .optimizer import Optimizer

__all__ = ["Adafactor"]


def _norm(a: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """The 2-norm in a's dtype, accumulated in float64 (PyTorch's float32 norm sums in
    float32 in its own order, so float32 results agree to rounding, not bit for bit)."""
    wide = a.astype(np.float64)
    return np.sqrt(np.sum(wide * wide, axis=axis, keepdims=keepdims)).astype(a.dtype)


def _check(lr, beta2_decay, eps, d, weight_decay) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
    if not 0.0 >= beta2_decay:
        raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
    if eps[0] is not None and not 0.0 <= eps[0]:
        raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
    if not 0.0 <= eps[1]:
        raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
    if not 1.0 <= d:
        raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")


class Adafactor(Optimizer):
    """``torch.optim.Adafactor``. At step t, with beta2_t = 1 - t^beta2_decay,
    rho_t = min(lr, 1/sqrt(t)) and alpha = max(eps2, RMS(p)) * rho_t:
    matrices keep row/column means of g^2 (lerped by 1 - beta2_t) and estimate
    v = (row @ col) / max(mean(row), eps1); vectors keep v itself. u = g / sqrt(max(v, eps1^2)),
    p -= alpha * u / max(1, RMS(u) / d). Weight decay is decoupled: p *= 1 - lr * wd.
    eps1 None means the parameter dtype's machine epsilon."""

    def __init__(self, params, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        _check(lr, beta2_decay, eps, d, weight_decay)
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            for p in group["params"]:
                st = self.state.get(p, [])
                if len(st) != 0 and not isinstance(st["step"], Tensor):
                    st["step"] = Tensor._make(
                        np.array(float(st["step"]), _scalar_dtype()), False, None)

    def step(self, closure: Callable | None = None):
        """One Adafactor step for every parameter with a gradient; returns the closure's
        loss."""
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        self._opt_called = True
        return loss

    step._sets_opt_called = True

    def _state_for(self, p: Tensor, grad: np.ndarray) -> dict:
        st = self.state[p]
        if len(st) == 0:
            st["step"] = Tensor._make(np.array(0.0, _scalar_dtype()), False, None)
            if grad.ndim > 1:
                st["row_var"] = Tensor._make(np.zeros(grad.shape[:-1] + (1,), grad.dtype),
                                             False, None)
                col = grad.shape[:-2] + (1,) + grad.shape[-1:]
                st["col_var"] = Tensor._make(np.zeros(col, grad.dtype), False, None)
            else:
                st["variance"] = Tensor._make(np.zeros_like(grad), False, None)
        return st

    def _step_group(self, group: dict) -> None:
        eps1, eps2 = group["eps"]
        lr = group["lr"]
        if isinstance(lr, Tensor):  # a NumPy scalar of lr's dtype: the lr-derived factors
            lr = np.asarray(lr._data).reshape(())[()]  # round to it, as PyTorch's do
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            g = p.grad._data
            g = -g if group["maximize"] else g
            st = self._state_for(p, g)
            if eps1 is None:  # fixed by the group's first parameter, as in PyTorch
                eps1 = float(np.finfo(p._data.dtype).eps)
            self._update(p, g, st, group, lr, eps1, eps2)
            p._bump()

    @staticmethod
    def _update(p: Tensor, g: np.ndarray, st: dict, group: dict, lr, eps1: float,
                eps2: float) -> None:
        step_t = st["step"]._ensure_array()
        step_t += 1
        t = float(step_t)
        one_minus_beta2 = t ** group["beta2_decay"]
        rho = min(lr, 1 / (t ** 0.5))
        P = p._ensure_array()
        alpha = max(eps2, float(_norm(P)) / (P.size ** 0.5)) * rho
        if group["weight_decay"] != 0:
            P *= 1 - lr * group["weight_decay"]
        buf = np.empty_like(g)
        if g.ndim > 1:
            row, col = st["row_var"]._ensure_array(), st["col_var"]._ensure_array()
            row_mean = np.square(_norm(g, -1, True)) / g.shape[-1]
            _lerp_(row, row_mean, one_minus_beta2, np.empty_like(row))
            col_mean = np.square(_norm(g, -2, True)) / g.shape[-2]
            _lerp_(col, col_mean, one_minus_beta2, np.empty_like(col))
            var = np.matmul(row, col)
            var /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            var = st["variance"]._ensure_array()
            _lerp_(var, np.multiply(g, g), one_minus_beta2, buf)
            var = var.copy()
        np.maximum(var, eps1 * eps1, out=var)
        update = np.sqrt(var, out=var)
        np.divide(1, update, out=update)
        update *= g
        denom = max(1.0, float(_norm(update)) / ((update.size ** 0.5) * group["d"]))
        update *= -alpha / denom
        P += update
