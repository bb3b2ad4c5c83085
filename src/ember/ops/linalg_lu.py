"""LU with partial pivoting (LAPACK's getrf, in NumPy) and the primitives built on it:
lu_factor, lu_solve and the legacy triangular_solve, each with PyTorch's derivative.

A = P L U: L unit lower triangular (m x k), U upper triangular (k x n), k = min(m, n); the
factorization is stored as one matrix LU (L below the diagonal, U on and above it) and the
row interchanges as 1-based ``pivots`` (row j was swapped with row pivots[j] at step j).
Backward rules run on arrays, and on Tensors under ``create_graph=True`` (every call in
them is an op that records), so double backward works.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from . import _linalg_common as C
from ._linalg_common import mT
from .linalg_solve import _tri_solve, _tri_solve_arrays


# ---- the factorization on arrays ----

def getrf(a: np.ndarray, block: int = 32):
    """(LU, pivots, info) for every matrix of a batch, as LAPACK's dgetrf computes them: the
    pivot is the first entry of largest magnitude in its column; a zero column is left
    unscaled and its 1-based step recorded in info (the first such step only). Panels of
    ``block`` columns are factored column by column (dgetf2), the rest of the matrix is then
    updated with one triangular solve and one matrix product per panel (BLAS-3)."""
    lu = np.array(a, order="C", copy=True)  # C order: flat below is a view of it
    batch, (m, n) = lu.shape[:-2], lu.shape[-2:]
    k = min(m, n)
    count = int(np.prod(batch))
    flat = lu.reshape((count, m, n))
    piv = np.empty((count, k), np.int32)
    info = np.zeros(count, np.int32)
    tiny = np.finfo(lu.dtype).tiny
    with np.errstate(all="ignore"):
        for j0 in range(0, k, block):
            end = min(j0 + block, k)
            for j in range(j0, end):
                _step(flat, j, end, piv, info, tiny)
            if end < n:  # U12 = L11^-1 A12, then A22 -= L21 U12
                l11 = np.tril(flat[:, j0:end, j0:end], -1) + np.eye(end - j0, dtype=lu.dtype)
                u12 = flat[:, j0:end, end:] = np.linalg.solve(l11, flat[:, j0:end, end:])
                flat[:, end:, end:] -= np.matmul(flat[:, end:, j0:end], u12)
    return lu, piv.reshape(batch + (k,)), info.reshape(batch)


def _step(flat, j: int, end: int, piv, info, tiny) -> None:
    """Column j of dgetf2 on every matrix: pivot, swap whole rows, scale, then the rank-1
    update of the panel's columns (up to ``end``)."""
    m = flat.shape[1]
    p = j + np.argmax(np.abs(flat[:, j:, j]), axis=1)
    piv[:, j] = p + 1
    moved = np.flatnonzero(p != j)
    if moved.size:
        q = p[moved]
        top = flat[moved, j].copy()
        flat[moved, j] = flat[moved, q]
        flat[moved, q] = top
    pivot = flat[:, j, j:j + 1]
    ok = np.abs(pivot) >= tiny
    if j + 1 < m:  # LAPACK multiplies by the reciprocal unless it would overflow
        col = flat[:, j + 1:, j]
        if ok.all():
            col *= 1 / pivot
        else:
            col[...] = np.where(pivot == 0, col, np.where(ok, col * (1 / pivot), col / pivot))
    if not ok.all():
        info[(pivot[:, 0] == 0) & (info == 0)] = j + 1
    if j + 1 < end:
        flat[:, j + 1:, j + 1:end] -= flat[:, j + 1:, j:j + 1] * flat[:, j:j + 1, j + 1:end]


