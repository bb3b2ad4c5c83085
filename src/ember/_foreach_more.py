"""torch._foreach_zero_, _foreach_copy_, _foreach_clone, and the lerp, addcmul and addcdiv
forms (see _foreach.py)."""

from __future__ import annotations

import numpy as np

from ._fma import fma_into
from ._foreach_args import (_check_writable, _elements, _invalid, _is_list, _node_name,
                            _nonempty, _NoDerivative, _rename, _same_len, _scalar_arg,
                            _scalars_len, _split, _tensor_list)
from .autograd.grad_mode import STATE
from .ops._util import check_broadcast
from .ops.ternary import _wide
from .tensor import Tensor

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _foreach_zero_(self):
    """Fill each tensor with zeros."""
    _tensor_list("_foreach_zero_", self, 0, "self")
    _nonempty(self)
    _check_writable(self)
    for t in self:
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    """Copy each tensor of ``src`` into its partner (broadcast, cast), as Tensor.copy_."""
    _tensor_list("_foreach_copy_", self, 0, "self")
    _tensor_list("_foreach_copy_", src, 1, "src")
    _nonempty(self)
    _same_len(self, src)
    _check_writable(self)
    grad = STATE.enabled
    for t, s in zip(self, src):
        if grad and (t._rg or s._rg):  # recorded, as PyTorch, by a node with no derivative
            _copy_shapes(t, s)
            value = np.broadcast_to(s._data, t._data.shape).astype(t._data.dtype)
            t._write(_NoDerivative.apply(t._graph_input(), s, value, "_foreach_copy_"))
        else:
            t.copy_(s)
    return self


def _copy_shapes(t: Tensor, s: Tensor) -> None:
    """Tensor.copy_'s shape checks (src broadcasts to t's shape)."""
    shape = t._data.shape
    if s._data.shape != shape:
        check_broadcast(shape, s._data.shape)
        full = np.broadcast_shapes(shape, s._data.shape)
        if full != shape:
            raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast "
                               f"shape {list(full)}")


def _foreach_clone(self, *, memory_format=None):
    """A copy of each tensor (in the graph, as Tensor.clone)."""
    _tensor_list("_foreach_clone", self, 0, "self")
    _nonempty(self)
    out = tuple(t.clone() for t in self)
    if STATE.enabled:
        _rename(out, "ForeachCloneBackward0")
    return out


# ---- lerp, addcmul, addcdiv --------------------------------------------------------------

def _lerp_into(t: Tensor, e: Tensor, w: float) -> bool:
    """t.lerp_(e, w) with no graph, for same-shape float32/float64 tensors: lerp's two forms
    (ops/ternary.py Lerp) computed straight into t's array. False when not applicable."""
    arr, ea = t._data, e._data
    dt = arr.dtype
    if (dt is not _F32 and dt is not _F64) or type(arr) is not np.ndarray \
            or ea.dtype is not dt or ea.shape != arr.shape or t._base is not None \
            or not arr.flags.writeable:
        return False
    opmath = _wide(dt)[1]
    d = np.subtract(ea, arr, dtype=opmath)
    wa = np.asarray(w, dtype=opmath)
    if abs(wa) < 0.5:
        fma_into(arr, wa, d, arr)
    else:
        fma_into(arr, -d, 1 - wa, ea)
    t._bump()
    return True


def _lerp(inplace: bool):
    fn = f"_foreach_lerp{'_' if inplace else ''}"
    names = {"self": 0, "tensors1": 1, "weight": 2, "weights": 2}

    def op(*args, **kwargs):
        self, end, weight = _split(fn, args, kwargs, names, 3)
        if not _is_list(self) or not _is_list(end):
            raise _invalid(fn, args, kwargs)
        got = _scalar_arg(fn, weight, args, kwargs, False)
        kind, weight = got if got is not None else ("L", weight)
        _elements(self, 0)
        _elements(end, 1)
        if kind == "L":
            _elements(weight, 2)
        _nonempty(self)
        _same_len(self, end)
        if kind == "L":
            _same_len(self, weight)
        elif kind == "SL":
            _scalars_len(self, weight)
        weights = weight if kind != "S" else [weight] * len(self)
        if not inplace:
            out = tuple(t.lerp(e, w) for t, e, w in zip(self, end, weights))
            if STATE.enabled:
                _rename(out, _node_name("lerp", kind))
            return out
        _check_writable(self)
        grad = STATE.enabled
        for t, e, w in zip(self, end, weights):  # (no graph to record: NumPy straight in)
            if kind == "L" or grad and (t._rg or e._rg) or not _lerp_into(t, e, w):
                t.lerp_(e, w)
        return self

    op.__name__ = op.__qualname__ = fn
    op.__doc__ = (f"torch.{fn}: lerp of each tensor towards its partner in tensors1, by a "
                  "number, a list of numbers or a list of weight tensors.")
    return op


def _addc(name: str, inplace: bool):
    fn = f"_foreach_{name}{'_' if inplace else ''}"
    names = {"self": 0, "tensor1": 1, "tensor2": 2, "value": 3, "scalars": 3}

    def op(*args, **kwargs):
        self, t1, t2, value = _split(fn, args, kwargs, names, 4)
        if len(args) + len(kwargs) < 4:  # only value=1's overload fits: its own message
            for pos, (x, arg) in enumerate(((self, "self"), (t1, "tensor1"), (t2, "tensor2"))):
                _tensor_list(fn, x, pos, arg)
            value = 1
        if not (_is_list(self) and _is_list(t1) and _is_list(t2)):
            raise _invalid(fn, args, kwargs)
        if isinstance(value, Tensor):
            kind = "T"
        else:
            got = _scalar_arg(fn, value, args, kwargs, False)
            if got is None:
                raise _invalid(fn, args, kwargs)
            kind, value = got
        for pos, x in enumerate((self, t1, t2)):
            _elements(x, pos)
        _nonempty(self)
        _same_len(self, t1)
        _same_len(self, t2)
        if kind == "T":
            if value._data.ndim != 1:
                raise RuntimeError("Expected packed scalar Tensor to be of dimension 1. Got "
                                   f"{value._data.ndim} instead.")
            if value._data.shape[0] != len(self):
                raise RuntimeError(f"Expected length of scalars to match input of length "
                                   f"{len(self)} but got {value._data.shape[0]} instead.")
            kind, value = "SL", value._data.tolist()
        elif kind == "SL":
            _scalars_len(self, value)
        values = value if kind == "SL" else [value] * len(self)
        if inplace:
            _check_writable(self)
            for t, a, b, v in zip(self, t1, t2, values):
                getattr(t, name + "_")(a, b, value=v)
            return self
        out = tuple(getattr(t, name)(a, b, value=v) for t, a, b, v in zip(self, t1, t2, values))
        if STATE.enabled:
            _rename(out, _node_name(name, kind))
        return out

    op.__name__ = op.__qualname__ = fn
    op.__doc__ = (f"torch.{fn}: {name} of each tensor with its partners in tensor1 and "
                  "tensor2, scaled by value, a list of numbers or a 1-D tensor of them.")
    return op
