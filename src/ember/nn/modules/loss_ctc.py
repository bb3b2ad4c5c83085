"""CTCLoss: the connectionist temporal classification loss as a module."""

from __future__ import annotations

from ...tensor import Tensor
from ..functional._ctc import ctc_loss
from .loss import _Loss


class CTCLoss(_Loss):
    """-log p(target | log_probs) summed over all alignments with ``blank``; 'mean' divides
    each sample's loss by its target length before averaging."""

    __constants__ = ["blank", "reduction"]

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(None, None, reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths,
                target_lengths) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
