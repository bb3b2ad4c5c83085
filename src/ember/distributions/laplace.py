"""Laplace(loc, scale): density exp(-|x - loc| / scale) / (2 scale)."""

from __future__ import annotations

from .. import ops
from . import constraints
from ._util import expand_params, finfo, new_uniform
from .distribution import Distribution
from .normal import broadcast_all


class Laplace(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Laplace, ("loc", "scale"), batch_shape, _instance)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=()):
        """loc - scale * sign(u) * log1p(-|u|), u ~ U(eps - 1, 1) (so log1p never sees -1)."""
        eps = float(finfo(self.loc).eps)
        u = new_uniform(self._extended_shape(sample_shape), eps - 1, 1, self.loc)
        return self.loc - self.scale * ops.sign(u) * ops.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * ops.sign(d) * ops.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * ops.sign(term) * ops.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + (2 * self.scale).log()
