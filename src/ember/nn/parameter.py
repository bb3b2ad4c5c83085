"""Parameter and Buffer: tensors that a Module registers when they are assigned as attributes."""

from __future__ import annotations

import numpy as np

from .._tensor_str import format_tensor
from ..autograd._inference import REQUIRES_GRAD, is_inference
from ..autograd.grad_mode import STATE
from ..tensor import Tensor

_PREFIX = "Parameter containing:\ntensor("


def _empty() -> Tensor:
    from ..dtypes import _Defaults

    return Tensor._make(np.empty(0, dtype=_Defaults.float_np), False, None)


class Parameter(Tensor):
    """A Tensor that a Module lists in ``parameters()``; requires grad by default.

    It shares storage (and the version counter) with the tensor it wraps, as in PyTorch.
    Results of operations on a Parameter are plain Tensors.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if type(requires_grad) is not bool:  # PyTorch's _make_subclass refuses it
            from .._random_checks import _parser_type

            raise TypeError("_make_subclass(): argument 'require_grad' (position 3) must be "
                            f"bool, not {_parser_type(requires_grad)}")
        if data is None:
            data = _empty()
        elif not isinstance(data, Tensor):
            try:  # PyTorch calls data.detach(): its AttributeError names the type
                data.detach
            except AttributeError as err:
                raise AttributeError(f"{err}\nHint: nn.Parameter wraps a tensor, e.g. "
                                     "nn.Parameter(torch.tensor([1.0]))") from None
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        t = object.__new__(cls)
        Tensor._init_from(t, data._ensure_array(), False)
        t._vc = data._shared_vc()
        if requires_grad:
            if t._data.dtype.kind not in "fc":
                raise RuntimeError("Only Tensors of floating point and complex dtype can "
                                   "require gradients")
            if is_inference(t) and not STATE.inference:  # made in inference_mode, used after
                raise RuntimeError(REQUIRES_GRAD)
            t._rg = True
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # all set up in __new__ (Tensor.__init__ would rebuild the data)

    def __repr__(self, *, tensor_contents=None) -> str:
        return format_tensor(np.asarray(self._data), self.dtype.name,
                             requires_grad=self._rg, prefix=_PREFIX)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (np.asarray(self._data), self._rg))

    def __deepcopy__(self, memo):
        """A new Parameter of the same class over a copy of the data with the same
        requires_grad, as PyTorch's: unlike a plain tensor's deepcopy, the ``.grad`` stays
        behind (``target = deepcopy(net)`` after training starts with no gradients)."""
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(np.array(data, copy=True), False, None), requires_grad)


class _BufferMeta(type(Tensor)):
    """``isinstance(t, Buffer)`` is true for the tensors ``Buffer(...)`` returns."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and bool(
                getattr(instance, "__dict__", {}).get("_is_buffer", False))
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a Module buffer when assigned as an attribute (``nn.Buffer``).

    ``Buffer(t)`` returns a plain tensor sharing ``t``'s storage, flagged as a buffer;
    ``persistent=False`` keeps it out of ``state_dict()``.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = _empty()
        t = data.detach()
        if data.requires_grad:
            t.requires_grad_(True)
        t.__dict__["persistent"] = persistent
        t.__dict__["_is_buffer"] = True
        return t


_LAZY_NAMES = {"UninitializedParameter": "UninitializedParameter", "is_lazy": "is_lazy",
               "UninitializedBuffer": "UninitializedBuffer",
               "UninitializedTensorMixin": "_UninitializedMixin"}


def __getattr__(name: str):
    # torch.nn.parameter's lazy placeholders live in modules/lazy.py, which imports this file
    if name in _LAZY_NAMES:
        from .modules import lazy

        return getattr(lazy, _LAZY_NAMES[name])
    raise AttributeError(f"module 'ember.nn.parameter' has no attribute '{name}'")
