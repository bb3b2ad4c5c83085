"""torch.linalg's public inverses, solvers and factorizations (checks in PyTorch's order and
words, then the primitives of linalg_solve.py and linalg_decomp.py)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import _linalg_common as C
from . import linalg_solve as S
from .linalg_decomp import Eigh, Qr, Svd
from ._linalg_common import LinAlgError, return_type
from ._outputs import outputs
from ._util import check_broadcast, promote
from .arithmetic import type_name

SlogdetResult = return_type("linalg_slogdet", ("sign", "logabsdet"))
TorchSlogdet = return_type("slogdet", ("sign", "logabsdet"))
CholeskyEx = return_type("linalg_cholesky_ex", ("L", "info"))
InvEx = return_type("linalg_inv_ex", ("inverse", "info"))
EighResult = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
SvdResult = return_type("linalg_svd", ("U", "S", "Vh"))
QrResult = return_type("linalg_qr", ("Q", "R"))


def _const(array) -> Tensor:
    return C.as_tensor(array)


def _info(values) -> Tensor:
    return _const(np.asarray(values, np.int32))


def inv(A: Tensor, *, out=None) -> Tensor:
    """A^-1 for each matrix of a batch; a singular one raises PyTorch's LinAlgError."""
    C.square_float(A, "linalg.inv")
    return S.Inv.apply(A)


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """(inverse, info): info is LAPACK's getrf code per matrix (0: inverted); a singular
    matrix gets nan entries instead of raising unless ``check_errors``."""
    C.check_bools("linalg_inv_ex", check_errors=check_errors)
    C.square_float(A, "linalg.inv")
    try:
        x = S.Inv.apply(A)
    except LinAlgError as err:
        if check_errors:
            raise LinAlgError(str(err).replace("linalg.inv:", "linalg.inv_ex:", 1)) from None
        from .linalg_lu import getrf, permutation, solve_arrays

        a = A._data
        info = S._singular_info(a)
        lu, piv, _ = getrf(a)  # as PyTorch: LU's infinities where a pivot is zero
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        with np.errstate(all="ignore"):
            x = solve_arrays(lu, permutation(piv, a.shape[-1]), eye, True, False)
        return InvEx(_const(C.colmajor(x.astype(a.dtype, copy=False))), _info(info))
    return InvEx(x, _info(np.zeros(A._data.shape[:-2])))


def det(A: Tensor, *, out=None) -> Tensor:
    C.square_float(A, "linalg.det")
    return S.Det.apply(A)


def slogdet(A: Tensor, *, out=None):
    """(sign, log|det|); only the second carries a gradient (sign is piecewise constant)."""
    C.square_float(A, "linalg.slogdet")
    sign, logabs = np.linalg.slogdet(A._data)
    dt = A._data.dtype
    return SlogdetResult(_const(np.asarray(sign, dt)),
                         S.LogAbsDet.apply(A, np.asarray(logabs, dt)))


def torch_slogdet(input: Tensor):
    return TorchSlogdet(*slogdet(input))


def logdet(input: Tensor) -> Tensor:
    """log det A: log|det| chosen where det > 0 (-inf where det = 0), nan where det < 0; as
    PyTorch, a where (WhereBackward0), so a negative determinant gets a zero gradient."""
    C.square_float(input, "logdet")
    sign, logabs = slogdet(input)
    from .selection import where

    return where(C.as_tensor(sign._data < 0), C.as_tensor(np.asarray(np.nan, sign._data.dtype)),
                 logabs)


