"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril): every quantity
is computed from the lower Cholesky factor L of the covariance (Sigma = L L^T)."""

from __future__ import annotations

import math

import numpy as np

from .. import linalg
from ..autograd.grad_mode import enable_grad
from ..ops.shape_more import broadcast_shapes
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution


# PyTorch's constraint objects, so that biject_to/transform_to and `is` comparisons see them
real_vector = constraints.real_vector
positive_definite = constraints.positive_definite
lower_cholesky = constraints.lower_cholesky


def _batch_mahalanobis(low: Tensor, diff: Tensor) -> Tensor:
    """||L^-1 diff||^2 over the last dim (the batch dims of L and diff broadcast)."""
    z = linalg.solve_triangular(low, diff.unsqueeze(-1), upper=False).squeeze(-1)
    return z.pow(2).sum(-1)


def _precision_to_scale_tril(p: Tensor) -> Tensor:
    """L with L L^T = P^-1, via the Cholesky factor of P with its rows and columns reversed."""
    lf = linalg.cholesky(p.flip((-2, -1)))
    l_inv = lf.flip((-2, -1)).mT
    from ..creation import eye

    return linalg.solve_triangular(l_inv, eye(p.shape[-1], dtype=p.dtype), upper=False)


class MultivariateNormal(Distribution):
    """N(loc, Sigma) over vectors (event_shape = loc's last dim); exactly one of
    covariance_matrix, precision_matrix, scale_tril gives Sigma."""

    arg_constraints = {"loc": real_vector, "covariance_matrix": positive_definite,
                       "precision_matrix": positive_definite, "scale_tril": lower_cholesky}
    support = real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            what = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{what} must be at least two-dimensional, with optional leading "
                             "batch dimensions")
        batch_shape = tuple(broadcast_shapes(matrix.shape[:-2], loc.shape[:-1]))
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        new = MultivariateNormal.__new__(MultivariateNormal)
        batch_shape = tuple(batch_shape)
        event = tuple(self._event_shape)
        new.loc = self.loc.expand(batch_shape + event)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + event + event))
        Distribution.__init__(new, batch_shape, event, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full(self, m: Tensor) -> Tensor:
        n = self._event_shape[0]
        return m.expand(tuple(self._batch_shape) + (n, n))

    def __getattr__(self, name):
        # covariance_matrix / precision_matrix / scale_tril not given: derived from L on first
        # use and kept, as PyTorch's lazy properties (repr then lists them too)
        low = self.__dict__.get("_unbroadcasted_scale_tril")
        if low is None:
            raise AttributeError(name)
        if name not in ("scale_tril", "covariance_matrix", "precision_matrix"):
            raise AttributeError(f"'MultivariateNormal' object has no attribute '{name}'")
        with enable_grad():  # even under no_grad: the cached value keeps its graph
            if name == "scale_tril":
                value = self._full(low)
            elif name == "covariance_matrix":
                value = self._full(low @ low.mT)
            else:
                from ..ops.linalg_functions import cholesky_inverse

                value = self._full(cholesky_inverse(low))
        self.__dict__[name] = value
        return value

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        low = self._unbroadcasted_scale_tril
        return low.pow(2).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        """loc + L eps with eps = ``_standard_normal(shape)`` (``normal_()`` on an empty tensor
        of loc's dtype), as PyTorch: differentiable in loc and L."""
        from ._util import standard_normal

        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape)) if self._batch_shape else h


def kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    """KL(p || q) = log|Lq|/|Lp| + (||Lq^-1 Lp||_F^2 + ||Lq^-1 (mu_q - mu_p)||^2 - n) / 2."""
    if p.event_shape != q.event_shape:
        # PyTorch's message, with the run of spaces its source line continuation leaves
        raise ValueError("KL-divergence between two Multivariate Normals with" + " " * 26 +
                         "different event shapes cannot be computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = q._half_log_det() - p._half_log_det()
    n = p.event_shape[0]
    batch = tuple(np.broadcast_shapes(tuple(lq.shape[:-2]), tuple(lp.shape[:-2])))
    x = linalg.solve_triangular(lq.expand(batch + (n, n)), lp.expand(batch + (n, n)),
                                upper=False)
    term2 = x.pow(2).sum((-2, -1))
    term3 = _batch_mahalanobis(lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)
