"""torch.linalg.vander / solve_ex, and torch.svd_lowrank / pca_lowrank.

The low-rank pair is PyTorch's randomized range finder (Halko et al. 2009, algorithm 5.1):
a seeded run draws the same Gaussian test matrix from the global generator as PyTorch, so it
returns PyTorch's approximation (not the exact truncated SVD) and leaves the generator where
PyTorch leaves it; built from differentiable ops (matmul, linalg.qr, linalg.svd).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..tensor import Tensor
from . import _linalg_common as C
from ._linalg_common import LinAlgError, return_type

SolveEx = return_type("linalg_solve_ex", ("result", "info"))


def vander(x: Tensor, *, N=None) -> Tensor:
    """Columns x^0, x^1, ..., x^(N-1) (increasing powers, unlike ``torch.vander``); batch
    dims kept. Built as PyTorch's: ones, then a cumulative product (CatBackward0)."""
    from .join_split import cat

    n = x.shape[-1] if x.dim() > 0 else 0
    n = n if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    col = x.unsqueeze(-1)
    powers = col.expand(*x.shape, n - 1).cumprod(-1)
    return cat([col.new_ones(col.shape), powers], -1)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False,
             out=None):
    """(X, info) with A X = B: info is LAPACK's getrf code per matrix (0: solved); a singular
    A gives LU's infinities/nans instead of raising unless ``check_errors``."""
    from .linalg_functions import solve

    try:
        x = solve(A, B, left=left)
    except LinAlgError as err:
        if check_errors:
            raise LinAlgError(str(err).replace("linalg.solve:", "linalg.solve_ex:", 1)) from None
        from .linalg_lu import getrf, permutation, solve_arrays
        from .linalg_solve import _singular_info

        a, b = A._data, B._data
        vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
        b = b[..., None] if vec else b
        lu, piv, _ = getrf(a)
        with np.errstate(all="ignore"):
            x = solve_arrays(lu, permutation(piv, a.shape[-1]), b, left, False)
        x = C.as_tensor(x[..., 0] if vec else x)
        return SolveEx(x, C.as_tensor(_singular_info(a).astype(np.int32)))
    return SolveEx(x, C.as_tensor(np.zeros(A._data.shape[:-2], np.int32)))


def _approximate_basis(A: Tensor, q: int, niter: int, M) -> Tensor:
    """Orthonormal Q (m, q) whose range approximates that of A - M: Q from A R for a Gaussian
    R (n, q), refined by niter power iterations, each re-orthonormalised by QR."""
    from .. import random as R
    from .linalg_functions import qr

    def times(X):  # (A - M) X without forming A - M
        return A @ X if M is None else A @ X - M @ X

    def times_t(X):
        return A.mT @ X if M is None else A.mT @ X - M.mT @ X

    dtype = A.dtype if A.is_floating_point() else D.get_default_dtype()
    Q = qr(times(R.randn(A.shape[-1], q, dtype=dtype))).Q
    for _ in range(niter):
        Q = qr(times(qr(times_t(Q)).Q)).Q
    return Q


def svd_lowrank(A: Tensor, q=6, niter: int = 2, M=None):
    """(U, S, V) approximating the q largest singular triplets of A - M; V, not Vh."""
    from .linalg_functions import svd

    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # the algorithm wants a tall matrix
        A, M = A.mT, (None if M is None else M.mT)
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mT @ A if M is None else Q.mT @ A - Q.mT @ M
    U, S, Vh = svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mT
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(A: Tensor, q=None, center: bool = True, niter: int = 2):
    """svd_lowrank of A with its column means taken out (``center``); q defaults to
    min(6, m, n)."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):  # PyTorch's test (a tensor q: bool() refuses)
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    return svd_lowrank(A - A.mean(-2, keepdim=True) if center else A, q, niter)