def _vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) when 1-D or shaped like A without its
    last dim."""
    b, a = B._data.shape, A._data.shape
    return len(b) == 1 or (len(b) == len(a) - 1 and b == a[:-1])


def _shape_error(name: str, n: int, rows: int, cols: int, left: bool) -> RuntimeError:
    eq = "AX = B" if left else "XA = B"
    return RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                        f"({n}x{n} and {rows}x{cols})")


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """X with A X = B (``left``) or X A = B; B a matrix or vector, batch dims broadcast."""
    C.check_bools("linalg_solve", left=left)
    C.check_float(A, "linalg.solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError("linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {type_name(A._data.dtype)} and B of type "
                           f"{type_name(B._data.dtype)} instead")
    C.check_square(A, "linalg.solve")
    n = A._data.shape[-1]
    if _vector_rhs(A, B):
        if B._data.shape[-1] != n or not left:  # a vector is a column: XA = B cannot hold
            raise _shape_error("linalg.solve", n, B._data.shape[-1], 1, left)
        return S.Solve.apply(A, B, True)
    if B._data.ndim < 2:
        C.check_matrix(B, "linalg.solve", "B")
    rows, cols = B._data.shape[-2:]
    if (rows if left else cols) != n:
        raise _shape_error("linalg.solve", n, rows, cols, left)
    return _solve_matrix(A, B, left)


def _solve_matrix(A: Tensor, B: Tensor, left: bool) -> Tensor:
    if left:
        return S.Solve.apply(A, B)
    return S.Solve.apply(A.mT, B.mT).mT


_NO_UPPER = object()  # upper is required (keyword-only) and None is refused, as in PyTorch


def solve_triangular(A: Tensor, B: Tensor, *args, upper: bool = _NO_UPPER, left: bool = True,
                     unitriangular: bool = False, out=None) -> Tensor:
    """X with T X = B (or X T = B), T the upper or lower triangle of A (unit diagonal when
    ``unitriangular``); the other triangle of A is not read."""
    # upper is keyword-only and has no default; PyTorch's words when it is left out or not bool
    if args:
        raise TypeError("linalg_solve_triangular() takes from 3 to 2 positional arguments "
                        f"but {2 + len(args)} were given")
    for name, flag in (("upper", upper), ("left", left), ("unitriangular", unitriangular)):
        if not isinstance(flag, (bool, np.bool_)):
            if flag is _NO_UPPER:
                raise TypeError('linalg_solve_triangular() missing 1 required positional '
                                'arguments: "upper"')
            raise TypeError(f"linalg_solve_triangular(): argument '{name}' must be bool, "
                            f"not {type(flag).__name__}")
    C.check_matrix(A, "linalg.solve_triangular")
    C.check_matrix(B, "linalg.solve_triangular", "B")
    for t in (A, B):
        if t._data.dtype.kind != "f" or t._data.dtype == np.float16:
            raise NotImplementedError('"triangular_solve_cpu" not implemented for '
                                      f"'{type_name(t._data.dtype)}'")
    C.check_square(A, "linalg.solve_triangular")
    n, (rows, cols) = A._data.shape[-1], B._data.shape[-2:]
    if (rows if left else cols) != n:
        raise _shape_error("linalg.solve_triangular", n, rows, cols, left)
    A, B = promote(A, B)
    return S.SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """L (lower, A = L L^T) or U = L^T; only A's lower triangle is read."""
    C.check_bools("linalg_cholesky", upper=upper)
    C.square_float(A, "linalg.cholesky")
    return S.Cholesky.apply(A, bool(upper))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """(L, info): info is the order of the first leading minor that is not positive-definite
    (0: factored); a failed matrix holds the factor as far as it got."""
    C.check_bools("linalg_cholesky_ex", upper=upper, check_errors=check_errors)
    C.square_float(A, "linalg.cholesky")
    try:
        low = S.Cholesky.apply(A, bool(upper))
    except LinAlgError as err:
        if check_errors:
            raise LinAlgError(str(err).replace("linalg.cholesky:", "linalg.cholesky_ex:", 1)) \
                from None
        a = A._data
        flat = a.reshape((-1,) + a.shape[-2:])
        parts = [S._cholesky_partial(m) for m in flat]
        low = np.stack([p[0] for p in parts]).astype(a.dtype).reshape(a.shape)
        info = np.array([p[1] for p in parts]).reshape(a.shape[:-2])
        return CholeskyEx(_const(C.colmajor(C.mT(low) if upper else low)), _info(info))
    return CholeskyEx(low, _info(np.zeros(A._data.shape[:-2])))


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """X with A X = B, given A's Cholesky factor L (A = L L^T) or U (A = U^T U)."""
    try:
        B._data, L._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=B, input2=L) from None
    C.check_bools("cholesky_solve", upper=upper)
    for t, name in ((B, "b"), (L, "u")):  # PyTorch's checks, its words
        if t.dim() < 2:
            raise RuntimeError(f"{name} should have at least 2 dimensions, but has {t.dim()} "
                               "dimensions instead")
    if B._data.dtype != L._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{C.type_name(B._data.dtype)} and A of type "
                           f"{C.type_name(L._data.dtype)} instead.")
    if L.shape[-1] != L.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are "
                           f"{L.shape[-2]} by {L.shape[-1]} matrices")
    if B.shape[-2] != L.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{L.shape[-1]} by {L.shape[-1]} but each b matrix is "
                           f"{B.shape[-2]} by {B.shape[-1]}")
    if L._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f'"cholesky_solve_cpu" not implemented for '
                                  f"'{C.type_name(L._data.dtype)}'")
    check_broadcast(B.shape[:-2], L.shape[:-2])
    # A formed from the whole of L, so that (as in PyTorch) L's gradient is a full matrix
    from ._shown_graph import as_node

    return as_node(solve(L.mT @ L if upper else L @ L.mT, B), "CholeskySolveBackward0")


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """A^-1 from A's Cholesky factor L (A = L L^T) or U (A = U^T U)."""
    C.check_bools("cholesky_inverse", upper=upper)
    C.check_square(L, "cholesky_inverse")
    if L._data.dtype not in (np.float32, np.float64):  # refused by the CPU kernel
        raise NotImplementedError(f'"cholesky_inverse_out_cpu" not implemented for '
                                  f"'{C.type_name(L._data.dtype)}'")
    # inv(L L^T) with the whole of L in the product, so that (as in PyTorch) the gradient is
    # not restricted to L's triangle
    from ._shown_graph import as_node

    return as_node(inv(L.mT @ L if upper else L @ L.mT), "CholeskyInverseBackward0")


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices; only the
    ``UPLO`` triangle of A is read."""
    _check_eigh(A, UPLO)
    n = A._data.shape[-1]
    p = Eigh.apply(A, UPLO)
    v, w = outputs(p, A._data.shape[:-2], ((n, n), (n,)))
    return EighResult(w, v)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    _check_eigh(A, UPLO)
    if not A.requires_grad:
        return _const(np.linalg.eigvalsh(A._data, UPLO=UPLO))
    return eigh(A, UPLO).eigenvalues


def _check_eigh(A: Tensor, UPLO) -> None:
    C.check_matrix(A, "linalg.eigh")
    if A._data.dtype.kind != "f" or A._data.dtype == np.float16:
        raise NotImplementedError('"linalg_eigh_cpu" not implemented for '
                                  f"'{type_name(A._data.dtype)}'")
    C.check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh, S descending."""
    C.check_bools("linalg_svd", full_matrices=full_matrices)
    C.check_driver("linalg_svd", driver)
    C.check_matrix(A, "linalg.svd")
    C.check_float(A, "linalg.svd")
    if driver is not None:  # a cuSOLVER choice; CPU tensors take none
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    m, n = A._data.shape[-2:]
    k = min(m, n)
    full = bool(full_matrices)
    shapes = ((m, m if full else k), (k,), (n if full else k, n))
    p = Svd.apply(A, full)
    return SvdResult(*outputs(p, A._data.shape[:-2], shapes))


def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    C.check_driver("linalg_svdvals", driver)
    C.check_matrix(A, "linalg.svd")
    C.check_float(A, "linalg.svd")
    if driver is not None:  # a cuSOLVER choice; CPU tensors take none
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    if not A.requires_grad:
        return _const(np.linalg.svd(A._data, compute_uv=False))
    return svd(A, full_matrices=False).S


def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """(Q, R) with A = Q R, R upper triangular; mode 'r' gives an empty Q."""
    C.check_matrix(A, "linalg.qr")
    C.check_float(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    m, n = A._data.shape[-2:]
    k = min(m, n)
    shapes = {"reduced": ((m, k), (k, n)), "complete": ((m, m), (m, n)),
              "r": ((0, 0), (k, n))}[mode]
    p = Qr.apply(A, mode)
    q, r = outputs(p, A._data.shape[:-2], shapes)
    if mode == "r":
        q = _const(np.zeros((0,), A._data.dtype))
    return QrResult(q, r)
