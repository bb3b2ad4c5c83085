"""LKJCholesky(dim, concentration = eta): Cholesky factors L of correlation matrices with
density proportional to det(L L^T)^(eta - 1), sampled by the onion method."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..creation import arange
from ..tensor import Tensor
from . import constraints
from ._util import checked_instance, rng
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # The onion method: row i >= 1 has squared norm y_i ~ Beta(i/2, eta + (dim - 1 - i)/2)
        # off the diagonal (row 0 has none; its Beta(1/2, .) draw is unused). PyTorch 2.13
        # draws Beta(i - 1/2, .) there, which for dim >= 3 over-spreads the correlations of
        # rows 2.. (their marginals then differ from row 1's; LKJ's are all alike).
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = arange(dim - 1, dtype=self.concentration.dtype)
        offset = ops.cat([offset.new_zeros((1,)), offset])
        first = ops.cat([offset.new_ones((1,)), (offset[1:] + 1)]) * 0.5
        self._beta = Beta(first, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, LKJCholesky, _instance)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _sample(self, sample_shape=()):
        """Row i: sqrt(y_i) times a uniform direction in its first i coordinates, then the
        diagonal entry that completes the unit norm."""
        y = np.asarray(self._beta.sample(sample_shape)._data)[..., None]
        u = np.tril(rng().standard_normal(self._extended_shape(sample_shape)), -1)
        with np.errstate(invalid="ignore"):
            u = u / np.linalg.norm(u, axis=-1, keepdims=True)
        u[..., 0, :] = 0.0  # row 0 is all zeros (0/0 above)
        w = (np.sqrt(y) * u).astype(y.dtype)
        tiny = np.finfo(w.dtype).tiny
        diag = np.sqrt(np.maximum(1 - (w ** 2).sum(-1), tiny))
        w = w + diag[..., None] * np.eye(self.dim, dtype=w.dtype)
        return Tensor._make(w, False, None)

    def log_prob(self, value):
        """sum_{i>=1} (2 (eta - 1) + dim - 1 - i) log L_ii minus the log normaliser
        0.5 (dim - 1) log pi + mvlgamma(eta + (dim - 2)/2, dim - 1)
        - (dim - 1) lgamma(eta + (dim - 1)/2)."""
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1, dtype=self.concentration.dtype)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalised = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normaliser = (0.5 * dm1 * math.log(math.pi) + ops.mvlgamma(alpha - 0.5, dm1)
                      - ops.lgamma(alpha) * dm1)
        return unnormalised - normaliser
