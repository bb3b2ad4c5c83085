"""GeneralizedPareto(loc, scale, concentration = xi): P(X > x) = (1 + xi z)^(-1/xi) with
z = (x - loc) / scale (exp(-z) at xi = 0); supported on [loc, loc - scale/xi] for xi < 0,
[loc, inf) otherwise. Sampled by inverting the CDF."""

from __future__ import annotations

import numbers

from .. import ops
from ..creation import ones_like, zeros_like
from . import constraints
from ._util import checked_instance, rand
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]

_NAN, _INF = float("nan"), float("inf")


class GeneralizedPareto(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        numbers_only = all(isinstance(v, numbers.Number) for v in (loc, scale, concentration))
        batch_shape = () if numbers_only else self.loc.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, GeneralizedPareto, _instance)
        for name in ("loc", "scale", "concentration"):
            setattr(new, name, getattr(self, name).expand(batch_shape))
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _safe_concentration(self):
        """(xi == 0 within isclose's tolerance, xi with those entries replaced by 1): the
        xi != 0 formulas are evaluated everywhere and the xi = 0 limits chosen after."""
        xi = self.concentration
        is_zero = ops.isclose(xi, zeros_like(xi))
        return is_zero, ops.where(is_zero, ones_like(xi), xi)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), self.loc)
        return self.icdf(u)

    def log_prob(self, value):
        """-log scale - (1/xi + 1) log(1 + xi z)   (-log scale - z at xi = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        is_zero, xi = self._safe_concentration()
        y = 1 / xi + ones_like(z)
        nonzero = ops.where(y == 0, y, y * ops.log1p(xi * z))
        return -self.scale.log() - ops.where(is_zero, z, nonzero)

    def log_survival_function(self, value):
        """log P(X > x) = -log(1 + xi z) / xi   (-z at xi = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        is_zero, xi = self._safe_concentration()
        return ops.where(is_zero, -z, -ops.log1p(xi * z) / xi)

    def log_cdf(self, value):
        return ops.log1p(-self.log_survival_function(value).exp())

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        """loc + scale (exp(-xi log(1 - u)) - 1) / xi   (loc - scale log(1 - u) at xi = 0)."""
        is_zero, xi = self._safe_concentration()
        log1m_u = ops.log1p(-value)
        nonzero = self.loc + self.scale / xi * ops.expm1(-xi * log1m_u)
        return ops.where(is_zero, self.loc - self.scale * log1m_u, nonzero)

    @property
    def mean(self):
        """loc + scale / (1 - xi) for xi < 1, else nan."""
        valid = self.concentration < 1
        xi = ops.where(valid, self.concentration, 0.5)
        return ops.where(valid, self.loc + self.scale / (1 - xi), _NAN)

    @property
    def variance(self):
        """scale^2 / ((1 - xi)^2 (1 - 2 xi)) for xi < 1/2, else nan."""
        valid = self.concentration < 0.5
        xi = ops.where(valid, self.concentration, 0.25)
        return ops.where(valid, self.scale ** 2 / ((1 - xi) ** 2 * (1 - 2 * xi)), _NAN)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        """log scale + xi + 1."""
        return ops.broadcast_to(self.scale.log() + self.concentration + 1, self._batch_shape)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = ops.where(self.concentration < 0, self.loc - self.scale / self.concentration,
                          _INF)
        return constraints.interval(self.loc, upper)


