"""Inference fast path for Sequential.

Under ``no_grad`` nothing is recorded, so a chain of stock layers (Linear, ReLU, Tanh,
Sigmoid, Identity, Dropout in eval mode) can run as back-to-back NumPy calls on one array:
each layer's primitive ``forward`` (the same code ``Primitive.apply`` runs) without the
per-layer module call, op wrapper and Tensor. Results are bit-identical to the layer-by-layer
path. Anything else (hooks, subclasses, patched forwards, dtype or shape mismatches, which
need PyTorch's error messages) returns None and the caller takes the ordinary path.
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import NULL_CTX
from ...ops.elementwise import Relu, Sigmoid, Tanh
from ...ops.linalg import Linear as _LinearOp
from ...tensor import Tensor
from .activation import ReLU, Sigmoid as SigmoidModule, Tanh as TanhModule
from .dropout import Dropout
from .linear import Identity, Linear

_linear = _LinearOp.forward
_UNARY = {ReLU: Relu.forward, TanhModule: Tanh.forward, SigmoidModule: Sigmoid.forward}
_FORWARDS = {cls: cls.forward for cls in (Linear, ReLU, TanhModule, SigmoidModule, Identity,
                                          Dropout)}


def _step(m):
    """(kind, payload) for one module, or None when it must run as itself."""
    cls = type(m)
    d = m.__dict__
    if (_FORWARDS.get(cls) is not cls.forward or d["_forward_hooks"]
            or d["_forward_pre_hooks"] or "forward" in d):
        return None
    if cls is Linear:
        return ("linear", m)
    if cls is ReLU:
        return ("relu_inplace" if m.inplace else "unary", _UNARY[cls])
    if cls is Dropout:
        return ("identity", None) if (not m.training or m.p == 0) else None
    if cls is Identity:
        return ("identity", None)
    return ("unary", _UNARY[cls])


def _linear_step(a: np.ndarray, m) -> np.ndarray | None:
    w, b = m.weight, m.bias
    wd = w._data
    if wd.dtype != a.dtype or wd.ndim != 2 or a.shape[-1] != wd.shape[1]:
        return None
    bd = None
    if b is not None:
        bd = b._data
        if bd.dtype != a.dtype or bd.shape != (wd.shape[0],):
            return None
    return _linear(NULL_CTX, a, wd, bd)


def sequential_no_grad(modules, x):
    """The chain's output Tensor, or None to fall back to calling each module."""
    if not isinstance(x, Tensor):
        return None
    a = x._data
    if type(a) is not np.ndarray or a.dtype.kind != "f" or a.ndim == 0:
        return None
    steps = []
    for m in modules:
        s = _step(m)
        if s is None:
            return None
        steps.append(s)
    fresh = False  # whether `a` is an array of our own (safe to reuse in place)
    for kind, payload in steps:
        if kind == "linear":
            a = _linear_step(a, payload)
            if a is None:
                return None
            fresh = True
        elif kind == "unary" or (kind == "relu_inplace" and fresh):
            a = payload(NULL_CTX, a)
            fresh = True
        elif kind == "relu_inplace":
            return None  # would modify the caller's tensor: let ReLU(inplace=True) do it
    return Tensor._make(a, False, None) if fresh else x
