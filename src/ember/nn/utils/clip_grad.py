"""Gradient clipping: by total norm (``clip_grad_norm_``) or by value (``clip_grad_value_``).

Gradients are scaled in place, outside autograd, as PyTorch does.
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable

import numpy as np

from ..._np_raw import vdot as _vdot
from ...tensor import Tensor

_Tensors = Tensor | Iterable[Tensor]
_BLAS = (np.dtype(np.float32), np.dtype(np.float64))  # np.dot's fast real dtypes
_F32 = np.dtype(np.float32)


def _as_list(tensors: _Tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: _Tensors) -> list:
    """The gradients that are set. A leaf's ``_grad`` is read directly (the property's
    call, twice a parameter, cost ~1 us each inside an RL training loop); other tensors go
    through ``.grad`` and its warning."""
    grads = []
    for p in _as_list(parameters):
        try:
            g = p._grad if p.grad_fn is None else p.grad
        except AttributeError:  # not a tensor: PyTorch's AttributeError names 'grad'
            g = p.grad
        if g is not None:
            grads.append(g)
    return grads


def _vector_norm(a: np.ndarray, p: float):
    """||a||_p of the flattened array, in a's dtype (p may be inf, -inf or 0). Half
    precision is accumulated in float32, as PyTorch does, so squares do not overflow."""
    if a.dtype.kind == "f" and a.dtype.itemsize < 4:
        return _vector_norm(a.astype(np.float32), p).astype(a.dtype)
    a = np.abs(a.reshape(-1))
    if p == math.inf:
        return a.max() if a.size else a.dtype.type(0)
    if p == -math.inf:
        return a.min()
    if p == 0:
        return a.dtype.type(np.count_nonzero(a))
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(a, a))
    return (a ** p).sum() ** (1.0 / p)


def _norms_2(arrays: list):
    """Each array's 2-norm as one array (None unless all are float32/float64 ndarrays):
    sqrt(a . a) is one BLAS call per array (vdot flattens), the general path's value."""
    sq = []
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype not in _BLAS:
            return None
        sq.append(_vdot(a, a))
    return np.sqrt(np.array(sq))


def get_total_norm(tensors: _Tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The p-norm of all ``tensors`` together (the norm of their individual norms)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.array(0.0, dtype=np.float32), False, None)
    arrays = [t._data for t in tensors]
    norms = _norms_2(arrays) if norm_type == 2.0 else None
    if norms is None:
        norms = np.stack([_vector_norm(np.asarray(a), norm_type) for a in arrays])
    total = np.asarray(_vector_norm(norms, norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(total, False, None)


_EPS32 = float(np.float32(1e-6))


def _clip_2(grads: list, max_norm: float):
    """The 2-norm case of ``clip_grad_norm_`` on float32 gradients (an RL agent's every
    step), or None to take the general path: the same values, with the coefficient worked
    out on Python floats instead of 0-d arrays (~4 us less a call). Rounding each float64
    result of two float32 operands to float32 gives the float32 operation's exact result (a
    double has more than twice float32's digits), so the coefficient is PyTorch's float32
    1 / (total + 1e-6) * max_norm (a number over a tensor is Tensor.__rtruediv__, the
    reciprocal times the number), clamped to 1."""
    arrays = []
    for g in grads:
        a = g._data
        if type(a) is not np.ndarray or a.dtype != _F32 or not a.flags.writeable:
            return None
        arrays.append(a)
    norms = _norms_2(arrays)
    total = np.sqrt(np.dot(norms, norms))  # _vector_norm's: the norms need no abs()
    # PyTorch's max_norm / (total + 1e-6) is a number over a tensor: reciprocal() * max_norm
    recip = float(np.float32(1.0 / float(np.float32(float(total) + _EPS32))))
    coef = np.float32(recip * float(np.float32(max_norm)))
    scale = not coef >= 1.0  # clamped to 1 (x * 1 == x: no multiply); nan scales, as PyTorch
    for g, a in zip(grads, arrays):
        if scale:
            np.multiply(a, coef, out=a)
        vc = g._vc
        if vc.__class__ is list:  # g._bump(), inline: a call less a parameter
            vc[0] += 1
        else:
            g._bump()
    return Tensor._make(np.asarray(total), False, None)


def _scale(grads: list, coef: np.ndarray) -> None:
    """Multiply every gradient in place by min(1, max_norm / (total + 1e-6)), PyTorch's
    clip coefficient, and bump its version as an in-place op does."""
    scale = not coef == 1  # x * 1 == x for every float: skip the multiply, not the bump
    coefs = {}
    for g in grads:
        arr = g._ensure_array()
        if scale:
            c = coefs.get(arr.dtype)
            if c is None:  # half precision is scaled in float32 (a tiny coef is subnormal)
                c = coefs[arr.dtype] = coef.astype(arr.dtype if arr.dtype.itemsize >= 4
                                                   else np.float32)
            np.multiply(arr, c, out=arr, casting="unsafe")
        g._bump()


def _coef(max_norm: float, total_norm) -> np.ndarray:
    total = np.asarray(total_norm._data if isinstance(total_norm, Tensor) else total_norm)
    # max_norm / (total + 1e-6) as PyTorch computes a number over a tensor: the reciprocal
    # in the tensor's dtype, times the number (PyTorch takes "10" too)
    return np.minimum(np.reciprocal(total + 1e-6) * float(max_norm), 1.0)


def clip_grads_with_norm_(parameters: _Tensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    grads = _grads(parameters)
    if grads:
        _scale(grads, _coef(max_norm, total_norm))


def clip_grad_norm_(parameters: _Tensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale gradients so their total ``norm_type``-norm is at most ``max_norm``; return the
    total norm from before clipping."""
    max_norm = float(max_norm)  # (None fails here, as in PyTorch, even with no gradients)
    grads = _grads(parameters)
    if norm_type == 2.0 and not error_if_nonfinite and grads:
        done = _clip_2(grads, max_norm)
        if done is not None:
            return done
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if grads:
        _scale(grads, _coef(max_norm, total))
    return total


def clip_grad_norm(parameters: _Tensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _Tensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:  # PyTorch groups the grads by device first, which refuses an empty list
        raise RuntimeError("Expected !nested_tensorlist[0].empty() to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    for g in grads:
        arr = g._ensure_array()
        np.clip(arr, -clip_value, clip_value, out=arr)
        g._bump()
