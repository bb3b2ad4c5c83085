"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): the distribution of
sum_{k<df} x_k x_k^T for x_k ~ N(0, Sigma), over positive definite p x p matrices; drawn by
Bartlett's decomposition (reparameterised through the Chi2 diagonal)."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import linalg, ops
from ..creation import arange, eye
from ..tensor import Size, Tensor
from . import constraints
from ._util import checked_instance, noise, standard_normal
from .continuous_more import Chi2
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """sum_{i<p} digamma(x - i/2), the derivative of mvlgamma(x, p)."""
    if not bool((x > (p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    steps = arange(p, dtype=x.dtype) / 2
    return ops.digamma(x.unsqueeze(-1) - steps).sum(-1)


class Wishart(ExponentialFamily):
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")
        name, param = given[0]
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = Size(param.shape[:-2])
            self.df = Tensor._make(np.asarray(df, param._data.dtype), False, None)
        else:
            batch_shape = Size(np.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        event_shape = Size(param.shape[-2:])
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(tuple(batch_shape) + (-1, -1)))
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to "
                          "occur for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(param)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(param)
        self._dist_chi2 = self._chi2()

    def _chi2(self):
        """Bartlett's diagonal: A_ii^2 ~ Chi2(df - i)."""
        p = self._event_shape[-1]
        steps = arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        return Chi2(df=self.df.unsqueeze(-1) - steps.expand(tuple(self._batch_shape) + (-1,)))

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Wishart, _instance)
        batch_shape = Size(batch_shape)
        shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._dist_chi2 = new._chi2()
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        low = self._unbroadcasted_scale_tril
        return (low @ low.mT).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        low = self._unbroadcasted_scale_tril
        identity = eye(self._event_shape[-1], dtype=low.dtype)
        return ops.cholesky_solve(identity, low).expand(self._batch_shape + self._event_shape)

    def _per_batch(self, t: Tensor) -> Tensor:
        return t.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._per_batch(self.df) * self.covariance_matrix

    @property
    def mode(self):
        """(df - p - 1) Sigma, nan where df <= p + 1."""
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = ops.where(factor <= 0, float("nan"), factor)
        return self._per_batch(factor) * self.covariance_matrix

    @property
    def variance(self):
        """Var(W_ij) = df (Sigma_ij^2 + Sigma_ii Sigma_jj)."""
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        return self._per_batch(self.df) * (cov.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=()):
        """L A A^T L^T, A lower-triangular: sqrt(Chi2(df - i)) on the diagonal (clamped at
        eps), standard normals below it, drawn as PyTorch draws them (the Chi2 first, then
        one randn for the p (p - 1) / 2 entries below the diagonal, row by row)."""
        p = self._event_shape[-1]
        sample_shape = tuple(sample_shape)
        root = ops.clamp(self._dist_chi2.rsample(sample_shape).sqrt(),
                         min=float(np.finfo(self.df._data.dtype).eps))
        lead = sample_shape + tuple(self._batch_shape)
        below = np.zeros(lead + (p, p), root._data.dtype)
        if p > 1:
            below[(Ellipsis,) + np.tril_indices(p, -1)] = standard_normal(
                lead + (p * (p - 1) // 2,), root)._data
        bartlett = ops.diag_embed(root) + noise(below, root)
        chol = self._unbroadcasted_scale_tril @ bartlett
        return chol @ chol.mT

    def _ok(self, sample: Tensor) -> np.ndarray:
        """Per leading index (rows of ``sample``): whether each batch member's draw passes
        the support check, as (rows, batch members)."""
        ok = np.asarray(self.support.check(np.asarray(sample._data)))
        return ok.reshape(ok.shape[0], -1)

    def rsample(self, sample_shape=(), max_try_correction=None):
        """Bartlett draws, redrawn as PyTorch 2.13 redraws them (so the numbers are its
        numbers): its first pass reads the support check the wrong way round, so every sample
        index with a positive definite member is drawn a second time and kept; then indices
        with a singular member are redrawn (up to ``max_try_correction`` = 10 times). The
        warning is given only when a draw was truly singular (PyTorch warns every time)."""
        max_try = 10 if max_try_correction is None else max_try_correction
        shape = tuple(Size(sample_shape))
        rest = tuple(self._batch_shape) + tuple(self._event_shape)
        rows = int(np.prod(shape, dtype=np.int64))
        sample = self._bartlett_sampling((rows,)).reshape((rows,) + rest)
        ok = self._ok(sample)
        singular_seen = not ok.all()
        redo = ok.any(-1)
        if redo.any():
            for _ in range(max_try):
                where = np.flatnonzero(redo)
                fresh = self._bartlett_sampling((where.size,))
                slot = np.zeros(rows, np.int64)
                slot[where] = np.arange(where.size)
                mask = Tensor._make(redo.reshape((rows,) + (1,) * len(rest)), False, None)
                sample = ops.where(mask, fresh[Tensor._make(slot, False, None)], sample)
                bad = ~self._ok(fresh).all(-1)
                singular_seen = singular_seen or bool(bad.any())
                redo[where] = bad
                if not redo.any():
                    break
        if singular_seen:
            warnings.warn("Singular sample detected.", stacklevel=2)
        return sample.reshape(shape + rest)

    def log_prob(self, value):
        """-df (p log 2 / 2 + log|L|) - mvlgamma(df/2, p) + (df - p - 1)/2 log|X|
        - tr(Sigma^-1 X) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        low = self._unbroadcasted_scale_tril
        half_log_det = low.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = ops.cholesky_solve(value, low).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + half_log_det) - ops.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + half_log_det) + ops.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + ops.mvlgamma(y + (p + 1) / 2, p))
