"""``torch.nn.utils.parametrizations``: weight_norm, spectral_norm and orthogonal as
parametrizations (see ``parametrize.py``)."""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

import ember as _t
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _default_dim, _weight_matrix
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _no_such_tensor(module: Module, name: str) -> ValueError:
    return ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")


# ---- weight_norm ------------------------------------------------------------------------
class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``module.<name> = g * v / ||v||`` with ``original0`` = g (the norms over every dim
    but ``dim``) and ``original1`` = v. As PyTorch, a state_dict saved from the deprecated
    hook form (``<name>_g`` and ``<name>_v``) still loads: a load pre-hook renames the pair
    to ``parametrizations.<name>.original0`` / ``original1``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_hook_form_keys(state_dict, prefix, *rest):
        old_g, old_v = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if old_g in state_dict and old_v in state_dict:  # only the pair together
            new = f"{prefix}parametrizations.{name}.original"
            state_dict[new + "0"] = state_dict.pop(old_g)
            state_dict[new + "1"] = state_dict.pop(old_v)

    module._register_load_state_dict_pre_hook(rename_hook_form_keys)
    return module


# ---- spectral_norm ----------------------------------------------------------------------
class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            with no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        return _weight_matrix(weight, self.dim)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        with no_grad():  # u first, then v (the hook form does v first)
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(_t.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(_t.mv(weight_mat.H, self._u), dim=0,
                                          eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = _t.vdot(u, _t.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """``module.<name>`` divided by its largest singular value, estimated by power
    iteration (buffers ``parametrizations.<name>.0._u`` / ``._v``; 15 steps at
    registration, ``n_power_iterations`` per access in training mode)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise _no_such_tensor(module, name)
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---- orthogonal -------------------------------------------------------------------------
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i the i-th column
    of ``a`` below the diagonal with a unit diagonal entry (LAPACK's orgqr), from
    differentiable ops."""
    n, k = a.shape[-2], a.shape[-1]
    vs = a.tril(-1) + _t.eye(n, k, dtype=a.dtype)
    q = _t.eye(n, k, dtype=a.dtype).expand(*a.shape[:-2], n, k)
    for i in reversed(range(k)):
        v = vs[..., :, i:i + 1]
        q = q - tau[..., i:i + 1].unsqueeze(-1) * (v @ (v.mT @ q))
    return q


def _make_orthogonal(a: Tensor) -> Tensor:
    """Q of A = QR with R's diagonal made positive (unique for full-rank A)."""
    from ... import linalg

    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eye = _t.eye(k, dtype=q.dtype)
    eps = 10.0 * n * float(np.finfo(np.dtype(str(q.dtype).split(".")[-1])).eps)
    return bool(_t.allclose(q.mH @ q, eye, atol=eps))


def _geqrf(a: Tensor) -> tuple:
    """LAPACK's geqrf (the Householder vectors below R, and tau), batch by batch."""
    arr = a.detach().numpy()
    flat = arr.reshape(-1, *arr.shape[-2:])
    hs, taus = zip(*(np.linalg.qr(m, mode="raw") for m in flat))
    h = np.stack([x.T for x in hs]).reshape(arr.shape)
    tau = np.stack(taus).reshape(*arr.shape[:-2], -1)
    return _t.from_numpy(h.astype(arr.dtype)), _t.from_numpy(tau.astype(arr.dtype))


class _Orthogonal(Module):
    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = _t.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _t.matrix_exp(A)
            else:
                from ... import linalg

                eye = _t.eye(n, dtype=A.dtype)
                Q = linalg.solve(_t.add(eye, A, alpha=-0.5), _t.add(eye, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError("It is not possible to assign to the matrix "
                                          "exponential or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            A, tau = _geqrf(Q)
            diag = A.diagonal(dim1=-2, dim2=-1)
            signs = diag.sign()
            signs[tau == 0.0] *= -1
            diag.copy_(signs)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            N = _t.randn(*(Q.shape[:-2] + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(_t.cat([Q, N], dim=-1))
        self.base = Q
        neg_id = _t.zeros_like(Q_init)
        neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep ``module.<name>`` (a matrix or batch of matrices) orthogonal (or with
    orthonormal rows/columns when not square) through ``orthogonal_map``: "matrix_exp",
    "cayley" or "householder" (default: matrix_exp for square, householder otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise _no_such_tensor(module, name)
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
