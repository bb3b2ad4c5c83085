"""Dirichlet(concentration) on the simplex, sampled as normalised Gamma draws."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from . import constraints
from ._util import expand_params
from .exp_family import ExponentialFamily
from .._torch_rng_serial import standard_gamma as standard_gamma_draws
from ..autograd.function import Primitive
from ..random import _gen
from ._reparam_grads import dirichlet_grad, torch_row_sum


class DirichletSample(Primitive):
    """x = G / sum(G), G_i ~ Gamma(alpha_i) drawn in float64 (PyTorch's _sample_dirichlet).
    Backward as PyTorch: the marginal x_i ~ Beta(alpha_i, T - alpha_i) (T = sum alpha) moves
    with dx_i/dalpha_i (the rest held fixed, CDF value held fixed) and the other components
    shrink in proportion: dx_k/dalpha_i = D_i (delta_ik - x_k), D_i = (dx_i/dalpha_i)/(1-x_i),
    so grad alpha = D * (g - sum(x * g)); D by PyTorch's approximations (_dirichlet_grad) at
    the returned x and T summed in alpha's dtype."""

    node_name = "_DirichletBackward"

    @staticmethod
    def forward(ctx, alpha):
        g = standard_gamma_draws(_gen(None), alpha, double_alpha=True)
        fi = np.finfo(alpha.dtype)  # clamped into [tiny, 1 - eps/2] after rounding
        x = np.clip((g / torch_row_sum(g)).astype(alpha.dtype), fi.tiny, 1 - fi.epsneg)
        if any(ctx.needs_input_grad):  # sums in PyTorch's order: psi(total) amplifies an ulp
            ctx.x = x
            ctx.d = dirichlet_grad(x, alpha, torch_row_sum(np.ascontiguousarray(alpha)))
        return x

    @staticmethod
    def backward(ctx, g):
        return (ctx.d * (g - torch_row_sum(ctx.x * g)),)


class Dirichlet(ExponentialFamily):  # as PyTorch (kl_divergence dispatch)
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, Dirichlet, ("concentration",), batch_shape, _instance,
                             event_shape=self.event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return DirichletSample.apply(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (ops.xlogy(c - 1.0, value).sum(-1) + ops.lgamma(c.sum(-1))
                - ops.lgamma(c).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """(c - 1)+ normalised; where every c < 1, the first vertex (PyTorch's argmax of a
        row of nan)."""
        cm1 = ops.clamp(self.concentration - 1, min=0.0)
        mode = cm1 / cm1.sum(-1, keepdim=True)
        k = self.concentration.shape[-1]
        vertex = Tensor._make(np.eye(1, k, dtype=mode._data.dtype)[0], False, None)
        low = (self.concentration < 1).all(-1, keepdim=True)
        return ops.where(low, vertex, mode)

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (ops.lgamma(c).sum(-1) - ops.lgamma(a0) - (k - a0) * ops.digamma(a0)
                - ((c - 1.0) * ops.digamma(c)).sum(-1))
