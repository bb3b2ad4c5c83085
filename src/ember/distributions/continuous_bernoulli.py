"""ContinuousBernoulli(probs | logits) on [0, 1]: p(x) = C(lambda) lambda^x (1 - lambda)^(1-x)
with C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda) (Loaiza-Ganem & Cunningham, 2019).

Near lambda = 1/2 the closed forms are 0/0, so inside ``lims`` (default (0.499, 0.501)) the
normaliser, mean, variance, cdf and icdf use their Taylor expansions about 1/2 instead, and
the closed forms are evaluated at a safe stand-in value there (so where() has no NaN
gradient to pick up)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..autograd.grad_mode import enable_grad
from ..creation import full_like, ones_like, zeros_like
from . import constraints
from ._util import checked_instance, rand
from .bernoulli import _bce_with_logits
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .normal import broadcast_all


def _clamp_probs(p):
    eps = float(np.finfo(p._data.dtype).eps)
    return ops.clamp(p, min=eps, max=1 - eps)


class ContinuousBernoulli(ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (probs,) = broadcast_all(probs)
            # PyTorch checks here only when validate_args is passed explicitly; otherwise the
            # clamp below brings any value into (0, 1) before the usual check runs
            if validate_args is not None and not constraints.unit_interval.holds(
                    np.asarray(probs._data)):
                raise ValueError("The parameter probs has invalid values")
            self.probs = _clamp_probs(probs)
            self._param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        self._lims = lims
        super().__init__(self._param.shape, validate_args=validate_args)

    def __getattr__(self, name):
        if name == "probs":  # grad enabled even under no_grad, as PyTorch's lazy_property
            with enable_grad():
                value = ops.sigmoid(self.__dict__["logits"])
        elif name == "logits":
            with enable_grad():
                p = _clamp_probs(self.__dict__["probs"])
                value = ops.log(p) - ops.log1p(-p)
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, ContinuousBernoulli, _instance)
        shape = tuple(batch_shape)
        new._lims = self._lims
        for name in ("probs", "logits"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(shape)
                new._param = new.__dict__[name]
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _outside_unstable_region(self):
        p = self.probs
        return ops.logical_or(p <= self._lims[0], p > self._lims[1])

    def _cut_probs(self):
        return ops.where(self._outside_unstable_region(), self.probs,
                         full_like(self.probs, self._lims[0]))

    def _cont_bern_log_norm(self):
        """log C(lambda) = log|log(1 - l) - log l| - log|1 - 2 l|; log 2 + 4x/3 + 104x^2/45
        (x = (l - 1/2)^2) near 1/2."""
        cut = self._cut_probs()
        below = ops.where(cut <= 0.5, cut, zeros_like(cut))
        above = ops.where(cut >= 0.5, cut, ones_like(cut))
        log_norm = ops.log(ops.abs(ops.log1p(-cut) - ops.log(cut))) - ops.where(
            cut <= 0.5, ops.log1p(-2.0 * below), ops.log(2.0 * above - 1.0))
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return ops.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / (ops.log1p(-cut) - ops.log(cut))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return ops.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return self.variance.sqrt()

    @property
    def variance(self):
        cut = self._cut_probs()
        var = (cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2)
               + 1.0 / (ops.log1p(-cut) - ops.log(cut)).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return ops.where(self._outside_unstable_region(), var, taylor)

    @property
    def param_shape(self):
        return self._param.shape

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), self.probs)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value.to(logits.dtype)) + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = ((cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0)
                / (2.0 * cut - 1.0))
        unbounded = ops.where(self._outside_unstable_region(), cdfs, value)
        return ops.where(value <= 0.0, zeros_like(value),
                         ops.where(value >= 1.0, ones_like(value), unbounded))

    def icdf(self, value):
        cut = self._cut_probs()
        inv = ((ops.log1p(-cut + value * (2.0 * cut - 1.0)) - ops.log1p(-cut))
               / (ops.log(cut) - ops.log1p(-cut)))
        return ops.where(self._outside_unstable_region(), inv, value)

    def entropy(self):
        log_p0 = ops.log1p(-self.probs)
        log_p1 = ops.log(self.probs)
        return self.mean * (log_p0 - log_p1) - self._cont_bern_log_norm() - log_p0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """log((e^x - 1) / x) for the natural parameter x = logit(lambda); its Taylor series
        x/2 + x^2/24 - x^4/2880 near 0."""
        lo, hi = self._lims[0] - 0.5, self._lims[1] - 0.5
        outside = ops.logical_or(x <= lo, x > hi)
        cut = ops.where(outside, x, full_like(x, lo))
        log_norm = ops.log(ops.abs(ops.expm1(cut))) - ops.log(ops.abs(cut))
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return ops.where(outside, log_norm, taylor)
