"""FisherSnedecor(df1, df2): the F distribution, (X1 / df1) / (X2 / df2) for X_i ~ Chi2(df_i),
drawn as a ratio of Gamma(df/2, df) variables (reparameterised through both)."""

from __future__ import annotations

import numbers

import numpy as np

from .. import ops
from . import constraints
from ._util import checked_instance
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all

__all__ = ["FisherSnedecor"]

_NAN = float("nan")


class FisherSnedecor(Distribution):
    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        numbers_only = isinstance(df1, numbers.Number) and isinstance(df2, numbers.Number)
        batch_shape = () if numbers_only else self.df1.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, FisherSnedecor, _instance)
        new.df1, new.df2 = self.df1.expand(batch_shape), self.df2.expand(batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """df2 / (df2 - 2), nan for df2 <= 2."""
        valid = self.df2 > 2
        df2 = ops.where(valid, self.df2, 3.0)  # keeps the unused branch's gradient finite
        return ops.where(valid, df2 / (df2 - 2), _NAN)

    @property
    def mode(self):
        """(df1 - 2) / df1 * df2 / (df2 + 2), nan for df1 <= 2."""
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return ops.where(self.df1 <= 2, _NAN, mode)

    @property
    def variance(self):
        """2 df2^2 (df1 + df2 - 2) / (df1 (df2 - 2)^2 (df2 - 4)), nan for df2 <= 4."""
        valid = self.df2 > 4
        df2 = ops.where(valid, self.df2, 5.0)
        var = 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))
        return ops.where(valid, var, _NAN)

    def rsample(self, sample_shape=()):
        """X1 / X2 with X_i ~ Gamma(df_i / 2, df_i) = Chi2(df_i) / df_i; both clamped at the
        dtype's tiny so the ratio stays finite and positive."""
        tiny = float(np.finfo(self.df1._data.dtype).tiny)
        x1 = self._gamma1.rsample(sample_shape)
        x2 = ops.clamp(self._gamma2.rsample(sample_shape), min=tiny)
        return ops.clamp(x1 / x2, min=tiny)

    def log_prob(self, value):
        """log B(d1/2, d2/2)^-1 + (d1/2) log(d1/d2) + (d1/2 - 1) log x
        - ((d1 + d2)/2) log(1 + (d1/d2) x)."""
        if self._validate_args:
            self._validate_sample(value)
        h1, h2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        log_beta = ops.lgamma(h1) + ops.lgamma(h2) - ops.lgamma(h1 + h2)
        return (h1 * ratio.log() + (h1 - 1) * ops.log(value)
                - (h1 + h2) * ops.log1p(ratio * value) - log_beta)
