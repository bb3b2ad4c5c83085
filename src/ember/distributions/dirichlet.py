"""Dirichlet(concentration) on the simplex, sampled as normalised Gamma draws."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from . import constraints
from ._util import expand_params
from .distribution import Distribution
from .gamma import standard_gamma


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Dirichlet, ("concentration",), batch_shape, _instance,
                             event_shape=self.event_shape)

    def rsample(self, sample_shape=()):
        """G / sum(G) with G_i ~ Gamma(alpha_i): differentiable through each Gamma draw's
        implicit gradient (PyTorch differentiates the Dirichlet draw directly instead;
        both are unbiased pathwise estimators, they differ sample by sample)."""
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(self.concentration.expand(shape))
        x = g / g.sum(-1, keepdim=True)
        return ops.clamp(x, min=float(np.finfo(x._data.dtype).tiny))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (ops.xlogy(c - 1.0, value).sum(-1) + ops.lgamma(c.sum(-1))
                - ops.lgamma(c).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """(c - 1)+ normalised; where every c < 1, the first vertex (PyTorch's argmax of a
        row of nan)."""
        cm1 = ops.clamp(self.concentration - 1, min=0.0)
        mode = cm1 / cm1.sum(-1, keepdim=True)
        k = self.concentration.shape[-1]
        vertex = Tensor._make(np.eye(1, k, dtype=mode._data.dtype)[0], False, None)
        low = (self.concentration < 1).all(-1, keepdim=True)
        return ops.where(low, vertex, mode)

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (ops.lgamma(c).sum(-1) - ops.lgamma(a0) - (k - a0) * ops.digamma(a0)
                - ((c - 1.0) * ops.digamma(c)).sum(-1))
