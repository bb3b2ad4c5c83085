"""``torch.max`` / ``torch.min`` with ``out=``, as PyTorch's three overloads take it.

* ``max(x, other, out=t)`` (AdaBelief's amsgrad ``torch.max(max_exp_avg_var, v,
  out=max_exp_avg_var)``): the element-wise maximum stored in ``t``, which is returned;
  out's dtype may be any the result casts to, as torch.maximum's.
* ``max(x, dim, keepdim, out=(values, indices))``: both written (values of x's dtype and
  int64 indices exactly, resized as needed), returned as ``torch.return_types.max_out``.
* ``max(x, out=t)``: the full reduction stored in ``t``.

No autograd through any of them: an input that requires grad is PyTorch's RuntimeError
while grad mode is on.
"""

from __future__ import annotations

import numpy as np

from .._out import _C_TYPES
from ..return_types import make as make_return_type
from ..tensor import Tensor



def _refuse(name: str, args: str) -> TypeError:
    return TypeError(f"{name}() received an invalid combination of arguments - got ({args}), "
                     "but expected one of:")


def _exact(t: Tensor, want: np.dtype) -> None:
    got = t._data.dtype
    if got != want:
        raise RuntimeError(f"Expected out tensor to have dtype {_C_TYPES[want.name]}, but got "
                           f"{_C_TYPES[got.name]} instead")


def with_extreme_out(fn, name: str):
    """torch.max / torch.min (``fn``) taking ``out=`` (the methods take none)."""
    import functools

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        input = args[0] if args else kwargs.get("input")
        other = kwargs.get("other")
        if other is None and len(args) > 1 and isinstance(args[1], Tensor):
            other = args[1]
        dim = 0 if isinstance(result, tuple) else None  # the dim overload gave a pair
        return into(name, input, dim, other, result, out)

    return call


def into(name: str, input: Tensor, dim, other, result, out):
    """``result`` (max's or min's answer without ``out``) written into ``out``."""
    from .._out import write_out

    if other is not None:  # the element-wise overload
        if not isinstance(out, Tensor):
            raise _refuse(name, f"Tensor, Tensor, out={type(out).__name__}")
        return write_out("maximum" if name == "max" else "minimum", result, out)
    if dim is None:  # the full reduction
        if not isinstance(out, Tensor):
            raise _refuse(name, f"Tensor, out={type(out).__name__}")
        if not np.can_cast(result._data.dtype, out._data.dtype, "same_kind"):
            raise RuntimeError(
                "Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
                "out.dtype())) to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")
        return write_out(name, result, out)
    if not isinstance(out, (tuple, list)):
        raise _refuse(name, f"Tensor, int, out={type(out).__name__}")
    if len(out) != 2:
        raise TypeError(f"expected tuple of 2 elements but got {len(out)}")
    values, indices = out
    for t in out:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                            f"{type(t).__name__}")
    _exact(values, input._data.dtype)
    _exact(indices, np.dtype(np.int64))
    write_out(name, result[0], values)
    write_out(name, result[1], indices)
    return make_return_type(name + "_out", ("values", "indices"))(values, indices)


# ---- out=(values, indices) on the other ops returning a pair --------------------------
_EXACT = "Expected out tensor to have dtype {want_c}, but got {got_c} instead"
_MEDIAN = ("Expected tensor for 'values' to have the same type as tensor for argument #2 "
           "'self'; but type torch.{got}Tensor does not equal torch.{want}Tensor (while "
           "checking arguments for median)",
           "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
           "torch.{got}Tensor instead (while checking arguments for median)")
# each op's (values, indices) dtype messages, as PyTorch words them
_PAIR_MESSAGES = {
    "topk": (_EXACT, _EXACT),
    "aminmax": (_EXACT, _EXACT),
    "kthvalue": ("output values must be of same type as input",
                 "output indices must be of scalar type Long"),
    "mode": ("expected scalar type '{want}' but got '{got}' for values output",
             "expected scalar type '{want}' but got '{got}' for indices output"),
    "median": _MEDIAN, "nanmedian": _MEDIAN,
    "cummax": ("expected scalar_type {want} but found {got}",) * 2,
    "cummin": ("expected scalar_type {want} but found {got}",) * 2,
}
_FIELDS = {"aminmax": ("min", "max")}
PAIR_NAMES = frozenset(_PAIR_MESSAGES)


def _pair_check(name: str, which: int, t: Tensor, want: np.dtype) -> None:
    from .arithmetic import type_name

    got = t._data.dtype
    if got != want:
        raise RuntimeError(_PAIR_MESSAGES[name][which].format(
            want=type_name(want), got=type_name(got), want_c=_C_TYPES[want.name],
            got_c=_C_TYPES[got.name]))


def with_pair_out(fn, name: str):
    """``fn`` (an op returning a values/indices pair) taking PyTorch's ``out=(a, b)``: both
    written, returned as ``torch.return_types.<name>_out``."""
    import functools

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, (tuple, list)):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                            f"{type(out).__name__}")
        if len(out) != 2:
            raise TypeError(f"expected tuple of 2 elements but got {len(out)}")
        for t in out:
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                                f"{type(t).__name__}")
        result = fn(*args, **kwargs)
        from ..autograd.grad_mode import STATE

        if STATE.enabled and (result[0]._rg or any(t._rg for t in out)):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        from .._out import write_out

        for i, (t, r) in enumerate(zip(out, result)):
            _pair_check(name, i, t, r._data.dtype)
            write_out(name, r.detach(), t)
        return make_return_type(name + "_out", _FIELDS.get(name, ("values", "indices")))(*out)

    return call


def install(namespace: dict) -> None:
    """Wrap the pair-returning functions bound in ``namespace`` (ember's top level)."""
    for name in _PAIR_MESSAGES:
        fn = namespace.get(name)
        if fn is not None:
            namespace[name] = with_pair_out(fn, name)
    for name in ("max", "min"):
        namespace[name] = with_extreme_out(namespace[name], name)
