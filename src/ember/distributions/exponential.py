"""Exponential(rate) on [0, inf)."""

from __future__ import annotations

from .. import ops
from . import constraints
from ._util import expand_params, new_exponential
from .exp_family import ExponentialFamily
from .normal import broadcast_all


class Exponential(ExponentialFamily):  # as PyTorch (kl_divergence dispatch)
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Exponential, ("rate",), batch_shape, _instance)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return self.rate * 0.0

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        """e / rate with e ~ Exp(1): d sample / d rate = -sample / rate."""
        e = new_exponential(self._extended_shape(sample_shape), self.rate)
        return e / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value  # not masked below 0, as in PyTorch

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - ops.exp(-self.rate * value)

    def icdf(self, value):
        return -ops.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()
