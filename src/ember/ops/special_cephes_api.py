"""``ember.special``'s Airy, Bessel Y/K, modified Bessel and orthogonal-polynomial functions:
argument checks, dtype promotion, broadcasting and ``out=`` around the NumPy kernels of
``special_cephes`` and ``special_polys``.

PyTorch defines no derivative for any of these: their results never require grad and have no
grad_fn, even for inputs that do (so ``out=`` works with such inputs, and ``backward`` on a
result is autograd's usual "does not require grad" error).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor
from . import special_cephes, special_polys
from ._util import promote
from .elementwise import _float, _not_for


def _finish(name: str, data: np.ndarray, out):
    res = Tensor._make(data, False, None)
    if out is None:
        return res
    from .._out import write_out

    return write_out(f"special_{name}", res, out)


def _floats_only(name: str, t: Tensor) -> None:
    if t._data.dtype not in (np.float32, np.float64):  # no Half/BFloat16 kernels on CPU
        _not_for(f"{name}_cpu", t)


# the functions whose argument PyTorch's signature calls input (the others: x)
_ARG = dict.fromkeys(("bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
                      "modified_bessel_k0", "modified_bessel_k1"), "input")


def _unary(name: str, kernel):
    def fn(x: Tensor, *, out=None) -> Tensor:
        if not isinstance(x, Tensor):
            from .._typename import arg_type_name

            raise TypeError(f"special_{name}(): argument '{_ARG.get(name, 'x')}' (position 1) "
                            f"must be Tensor, not {arg_type_name(x)}")
        t = _float(x)
        _floats_only(name, t)
        a = t._data
        with np.errstate(all="ignore"):
            y = kernel(a.reshape(-1)).reshape(a.shape)
        return _finish(name, np.asarray(y, a.dtype), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.special.{name}(x): no derivative (as in PyTorch)."
    return fn


def _is_number(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, complex)


def _binary(name: str, kernel):
    def fn(x, n, *, out=None) -> Tensor:
        ok = (isinstance(x, Tensor) or _is_number(x)) and (isinstance(n, Tensor) or _is_number(n))
        if not ok or not (isinstance(x, Tensor) or isinstance(n, Tensor)):
            raise TypeError(
                f"special_{name}() received an invalid combination of arguments - got "
                f"({type(x).__name__}, {type(n).__name__}), but expected one of:\n"
                " * (Tensor x, Tensor n, *, Tensor out = None)\n"
                " * (Number x, Tensor n, *, Tensor out = None)\n"
                " * (Tensor x, Number n, *, Tensor out = None)\n")
        a, b = promote(x, n, floating=True)
        t = a if isinstance(a, Tensor) else b
        _floats_only(name, t)
        dt = t._data.dtype
        xa = a._data if isinstance(a, Tensor) else np.asarray(a, dt)
        na = b._data if isinstance(b, Tensor) else np.asarray(b, dt)
        try:
            xa, na = np.broadcast_arrays(xa.astype(dt, copy=False), na.astype(dt, copy=False))
        except ValueError:
            from ..autograd._torch_errors import broadcast_mismatch, broadcast_message

            raise RuntimeError(broadcast_message(*broadcast_mismatch(xa.shape, na.shape))) \
                from None
        shape = xa.shape
        with np.errstate(all="ignore"):
            y = kernel(xa.reshape(-1), special_polys.degrees(na.reshape(-1)))
        return _finish(name, np.asarray(y, dt).reshape(shape), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"torch.special.{name}(x, n): degree n truncated to an integer; no "
                  "derivative (as in PyTorch).")
    return fn


FUNCTIONS = {**{k: _unary(k, f) for k, f in special_cephes.FUNCS.items()},
             **{k: _binary(k, f) for k, f in special_polys.FUNCS.items()}}
