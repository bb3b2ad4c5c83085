"""torch.linalg's inverses and solvers: inv, det, slogdet, solve, solve_triangular, cholesky.

Each backward rule is NumPy on arrays; under ``create_graph=True`` the same rule runs on
Tensors and calls these ops again (inverses and solves are differentiable), so double
backward works through every one of them.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from . import _linalg_common as C
from ._linalg_common import LinAlgError, mT

_npLinAlgError = np.linalg.LinAlgError


# ---- array-level helpers (also used by the error paths) ----

def _first_zero_pivot(a: np.ndarray) -> int:
    """LU with partial pivoting, as LAPACK's getrf: the 1-based index of the first exactly
    zero pivot, or 0. Run only on the error path."""
    u = np.array(a, dtype=a.dtype if a.dtype.kind == "f" else np.float64)  # LAPACK's rounding
    n = u.shape[0]
    first = 0
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            first = first or k + 1
            continue
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return first


def _singular_info(a: np.ndarray) -> np.ndarray:
    """getrf's info for each matrix of a batch (0 where it factors)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.array([_first_zero_pivot(m) for m in flat], np.int32)
    if not info.any():  # LAPACK's blocked rounding met a zero this loop did not: say the last
        info[:] = a.shape[-1]
    return info.reshape(a.shape[:-2])


def _cholesky_partial(a: np.ndarray):
    """potrf's unblocked loop on one matrix: (the factor as far as it got, info)."""
    n = a.shape[0]
    out = np.tril(np.array(a, dtype=np.float64))
    for j in range(n):
        d = out[j, j] - out[j, :j] @ out[j, :j]
        if not d > 0:
            out[j, j] = d
            return out, j + 1
        out[j, j] = np.sqrt(d)
        out[j + 1:, j] = (out[j + 1:, j] - out[j + 1:, :j] @ out[j, :j]) / out[j, j]
    return out, 0


def _subst(a: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """Forward/back substitution for a triangular a (batched): inf/nan where a singular
    triangle makes them, as LAPACK's trtrs-free path in PyTorch does, instead of raising."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), dtype=np.result_type(a, b))
    n = a.shape[-1]
    for i in (range(n - 1, -1, -1) if upper else range(n)):
        others = slice(i + 1, n) if upper else slice(0, i)
        s = np.matmul(a[..., i:i + 1, others], x[..., others, :])
        x[..., i:i + 1, :] = (x[..., i:i + 1, :] - s) / a[..., i:i + 1, i:i + 1]
    return x


def _effective(a, upper: bool, unit: bool):
    """The triangle solve_triangular reads (with a unit diagonal when asked)."""
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        n = a.shape[-1]
        t = t + (np.eye(n, dtype=a.dtype) - t * np.eye(n, dtype=a.dtype))
    return t


def _tri_solve_arrays(a, b, upper: bool, left: bool, unit: bool):
    t = _effective(a, upper, unit)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return mT(_tri_solve_arrays(mT(t), mT(b), not upper, True, False))
    with np.errstate(all="ignore"):
        if np.all(np.diagonal(t, axis1=-2, axis2=-1) != 0):
            try:
                return np.linalg.solve(t, b)
            except _npLinAlgError:
                pass
        return _subst(t, b, upper)


def _tri_solve(a, b, upper: bool, left: bool = True, unit: bool = False):
    """solve_triangular on arrays, or recorded on Tensors (higher order)."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return _tri_solve_arrays(a, b, upper, left, unit)
    return SolveTriangular.apply(_t(a), _t(b), upper, left, unit)


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else C.as_tensor(x)


def _inv(a):
    return np.linalg.inv(a) if type(a) is np.ndarray else Inv.apply(a)


def _solve(a, b):
    return np.linalg.solve(a, b) if type(a) is np.ndarray and type(b) is np.ndarray else \
        Solve.apply(_t(a), _t(b))


# ---- primitives ----

class Inv(Primitive):
    """X = A^-1;  dL/dA = -X^T g X^T."""

    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        try:
            x = np.linalg.inv(a)
        except _npLinAlgError:
            info = _singular_info(a)
            i = int(np.flatnonzero(info)[0])
            raise LinAlgError(
                f"linalg.inv: {C.batch_prefix(a.shape, i)}The diagonal element "
                f"{int(info.flat[i])} is zero, the inversion could not be completed because "
                "the input matrix is singular.") from None
        x = C.colmajor(x)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xt = mT(x)
        return (-np.matmul(xt, np.matmul(g, xt)),)


def _adjugate_t(a: np.ndarray) -> np.ndarray:
    """adj(A)^T = det(A) A^-T, by the SVD so that singular matrices get it too."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], -1) \
        if n else s
    sign = np.linalg.det(u) * np.linalg.det(vh)
    adj = np.matmul(mT(vh) * others[..., None, :], mT(u)) * sign[..., None, None]
    return mT(adj)


class Det(Primitive):
    """d = det(A);  dL/dA = g adj(A)^T  (= g d A^-T when A is invertible)."""

    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        d = np.asarray(np.linalg.det(a), a.dtype)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        g2 = np.expand_dims(np.expand_dims(g, -1), -1)
        if type(a) is np.ndarray:
            if np.all(d != 0):
                return (g2 * np.expand_dims(np.expand_dims(d, -1), -1) * mT(np.linalg.inv(a)),)
            return (g2 * _adjugate_t(a.astype(np.float64)).astype(a.dtype),)
        return (g2 * np.expand_dims(np.expand_dims(d, -1), -1) * mT(_inv(a)),)


class LogAbsDet(Primitive):
    """y = log|det A| (computed by the caller with the sign);  dL/dA = g A^-T."""

    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a, logabs):
        ctx.save_for_backward(a)
        return logabs

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        # as PyTorch: solve(A^T, g I), so a zero g (logdet's where) gives +0 entries
        dt = a.dtype if type(a) is np.ndarray else a._data.dtype
        g_eye = np.expand_dims(np.expand_dims(g, -1), -1) * np.eye(a.shape[-1], dtype=dt)
        if type(a) is not np.ndarray or type(g_eye) is not np.ndarray:
            return _solve(mT(a), g_eye), None
        return _solve_t_lu(a, g_eye), None


def _solve_t_lu(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A^-T B; a singular A gets PyTorch's infinities (its LU solve divides by the zero
    pivot) rather than NumPy's error."""
    try:
        return np.linalg.solve(mT(a), b)
    except _npLinAlgError:
        from .linalg_lu import getrf, permutation, solve_arrays

        lu, piv, _ = getrf(a)
        with np.errstate(all="ignore"):
            return solve_arrays(lu, permutation(piv, a.shape[-1]), b, True, True)


class Solve(Primitive):
    """X = A^-1 B (B a batch of matrices, or of vectors when ``vec``: one node, as PyTorch;
    batch dims broadcast);  dL/dB = A^-T g,  dL/dA = -(dL/dB) X^T."""

    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b, vec=False):
        ctx.vec = vec
        try:
            x = np.linalg.solve(a, b[..., None])[..., 0] if vec else np.linalg.solve(a, b)
        except _npLinAlgError:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            info = _singular_info(np.broadcast_to(a, batch + a.shape[-2:]))
            i = int(np.flatnonzero(info)[0]) if info.any() else 0
            raise LinAlgError(f"torch.linalg.solve: {C.batch_prefix(batch + (0, 0), i)}The "
                              "solver failed because the input matrix is singular.") from None
        x = x if vec else C.colmajor(x)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        if ctx.vec:
            g, x = _column(g), _column(x)
        gb = _solve(mT(a), g)
        ga = -np.matmul(gb, mT(x)) if ctx.needs_input_grad[0] else None
        return ga, (gb.squeeze(-1) if ctx.vec else gb), None


