"""Counting distributions: Poisson, Binomial, Geometric, NegativeBinomial, Multinomial."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Size, Tensor
from . import constraints
from ._util import checked_instance, expand_binary, expand_params, new_uniform
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .normal import broadcast_all


def _const(arr, like):
    return Tensor._make(np.asarray(arr, dtype=like._data.dtype), False, None)


class _BinaryParams:
    """probs / logits derived from each other on first use (binary log-odds)."""

    def __getattr__(self, name):
        if name == "probs":  # grad enabled even under no_grad, as PyTorch's lazy_property
            with enable_grad():
                value = ops.sigmoid(self.__dict__["logits"])
        elif name == "logits":
            p = self.__dict__["probs"]
            eps = float(np.finfo(p._data.dtype).eps)
            with enable_grad():
                pc = ops.clamp(p, min=eps, max=1 - eps)
                value = pc.log() - ops.log1p(-pc)
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    def _set_param(self, probs, logits, total_count=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, param = ("probs", probs) if probs is not None else ("logits", logits)
        if total_count is None:
            (param,) = broadcast_all(param)
        else:
            count, param = broadcast_all(total_count, param)
            self.total_count = count.to(param.dtype)
        self.__dict__[name] = param
        self._param = param
        return param

    @property
    def param_shape(self):
        return self._param.shape


class Poisson(ExponentialFamily):  # as PyTorch (kl_divergence dispatch)
    """P(k) = rate^k e^-rate / k!."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Poisson, ("rate",), batch_shape, _instance)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def _sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        if min(shape, default=0) < 0:  # PyTorch's rate.expand(shape) refuses it
            self.rate.expand(shape)
        lam = np.broadcast_to(np.asarray(self.rate._data, np.float64), shape)
        from .._torch_rng_serial import poisson
        from ..random import _gen

        return _const(poisson(_gen(None), lam), self.rate)  # torch.poisson(rate.expand)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return ops.xlogy(value, rate) - rate - ops.lgamma(value + 1)

    def entropy(self):
        raise NotImplementedError  # as PyTorch: no closed form


def _clamp_by_zero(x):
    """max(x, 0) with gradient 1/2 at 0 (PyTorch's choice for the Binomial normaliser)."""
    return (ops.clamp(x, min=0) + x - ops.clamp(x, max=0)) / 2


class Binomial(_BinaryParams, Distribution):
    """P(k) = C(n, k) p^k (1 - p)^(n - k), n = total_count."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param = self._set_param(probs, logits, total_count)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_binary(self, Binomial, batch_shape, _instance, True)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def _sample(self, sample_shape=()):
        """torch.binomial(total_count.expand(shape), probs.expand(shape)): PyTorch's draws."""
        from .._torch_rng_binomial import sample
        from ..random import _gen

        shape = tuple(self._extended_shape(sample_shape))
        n = np.broadcast_to(np.asarray(self.total_count._data), shape)
        p = np.broadcast_to(np.asarray(self.probs._data), shape)
        return _const(sample(_gen(None).bits, n, p), self._param)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        norm = (n * _clamp_by_zero(logits) + n * ops.log1p(ops.exp(-logits.abs()))
                - ops.lgamma(n + 1))
        return value * logits - ops.lgamma(value + 1) - ops.lgamma(n - value + 1) - norm

    def _homogeneous_count(self, what):
        n = np.asarray(self.total_count._data)
        top = int(n.max())
        if not n.min() == top:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return top

    def entropy(self):
        self._homogeneous_count("entropy")
        logp = self.log_prob(self.enumerate_support(False))
        return -(logp.exp() * logp).sum(0)

    def enumerate_support(self, expand=True):
        top = self._homogeneous_count("enumerate_support")
        values = _const(np.arange(top + 1), self._param)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Geometric(_BinaryParams, Distribution):
    """P(k) = (1 - p)^k p, k = 0, 1, ... (failures before the first success)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = self._set_param(probs, logits)
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            bad = value._data <= 0
            if bad.any():
                raise ValueError(
                    f"Expected parameter probs ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of "
                    f"distribution {self!r} to be positive but found invalid values:\n"
                    f"{Tensor._make(np.asarray(value._data)[bad], False, None)}")

    def expand(self, batch_shape, _instance=None):
        return expand_binary(self, Geometric, batch_shape, _instance, False)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        from ..creation import zeros_like

        return zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def _sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = self.probs
        tiny = float(np.finfo(p._data.dtype).tiny)
        u = new_uniform(shape, tiny, 1.0, p)
        u = ops.clamp(u, min=tiny)
        return (u.log() / ops.log1p(-p)).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 at k = 0: 0 * log(0) is taken as 0
        probs = ops.where((probs == 1) & (value == 0), 0.0, probs)
        return value * ops.log1p(-probs) + self.probs.log()

    def entropy(self):
        from .bernoulli import _bce_with_logits

        return _bce_with_logits(self.logits, self.probs) / self.probs


class NegativeBinomial(_BinaryParams, Distribution):
    """Failures k before total_count successes, success probability 1 - probs per trial:
    P(k) = Gamma(r + k) / (k! Gamma(r)) probs^k (1 - probs)^r."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        param = self._set_param(probs, logits, total_count)
        super().__init__(param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_binary(self, NegativeBinomial, batch_shape, _instance, True)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / ops.sigmoid(-self.logits)

    def _sample(self, sample_shape=()):
        from .gamma import Gamma

        with no_grad():
            rate = Gamma(self.total_count, (-self.logits).exp(),
                         validate_args=False).sample(sample_shape)
            return Poisson(rate, validate_args=False).sample()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        from ..nn import functional as F

        r, logits = self.total_count, self.logits
        unnorm = r * F.logsigmoid(-logits) + value * F.logsigmoid(logits)
        norm = -ops.lgamma(r + value) + ops.lgamma(1.0 + value) + ops.lgamma(r)
        norm = ops.where(r + value == 0.0, 0.0, norm)
        return unnorm - norm

    def entropy(self):
        raise NotImplementedError


class Multinomial(Distribution):
    """Counts of total_count draws from a Categorical; event shape (K,)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Multinomial, _instance)
        batch_shape = Size(batch_shape)
        cat = self._categorical
        name = "probs" if "probs" in cat.__dict__ else "logits"
        shape = tuple(batch_shape) + (cat._num_events,)
        new.total_count = self.total_count
        new._categorical = Categorical(**{name: cat.__dict__[name].expand(shape)},
                                       validate_args=False)
        new._binomial = Binomial(self.total_count, probs=new.probs, validate_args=False)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def _sample(self, sample_shape=()):
        """PyTorch's rule: total_count Categorical draws (shape (n,) + sample_shape + batch),
        counted per category along a last axis that holds the draws."""
        draws = self._categorical.sample((self.total_count,) + tuple(sample_shape))._data
        draws = np.moveaxis(draws, 0, -1)
        k = self._categorical._num_events
        counts = (draws[..., None] == np.arange(k)).sum(-2)
        return _const(counts, self.probs)

    def entropy(self):
        n = float(self.total_count)
        term1 = n * self._categorical.entropy() - float(np.log(np.arange(1, n + 1)).sum())
        support = self._binomial.enumerate_support(expand=False)[1:]
        binom = self._binomial.log_prob(support).exp()
        return term1 + (binom * ops.lgamma(support + 1)).sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_n = ops.lgamma(value.sum(-1) + 1)
        log_xs = ops.lgamma(value + 1).sum(-1)
        logits = ops.where((value == 0) & ops.isinf(logits) & (logits < 0), 0.0, logits)
        return log_n - log_xs + (logits * value).sum(-1)
