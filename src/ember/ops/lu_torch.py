"""The ``torch.*`` spellings of the LU functions (deprecated in PyTorch in favour of
torch.linalg, and warning once as it does): torch.lu, torch.lu_solve, torch.lu_unpack, and
torch.triangular_solve, which returns (solution, cloned_coefficient)."""

from __future__ import annotations


import numpy as np

from ..tensor import Tensor
from . import _linalg_common as C
from . import linalg_lu_functions as F
from ._util import check_broadcast
from .arithmetic import type_name
from .linalg_lu import TriangularSolve
from .linalg_lu_functions import lu_unpack  # noqa: F401 (torch.lu_unpack)

LuWithInfo = C.return_type("_lu_with_info", ("LU", "pivots", "info"))
TriangularSolveResult = C.return_type("triangular_solve", ("solution", "cloned_coefficient"))

_DEPRECATED = {
    "lu": "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
          "and will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, "
          "compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, "
          "compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)"
          "\nshould be replaced with\nLU, pivots, info = torch.linalg.lu_factor_ex(A, "
          "compute_pivots)",
    "lu_solve": "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has its "
                "arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced "
                "with\nX = torch.linalg.lu_solve(LU, pivots, B)",
    "triangular_solve": "torch.triangular_solve is deprecated in favor of "
                        "torch.linalg.solve_triangularand will be removed in a future PyTorch "
                        "release.\ntorch.linalg.solve_triangular has its arguments reversed and "
                        "does not return a copy of one of the inputs.\nX = "
                        "torch.triangular_solve(B, A).solution\nshould be replaced with\nX = "
                        "torch.linalg.solve_triangular(A, B).",
}


def _warn_once(name: str) -> None:
    """PyTorch's TORCH_WARN_ONCE: the first call in a process warns."""
    from .._config import warn_once

    warn_once(_DEPRECATED[name], stacklevel=5)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """(LU, pivots), or (LU, pivots, infos) with ``get_infos``; never raises for a singular
    matrix (PyTorch's check_errors here only concerns invalid arguments)."""
    _warn_once("lu")
    lu_t, piv, info = F.factor(A, "torch.lu_factor", pivot)
    if get_infos:
        return LuWithInfo(lu_t, F._const(piv), F._const(info))
    return lu_t, F._const(piv)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out=None) -> Tensor:
    """X with A X = b, A given by torch.lu's (LU_data, LU_pivots)."""
    _warn_once("lu_solve")
    return F.lu_solve(LU_data, LU_pivots, b)


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """(X, A's copy) with T X = input, T the upper or lower triangle of A (transposed when
    ``transpose``, unit diagonal when ``unitriangular``); batch dims broadcast, and the copy
    of A has the broadcast batch shape."""
    try:
        input._data, A._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input, A=A) from None
    from ._linalg_common import check_bools

    check_bools("triangular_solve", upper=upper, transpose=transpose, unitriangular=unitriangular)
    _warn_once("triangular_solve")
    b, a = input._data, A._data
    for name, x in (("b", b), ("A", a)):
        if x.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 "
                               f"dimensions, but it has {x.ndim} dimensions instead")
    if b.dtype != a.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{type_name(b.dtype)} and A of type {type_name(a.dtype)} instead.")
    r, c = a.shape[-2:]
    if r != c:
        raise RuntimeError(f"A must be batches of square matrices, but they are {r} by {c} "
                           "matrices")
    if b.shape[-2] != r:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is "
                           f"{r} by {c} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    check_broadcast(b.shape[:-2], a.shape[:-2])
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise NotImplementedError('"triangular_solve_cpu" not implemented for '
                                  f"'{type_name(a.dtype)}'")
    batch = np.broadcast_shapes(b.shape[:-2], a.shape[:-2])
    x = TriangularSolve.apply(input, A, bool(upper), bool(transpose), bool(unitriangular))
    coefficient = A.expand(batch + a.shape[-2:]).clone() if batch != a.shape[:-2] else A.clone()
    return TriangularSolveResult(x, coefficient)
