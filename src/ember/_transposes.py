"""Tensor's transpose properties ``.T`` and ``.mT`` (``.H`` and ``.mH`` are the same on
ember's real tensors)."""

from __future__ import annotations


def T(self):  # noqa: N802 - PyTorch's name
    """All dims reversed; deprecated (warned once) in PyTorch 2.13 unless the tensor is 2-D."""
    if self._data.ndim != 2:
        from ._config import warn_once

        warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                  "these cases." if self._data.ndim == 0 else
                  "The use of `x.T` on tensors of dimension other than 2 to reverse their "
                  "shape is deprecated and it will throw an error in a future release. "
                  "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                  "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")
    return self.permute(tuple(range(self._data.ndim - 1, -1, -1)))


def mT(self):  # noqa: N802
    """The last two dims swapped; the identity (deprecated) on 0-d tensors, as in PyTorch."""
    if self._data.ndim == 0:
        return self
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return self.transpose(-2, -1)
