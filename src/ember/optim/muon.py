"""Muon: momentum (optionally Nesterov) orthogonalised by a Newton-Schulz iteration, for 2-D
parameters (PyTorch's ``torch.optim.Muon`` formulas, defaults and error messages).

PyTorch runs the Newton-Schulz iteration in bfloat16. ember has no bfloat16, so the iteration
here computes each operation in float32 and rounds its result to bfloat16 (round to nearest
even), as PyTorch's CPU kernels do: the update is the same bfloat16 matrix, then added to the
parameter in the parameter's own dtype.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..tensor import Tensor
from ._fused import _lerp_, _lr_value
from .optimizer import Optimizer

__all__ = ["Muon"]

# Keller Jordan's constants (https://kellerjordan.github.io/posts/muon/), as PyTorch uses them
EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(x) -> np.ndarray:
    """Round to the nearest bfloat16 (ties to even), kept in a float32 array."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    u = x.view(np.uint32)
    r = ((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))
         & np.uint32(0xFFFF0000)).view(np.float32)
    return np.where(np.isnan(x), x, r)


def _zeropower_via_newtonschulz(grad: np.ndarray, ns_coefficients, ns_steps: int,
                                eps: float) -> np.ndarray:
    """X = G/max(||G||_F, eps) (the wide orientation); ns_steps times: A = X X^T,
    B = b A + c A A, X = a X + B X. Every result rounded to bfloat16."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(v) for v in ns_coefficients)
    x = _bf16(grad.astype(np.float32))
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(np.sqrt(np.sum(np.square(x, dtype=np.float32), dtype=np.float32)))
    norm = np.maximum(norm, _bf16(np.float32(eps)))
    x = _bf16(x / norm)
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        upd = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + upd @ x)
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape) -> float:
    """'original' (default): lr * sqrt(max(1, A/B)); 'match_rms_adamw': 0.2 lr sqrt(max(A, B))."""
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """``torch.optim.Muon``: buf = lerp(buf, g, 1-momentum); u = lerp(g, buf, momentum)
    (Nesterov) or buf; O = NS(u); p *= 1 - lr*wd; p -= adjust_lr(lr, shape) * O."""

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                    "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                    "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure: Callable | None = None):
        """One Muon step on every 2-D parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = float(_lr_value(group["lr"]))
            wd, mom = group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.is_complex():
                    raise RuntimeError("Muon does not support complex parameters")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = Tensor._make(
                        np.zeros_like(p.grad._data), False, None)
                G = p.grad._data
                if G.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                B = state["momentum_buffer"]._data
                scratch = np.empty_like(B)
                _lerp_(B, G, 1 - mom, scratch)
                if group["nesterov"]:
                    U = G.copy()
                    _lerp_(U, B, mom, scratch)
                else:
                    U = B
                O = _zeropower_via_newtonschulz(U, group["ns_coefficients"],
                                                group["ns_steps"], group["eps"])
                adjusted = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                P = p._data
                P *= 1 - lr * wd
                np.multiply(O.astype(P.dtype), -adjusted, out=scratch)
                P += scratch
        self._opt_called = True
        return loss

    step._sets_opt_called = True
