"""torch._foreach_norm, _foreach_powsum, _foreach_max and _foreach_mm: one result per
tensor of a list (see _foreach.py)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import dtypes as D
from ._aten_norm import rows, sum_of_squares
from ._foreach_args import _nonempty, _rename, _same_len, _tensor_list
from ._typename import arg_type_name
from .autograd.function import Primitive
from .ops.arithmetic import type_name
from .ops.norms import _sum_in_order
from .tensor import Tensor


def _ord_dtype(fn: str, ord, dtype):
    if not isinstance(ord, numbers.Number) or isinstance(ord, Tensor):
        raise TypeError(f"{fn}(): argument 'ord' (position 2) must be Number, not "
                        f"{arg_type_name(ord)}")
    if dtype is not None and not isinstance(dtype, D.dtype):
        raise TypeError(f"{fn}(): argument 'dtype' (position 3) must be torch.dtype, not "
                        f"{arg_type_name(dtype)}")


def _in_dtype(t: Tensor, dtype, kernel: str) -> Tensor:
    """t in the requested accumulation dtype, with linalg.vector_norm's checks."""
    dt = t._data.dtype
    if dt.kind != "f":
        if kernel:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(dt)}'")
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_name(dt)}")
    if dtype is None:
        return t
    want = D.to_np(dtype)
    if want.kind != "f":
        raise RuntimeError("linalg.vector_norm: dtype should be floating point or complex, "
                           f"but got {type_name(want)}")
    if want.itemsize < dt.itemsize:
        raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({type_name(dt)}) "
                           "should be convertible without narrowing to the specified dtype "
                           f"({type_name(want)})")
    return t.to(dtype)


def _foreach_norm(self, ord=2, dtype=None):
    """torch._foreach_norm: linalg.vector_norm(t, ord, dtype=dtype) of each tensor."""
    from .ops.linalg_norms import vector_norm

    _tensor_list("_foreach_norm", self, 0, "self")
    _ord_dtype("_foreach_norm", ord, dtype)
    _nonempty(self)
    inf = math.isinf(ord)
    out = []
    for t in self:
        if inf and t._data.size == 0:
            raise RuntimeError("_foreach_norm cannot compute the infinity norm on an empty "
                               "tensor because the operation does not have an identity")
        out.append(vector_norm(_in_dtype(t, dtype, ""), ord))
    _rename(out, "ForeachNormBackward0")
    return tuple(out)


class PowSum(Primitive):
    """y = sum |x|^p over every entry, in ATen's order (the 2-norm's: _aten_norm.py; others:
    ops/norms.py _sum_in_order).
    PyTorch defines no derivative for it: backward raises its error."""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, p):
        if p == 2:  # ATen's 2-norm lanes, a dense run of any length (_aten_norm.rows)
            got = rows(x, None, any_length=True)
            if got is not None and got[2]:
                return sum_of_squares(got[0]).reshape(())
            return np.asarray(np.sum(x * x), dtype=x.dtype)
        a = np.abs(x)
        if p != 1:
            with np.errstate(divide="ignore", over="ignore"):
                a = a ** x.dtype.type(p)
        return np.asarray(_sum_in_order(x, a, None, False), dtype=x.dtype).reshape(())

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::_foreach_powsum is not implemented")


PowSum._node_cls.name = lambda self: "torch::autograd::NotImplemented"  # a C++ node


def _foreach_powsum(self, ord=2, dtype=None):
    """torch._foreach_powsum: sum(|t|^ord) of each tensor (its norm before the root)."""
    _tensor_list("_foreach_powsum", self, 0, "self")
    _ord_dtype("_foreach_powsum", ord, dtype)
    _nonempty(self)
    return tuple(PowSum.apply(_in_dtype(t, dtype, "powsum_cpu"), float(ord)) for t in self)


def _foreach_max(self):
    """torch._foreach_max: the largest entry of each tensor (nan if any), 0-dim."""
    _tensor_list("_foreach_max", self, 0, "self")
    _nonempty(self)
    out = []
    for t in self:
        if t._data.size == 0:
            raise RuntimeError("_foreach_max cannot compute the maximum of an empty tensor; "
                               "max over zero elements is undefined.")
        out.append(t.max())
    _rename(out, "ForeachMaxBackward1")
    return tuple(out)


def _foreach_mm(self, mat2):
    """torch._foreach_mm: the matrix product of each pair."""
    from .ops import mm

    _tensor_list("_foreach_mm", self, 0, "self")
    _tensor_list("_foreach_mm", mat2, 1, "mat2")
    _nonempty(self)
    _same_len(self, mat2)
    out = tuple(mm(a, b) for a, b in zip(self, mat2))
    _rename(out, "ForeachMmBackward0")
    return out
