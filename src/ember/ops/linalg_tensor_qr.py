"""torch.linalg.tensorinv / tensorsolve / householder_product and torch.geqrf / orgqr /
ormqr.

tensorinv and tensorsolve reshape to matrices and call ``linalg.inv`` / ``linalg.solve``,
so their gradients are those ops' gradients. householder_product is built from ember ops
(a product of reflectors), so its gradient is the chain rule through those ops. geqrf (as
PyTorch) has no derivative: its outputs carry a node whose backward raises.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import _linalg_common as C
from ._linalg_common import return_type
from ._shown_graph import as_node, no_derivative
from .arithmetic import type_name

GeqrfResult = return_type("geqrf", ("a", "tau"))


def tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """The inverse of A read as a prod(shape[:ind]) x prod(shape[ind:]) matrix, shaped
    shape[ind:] + shape[:ind]."""
    from .linalg_functions import inv

    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(shape[ind:] + shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B; ``dims`` are moved to A's end first."""
    from .linalg_functions import solve

    if dims is not None:
        nd = A.dim()
        moved = [d % nd for d in dims]
        keep = [d for d in range(nd) if d not in moved]
        A = A.permute(*keep, *moved)
    shape = tuple(A.shape)
    nb = B.dim()
    rest = shape[nb:]
    rows, cols = B.numel(), math.prod(rest)
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(rest)


def _check_qr_float(A: Tensor, kernel: str) -> None:
    if A._data.dtype.kind != "f" or A._data.dtype == np.float16:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{type_name(A._data.dtype)}'")


def eye_like(A: Tensor, m: int, n: int) -> Tensor:
    return C.as_tensor(np.eye(m, n, dtype=A._data.dtype))


def householder_product(A: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = (0, .., 0, 1,
    A[i+1:, i]) (LAPACK's orgqr); differentiable through the ops that build it, ended by
    PyTorch's one node name."""
    try:
        A._data, tau._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(A=A, tau=tau) from None
    from .triangle_diag import tril

    name = "torch.linalg.householder_product"
    if A.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.dim() < 1:
        raise RuntimeError(f"{name}: tau must have at least 1 dimension.")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if n < k:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if A.dim() - tau.dim() != 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but "
                           f"got tau.ndim equal to {tau.dim()} and input.ndim is equal to "
                           f"{A.dim()}")
    _check_qr_float(A, "orgqr_cpu")
    if tau._data.dtype != A._data.dtype:
        raise RuntimeError(f"{name}: tau dtype {type_name(tau._data.dtype)} does not match "
                           f"input dtype {type_name(A._data.dtype)}")
    V = tril(A, -1) + eye_like(A, m, n)
    Q = eye_like(A, m, m).expand(*A.shape[:-2], m, m)
    for i in range(k):
        v = V[..., :, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        Q = Q - (Q @ v) @ (v.mT * t)
    return as_node(Q[..., :, :n], "LinalgHouseholderProductBackward0")


def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    return householder_product(input, tau)


_Geqrf = no_derivative("GeqrfBackward0", "geqrf")  # its packed output


def geqrf(input: Tensor, *, out=None):
    """(a, tau): R in a's upper triangle, the Householder vectors below it (LAPACK's geqrf)."""
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if input.dim() < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _check_qr_float(input, "geqrf_cpu")
    a = input._data
    h, tau = np.linalg.qr(a, mode="raw")  # h is the result transposed (LAPACK's layout)
    h, tau = C.mT(h).astype(a.dtype, copy=False), tau.astype(a.dtype, copy=False)
    if not input.requires_grad:
        return GeqrfResult(C.as_tensor(h), C.as_tensor(tau))
    return GeqrfResult(_Geqrf.apply(input, h), _Geqrf.apply(input, tau))


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True,
          transpose: bool = False, *, out=None) -> Tensor:
    """Q @ other (or other @ Q, with Q^T when ``transpose``), Q = householder_product of
    (input, tau) extended to a square m x m product."""
    m = input.shape[-2]
    from .join_split import cat

    n = input.shape[-1]
    if n < m:  # the full square Q: pad the reflectors with zero columns (tau 0 there)
        pad = input.new_zeros(*input.shape[:-1], m - n)
        full = cat([input, pad], -1)
    else:
        full = input
    Q = householder_product(full, tau)
    Q = Q.mT if transpose else Q
    return Q @ other if left else other @ Q
