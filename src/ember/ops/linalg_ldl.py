"""torch.linalg.ldl_factor / ldl_factor_ex / ldl_solve: A = P L D L^T P^T for symmetric A
(only its lower triangle is read) by LAPACK's Bunch-Kaufman pivoting (dsytf2, uplo 'L', in
NumPy), D block diagonal with 1x1 and 2x2 blocks.

``LD`` holds L below the diagonal and D on it (a 2x2 block's off-diagonal entry sits below
the diagonal as well); ``pivots`` are LAPACK's: k > 0 a 1x1 block with rows k and pivots[k]
swapped, a pair of equal negatives -p a 2x2 block with row k + 1 swapped with p. As in
PyTorch, neither function has a derivative. The pivot choices depend on each matrix's values,
so the factorization loops over the matrices of a batch.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import _linalg_common as C
from ._util import check_broadcast
from .arithmetic import type_name
from .copies import NotImplementedNode

LdlFactorResult = C.return_type("linalg_ldl_factor", ("LD", "pivots"))
LdlFactorExResult = C.return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
_ALPHA = (1 + math.sqrt(17)) / 8  # Bunch-Kaufman's growth bound


def _swap_sym(a: np.ndarray, kk: int, kp: int) -> None:
    """Swap rows and columns kk < kp of the lower triangle of a's trailing block."""
    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
    a[kk + 1:kp, kk], a[kp, kk + 1:kp] = a[kp, kk + 1:kp].copy(), a[kk + 1:kp, kk].copy()
    a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]


def _pivot(a: np.ndarray, k: int, n: int):
    """(kp, kstep) of Bunch-Kaufman's test at column k, or None for a zero/nan column."""
    absakk = abs(a[k, k])
    imax, colmax = k, 0.0
    if k + 1 < n:
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
        colmax = abs(a[imax, k])
    if max(absakk, colmax) == 0 or np.isnan(absakk):
        return None
    if absakk >= _ALPHA * colmax:
        return k, 1
    rowmax = float(np.max(np.abs(a[imax, k:imax])))
    if imax + 1 < n:
        rowmax = max(rowmax, float(np.max(np.abs(a[imax + 1:, imax]))))
    if absakk >= _ALPHA * colmax * (colmax / rowmax):
        return k, 1
    if abs(a[imax, imax]) >= _ALPHA * rowmax:
        return imax, 1
    return imax, 2


def _sytf2(a: np.ndarray):
    """One matrix (lower triangle, overwritten): (LD, 1-based pivots, info)."""
    n = a.shape[0]
    piv = np.zeros(n, np.int32)
    info, k = 0, 0
    while k < n:
        choice = _pivot(a, k, n)
        if choice is None:
            info = info or k + 1
            piv[k] = k + 1
            k += 1
            continue
        kp, kstep = choice
        kk = k + kstep - 1
        if kp != kk:
            _swap_sym(a, kk, kp)
            if kstep == 2:
                a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
        if kstep == 1:
            if k + 1 < n:  # rank-1 update with column k / D(k), then scale it into L(k)
                d11 = 1 / a[k, k]
                w = a[k + 1:, k].copy()
                a[k + 1:, k + 1:] -= np.tril(np.outer(w, w * d11))
                a[k + 1:, k] = w * d11
            piv[k] = kp + 1
        else:
            if k + 2 < n:  # rank-2 update with columns k, k+1 and the inverse 2x2 block
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                d21 = (1 / (d11 * d22 - 1)) / d21
                c0, c1 = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk, wkp1 = d21 * (d11 * c0 - c1), d21 * (d22 * c1 - c0)
                a[k + 2:, k + 2:] -= np.tril(np.outer(c0, wk))
                a[k + 2:, k + 2:] -= np.tril(np.outer(c1, wkp1))
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(a), piv, info


def sytrf(a: np.ndarray):
    """(LD, pivots, info) for every matrix of a batch."""
    batch, n = a.shape[:-2], a.shape[-1]
    count = int(np.prod(batch))
    flat = np.array(a, order="C").reshape((count, n, n))
    ld = np.empty_like(flat)
    piv = np.empty((count, n), np.int32)
    info = np.zeros(count, np.int32)
    with np.errstate(all="ignore"):
        for i in range(count):
            ld[i], piv[i], info[i] = _sytf2(np.tril(flat[i]))
    return ld.reshape(a.shape), piv.reshape(batch + (n,)), info.reshape(batch)


