"""Concrete / Gumbel-softmax relaxations: RelaxedBernoulli and RelaxedOneHotCategorical,
with their log-space bases LogitRelaxedBernoulli and ExpRelaxedCategorical."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..creation import full_like
from ..tensor import Size
from . import constraints
from ._util import checked_instance, expand_binary, rand
from .categorical import Categorical
from .continuous_more import check_params_all
from .discrete import _BinaryParams
from .distribution import Distribution
from .normal import broadcast_all
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform


def _clamp_probs(p):
    eps = float(np.finfo(p._data.dtype).eps)
    return ops.clamp(p, min=eps, max=1 - eps)


def _uniforms(shape, like):
    return _clamp_probs(rand(shape, like))


class LogitRelaxedBernoulli(_BinaryParams, Distribution):
    """x = (logit(u) + logits) / temperature, u ~ U(0, 1): the logit of a RelaxedBernoulli."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = False  # as PyTorch: rsample works, but the class does not declare it

    def _sample(self, sample_shape=()):
        return self.rsample(sample_shape)

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        param = self._set_param(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = expand_binary(self, LogitRelaxedBernoulli, batch_shape, _instance)
        new.temperature = self.temperature
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        probs = _clamp_probs(self.probs.expand(shape))
        u = _uniforms(shape, probs)
        return (u.log() - ops.log1p(-u) + probs.log() - ops.log1p(-probs)) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * ops.log1p(diff.exp())


class _Relaxed(TransformedDistribution):
    """A relaxed distribution: a transform of a base that holds temperature/logits/probs."""

    has_rsample = True

    def _check_params(self):
        check_params_all(self)

    def expand(self, batch_shape, _instance=None):
        # PyTorch's rule is checked against the public class (RelaxedBernoulli, ...), so a
        # user subclass with its own __init__ must define expand.
        family = next(c for c in type(self).__mro__ if _Relaxed in c.__bases__)
        new = checked_instance(self, family, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(_Relaxed):
    """sigmoid of a LogitRelaxedBernoulli: a reparameterisable relaxation on (0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)


class ExpRelaxedCategorical(Distribution):
    """log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel) / temperature)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def _check_params(self):
        check_params_all(self)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, ExpRelaxedCategorical, _instance)
        batch_shape = Size(batch_shape)
        new.temperature = self.temperature
        new._categorical = _expand_categorical(self._categorical, batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    def rsample(self, sample_shape=()):
        u = _uniforms(self._extended_shape(sample_shape), self.logits)
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        t = self.temperature
        log_scale = ops.lgamma(full_like(t, float(k))) + (k - 1) * t.log()
        score = logits - value * t
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale


def _expand_categorical(cat, batch_shape):
    return cat.expand(batch_shape)  # probs and logits, whichever exist, as PyTorch


class RelaxedOneHotCategorical(_Relaxed):
    """exp of an ExpRelaxedCategorical: the Gumbel-softmax relaxation on the simplex."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)
