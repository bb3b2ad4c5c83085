"""Normal(loc, scale): sampling, reparameterised sampling, log-density and entropy."""

from __future__ import annotations

import math

from .. import _torch_rng as _T, ops, random as _R
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all  # noqa: F401  (the families import it from here too)


class Normal(ExponentialFamily):  # as PyTorch (kl_divergence dispatch)
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def sample(self, sample_shape=()):
        """PyTorch's rule: ``normal(loc.expand(shape), scale.expand(shape))`` without grad (a
        standard normal per element, times scale, plus loc)."""
        shape = self._extended_shape(sample_shape)
        if min(shape, default=0) < 0:  # PyTorch's loc.expand(shape) refuses it
            self.loc.expand(shape)
        loc, scale = self.loc._data, self.scale._data
        gen = _R._gen(None)
        z = _T.normal(gen, gen.bits, _R._numel(shape), 0.0, 1.0, loc.dtype).reshape(shape)
        z *= scale  # normal_(0, 1), then mul_(std), then add_(mean): each rounded
        z += loc
        return Tensor._make(z, False, None)

    def rsample(self, sample_shape=()):
        """loc + eps * scale with eps = ``_standard_normal(shape)`` (``normal_()`` on an empty
        tensor of loc's dtype), as PyTorch: differentiable in loc and scale."""
        from ._util import standard_normal

        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(
            math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + ops.log(self.scale)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ops.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * ops.erfinv(2 * value - 1) * math.sqrt(2)

    def expand(self, batch_shape, _instance=None):
        from ._util import expand_params

        return expand_params(self, Normal, ("loc", "scale"), batch_shape, _instance)
