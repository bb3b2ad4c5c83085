"""Transforms onto matrices and through a distribution's CDF (PyTorch's names): CorrCholesky,
LowerCholesky, PositiveDefinite, CumulativeDistribution."""

from __future__ import annotations

import math

from .. import linalg, ops
from ..creation import eye
from ..tensor import Size
from . import constraints
from .transforms import Transform, _dtype_finfo
from .utils import tril_matrix_to_vec, vec_to_tril_matrix

__all__ = ["CorrCholeskyTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "CumulativeDistributionTransform"]


def _shift_right(t):
    """t[..., :-1] with a column of ones in front (the empty product before row entry 0)."""
    ones = t.new_ones(tuple(t.shape[:-1]) + (1,))
    return ops.cat([ones, t[..., :-1]], -1)


class CorrCholeskyTransform(Transform):
    """R^(D(D-1)/2) -> Cholesky factors of correlation matrices. Each x_i goes through tanh
    to a partial correlation r in (-1, 1), placed below the diagonal row by row; row i of
    the factor is y_ij = r_ij sqrt(prod_{k<j} (1 - r_ik^2)), with y_ii = sqrt(prod (1 - r^2))
    so that the row has unit norm (stick breaking on the squared norm).
    log|det J| = sum over the strictly lower entries below the first column of
    0.5 log(1 - sum_{k<=j} y_ik^2), plus sum log(1 - tanh(x)^2)."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        eps = float(_dtype_finfo(x).eps)
        r = vec_to_tril_matrix(ops.clamp(x.tanh(), min=-1 + eps, max=1 - eps), diag=-1)
        stick = (1 - r * r).sqrt().cumprod(-1)
        identity = eye(r.shape[-1], dtype=r.dtype)
        return (r + identity) * _shift_right(stick)

    def _inverse(self, y):
        remaining = _shift_right(1 - (y * y).cumsum(-1))
        t = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(remaining, diag=-1).sqrt()
        return (ops.log1p(t) - ops.log1p(-t)) / 2  # atanh

    def log_abs_det_jacobian(self, x, y):
        remaining = tril_matrix_to_vec(1 - (y * y).cumsum(-1), diag=-2)
        stick_logdet = 0.5 * remaining.log().sum(-1)
        tanh_logdet = -2 * (x + ops.softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_logdet + tanh_logdet

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return Size(tuple(shape[:-1]) + (d, d))

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return Size(tuple(shape[:-2]) + (d * (d - 1) // 2,))


class LowerCholeskyTransform(Transform):
    """Square matrices -> lower-triangular with a positive diagonal: keeps the strictly lower
    part and exponentiates the diagonal (the upper part is dropped, so not bijective)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.tril(-1) + ops.diag_embed(x.diagonal(dim1=-2, dim2=-1).exp())

    def _inverse(self, y):
        return y.tril(-1) + ops.diag_embed(y.diagonal(dim1=-2, dim2=-1).log())


class PositiveDefiniteTransform(Transform):
    """Square matrices -> positive definite ones: L L^T with L = LowerCholeskyTransform(x);
    the inverse takes the Cholesky factor back through LowerCholesky's inverse."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        low = LowerCholeskyTransform()(x)
        return low @ low.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(linalg.cholesky(y))


class CumulativeDistributionTransform(Transform):
    """y = F(x), the CDF of ``distribution``: its support -> [0, 1], increasing;
    log|dy/dx| = log p(x), the log-density."""

    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def __init__(self, distribution, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)
