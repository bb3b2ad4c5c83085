"""Shared pieces of torch.linalg's decompositions and solvers: PyTorch's input checks and
error type, result tuples, and helpers that a backward rule calls on NumPy arrays (first
order) or on Tensors (``create_graph=True``, where each must record ember ops)."""

from __future__ import annotations

import numpy as np

from ..return_types import make as make_return_type
from ..tensor import Tensor
from .arithmetic import type_name


class LinAlgError(RuntimeError):
    """PyTorch's ``torch.linalg.LinAlgError``: a singular or non-positive-definite input."""


# PyTorch's class is torch._C._LinAlgError, so type(err).__name__ prints "_LinAlgError";
# the alias keeps pickling (module + qualname lookup) working.
LinAlgError.__module__ = "torch.linalg"
LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"
_LinAlgError = LinAlgError


# half precision: PyTorch refuses it up front for these, in its CPU kernel for the others
_HALF_KERNEL = {"linalg.det": "lu_cpu", "linalg.solve": "lu_cpu", "cholesky": "cholesky_cpu",
                "linalg.cholesky": "cholesky_cpu", "linalg.svd": "linalg_svd_cpu",
                "linalg.qr": "geqrf_cpu", "cholesky_inverse": "cholesky_inverse_out_cpu"}
_HALF_REFUSED = ("linalg.inv", "logdet", "linalg.slogdet", "linalg.matrix_norm")


def check_float(a: Tensor, name: str, arg: str = "input") -> None:
    if a._data.dtype == np.float16:
        if name in _HALF_KERNEL:
            raise NotImplementedError(f'"{_HALF_KERNEL[name]}" not implemented for \'Half\'')
        if name in _HALF_REFUSED:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
    if a._data.dtype.kind != "f" or a._data.dtype == np.float16:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as {arg}. "
                           f"Got {type_name(a._data.dtype)}")


def check_bools(name: str, _overloaded: bool = False, **flags) -> None:
    """PyTorch's parser takes only bools (NumPy's too) for these flags: 1 or "yes" is refused
    (an op with overloads refuses them all; its list shown as for ``f(A, flag=...)``)."""
    for arg, value in flags.items():
        if value.__class__ is not bool and not isinstance(value, np.bool_):
            if _overloaded:
                raise TypeError(f"{name}() received an invalid combination of arguments - got "
                                f"(Tensor, {arg}={type(value).__name__}), but expected one of:")
            raise TypeError(f"{name}(): argument '{arg}' must be bool, not "
                            f"{type(value).__name__}")


def check_driver(name: str, driver) -> None:
    if driver is not None and not isinstance(driver, str):
        raise TypeError(f"{name}(): argument 'driver' must be str, not {type(driver).__name__}")


def check_matrix(a: Tensor, name: str, arg: str = "A") -> None:
    try:
        ndim = a._data.ndim
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import not_tensor

        raise not_tensor(a, "input" if name.startswith(("cholesky", "logdet")) else arg) \
            from None
    if ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def check_square(a: Tensor, name: str, arg: str = "A") -> None:
    check_matrix(a, name, arg)
    r, c = a._data.shape[-2:]
    if r != c:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{r} by {c} matrices")


def square_float(a: Tensor, name: str) -> None:
    """linalg's usual checks of a square-matrix input, in PyTorch's order."""
    check_square(a, name)  # (its first check is check_matrix's)
    check_float(a, name)


def batch_prefix(shape: tuple, flat_index: int) -> str:
    """PyTorch's "(Batch element i): " for a failure in one matrix of a batch."""
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def return_type(name: str, fields: tuple) -> type:
    """PyTorch's ``torch.return_types.<name>``: a named tuple with its repr."""
    return make_return_type(name, fields)


# ---- helpers usable on arrays and on Tensors (for rules run again under create_graph) ----

def mT(x):
    return np.swapaxes(x, -1, -2)


def tril(x, k: int = 0):
    if type(x) is np.ndarray:
        return np.tril(x, k)
    from .triangle_diag import tril as _tril

    return _tril(x, k)


def triu(x, k: int = 0):
    if type(x) is np.ndarray:
        return np.triu(x, k)
    from .triangle_diag import triu as _triu

    return _triu(x, k)


def diag_part(x):
    """The diagonals of a batch of matrices (last two dims)."""
    if type(x) is np.ndarray:
        return np.diagonal(x, axis1=-2, axis2=-1)
    from .triangle_diag import diagonal

    return diagonal(x, 0, -2, -1)


def np_dtype(x) -> np.dtype:
    return x.dtype if type(x) is np.ndarray else x._data.dtype


def diag_embed(v, n: int):
    """A batch of diagonal matrices from the last dim of v (a product with the identity)."""
    eye = np.eye(n, dtype=np_dtype(v))
    return np.expand_dims(v, -1) * eye


def pack(*arrays) -> np.ndarray:
    """Several results of one decomposition as one array: each flattened over its matrix
    dims and laid side by side along the last axis (the batch dims stay in front)."""
    batch = arrays[0].shape[:-2] if arrays[0].ndim >= 2 else arrays[0].shape[:-1]
    flat = [np.reshape(a, batch + (-1,)) for a in arrays]
    return np.concatenate(flat, axis=-1)


def unpack(p, batch: tuple, shapes: tuple) -> list:
    """pack's inverse; on Tensors it records slices and reshapes, so gradients flow back."""
    out, start = [], 0
    for s in shapes:
        size = int(np.prod(s))
        piece = p[..., start:start + size]
        out.append(np.reshape(piece, batch + tuple(s)))
        start += size
    return out


def colmajor(x: np.ndarray) -> np.ndarray:
    """x with each matrix stored column by column (LAPACK's layout, hence PyTorch's strides
    for the results of inv, solve, cholesky: (n, 1) matrices' strides are (1, n))."""
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(x, -1, -2)), -1, -2)


def as_tensor(x) -> Tensor:
    return Tensor._make(np.asarray(x), False, None)
