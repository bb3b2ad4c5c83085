"""``Variable``: the pre-0.4 wrapper that old tutorials still write.

Since PyTorch 0.4 a Tensor does everything a Variable did, and ``Variable(x, requires_grad=True)``
simply returns a Tensor: a new leaf that shares ``x``'s storage and version counter. Every
Tensor counts as a Variable for ``isinstance`` (the class's metaclass says so), while
``issubclass(Tensor, Variable)`` stays False, as in PyTorch.
"""

from __future__ import annotations

import warnings

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from ..tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False, _grad_fn=None, name=None)``:
    a Tensor aliasing ``data`` (detached from its graph) with ``requires_grad`` set."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False,
                _grad_fn=None, name: str | None = None):
        from ..tensor import Tensor
        from ..creation import tensor as _tensor

        if name is not None and not isinstance(name, str):
            raise TypeError(f"argument 5 must be str or None, not {type(name).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        if data is None:
            data = _tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        requires_grad = bool(requires_grad)
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        out = data.detach()  # a plain Tensor (never a Parameter) sharing storage and versions
        out._rg = requires_grad
        return out
