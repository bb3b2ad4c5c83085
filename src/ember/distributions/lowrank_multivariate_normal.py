"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): Sigma = W W^T + diag(D).

Everything goes through the m x m capacitance matrix C = I + W^T D^-1 W and its Cholesky
factor, so no n x n matrix is factorised: log|Sigma| = log|C| + sum log D (matrix determinant
lemma) and x^T Sigma^-1 x = x^T D^-1 x - ||Lc^-1 W^T D^-1 x||^2 (Woodbury)."""

from __future__ import annotations

import math

import numpy as np

from .. import linalg, ops
from ..tensor import Size, Tensor
from . import constraints
from ._util import standard_normal
from .distribution import Distribution
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis


def _eye_plus(k: Tensor) -> Tensor:
    from ..creation import eye

    return k + eye(k.shape[-1], dtype=k.dtype)


def _capacitance_tril(w: Tensor, d: Tensor) -> Tensor:
    """Cholesky factor of I + W^T D^-1 W."""
    wt_dinv = w.mT / d.unsqueeze(-2)
    return linalg.cholesky(_eye_plus(wt_dinv @ w))


def _lowrank_logdet(d: Tensor, cap_tril: Tensor) -> Tensor:
    return 2 * cap_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + d.log().sum(-1)


def _expand_to(t: Tensor, batch: tuple) -> Tensor:
    return t.expand(batch + tuple(t.shape[-2:]))


def _lowrank_mahalanobis(w: Tensor, d: Tensor, x: Tensor, cap_tril: Tensor) -> Tensor:
    wt_dinv_x = ((w.mT / d.unsqueeze(-2)) @ x.unsqueeze(-1)).squeeze(-1)
    return (x.pow(2) / d).sum(-1) - _mahalanobis_bcast(cap_tril, wt_dinv_x)


def _mahalanobis_bcast(low: Tensor, v: Tensor) -> Tensor:
    batch = tuple(np.broadcast_shapes(tuple(low.shape[:-2]), tuple(v.shape[:-1])))
    return _batch_mahalanobis(_expand_to(low, batch), v.expand(batch + tuple(v.shape[-1:])))


def _solve_lower(low: Tensor, rhs: Tensor) -> Tensor:
    batch = tuple(np.broadcast_shapes(tuple(low.shape[:-2]), tuple(rhs.shape[:-2])))
    return linalg.solve_triangular(_expand_to(low, batch), _expand_to(rhs, batch), upper=False)


def _sq_frobenius(x: Tensor) -> Tensor:
    return x.pow(2).sum((-2, -1))


class LowRankMultivariateNormal(Distribution):
    """N(loc, W W^T + diag(D)) with W = cov_factor (n x m) and D = cov_diag (n,)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape "
                             f"{event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {Size(event_shape)}")
        try:
            full = np.broadcast_shapes(tuple(loc.shape) + (1,), tuple(cov_factor.shape),
                                       tuple(cov_diag.shape) + (1,))
        except ValueError as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor "
                             f"{cov_factor.shape}, cov_diag {cov_diag.shape}") from e
        full = tuple(full)
        self.loc = loc.expand(full[:-1])
        self.cov_factor = cov_factor.expand(full)
        self.cov_diag = cov_diag.expand(full[:-1])
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(full[:-2], event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        from ._util import checked_instance

        new = checked_instance(self, LowRankMultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        shape = batch_shape + tuple(self._event_shape)
        new.loc = self.loc.expand(shape)
        new.cov_diag = self.cov_diag.expand(shape)
        new.cov_factor = self.cov_factor.expand(shape + tuple(self.cov_factor.shape[-1:]))
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full(self, m: Tensor) -> Tensor:
        n = self._event_shape[0]
        return m.expand(tuple(self._batch_shape) + (n, n))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w.pow(2).sum(-1) + d).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @property
    def scale_tril(self):
        # Sigma = D^1/2 (I + D^-1/2 W W^T D^-1/2) D^1/2: factor the bracket, scale its rows
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        sqrt_d = d.sqrt().unsqueeze(-1)
        v = w / sqrt_d
        return self._full(sqrt_d * linalg.cholesky(_eye_plus(v @ v.mT)))

    @property
    def covariance_matrix(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self._full(w @ w.mT + ops.diag_embed(d))

    @property
    def precision_matrix(self):
        # Woodbury: Sigma^-1 = D^-1 - A^T A with A = Lc^-1 W^T D^-1
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        a = _solve_lower(self._capacitance_tril, w.mT / d.unsqueeze(-2))
        return self._full(ops.diag_embed(d.reciprocal()) - a.mT @ a)

    def rsample(self, sample_shape=()):
        """loc + W eps_m + sqrt(D) eps_n with independent standard normal eps."""
        shape = self._extended_shape(sample_shape)
        w = self._unbroadcasted_cov_factor
        eps_w = standard_normal(shape[:-1] + tuple(w.shape[-1:]), self.loc)
        eps_d = standard_normal(shape, self.loc)
        return (self.loc + (w @ eps_w.unsqueeze(-1)).squeeze(-1)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = _lowrank_mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                                 value - self.loc, self._capacitance_tril)
        log_det = _lowrank_logdet(self._unbroadcasted_cov_diag, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + log_det + m)

    def entropy(self):
        log_det = _lowrank_logdet(self._unbroadcasted_cov_diag, self._capacitance_tril)
        h = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        return h.expand(tuple(self._batch_shape)) if self._batch_shape else h


_SHAPE_MSG = ("KL-divergence between two {}Multivariate Normals with" + " " * 26 +
              "different event shapes cannot be computed")


def _woodbury_a(q: LowRankMultivariateNormal) -> Tensor:
    """A = Lc^-1 W^T D^-1, so that Sigma_q^-1 = D^-1 - A^T A."""
    w, d = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    return _solve_lower(q._capacitance_tril, w.mT / d.unsqueeze(-2))


def _lowrank_q_terms(p_sqrt_cov: Tensor, q: LowRankMultivariateNormal) -> Tensor:
    """tr(Sigma_q^-1 S S^T) for any square root S of Sigma_p (n x k)."""
    d = q._unbroadcasted_cov_diag
    return (_sq_frobenius(p_sqrt_cov * d.rsqrt().unsqueeze(-1))
            - _sq_frobenius(_woodbury_a(q) @ p_sqrt_cov))


def _q_common(p, q):
    logdet_q = _lowrank_logdet(q._unbroadcasted_cov_diag, q._capacitance_tril)
    maha = _lowrank_mahalanobis(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag,
                                q.loc - p.loc, q._capacitance_tril)
    return logdet_q, maha


def kl_lowrank_lowrank(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(_SHAPE_MSG.format("Low Rank "))
    logdet_q, maha = _q_common(p, q)
    logdet_p = _lowrank_logdet(p._unbroadcasted_cov_diag, p._capacitance_tril)
    w_p, d_p = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    # Sigma_p = W_p W_p^T + diag(D_p): the trace splits into a W_p part and a D_p part
    d_q = q._unbroadcasted_cov_diag
    a = _woodbury_a(q)
    tr = ((d_p / d_q).sum(-1) + _sq_frobenius(w_p * d_q.rsqrt().unsqueeze(-1))
          - _sq_frobenius(a * d_p.sqrt().unsqueeze(-2)) - _sq_frobenius(a @ w_p))
    return 0.5 * (logdet_q - logdet_p + tr + maha - p.event_shape[0])


def kl_mvn_lowrank(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(_SHAPE_MSG.format("(Low Rank) "))
    logdet_q, maha = _q_common(p, q)
    lp = p._unbroadcasted_scale_tril
    tr = _lowrank_q_terms(lp, q)
    return 0.5 * (logdet_q - 2 * p._half_log_det() + tr + maha - p.event_shape[0])


def kl_lowrank_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(_SHAPE_MSG.format("(Low Rank) "))
    lq = q._unbroadcasted_scale_tril
    logdet_p = _lowrank_logdet(p._unbroadcasted_cov_diag, p._capacitance_tril)
    w_p, d_p = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    tr = (_sq_frobenius(_solve_lower(lq, w_p))
          + _sq_frobenius(_solve_lower(lq, ops.diag_embed(d_p.sqrt()))))
    maha = _mahalanobis_bcast(lq, q.loc - p.loc)
    return 0.5 * (2 * q._half_log_det() - logdet_p + tr + maha - p.event_shape[0])


_ = MultivariateNormal  # the KL pairs are registered in kl.py's table by kl_more
