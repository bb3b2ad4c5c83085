"""``torch.linalg``: products, views, inverses, solvers, factorizations and norms.

The factorizations live in ``ember.ops.linalg_functions`` / ``linalg_norms`` /
``linalg_lu_functions`` / ``linalg_ldl`` and load on first use (``import ember`` imports this
module, so it stays a table of names).
"""

from __future__ import annotations

from .ops import linalg_more as _more
from .ops.linalg import matmul  # noqa: F401
from .ops.triangle_diag import diagonal as _diagonal
from .tensor import Tensor

_LAZY = {
    "ember.ops.linalg_functions": (
        "inv", "inv_ex", "det", "slogdet", "solve", "solve_triangular", "cholesky",
        "cholesky_ex", "eigh", "eigvalsh", "svd", "svdvals", "qr"),
    "ember.ops.linalg_norms": (
        "vector_norm", "matrix_norm", "norm", "pinv", "lstsq", "matrix_rank", "matrix_power",
        "cond"),
    "ember.ops.linalg_lu_functions": ("lu", "lu_factor", "lu_factor_ex", "lu_solve"),
    "ember.ops.linalg_ldl": ("ldl_factor", "ldl_factor_ex", "ldl_solve"),
    "ember.ops.linalg_extra": ("vander", "solve_ex"),
    "ember.ops.misc_prims": ("matrix_exp",),
    "ember.ops.linalg_tensor_qr": ("tensorinv", "tensorsolve", "householder_product"),
    "ember.ops._linalg_common": ("LinAlgError", "_LinAlgError"),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

__all__ = ["multi_dot", "cross", "vecdot", "matmul", "diagonal"] + sorted(_WHERE)


def multi_dot(tensors, *, out=None) -> Tensor:
    """The product of matrices (the first and last may be vectors), in the cheapest order."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        n = t._data.ndim
        if i in (0, len(ts) - 1) and n not in (1, 2):
            which = "first" if i == 0 else "last"
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {n}D")
        if 0 < i < len(ts) - 1 and n != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {n}D")
    return _more._multi_dot(ts)


def cross(input, other, *, dim=-1, out=None) -> Tensor:
    """The cross product of 3-vectors along ``dim``; the other dims broadcast."""
    return _more.cross(input, other, dim)


def vecdot(x, y, *, dim=-1, out=None) -> Tensor:
    """sum(x * y) along ``dim`` (x * y broadcast)."""
    try:
        x._data, y._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(x=x, y=y) from None
    if x._data.dtype.kind != "f":  # (half is fine here)
        from .ops.arithmetic import type_name

        raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(x._data.dtype)}")
    if x._data.dtype != y._data.dtype:
        from .ops.linalg import _kind

        raise RuntimeError("linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {_kind(x)} and y of type {_kind(y)} instead")
    return (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """The diagonals of a batch of matrices (the last two dims by default); a view."""
    return _diagonal(A, offset, dim1, dim2)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    module = _WHERE.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    if name in _COMPLEX_ONLY:
        # PyTorch returns complex tensors here even for real eigenvalues; ember has no complex
        # dtype, and handing back only the real part would be a wrong answer.
        raise AttributeError(
            f"module 'ember.linalg' has no attribute '{name}' (ember does not provide "
            f"torch.linalg.{name}: its results are complex tensors and ember has no complex "
            f"dtype; for a symmetric (or Hermitian) matrix use {_COMPLEX_ONLY[name]}, whose "
            f"results are real)")
    raise AttributeError(f"module 'ember.linalg' has no attribute '{name}' (ember does not "
                         f"provide torch.linalg.{name})")


_COMPLEX_ONLY = {
    "eig": "torch.linalg.eigh(A) (or torch.linalg.eigvalsh(A) for the eigenvalues alone)",
    "eigvals": "torch.linalg.eigvalsh(A)",
}