def sytrs(ld: np.ndarray, piv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LAPACK's dsytrs (lower) for one matrix: X with A X = B from sytrf's factors."""
    n = ld.shape[0]
    x = np.array(b, dtype=ld.dtype)
    k = 0
    while k < n:  # L D Y = P^T B
        if piv[k] > 0:
            kp = piv[k] - 1
            x[[k, kp]] = x[[kp, k]]
            x[k + 1:] -= np.outer(ld[k + 1:, k], x[k])
            x[k] *= 1 / ld[k, k]
            k += 1
        else:
            kp = -piv[k] - 1
            x[[k + 1, kp]] = x[[kp, k + 1]]
            x[k + 2:] -= np.outer(ld[k + 2:, k], x[k])
            x[k + 2:] -= np.outer(ld[k + 2:, k + 1], x[k + 1])
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
            x[k], x[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T X = Y
        if piv[k] > 0:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            kp = piv[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 1
        else:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
            kp = -piv[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 2
    return x


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False,
                  out=None):
    """(LD, pivots, info): info k > 0 when D[k, k] is exactly zero (D is singular)."""
    name = "torch.linalg.ldl_factor_ex"
    C.check_matrix(A, name)
    C.check_square(A, name)
    dt = A._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{type_name(dt)}")
    if dt == np.float16:
        raise NotImplementedError("\"ldl_factor_kernel_cpu\" not implemented for 'Half'")
    ld, piv, info = sytrf(A._data)
    if check_errors and info.any():  # PyTorch 2.13 fails here with an internal assert
        i = int(np.flatnonzero(info)[0])
        raise C.LinAlgError(f"{name}: {C.batch_prefix(A._data.shape, i)}The factorization "
                            f"could not be completed because D[{info.flat[i]},{info.flat[i]}] "
                            "is zero (the input matrix is singular).")
    return LdlFactorExResult(NotImplementedNode.apply(A, None, ld, "linalg_ldl_factor_ex"),
                             C.as_tensor(piv), C.as_tensor(info))


def ldl_factor(A: Tensor, *, hermitian: bool = False, out=None):
    """(LD, pivots) of A = P L D L^T P^T; a singular D raises LinAlgError."""
    ld, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    if info._data.any():
        i = int(np.flatnonzero(info._data)[0])
        j = int(info._data.flat[i])
        raise C.LinAlgError(f"torch.linalg.ldl_factor: {C.batch_prefix(A._data.shape, i)}The "
                            f"factorization could not be completed because D[{j},{j}] is zero "
                            "(the input matrix is singular).")
    return LdlFactorResult(ld, piv)


def _check_solve(LD: Tensor, pivots: Tensor, B: Tensor) -> None:
    name = "torch.linalg.ldl_solve"
    a, b, p = LD._data, B._data, pivots._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{type_name(a.dtype)}")
    C.check_square(LD, name)
    if b.ndim < 2:
        raise IndexError("Dimension specified as -2 but tensor has no dimensions" if not b.ndim
                         else "Dimension out of range (expected to be in range of [-1, 0], but "
                         "got -2)")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{type_name(b.dtype)} and A of type {type_name(a.dtype)} instead.")
    n = a.shape[-1]
    if b.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is {n} by {n} "
                           f"but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    if p.shape != a.shape[:-1]:
        raise RuntimeError(f"{name}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(p.shape)} instead")
    if p.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: Expected pivots to be integers. Got {type_name(p.dtype)}")
    check_broadcast(b.shape[:-2], a.shape[:-2])
    magnitude = np.abs(p.astype(np.int64))
    if p.size and magnitude.min() < 1:
        raise RuntimeError("Pivots given to ldl_solve must all satisfy |pivot| >= 1. Did you "
                           "properly pass the result of ldl_factor?")
    if p.size and magnitude.max() > n:
        raise RuntimeError("Pivots given to ldl_solve must all satisfy |pivot| <= LD.size(-2). "
                           "Did you properly pass the result of ldl_factor?")
    if a.dtype == np.float16:
        raise NotImplementedError("\"ldl_solve_kernel_cpu\" not implemented for 'Half'")


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False,
              out=None) -> Tensor:
    """X with A X = B, A given by ldl_factor's (LD, pivots); batch dims broadcast."""
    _check_solve(LD, pivots, B)
    a, b, p = LD._data, B._data, pivots._data.astype(np.int64)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    n, count = a.shape[-1], int(np.prod(batch))
    a = np.broadcast_to(a, batch + a.shape[-2:]).reshape((count, n, n))
    p = np.broadcast_to(p, batch + (n,)).reshape((count, n))
    bb = np.broadcast_to(b, batch + b.shape[-2:]).reshape((count,) + b.shape[-2:])
    x = np.zeros(bb.shape, b.dtype)
    with np.errstate(all="ignore"):
        for i in range(count):
            x[i] = sytrs(a[i], p[i], bb[i])
    return NotImplementedNode.apply(LD, B, x.reshape(batch + b.shape[-2:]), "linalg_ldl_solve")
