"""Matrix constraints (square, symmetric, lower-triangular, Cholesky factors, positive
(semi)definite) and ``dependent_property``, named and printed as PyTorch's.

``check`` answers per matrix: a bool Tensor for a Tensor, a NumPy array for an array (the
form the distributions' argument checks pass)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .constraints import Constraint, _Dependent


def _as_array(value):
    data = getattr(value, "_data", None)
    return np.asarray(value if data is None else data)


class _MatrixConstraint(Constraint):
    """A check on the last two dims, written once on arrays."""

    event_dim = 2

    def _check(self, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def check(self, value):
        result = np.asarray(self._check(_as_array(value)), dtype=bool)
        if isinstance(value, Tensor):
            return Tensor._make(result, False, None)
        return result


class _Square(_MatrixConstraint):
    def _check(self, v):
        return np.full(v.shape[:-2], v.shape[-2] == v.shape[-1], dtype=bool)


class _Symmetric(_Square):
    """Square and equal to its transpose within atol 1e-6 (torch.isclose's test)."""

    def _check(self, v):
        square = super()._check(v)
        if not square.all():
            return square
        vt = np.swapaxes(v, -1, -2)
        close = np.abs(v - vt) <= 1e-6 + 1e-5 * np.abs(vt)
        close |= v == vt  # equal infinities
        return close.all(axis=(-2, -1))


class _PositiveSemidefinite(_Symmetric):
    def _check(self, v):
        sym = super()._check(v)
        if not sym.all():
            return sym
        return (np.linalg.eigvalsh(v) >= 0).all(-1)


def _cholesky_ok(v: np.ndarray) -> np.ndarray:
    """Whether each matrix has a Cholesky factor (the test PyTorch makes)."""
    batch = v.shape[:-2]
    flat = v.reshape((-1,) + v.shape[-2:])
    try:
        ok = np.isfinite(np.linalg.cholesky(flat)).all(axis=(-2, -1))
    except np.linalg.LinAlgError:
        ok = np.empty(flat.shape[0], dtype=bool)
        for i, m in enumerate(flat):  # one failed: find which, matrix by matrix
            try:
                ok[i] = np.isfinite(np.linalg.cholesky(m)).all()
            except np.linalg.LinAlgError:
                ok[i] = False
    return ok.reshape(batch)


class _PositiveDefinite(_Symmetric):
    def _check(self, v):
        sym = super()._check(v)
        if not sym.all():
            return sym
        return _cholesky_ok(v)


class _LowerTriangular(_MatrixConstraint):
    def _check(self, v):
        return (np.tril(v) == v).all(axis=(-2, -1))


class _LowerCholesky(_MatrixConstraint):
    """Lower-triangular with a positive diagonal."""

    def _check(self, v):
        low = (np.tril(v) == v).all(axis=(-2, -1))
        return low & (np.diagonal(v, axis1=-2, axis2=-1) > 0).all(-1)


class _CorrCholesky(_MatrixConstraint):
    """A lower Cholesky factor whose rows have unit norm (within 10 * D * eps)."""

    def _check(self, v):
        tol = float(np.finfo(v.dtype).eps) * v.shape[-1] * 10 if v.dtype.kind == "f" else 0.0
        unit = (np.abs(np.linalg.norm(v, axis=-1) - 1) <= tol).all(-1)
        return _LowerCholesky._check(self, v) & unit


class _DependentProperty(property, _Dependent):
    """A property whose value is a constraint built from the parameters (a support that
    moves with them); on the class it reads as ``dependent``."""

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        super().__init__(fn)
        self._is_discrete, self._event_dim = is_discrete, event_dim

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


dependent_property = _DependentProperty
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
