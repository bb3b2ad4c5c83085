"""Helpers shared by the distributions, as torch.distributions.utils names them: broadcasting
parameters, logits <-> probabilities, clamping, lazy attributes, triangular packing."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .independent import _sum_rightmost  # noqa: F401  (PyTorch keeps it here too)

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni


def broadcast_all(*values):
    """Tensors broadcast together; numbers become tensors of the first tensor's dtype (the
    default float dtype when there is none: Normal(0, 1) is float32, as in PyTorch). Numbers
    are Python's int, float and bool as in PyTorch: NumPy's float32 / int64 scalars (not
    subclasses of float / int) and complex numbers are refused with PyTorch's ValueError."""
    if not all(isinstance(v, (Tensor, int, float, bool)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        from ..creation import tensor
        from ..dtypes import get_default_dtype

        dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
        values = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    if all(v._data.shape == values[0]._data.shape for v in values):
        return tuple(values)  # the usual case: nothing to expand (saves ~2 us per call)
    return tuple(ops.broadcast_tensors(*values))


def _standard_normal(shape, dtype, device) -> Tensor:
    """``empty(shape, dtype=dtype, device=device).normal_()``: standard normal draws from the
    default generator (DrQ-v2 and TD-MPC sample their TruncatedNormal noise with it)."""
    from ..creation import empty
    return empty(shape, dtype=dtype, device=device).normal_()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid for one log-odds per event, softmax over the last dim otherwise."""
    if is_binary:
        return ops.sigmoid(logits)
    return ops.softmax(logits, -1)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped into [eps, 1 - eps] (eps of probs' dtype), so their logs stay finite."""
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds log p - log(1 - p) when binary, else log p (of the clamped probabilities)."""
    p = clamp_probs(probs)
    if is_binary:
        return p.log() - ops.log1p(-p)
    return p.log()


class lazy_property:  # noqa: N801 - PyTorch's name
    """A method run once on first access (with gradients enabled, so the cached value keeps
    its graph) and then stored on the instance, which hides the descriptor."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_mask(n: int, diag: int) -> np.ndarray:
    """Entries (i, j) with j <= i + diag, in row order."""
    idx = np.arange(n)
    return idx[None, :] < idx[:, None] + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries on and below diagonal ``diag`` of each D x D matrix, in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = np.nonzero(_tril_mask(n, diag))
    return mat[..., rows.tolist(), cols.tolist()] if rows.size else mat.reshape(
        tuple(mat.shape[:-2]) + (-1,))[..., :0]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of tril_matrix_to_vec: D x D matrices, zero above diagonal ``diag``."""
    m = vec.shape[-1]
    # the positive root of D^2 + (1 + 2 diag) D - |diag| (diag + 1) - 2 m = 0
    b = 1 + 2 * diag
    n = (-b + math.sqrt(b * b + 8 * m + 4 * abs(diag) * (diag + 1))) / 2
    if round(n) - n > float(np.finfo(vec._data.dtype).eps):
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mask = _tril_mask(n, diag)
    flat = np.flatnonzero(mask.reshape(-1))
    # scatter the vector into the flattened matrix through a 0/1 selection matrix, so the
    # result stays differentiable in vec
    select = np.zeros((m, n * n), dtype=vec._data.dtype)
    select[np.arange(m), flat] = 1
    out = vec @ Tensor._make(select, False, None)
    return out.reshape(tuple(vec.shape[:-1]) + (n, n))
