"""AdaptiveLogSoftmaxWithLoss (Grave et al., 2016): a softmax over many classes, cheap because
the rare classes sit in clusters behind one head entry each.

The head scores the ``cutoffs[0]`` frequent classes plus one entry per cluster; cluster i's
classes get log p(cluster i) + log p(class | cluster i), the second from a small two-layer
projection (in_features -> in_features / div_value^(i+1) -> cluster size).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

import numpy as np

from ... import ops
from ...tensor import Tensor
from ..functional._activation import log_softmax
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _valid_cutoffs(cutoffs: list, n_classes: int) -> bool:
    return (cutoffs == sorted(cutoffs) and min(cutoffs) > 0 and max(cutoffs) <= n_classes - 1
            and len(set(cutoffs)) == len(cutoffs) and all(int(c) == c for c in cutoffs))


class AdaptiveLogSoftmaxWithLoss(Module):
    """forward(input, target) -> (output, loss): output[i] the log-probability of target[i],
    loss the mean negative log-likelihood. ``log_prob`` gives every class's log-probability,
    ``predict`` the most likely class."""

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if not _valid_cutoffs(cutoffs, n_classes):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **kw),
                                        Linear(hidden, size, bias=False, **kw)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def _check(self, input: Tensor, target: Tensor) -> None:
        if target.dim() == 1:
            if input.shape[0] != target.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input.dim() != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input.shape}")
        elif target.dim() == 0:
            if input.dim() != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input.shape}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        self._check(input_, target_)
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        t = np.asarray(target_._data).reshape(-1)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{t.min()}, {t.max()}] were found. ")
        output = Tensor._make(np.zeros(t.shape[0], input._data.dtype), False, None)
        head_target = t.copy()  # a shortlist class, or its cluster's head entry
        for i, (low, high) in enumerate(zip(self.cutoffs[:-1], self.cutoffs[1:])):
            rows = np.nonzero((t >= low) & (t < high))[0]
            if rows.size == 0:
                continue
            head_target[rows] = self.shortlist_size + i
            at = Tensor._make(rows, False, None)
            cluster = log_softmax(self.tail[i](input.index_select(0, at)), 1)
            local = Tensor._make((t[rows] - low)[:, None], False, None)
            output = output.index_copy(0, at, cluster.gather(1, local).squeeze(1))
        head = log_softmax(self.head(input), 1)
        picked = head.gather(1, Tensor._make(head_target[:, None], False, None)).squeeze(1)
        output = output + picked
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """(N, n_classes): the shortlist's head log-probabilities, then each cluster's."""
        head = log_softmax(head_output, 1)
        parts = [head[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = log_softmax(self.tail[i](input), 1)
            parts.append(cluster + head[:, self.shortlist_size + i].unsqueeze(1))
        return ops.cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of all ``n_classes`` classes for each row of input (N, in)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row: the head's argmax when that is a shortlist
        class, else the argmax of the full distribution (computed only for those rows)."""
        head_output = self.head(input)
        output = ops.argmax(head_output, 1)
        rare = output._data >= self.shortlist_size
        if not rare.any():
            return output
        if rare.all():
            return ops.argmax(self._get_full_log_prob(input, head_output), 1)
        at = Tensor._make(np.nonzero(rare)[0], False, None)
        full = self._get_full_log_prob(input.index_select(0, at),
                                       head_output.index_select(0, at))
        return output.index_copy(0, at, ops.argmax(full, 1))
