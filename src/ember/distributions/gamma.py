"""Gamma(concentration, rate), with implicitly reparameterised samples."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..autograd.function import Primitive
from ..tensor import Tensor
from . import constraints
from ._gamma_math import gamma_log_density64, gammainc64, standard_gamma_grad64
from ._reparam_grads import standard_gamma_grad
from .._torch_rng_serial import standard_gamma as standard_gamma_draws
from ..random import _gen
from ._util import expand_params
from .exp_family import ExponentialFamily
from .normal import broadcast_all


class StandardGamma(Primitive):
    """x ~ Gamma(alpha, 1), clamped below at finfo.tiny (as PyTorch);
    dx/dalpha = -(dF/dalpha) / p(x), F the Gamma CDF (the implicit reparameterisation
    gradient, by PyTorch's approximations at the drawn x, kept as a constant)."""

    node_name = "StandardGammaBackward0"

    @staticmethod
    def forward(ctx, alpha):
        x = standard_gamma_draws(_gen(None), alpha)
        if any(ctx.needs_input_grad):
            ctx.dx = standard_gamma_grad(alpha, x)
        return x

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.dx,)


class Gammainc(Primitive):
    """P(a, x), the regularised lower incomplete gamma function.
    dP/dx = p(x; a) = x^(a-1) e^-x / Gamma(a);  dP/da = -p(x; a) * dx/da (see _gamma_math)."""

    node_name = "SpecialGammaincBackward0"

    @staticmethod
    def forward(ctx, a, x):
        a64, x64 = np.asarray(a, np.float64), np.asarray(x, np.float64)
        dtype = np.result_type(a, x)
        if any(ctx.needs_input_grad):
            dens = np.exp(gamma_log_density64(x64, a64))
            ctx.dx = dens.astype(dtype)
            if ctx.needs_input_grad[0]:
                ctx.da = (-dens * standard_gamma_grad64(x64, a64)).astype(dtype)
        return gammainc64(a64, x64).astype(dtype)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (g * ctx.da if need[0] else None, g * ctx.dx if need[1] else None)


def standard_gamma(alpha: Tensor) -> Tensor:
    return StandardGamma.apply(alpha)


class Gamma(ExponentialFamily):  # as PyTorch (kl_divergence dispatch)
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Gamma, ("concentration", "rate"), batch_shape, _instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ops.clamp((self.concentration - 1) / self.rate, min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return ops.xlogy(c, r) + ops.xlogy(c - 1, value) - r * value - ops.lgamma(c)

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + ops.lgamma(c) + (1.0 - c) * ops.digamma(c)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c, x = broadcast_all(self.concentration, self.rate * value)
        return Gammainc.apply(c, x)
