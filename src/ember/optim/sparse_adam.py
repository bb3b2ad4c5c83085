"""SparseAdam: PyTorch's constructor checks and its refusal of dense gradients. ember has no
sparse tensors (``nn.Embedding(sparse=True)`` produces dense gradients), so every step with a
gradient raises PyTorch's error, as torch's SparseAdam does on dense gradients."""

from __future__ import annotations

from typing import Callable

from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """``torch.optim.SparseAdam``: Adam for sparse gradients (lazy moment updates on the
    gradient's nonzero entries). Only dense gradients exist in ember: use Adam."""

    def __init__(self, params, lr: float | Tensor = 1e-3, betas=(0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does "
                             "not support complex parameters")

    def step(self, closure: Callable | None = None):
        """Raises on the first dense gradient (all of ember's); a step with no gradients
        does nothing and returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam "
                        "instead\n(ember has no sparse gradients: nn.Embedding(sparse=True) "
                        "gives dense ones, so use optim.Adam, which updates every row.)")
        self._opt_called = True
        return loss

    step._sets_opt_called = True
