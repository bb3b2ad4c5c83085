"""Yet more Tensor methods, bound on first use (ember/_lazy_methods.py): the LU family,
splits without views, the complex-number API on real tensors, storage ops (as_strided_,
resize_), index_reduce, igamma, and the element-wise Python callbacks apply_/map_/map2_.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _removed, ops, sparse
from .ops import index_reduce as IR
from .ops import lu_torch as LT
from .ops import strided_scatter as SS
from .ops import tensor_extra as TE


def _inplace(op, name: str):
    def method(self, *args, **kwargs):
        self._check_inplace()
        return self._write(op(self._graph_input(), *args, **kwargs))

    method.__name__ = name
    return method


def split_with_sizes(self, split_sizes, dim=0):
    return TE.split_with_sizes(self, split_sizes, dim, _pos=1)


def unsafe_split_with_sizes(self, split_sizes, dim=0):
    return TE.unsafe_split_with_sizes(self, split_sizes, dim, _pos=1)


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad=False, pin_memory=False):
    from ._new_factories import check_strided
    from .ops.misc_types import empty_strided

    check_strided(size, stride, "new_empty_strided")
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_bool

        requires_grad = rg_bool("new_empty_strided", requires_grad)
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device,
                         requires_grad=requires_grad)


def _igamma_method(name: str):
    def method(self, other):
        return TE._igamma(name, self, other, 1)

    method.__name__ = name
    return method


def lu(self, pivot=True, get_infos=False):
    return LT.lu(self, pivot, get_infos)


def lu_solve(self, LU_data, LU_pivots):  # noqa: N803 - PyTorch's names
    return LT.lu_solve(self, LU_data, LU_pivots)


def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
    return LT.triangular_solve(self, A, upper, transpose, unitriangular)


# ---- apply_, map_, map2_: a Python callable per element (CPU tensors, no autograd) ----

def _no_grad(name: str, *tensors) -> None:
    if any(t._rg for t in tensors):
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")


def _converter(dt: np.dtype):
    """Python value -> an element of dtype ``dt``, with PyTorch's errors."""
    from .tensor import Tensor

    def number(v):
        if isinstance(v, Tensor):
            return v.item() if v._data.size == 1 else v.__index__()
        if not isinstance(v, numbers.Real):
            raise TypeError(f"must be real number, not {type(v).__name__}")
        return v

    if dt.kind == "b":
        return lambda v: bool(number(v))
    if dt.kind == "f":
        return lambda v: float(number(v))
    info = np.iinfo(dt)

    def integer(v):
        v = number(v)
        try:
            i = int(v)
        except (ValueError, OverflowError):
            i = None
        if i is None or not info.min <= i <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
        return i

    return integer


def _run(self, fn, *others) -> None:
    """self[i] = fn(self[i], *(o[i] for o in others)), in row-major order; PyTorch bumps no
    version for these."""
    arr = self._ensure_array()
    convert = _converter(arr.dtype)
    columns = [arr.reshape(-1).tolist()] + [o.reshape(-1).tolist() for o in others]
    values = [convert(fn(*vals)) for vals in zip(*columns)]
    arr[...] = np.asarray(values, arr.dtype).reshape(arr.shape) if values else arr


def apply_(self, callable):  # noqa: A002 - PyTorch's name
    """Replace each element by ``callable(element)`` (a Python number in, one out)."""
    _no_grad("apply_", self)
    _run(self, callable)
    return self


def _operand(name: str, arg: str, pos: int, t) -> None:
    from .tensor import Tensor

    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(t).__name__}")


def _same_type(self, name: str, label: str, t) -> np.ndarray:
    if t._data.dtype != self._data.dtype:
        raise TypeError(f"{name}: expected {self.type()} for {label} (got {t.type()})")
    return np.asarray(t.expand(self.shape)._data)


def map_(self, tensor, callable):  # noqa: A002
    """self[i] = callable(self[i], tensor[i]), ``tensor`` broadcast to self's shape."""
    _operand("map_", "other", 1, tensor)
    _no_grad("map_", self, tensor)
    other = _same_type(self, "map_", "'other'", tensor)
    _run(self, callable, other)
    return self


def map2_(self, x, y, callable):  # noqa: A002
    """self[i] = callable(self[i], x[i], y[i]), x and y broadcast to self's shape."""
    _operand("map2_", "x", 1, x)
    _operand("map2_", "y", 2, y)
    _no_grad("map2_", self, x, y)
    xs = _same_type(self, "map2_", "argument 'x'", x)
    ys = _same_type(self, "map2_", "argument 'y'", y)
    _run(self, callable, xs, ys)
    return self


def to_dense(self, dtype=None, *, masked_grad=None):
    """A strided tensor is already dense: itself, or a copy in ``dtype``."""
    return self if dtype is None or dtype == self.dtype else self.to(dtype)


METHODS = {
    "ger": ops.ger, "split_with_sizes": split_with_sizes,
    "unsafe_split": TE.unsafe_split, "unsafe_chunk": TE.unsafe_chunk,
    "unsafe_split_with_sizes": unsafe_split_with_sizes, "narrow_copy": TE.narrow_copy,
    "new_empty_strided": new_empty_strided, "adjoint": TE.adjoint, "conj": TE.conj,
    "conj_physical": TE.conj_physical, "conj_physical_": TE.conj_physical_,
    "resolve_conj": TE.resolve_conj, "resolve_neg": TE.resolve_neg, "is_conj": TE.is_conj,
    "is_neg": TE.is_neg, "angle": TE.angle, "nonzero_static": TE.nonzero_static,
    "as_strided_": SS.as_strided_, "as_strided_scatter": SS.as_strided_scatter,
    "resize_": SS.resize_, "resize_as_": SS.resize_as_, "resize": SS.resize,
    "resize_as": SS.resize_as,
    "index_reduce": IR.index_reduce, "index_reduce_": _inplace(IR.index_reduce, "index_reduce_"),
    "igamma": _igamma_method("igamma"), "igammac": _igamma_method("igammac"),
    "igamma_": _inplace(_igamma_method("igamma"), "igamma_"),
    "igammac_": _inplace(_igamma_method("igammac"), "igammac_"),
    "lu": lu, "lu_solve": lu_solve, "triangular_solve": triangular_solve,
    "apply_": apply_, "map_": map_, "map2_": map2_, "to_dense": to_dense, **_removed.METHODS,
    **sparse.METHODS,
}
def _volatile_get(self) -> bool:
    from ._warn import warn

    warn("volatile was removed (Variable.volatile is always False)")
    return False


def _volatile_set(self, value) -> None:
    from ._warn import warn

    warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.")


PROPERTIES = {
    "volatile": property(_volatile_get, _volatile_set),  # Variable-era code (PyTorch < 0.4)
    "real": TE.real_property, "imag": TE.imag_property,
    "layout": property(lambda self: TE.strided), "name": property(lambda self: self.__dict__.get("_variable_name")),  # Variable(name=)
}


def bind(T) -> None:
    """Install these methods and properties on Tensor (called on first use of one)."""
    for name, fn in METHODS.items():
        setattr(T, name, fn)
    for name, prop in PROPERTIES.items():
        setattr(T, name, prop)