def permutation(pivots: np.ndarray, m: int) -> np.ndarray:
    """perm with (P^T A)[i] = A[perm[i]]: the pivots' row swaps applied in order."""
    batch, k = pivots.shape[:-1], pivots.shape[-1]
    count = int(np.prod(batch))
    flat = pivots.reshape((count, k)).astype(np.int64) - 1
    perm = np.broadcast_to(np.arange(m), (count, m)).copy()
    rows = np.arange(count)
    for j in range(k):
        p = flat[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(batch + (m,))


def perm_matrix(perm: np.ndarray, dtype) -> np.ndarray:
    """P (A = P L U) from perm: P[perm[i], i] = 1."""
    m = perm.shape[-1]
    return (perm[..., None, :] == np.arange(m)[:, None]).astype(dtype)


def split_lu(lu):
    """(L, U) from the packed LU, on arrays or Tensors (where they record)."""
    m, n = np.shape(lu)[-2:]
    k = min(m, n)
    eye = np.eye(m, k, dtype=C.np_dtype(lu))
    return C.tril(lu[..., :, :k], -1) + eye, C.triu(lu[..., :k, :])


# ---- helpers on arrays or Tensors ----

def _rows(x, perm, pmat):
    """x[..., perm, :] (batch dims broadcast): a gather on arrays (no 0 * inf terms), a
    product with the 0/1 matrix ``pmat`` (= P^T for perm) on Tensors, so that it records."""
    if type(x) is not np.ndarray:
        return np.matmul(pmat, x)
    batch = np.broadcast_shapes(perm.shape[:-1], x.shape[:-2])
    x = np.broadcast_to(x, batch + x.shape[-2:])
    idx = np.broadcast_to(perm[..., :, None], batch + (perm.shape[-1], x.shape[-1]))
    return np.take_along_axis(x, idx, -2)


def _inverse(perm: np.ndarray) -> np.ndarray:
    return np.argsort(perm, axis=-1)


def solve_arrays(lu, perm, b, left: bool, adjoint: bool):
    """X with A X = B (A^T X = B when adjoint; X A = B, X A^T = B when not left)."""
    if not left:
        return mT(solve_arrays(lu, perm, mT(b), True, not adjoint))
    if not adjoint:  # L U X = P^T B
        y = _tri_solve_arrays(lu, _rows(b, perm, None), False, True, True)
        return _tri_solve_arrays(lu, y, True, True, False)
    y = _tri_solve_arrays(mT(lu), b, False, True, False)  # U^T L^T (P^T X) = B
    z = _tri_solve_arrays(mT(lu), y, True, True, True)
    return _rows(z, _inverse(perm), None)


def _solve(lu, perm, b, left: bool, adjoint: bool):
    if type(lu) is np.ndarray and type(b) is np.ndarray:
        return solve_arrays(lu, perm, b, left, adjoint)
    return LuSolve.apply(C.as_tensor(lu) if type(lu) is np.ndarray else lu,
                         C.as_tensor(b) if type(b) is np.ndarray else b, perm, left, adjoint)


def lu_backward(gl, gu, low, up, inv_perm, p_mat):
    """PyTorch's linalg_lu_backward (A = P L U): the gradient of A from those of L and U."""
    m, k = np.shape(low)[-2:]
    n = np.shape(up)[-1]
    if m == n:
        ga = C.tril(np.matmul(mT(low), gl), -1) + C.triu(np.matmul(gu, mT(up)))
        ga = _tri_solve(mT(up), ga, False, False)
        ga = _tri_solve(mT(low), ga, True, True, True)
    elif m < n:  # wide: U = [U1 | U2]
        ga = np.matmul(mT(low), gl) - np.matmul(C.triu(gu), mT(up))
        ga = _tri_solve(mT(up[..., :, :k]), C.tril(ga, -1), False, False)
        ga = np.concatenate([ga + C.triu(gu[..., :, :k]), gu[..., :, k:]], axis=-1)
        ga = _tri_solve(mT(low), ga, True, True, True)
    else:  # tall: L = [L1; L2]
        ga = np.matmul(gu, mT(up)) - np.matmul(mT(low), C.tril(gl, -1))
        ga = _tri_solve(mT(low[..., :k, :]), C.triu(ga), True, True, True)
        ga = np.concatenate([ga + C.tril(gl[..., :k, :], -1), gl[..., k:, :]], axis=-2)
        ga = _tri_solve(mT(up), ga, False, False)
    return _rows(ga, inv_perm, p_mat)


# ---- primitives ----

class LuFactor(Primitive):
    """LU = packed (L, U) of A = P L U, computed by the caller (``lu``);
    with gL = g[..., :, :k] and gU = g[..., :k, :]: dL/dA = lu_backward(gL, gU)."""

    node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, a, lu, perm):
        ctx.perm = perm
        ctx.save_for_backward(lu)
        return lu

    @staticmethod
    def backward(ctx, g):
        (lu,) = ctx.saved_tensors
        m, n = np.shape(lu)[-2:]
        k = min(m, n)
        if m == 0 or n == 0:
            return np.zeros_like(g), None, None
        low, up = split_lu(lu)
        inv = _inverse(ctx.perm)
        p_mat = perm_matrix(ctx.perm, C.np_dtype(lu))  # P, for P @ ga on Tensors
        return lu_backward(g[..., :, :k], g[..., :k, :], low, up, inv, p_mat), None, None


