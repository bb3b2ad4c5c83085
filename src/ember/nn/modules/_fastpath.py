"""Inference fast path for Sequential.

Under ``no_grad`` nothing is recorded, so a chain of stock layers (Linear, ReLU, Tanh,
Sigmoid, Identity, Dropout in eval mode) can run as back-to-back NumPy calls on one array:
each layer's primitive forward (the same code ``Primitive.apply`` runs) without the
per-layer module call, op wrapper and Tensor. Results are bit-identical to the layer-by-layer
path. At the first module it cannot run so (hooks, subclasses, patched forwards, dtype or
shape mismatches, which need PyTorch's error messages), it hands the array computed so far,
as a Tensor, to that module and calls the rest as usual: the same result, since layers run
either way compute the same values.
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import NULL_CTX
from ...ops.elementwise import Relu, Sigmoid, Tanh
from ...ops.linalg import linear_forward
from ...tensor import Tensor
from .activation import ReLU, Sigmoid as SigmoidModule, Tanh as TanhModule
from .dropout import Dropout
from .linear import Identity, Linear

_UNARY = {ReLU: Relu.forward, TanhModule: Tanh.forward, SigmoidModule: Sigmoid.forward}
_FORWARDS = {cls: cls.forward for cls in (Linear, ReLU, TanhModule, SigmoidModule, Identity,
                                          Dropout)}


def sequential_no_grad(modules, x):
    """The chain's output Tensor, or None to call every module as usual."""
    if type(x) is not Tensor:
        return None
    a = x._data
    if type(a) is not np.ndarray or a.dtype.kind != "f" or a.ndim == 0:
        return None
    fresh = False  # whether `a` is an array of our own (safe to reuse in place)
    it = iter(modules)
    for m in it:
        cls = type(m)
        d = m.__dict__
        if (_FORWARDS.get(cls) is not cls.forward or d["_forward_hooks"]
                or d["_forward_pre_hooks"] or "forward" in d):
            break
        if cls is Linear:  # its checks inline; a mismatch goes to Linear's own errors
            wd = m.weight._data
            if wd.dtype is not a.dtype or wd.ndim != 2 or a.shape[-1] != wd.shape[1]:
                break
            b = m.bias
            if b is not None:
                b = b._data
                if b.dtype is not a.dtype or b.shape != (wd.shape[0],):
                    break
            a, fresh = linear_forward(a, wd, b), True
        elif cls is Identity or cls is Dropout and (not m.training or m.p == 0):
            continue
        elif cls is ReLU and fresh:
            np.maximum(a, 0, out=a)  # Relu's forward, in place on our own array (exact)
        elif cls is TanhModule:
            a, fresh = np.tanh(a), True  # Tanh's forward, without its ctx call
        elif cls is Dropout or cls is ReLU and m.inplace:
            break  # a random mask; or ReLU(inplace=True) on the caller's tensor
        else:
            a, fresh = _UNARY[cls](NULL_CTX, a), True
    else:
        return Tensor._make(a, False, None) if fresh else x
    out = Tensor._make(a, False, None) if fresh else x
    out = m(out)
    for m in it:
        out = m(out)
    return out