def _column(v):
    """A batch of vectors as one of columns (an array, or a Tensor under create_graph)."""
    return v.unsqueeze(-1) if isinstance(v, Tensor) else v[..., None]


class SolveTriangular(Primitive):
    """X = T^-1 B (left) or B T^-1 (right), T the upper/lower triangle of A (unit diagonal if
    asked);  dL/dB = T^-T g (or g T^-T),  dL/dA = the triangle of -(dL/dB) X^T
    (or -X^T dL/dB), its diagonal dropped when unit."""

    node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, upper, left, unit):
        x = C.colmajor(_tri_solve_arrays(a, b, upper, left, unit))
        ctx.save_for_backward(a, x)
        ctx.opts = (upper, left, unit)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, left, unit = ctx.opts
        gb = _tri_solve(mT(a), g, not upper, left, unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(np.matmul(gb, mT(x)) if left else np.matmul(mT(x), gb))
            k = 1 if unit else 0
            ga = C.triu(ga, k) if upper else C.tril(ga, -k)
        return ga, gb, None, None, None


class Cholesky(Primitive):
    """A = L L^T (L lower; U = L^T when upper);  with T = tril(L^T gL),
    P = (T + tril(T, -1)^T) / 2:  dL/dA = L^-T P L^-1 (symmetric)."""

    node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a, upper):
        try:
            low = np.linalg.cholesky(a)
        except _npLinAlgError:
            flat = a.reshape((-1,) + a.shape[-2:])
            for i, m in enumerate(flat):
                info = _cholesky_partial(m)[1]
                if info:
                    break
            raise LinAlgError(
                f"linalg.cholesky: {C.batch_prefix(a.shape, i)}The factorization could not be "
                "completed because the input is not positive-definite (the leading minor of "
                f"order {info} is not positive-definite).") from None
        out = C.colmajor(mT(low) if upper else low)
        ctx.save_for_backward(out)
        ctx.upper = upper
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        low, gl = (mT(out), mT(g)) if ctx.upper else (out, g)
        t = C.tril(np.matmul(mT(low), gl))
        p = (t + mT(C.tril(t, -1))) * 0.5
        ga = _tri_solve(mT(low), p, True, True)
        return _tri_solve(low, ga, False, False), None
