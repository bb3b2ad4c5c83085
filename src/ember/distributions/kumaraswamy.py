"""Kumaraswamy(concentration1 = a, concentration0 = b) on [0, 1]: p(x) = a b x^(a-1)
(1 - x^a)^(b-1), drawn as (1 - U^(1/b))^(1/a) for U ~ Uniform(0, 1)."""

from __future__ import annotations

from .. import ops
from ..creation import full_like
from . import constraints
from ._util import checked_instance
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform
from .transforms_more import PowerTransform
from .uniform import Uniform
from .utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy"]


def _moment(a, b, n: int):
    """E[X^n] = b B(1 + n/a, b)."""
    shifted = 1 + n / a
    return b * (ops.lgamma(shifted) + ops.lgamma(b) - ops.lgamma(shifted + b)).exp()


class Kumaraswamy(TransformedDistribution):
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1,
                                                                 concentration0)
        base = Uniform(full_like(self.concentration0, 0), full_like(self.concentration0, 1),
                       validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        """((a - 1) / (a b - 1))^(1/a) where a, b >= 1, else nan. (PyTorch 2.13 returns nan
        everywhere: its log form takes log1p(-b), which is nan for b >= 1.)"""
        a, b = self.concentration1, self.concentration0
        valid = (a >= 1) & (b >= 1)
        a_safe, b_safe = ops.where(valid, a, 2.0), ops.where(valid, b, 2.0)
        mode = ((a_safe - 1) / (a_safe * b_safe - 1)).pow(a_safe.reciprocal())
        return ops.where(valid, mode, float("nan"))

    @property
    def variance(self):
        return _moment(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        """(1 - 1/b) + (1 - 1/a) H_b - log a - log b, H_b = digamma(b + 1) + gamma_E the
        b-th harmonic number."""
        a, b = self.concentration1, self.concentration0
        harmonic = ops.digamma(b + 1) + euler_constant
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()