class LuSolve(Primitive):
    """X solves A X = B (A^T X = B when adjoint; X A = B or X A^T = B when not left), A the
    matrix that LU factors.  gB = the same solve with A^T for A;  with gA the gradient of A
    (-gB X^T for AX = B, and so on) and P^T gA = G:  dL/dLU = tril(G U^T, -1) + triu(L^T G)."""

    node_name = "LinalgLuSolveBackward0"

    @staticmethod
    def forward(ctx, lu, b, perm, left, adjoint):
        x = solve_arrays(lu, perm, b, left, adjoint)
        ctx.save_for_backward(lu, x)
        ctx.opts = (perm, left, adjoint)
        return x

    @staticmethod
    def backward(ctx, g):
        lu, x = ctx.saved_tensors
        perm, left, adjoint = ctx.opts
        gb = _solve(lu, perm, g, left, not adjoint)
        if not ctx.needs_input_grad[0]:
            return None, gb, None, None, None
        if left:
            ga = -(np.matmul(x, mT(gb)) if adjoint else np.matmul(gb, mT(x)))
        else:
            ga = -(np.matmul(mT(gb), x) if adjoint else np.matmul(mT(x), gb))
        low, up = split_lu(lu)
        pt = mT(perm_matrix(perm, C.np_dtype(lu)))
        gp = _rows(ga, perm, pt)  # P^T gA
        glu = C.tril(np.matmul(gp, mT(up)), -1) + C.triu(np.matmul(mT(low), gp))
        return glu, gb, None, None, None


class TriangularSolve(Primitive):
    """X = T^-1 B, T the upper/lower triangle of A (unit diagonal if asked), transposed when
    ``transpose``;  dL/dB = T^-T g,  dL/dA = the triangle of -(dL/dB) X^T (of -X (dL/dB)^T
    when transposed), without its diagonal when unit."""

    @staticmethod
    def forward(ctx, b, a, upper, transpose, unit):
        x = _tri_solve_arrays(mT(a) if transpose else a, b, upper != transpose, True, unit)
        ctx.save_for_backward(a, x)
        ctx.opts = (upper, transpose, unit)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, transpose, unit = ctx.opts
        t = a if transpose else mT(a)  # T^T's storage: solve with it as (upper != transpose)
        gb = _tri_solve(t, g, upper == transpose, True, unit)
        ga = None
        if ctx.needs_input_grad[1]:
            ga = -(np.matmul(x, mT(gb)) if transpose else np.matmul(gb, mT(x)))
            k = 1 if unit else 0
            ga = C.triu(ga, k) if upper else C.tril(ga, -k)
        return gb, ga, None, None, None
