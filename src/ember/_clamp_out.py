"""``torch.clamp`` / ``clip`` / ``clamp_min`` / ``clamp_max`` with ``out=``: which of PyTorch's
two overloads the call takes decides how a result of another dtype than ``out``'s is stored.

* Tensor bounds (``clamp.Tensor_out``): an ordinary element-wise kernel, so a result that can
  be cast is written in ``out``'s dtype and one that cannot is refused as "result type Float
  can't be cast to the desired output type Long".
* Number bounds (``clamp.out``; a 0-d tensor without grad beside a Python number counts as a
  number): ``out`` must have the result's dtype ("Found dtype ..., left to ``write_out``),
  except when ``out`` is the input itself, where PyTorch runs its in-place scalar kernel and
  names ``out``'s C++ type ("... desired output type long int")."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

CLAMPS = frozenset(("clamp", "clip", "clamp_min", "clamp_max"))
_C_NAMES = {"int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
            "uint8": "unsigned char", "bool": "bool"}


def _bounds(name: str, args, kwargs) -> list:
    if name in ("clamp_min", "clamp_max"):
        key = name[-3:]
        return [args[1] if len(args) > 1 else kwargs.get(key)]
    return [args[i] if len(args) > i else kwargs.get(key)
            for i, key in ((1, "min"), (2, "max"))]


def clamp_result(name: str, args, kwargs, result, out):
    """``result`` as ``write_out`` should store it into ``out`` (see the module docstring),
    or PyTorch's refusal."""
    if not (isinstance(result, Tensor) and isinstance(out, Tensor)):
        return result
    got, want = np.dtype(result._data.dtype), np.dtype(out._data.dtype)
    if got == want:
        return result
    from ._inplace import _can_cast
    from .ops.arithmetic import type_name
    from .ops.selection import _number_bound

    bounds = _bounds(name, args, kwargs)
    numbers = len(bounds) == 2 and all(
        _number_bound(b, o) for b, o in zip(bounds, bounds[::-1]) if b is not None)
    if any(isinstance(b, Tensor) for b in bounds) and not numbers:  # the Tensor overload
        if not _can_cast(got, want):
            raise RuntimeError(f"result type {type_name(got)} can't be cast to the desired "
                               f"output type {type_name(want)}")
        return result.to(out.dtype)
    first = args[0] if args else kwargs.get("input")
    if first is out and not _can_cast(got, want) and want.name in _C_NAMES:
        raise RuntimeError(f"result type {type_name(got)} can't be cast to the desired "
                           f"output type {_C_NAMES[want.name]}")
    return result
