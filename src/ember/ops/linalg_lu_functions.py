"""torch.linalg's LU functions: lu_factor, lu_factor_ex, lu, lu_solve (checks in PyTorch's
order and words, then the primitives of linalg_lu.py), and lu_unpack, which torch.lu_unpack
and linalg.lu share."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import _linalg_common as C
from . import linalg_lu as LU
from ._linalg_common import return_type
from ._util import check_broadcast
from .arithmetic import type_name

LuFactorResult = return_type("linalg_lu_factor", ("LU", "pivots"))
LuFactorExResult = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
LuResult = return_type("linalg_lu", ("P", "L", "U"))
LuUnpackResult = return_type("lu_unpack", ("P", "L", "U"))

_FIX = ("If you still want to perform the factorization, consider calling linalg.lu(A, pivot) "
        "or linalg.lu_factor_ex(A, pivot)")


def _const(array) -> Tensor:
    return C.as_tensor(array)


def _check_lu_input(A: Tensor, name: str, pivot: bool) -> None:
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A._data.shape)} instead")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    dt = A._data.dtype
    if dt.kind != "f" or dt == np.float16:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{type_name(dt)}'")


def factor(A: Tensor, name: str = "torch.lu_factor", pivot: bool = True):
    """(LU Tensor recording LuFactor, pivots array, info array, perm array)."""
    _check_lu_input(A, name, pivot)
    lu, piv, info = LU.getrf(A._data)
    perm = LU.permutation(piv, A._data.shape[-2])
    return LU.LuFactor.apply(A, lu, perm), piv, info


def _raise_singular(info: np.ndarray, shape: tuple, name: str) -> None:
    bad = np.flatnonzero(info)
    if bad.size:
        i = int(bad[0])
        j = int(info.flat[i])
        raise RuntimeError(f"{name}: {C.batch_prefix(shape, i)}U[{j},{j}] is zero and using it "
                           f"on lu_solve would result in a division by zero. {_FIX}")


def lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """(LU, pivots) of A = P L U; an exactly singular U raises (``lu_factor_ex`` does not)."""
    C.check_bools("linalg_lu_factor", pivot=pivot)
    lu, piv, info = factor(A, pivot=pivot)
    _raise_singular(info, A._data.shape, "torch.linalg.lu_factor")
    return LuFactorResult(lu, _const(piv))


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """(LU, pivots, info): info is LAPACK's getrf code per matrix (k > 0: U[k, k] is zero)."""
    C.check_bools("linalg_lu_factor_ex", pivot=pivot, check_errors=check_errors)
    lu, piv, info = factor(A, pivot=pivot)
    if check_errors:
        _raise_singular(info, A._data.shape, "torch.linalg.lu_factor_ex")
    return LuFactorExResult(lu, _const(piv), _const(info))


def lu(A: Tensor, *, pivot: bool = True, out=None):
    """(P, L, U) with A = P L U: P a permutation, L unit lower (m x k), U upper (k x n)."""
    C.check_bools("linalg_lu", pivot=pivot)
    lu_t, piv, _ = factor(A, "linalg.lu", pivot)
    perm = LU.permutation(piv, A._data.shape[-2])
    low, up = LU.split_lu(lu_t)
    return LuResult(_const(LU.perm_matrix(perm, A._data.dtype)), low, up)


def _check_pivots(LU_data: Tensor, pivots: Tensor, name: str) -> np.ndarray:
    m, n = LU_data._data.shape[-2:]
    want = LU_data._data.shape[:-2] + (min(m, n),)
    if tuple(pivots._data.shape) != want:  # PyTorch reads past a short one: undefined
        raise RuntimeError(f"{name}: Expected LU_pivots to have shape {list(want)} "
                           f"(LU.shape[:-2] + [min(m, n)]), but got {list(pivots._data.shape)}")
    p = pivots._data
    if p.size and (p.min() < 1 or p.max() > m):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                           "inclusive.Did you properly pass the result of lu_factor?")
    return p


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out=None):
    """(P, L, U) from lu_factor's results; a part not asked for is an empty tensor."""
    try:
        LU_data._data, LU_pivots._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(LU_data=LU_data, LU_pivots=LU_pivots) from None
    a = LU_data._data
    if a.ndim < 2:
        raise RuntimeError("torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(a.shape)} instead")
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                           "of torch.int32 dtype.\nNote: this function is intended to be used "
                           "with the output produced by torch.linalg.lu_factor")
    empty = _const(np.zeros((0,), a.dtype))
    p_mat = low = up = empty
    if unpack_pivots:
        piv = _check_pivots(LU_data, LU_pivots, "torch.lu_unpack")
        p_mat = _const(LU.perm_matrix(LU.permutation(piv, a.shape[-2]), a.dtype))
    if unpack_data:
        if a.dtype.kind == "f":
            low, up = LU.split_lu(LU_data)  # recorded: L and U are differentiable in LU
        else:  # integer/bool: no gradient, built on the array (bool has no + for the eye)
            m, n = a.shape[-2:]
            k = min(m, n)
            eye = np.eye(m, k, dtype=bool)
            low = _const(np.where(eye, np.ones((), a.dtype), np.tril(a[..., :, :k], -1)))
            up = _const(np.triu(a[..., :k, :]))
    return LuUnpackResult(p_mat, low, up)


def lu_solve(LU_: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False, out=None) -> Tensor:
    """X with A X = B (A^T X = B when ``adjoint``; X A = B / X A^T = B when not ``left``),
    A given by lu_factor's (LU, pivots); batch dims broadcast."""
    a, b, p = LU_._data, B._data, pivots._data
    if a.dtype.kind != "f":  # float16 passes here and fails at the kernel, as in PyTorch
        raise RuntimeError("torch.linalg.lu_solve: Expected a floating point or complex tensor "
                           f"as input. Got {type_name(a.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError("linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {type_name(a.dtype)} and B of type {type_name(b.dtype)} "
                           "instead")
    if p.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "torch.int32")
    C.check_square(LU_, "torch.linalg.lu_solve")
    C.check_matrix(B, "linalg.lu_solve", "B")
    n, (rows, cols) = a.shape[-1], b.shape[-2:]
    if (rows if left else cols) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({n}x{n} and {rows}x{cols})")
    if p.ndim == 0 or p.shape[-1] != n:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the "
                           "dimension of the matrix")
    if p.shape != a.shape[:-1]:
        raise RuntimeError("linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the "
                           f"same, but got pivots with shape {list(p.shape)} instead")
    check_broadcast(b.shape[:-2], a.shape[:-2])
    if a.dtype == np.float16:
        raise NotImplementedError("\"linalg.lu_solve_cpu\" not implemented for 'Half'")
    if p.size and p.min() < 1:
        raise RuntimeError("Pivots given to lu_solve must all be greater or equal to 1. Did you "
                           "properly pass the result of lu_factor?")
    if p.size and p.max() > n:
        raise RuntimeError("Pivots given to lu_solve must all be smaller or equal to "
                           "LU.size(-2). Did you properly pass the result of lu_factor?")
    perm = LU.permutation(p, n)
    return LU.LuSolve.apply(LU_, B, perm, bool(left), bool(adjoint))
