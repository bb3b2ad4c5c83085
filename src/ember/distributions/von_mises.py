"""VonMises(loc, concentration = kappa): the circular normal on [-pi, pi),
p(x) = exp(kappa cos(x - loc)) / (2 pi I0(kappa)); sampled by Best and Fisher's rejection
method (no reparameterised gradient, as in PyTorch)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import Tensor
from . import constraints
from ._util import expand_params
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["VonMises"]

# Abramowitz & Stegun 9.8.1-9.8.4: polynomial approximations of I0 and I1, in (x/3.75)^2
# below 3.75 and, scaled by sqrt(x) e^-x, in 3.75/x above (relative error < 2e-7). PyTorch
# uses these, so the log-densities agree to rounding.
_SMALL = ((1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2),
          (0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3))
_LARGE = ((0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1,
           0.2635537e-1, -0.1647633e-1, 0.392377e-2),
          (0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1,
           0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2))


def _horner(y, coefs):
    result = coefs[-1]
    for c in reversed(coefs[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x: Tensor, order: int = 0) -> Tensor:
    """log I_order(x) for order 0 or 1, x > 0 (differentiable through the polynomials)."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    small = _horner((x / 3.75) ** 2, _SMALL[order])
    if order == 1:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _horner(3.75 / x, _LARGE[order]).log()
    return ops.where(x < 3.75, small.log(), large)


def _proposal_r(kappa: np.ndarray) -> np.ndarray:
    """Best and Fisher's r = (1 + rho^2) / (2 rho) (its series 1/kappa + kappa for tiny
    kappa, where rho's formula cancels)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
        rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
        r = (1 + rho ** 2) / (2 * rho)
        return np.where(kappa < 1e-5, 1 / kappa + kappa, r)


def _rejection_sample(loc: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Angles (float64) in [-pi, pi), PyTorch's loop: each round draws torch.rand((3,) +
    shape, float64) for every element, proposes f = cos of a wrapped Cauchy angle, and writes
    sign(u3 - 0.5) acos(f) wherever Best and Fisher's tests accept (a later acceptance
    overwrites an earlier one), until every element has accepted once."""
    from .. import _torch_rng as _T
    from ..random import _gen

    r = _proposal_r(kappa)
    x = np.zeros(loc.shape)
    done = np.zeros(loc.shape, dtype=bool)
    bits = _gen(None).bits
    while not done.all():
        u1, u2, u3 = _T.unit(bits, 3 * loc.size, np.float64).reshape((3,) + loc.shape)
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = (c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0)
            x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(f), x)
        done |= accept
    return np.mod(x + math.pi + loc, 2 * math.pi) - math.pi


class VonMises(Distribution):
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_params(self, VonMises, ("loc", "concentration"), batch_shape, _instance)

    def log_prob(self, value):
        """kappa cos(x - loc) - log(2 pi) - log I0(kappa)."""
        if self._validate_args:
            self._validate_sample(value)
        kappa = self.concentration
        return (kappa * ops.cos(value - self.loc) - math.log(2 * math.pi)
                - _log_modified_bessel_fn(kappa, order=0))

    def _sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        loc = np.broadcast_to(np.asarray(self.loc._data, np.float64), shape)
        kappa = np.broadcast_to(np.asarray(self.concentration._data, np.float64), shape)
        draws = _rejection_sample(loc, kappa)
        return Tensor._make(draws.astype(self.loc._data.dtype), False, None)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The circular variance 1 - I1(kappa) / I0(kappa)."""
        kappa = self.concentration
        return 1 - (_log_modified_bessel_fn(kappa, order=1)
                    - _log_modified_bessel_fn(kappa, order=0)).exp()
