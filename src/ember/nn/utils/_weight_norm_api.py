"""``torch.norm_except_dim`` and ``torch._weight_norm`` as public top-level functions: the
argument checks of PyTorch's parser and kernels in front of the helpers that
``nn.utils.weight_norm`` and ``parametrizations.weight_norm`` use."""

from __future__ import annotations

from ...tensor import Tensor, _wrap_dim
from ..._typename import arg_type_name
from ...ops.arithmetic import type_name
from ...ops.special_fns import _int_arg
from .weight_norm import _weight_norm as _weight_norm_impl
from .weight_norm import norm_except_dim as _norm_except_dim_impl

__all__ = ["norm_except_dim", "_weight_norm"]

def _scalar_name(t: Tensor) -> str:
    return type_name(t._data.dtype)


def _tensor_arg(x, fn: str, name: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{arg_type_name(x)}")


def _dim_arg(v: Tensor, dim) -> int:
    """dim=-1 means every dim; any other is wrapped as PyTorch wraps it (0-d: only -1, 0)."""
    if dim == -1:
        return -1
    if v.dim() == 0:
        if dim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        return _wrap_dim(dim, 0)
    return _wrap_dim(dim, v.dim())


def norm_except_dim(v: Tensor, pow: int = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of each slice of ``v`` along ``dim``, kept with size 1 on the other
    dims; ``dim=-1``: the norm of the whole tensor (0-d). ``pow`` and ``dim`` are ints."""
    _tensor_arg(v, "norm_except_dim", "v", 1)
    pow = _int_arg(pow, "norm_except_dim", "pow", 2)
    dim = _int_arg(dim, "norm_except_dim", "dim", 3)
    if not (v.is_floating_point() or v.is_complex()):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_scalar_name(v)} instead.")
    return _norm_except_dim_impl(v, pow, _dim_arg(v, dim))


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """w = v * g / norm_except_dim(v, 2, dim): the fused node for the first or last dim
    (which wants v and g of one dtype), the composite formula otherwise."""
    _tensor_arg(v, "_weight_norm", "v", 1)
    _tensor_arg(g, "_weight_norm", "g", 2)
    dim = _int_arg(dim, "_weight_norm", "dim", 3)
    if dim != -1:
        dim = _dim_arg(v, dim)
    if dim != -1 and (dim == 0 or dim == v.dim() - 1):
        if not (v.is_floating_point() or v.is_complex()):
            raise NotImplementedError(
                f"\"weight_norm_kernel\" not implemented for '{_scalar_name(v)}'")
        if v.dtype != g.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(v)} but found "
                               f"{_scalar_name(g)}")
    elif not (v.is_floating_point() or v.is_complex()):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_scalar_name(v)} instead.")
    return _weight_norm_impl(v, g, dim)

