"""``Variable``: the pre-0.4 wrapper that old tutorials still write.

Since PyTorch 0.4 a Tensor does everything a Variable did, and ``Variable(x, requires_grad=True)``
simply returns a Tensor: a new leaf that shares ``x``'s storage and version counter. Every
Tensor counts as a Variable for ``isinstance`` (the class's metaclass says so), while
``issubclass(Tensor, Variable)`` stays False, as in PyTorch.
"""

from __future__ import annotations

import operator
import warnings

__all__ = ["Variable"]


class VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from ..tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False, _grad_fn=None, name=None)``:
    a Tensor aliasing ``data`` (detached from its graph) with ``requires_grad`` set."""

    def __new__(cls, data=None, requires_grad=False, volatile=False, _grad_fn=None, name=None,
                **kwargs):
        from ..tensor import Tensor
        from ..creation import tensor as _tensor
        from .._typename import class_name

        if kwargs:  # PyTorch's C argument parser words it this way
            raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this "
                            "function")
        # requires_grad / volatile are parsed as C bytes ('b'): an int-like is needed
        requires_grad, volatile = bool(operator.index(requires_grad)), bool(operator.index(volatile))
        if name is not None and not isinstance(name, str):
            raise TypeError(f"argument 5 must be str or None, not {type(name).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        if data is None:
            data = _tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{class_name(type(data))}")
        if volatile and requires_grad:  # checked after the warning, as in PyTorch
            raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        out = data.detach()  # a plain Tensor (never a Parameter) sharing storage and versions
        out._rg = requires_grad
        if name is not None:  # shown by .name, as PyTorch's autograd meta keeps it
            out.__dict__["_variable_name"] = name
        return out
